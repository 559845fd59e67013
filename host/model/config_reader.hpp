// Validating reads of one scan YAML document: every error names the file and the dotted key.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <utility>
#include <vector>

namespace amfm {

std::string join_key(const std::string& path, const std::string& key);

// A value is given: defined and not null.
bool present(const YAML::Node& n);

// "a, b, c".
std::string join_names(const std::vector<std::string>& names);

class ConfigReader {
public:
    ConfigReader(std::string file, std::string base_dir) : file_(std::move(file)), base_dir_(std::move(base_dir)) {}

    // ConfigError "<file>: <key>: <what>".
    [[noreturn]] void fail(const std::string& key, const std::string& what) const;

    // A mapping whose keys all come from `allowed`. Null/absent counts as an empty mapping.
    void check_map(const YAML::Node& n, const std::string& path, const std::vector<std::string>& allowed) const;

    double number(const YAML::Node& n, const std::string& key) const;
    // > 0, and at most `max_plausible` (when > 0) with `unit_hint` in the error.
    double positive(const YAML::Node& n, const std::string& key, double max_plausible, const char* unit_hint) const;
    long long integer(const YAML::Node& n, const std::string& key) const;
    int integer(const YAML::Node& n, const std::string& key, long long lo, long long hi) const;
    bool boolean(const YAML::Node& n, const std::string& key) const;
    std::string text(const YAML::Node& n, const std::string& key) const;
    // One of `allowed`, by name.
    std::string choice(const YAML::Node& n, const std::string& key, const std::vector<std::string>& allowed) const;
    // A file name, absolute (relative ones resolve against the YAML's folder); "" stays "".
    std::string path(const YAML::Node& n, const std::string& key) const;

    // A non-empty list of distinct integers in [lo, hi], in the order given; `item` names one
    // ("page", "label") and `example` shows a valid list in the error for a wrong type.
    std::vector<int> distinct_integers(const YAML::Node& n, const std::string& key, long long lo, long long hi,
                                       const char* item, const char* example) const;
    // Two numbers [lo, hi] with lo < hi.
    std::pair<double, double> range(const YAML::Node& n, const std::string& key) const;
    // The integer label of a mapping key `key_node` in `path` ("regions.names"): 1..65535.
    int label_key(const YAML::Node& key_node, const std::string& path) const;

private:
    std::string file_;
    std::string base_dir_;
};

}  // namespace amfm
