// Validating YAML reads (see config_reader.hpp).
#include "host/model/config_reader.hpp"

#include <cmath>
#include <filesystem>
#include <set>

#include "amfm/kernels/error.hpp"
#include "host/model/yaml_text.hpp"

namespace amfm {

namespace fs = std::filesystem;

std::string join_key(const std::string& path, const std::string& key) { return path.empty() ? key : path + "." + key; }

bool present(const YAML::Node& n) { return n.IsDefined() && !n.IsNull(); }

std::string join_names(const std::vector<std::string>& names) {
    std::string s;
    for (const std::string& n : names) s += (s.empty() ? "" : ", ") + n;
    return s;
}

void ConfigReader::fail(const std::string& key, const std::string& what) const {
    throw ConfigError(file_ + ": " + key + ": " + what);
}

void ConfigReader::check_map(const YAML::Node& n, const std::string& path,
                             const std::vector<std::string>& allowed) const {
    if (!present(n)) return;
    if (!n.IsMap()) fail(path.empty() ? "<document>" : path, "expected a mapping of keys");
    std::set<std::string> seen;
    for (const auto& kv : n) {
        const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "?";
        // yaml-cpp keeps the first of two equal keys; a silently ignored value is worse than an error.
        if (!seen.insert(key).second) fail(join_key(path, key), "duplicate key");
        bool known = false;
        for (const std::string& a : allowed) known = known || key == a;
        if (!known)
            throw ConfigError(file_ + ": unknown key '" + join_key(path, key) +
                              "' (expected one of: " + join_names(allowed) + ")");
    }
}

double ConfigReader::number(const YAML::Node& n, const std::string& key) const {
    if (!n.IsScalar()) fail(key, "expected a number");
    double v = 0.0;
    try {
        v = n.as<double>();
    } catch (const YAML::Exception&) {
        fail(key, "expected a number, got '" + n.Scalar() + "'");
    }
    if (!std::isfinite(v)) fail(key, "expected a finite number, got '" + n.Scalar() + "'");
    return v;
}

double ConfigReader::positive(const YAML::Node& n, const std::string& key, double max_plausible,
                              const char* unit_hint) const {
    const double v = number(n, key);
    if (!(v > 0.0)) fail(key, "must be > 0, got " + yaml_number(v));
    if (max_plausible > 0.0 && v > max_plausible) fail(key, yaml_number(v) + " is implausibly large; " + unit_hint);
    return v;
}

long long ConfigReader::integer(const YAML::Node& n, const std::string& key) const {
    if (!n.IsScalar()) fail(key, "expected an integer");
    try {
        return n.as<long long>();
    } catch (const YAML::Exception&) {
        fail(key, "expected an integer, got '" + n.Scalar() + "'");
    }
}

int ConfigReader::integer(const YAML::Node& n, const std::string& key, long long lo, long long hi) const {
    const long long v = integer(n, key);
    if (v < lo || v > hi)
        fail(key, std::to_string(v) + " is out of range [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
    return (int)v;
}

bool ConfigReader::boolean(const YAML::Node& n, const std::string& key) const {
    if (!n.IsScalar()) fail(key, "expected true or false");
    try {
        return n.as<bool>();
    } catch (const YAML::Exception&) {
        fail(key, "expected true or false, got '" + n.Scalar() + "'");
    }
}

std::string ConfigReader::text(const YAML::Node& n, const std::string& key) const {
    if (!n.IsScalar()) fail(key, "expected a text value");
    return n.Scalar();
}

std::string ConfigReader::choice(const YAML::Node& n, const std::string& key,
                                 const std::vector<std::string>& allowed) const {
    const std::string v = text(n, key);
    for (const std::string& a : allowed)
        if (v == a) return v;
    fail(key, "'" + v + "' is not one of: " + join_names(allowed));
}

std::string ConfigReader::path(const YAML::Node& n, const std::string& key) const {
    const std::string file = text(n, key);
    if (file.empty()) return "";
    fs::path p(file);
    if (p.is_relative()) p = fs::path(base_dir_) / p;
    return fs::absolute(p).lexically_normal().string();
}

std::vector<int> ConfigReader::distinct_integers(const YAML::Node& n, const std::string& key, long long lo,
                                                 long long hi, const char* item, const char* example) const {
    if (!n.IsSequence() || n.size() == 0) fail(key, std::string("expected a list, e.g. ") + example);
    std::vector<int> out;
    std::set<long long> seen;
    for (std::size_t i = 0; i < n.size(); ++i) {
        const std::string at = key + "[" + std::to_string(i) + "]";
        const long long v = integer(n[i], at);
        if (v < lo || v > hi)
            fail(at, std::string(item) + " " + std::to_string(v) + " is out of range " + std::to_string(lo) + ".." +
                         std::to_string(hi));
        if (!seen.insert(v).second) fail(at, std::string(item) + " " + std::to_string(v) + " is listed twice");
        out.push_back((int)v);
    }
    return out;
}

std::pair<double, double> ConfigReader::range(const YAML::Node& n, const std::string& key) const {
    if (!n.IsSequence() || n.size() != 2) fail(key, "expected a list of two numbers [lo, hi]");
    const double lo = number(n[0], key + "[0]"), hi = number(n[1], key + "[1]");
    if (!(lo < hi)) fail(key, "needs lo < hi, got [" + yaml_number(lo) + ", " + yaml_number(hi) + "]");
    return {lo, hi};
}

int ConfigReader::label_key(const YAML::Node& key_node, const std::string& path) const {
    const std::string key = key_node.IsScalar() ? key_node.Scalar() : "?";
    long long label = -1;
    try {
        label = key_node.as<long long>();
    } catch (const YAML::Exception&) {
    }
    if (label < 1 || label > 65535) fail(path + "." + key, "keys are labels, integers 1..65535 (0 is unlabelled)");
    return (int)label;
}

}  // namespace amfm
