// The scan YAML contract: parsing with strict validation, overrides, template and echo.
#include "host/model/config.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <set>
#include <sstream>

#include "amfm/kernels/error.hpp"
#include "host/model/channels.hpp"

namespace amfm {


namespace {

namespace fs = std::filesystem;

std::string join_key(const std::string& path, const std::string& key) {
    return path.empty() ? key : path + "." + key;
}

bool present(const YAML::Node& n) { return n.IsDefined() && !n.IsNull(); }

std::string join_list(std::initializer_list<const char*> items) {
    std::string s;
    for (const char* i : items) s += (s.empty() ? "" : ", ") + std::string(i);
    return s;
}

// Shortest decimal text that reads back as exactly the same double, in the style people
// write SI values: 26.0, 300000.0, 0.00161, 1.71e6, 1.5e-7.
std::string num(double v) {
    if (v == 0.0) return "0.0";
    char buf[40];
    for (int prec = 0; prec <= 16; ++prec) {
        std::snprintf(buf, sizeof buf, "%.*e", prec, v);
        if (std::strtod(buf, nullptr) == v) break;
    }
    const std::string sci = buf;  // [-]d.ddde[+-]XX
    const bool negative = sci[0] == '-';
    const auto e_pos = sci.find('e');
    std::string digits;
    for (std::size_t i = negative ? 1 : 0; i < e_pos; ++i)
        if (sci[i] != '.') digits += sci[i];
    while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
    const int exp10 = std::atoi(sci.c_str() + e_pos + 1);

    // Places the decimal point after `point` digits (may be <= 0 or past the end).
    auto place = [&](int point) {
        const int n = (int)digits.size();
        if (point <= 0) return "0." + std::string(-point, '0') + digits;
        if (point >= n) return digits + std::string(point - n, '0') + ".0";
        return digits.substr(0, point) + "." + digits.substr(point);
    };
    const std::string body = (exp10 >= -3 && exp10 < 6) ? place(exp10 + 1) : place(1) + "e" + std::to_string(exp10);
    return negative ? "-" + body : body;
}

// One template line: key text, then its comment in a common column.
std::string line(const std::string& key_value, const std::string& comment) {
    std::string s = key_value;
    s.resize(std::max<std::size_t>(s.size() + 1, 30), ' ');
    return s + "# " + comment + "\n";
}

// Validating reader over one document: every error names the file and the dotted key.
class Reader {
public:
    Reader(std::string file, std::string base_dir) : file_(std::move(file)), base_dir_(std::move(base_dir)) {}

    [[noreturn]] void fail(const std::string& key, const std::string& what) const {
        throw ConfigError(file_ + ": " + key + ": " + what);
    }

    // A mapping whose keys all come from `allowed`. Null/absent counts as an empty mapping.
    void check_map(const YAML::Node& n, const std::string& path, std::initializer_list<const char*> allowed) const {
        if (!present(n)) return;
        if (!n.IsMap()) fail(path.empty() ? "<document>" : path, "expected a mapping of keys");
        std::set<std::string> seen;
        for (const auto& kv : n) {
            const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "?";
            // yaml-cpp keeps the first of two equal keys; a silently ignored value is worse than an error.
            if (!seen.insert(key).second) fail(join_key(path, key), "duplicate key");
            bool known = false;
            for (const char* a : allowed) known = known || key == a;
            if (!known)
                throw ConfigError(file_ + ": unknown key '" + join_key(path, key) + "' (expected one of: " +
                                  join_list(allowed) + ")");
        }
    }

    double number(const YAML::Node& n, const std::string& key) const {
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
    double number(const YAML::Node& map, const std::string& path, const char* k, bool required, double dflt) const {
        const YAML::Node n = map[k];
        if (!present(n)) {
            if (required) fail(join_key(path, k), "required key missing");
            return dflt;
        }
        return number(n, join_key(path, k));
    }
    double positive(const YAML::Node& map, const std::string& path, const char* k, bool required, double dflt,
                    double max_plausible = 0.0, const char* unit_hint = nullptr) const {
        const double v = number(map, path, k, required, dflt);
        if (!(v > 0.0)) fail(join_key(path, k), "must be > 0, got " + num(v));
        if (max_plausible > 0.0 && v > max_plausible)
            fail(join_key(path, k), num(v) + " is implausibly large; " + unit_hint);
        return v;
    }

    long long integer(const YAML::Node& n, const std::string& key) const {
        if (!n.IsScalar()) fail(key, "expected an integer");
        try {
            return n.as<long long>();
        } catch (const YAML::Exception&) {
            fail(key, "expected an integer, got '" + n.Scalar() + "'");
        }
    }
    int integer(const YAML::Node& map, const std::string& path, const char* k, int dflt, long long lo,
                long long hi) const {
        const YAML::Node n = map[k];
        if (!present(n)) return dflt;
        const long long v = integer(n, join_key(path, k));
        if (v < lo || v > hi)
            fail(join_key(path, k), std::to_string(v) + " is out of range [" + std::to_string(lo) + ", " +
                                        std::to_string(hi) + "]");
        return (int)v;
    }

    bool boolean(const YAML::Node& map, const std::string& path, const char* k, bool dflt) const {
        const YAML::Node n = map[k];
        if (!present(n)) return dflt;
        if (!n.IsScalar()) fail(join_key(path, k), "expected true or false");
        try {
            return n.as<bool>();
        } catch (const YAML::Exception&) {
            fail(join_key(path, k), "expected true or false, got '" + n.Scalar() + "'");
        }
    }

    std::string text(const YAML::Node& n, const std::string& key) const {
        if (!n.IsScalar()) fail(key, "expected a text value");
        return n.Scalar();
    }
    std::string text(const YAML::Node& map, const std::string& path, const char* k, const std::string& dflt) const {
        const YAML::Node n = map[k];
        if (!present(n)) return dflt;
        return text(n, join_key(path, k));
    }

    std::string choice(const YAML::Node& map, const std::string& path, const char* k, const std::string& dflt,
                       std::initializer_list<const char*> allowed) const {
        const std::string v = text(map, path, k, dflt);
        for (const char* a : allowed)
            if (v == a) return v;
        fail(join_key(path, k), "'" + v + "' is not one of: " + join_list(allowed));
    }

    // A non-empty list of distinct integers in [lo, hi], in the order given; `item` names one
    // ("page", "label") and `example` shows a valid list in the error for a wrong type.
    std::vector<int> distinct_integers(const YAML::Node& n, const std::string& key, long long lo, long long hi,
                                       const char* item, const char* example) const {
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

    // Two numbers [lo, hi] with lo < hi.
    std::pair<double, double> range(const YAML::Node& n, const std::string& key) const {
        if (!n.IsSequence() || n.size() != 2) fail(key, "expected a list of two numbers [lo, hi]");
        const double lo = number(n[0], key + "[0]"), hi = number(n[1], key + "[1]");
        if (!(lo < hi)) fail(key, "needs lo < hi, got [" + num(lo) + ", " + num(hi) + "]");
        return {lo, hi};
    }

    std::string path_value(const YAML::Node& map, const std::string& path, const char* k, bool required) const {
        const std::string file = text(map, path, k, "");
        if (file.empty()) {
            if (required) fail(join_key(path, k), "required key missing (the channel's TIFF file)");
            return "";
        }
        fs::path p(file);
        if (p.is_relative()) p = fs::path(base_dir_) / p;
        return fs::absolute(p).lexically_normal().string();
    }

    const std::string& file() const { return file_; }

private:
    std::string file_;
    std::string base_dir_;
};

void read_channel(const Reader& r, const YAML::Node& channels, const char* name, bool required,
                  const char* default_unit, ChannelSpec& out) {
    const std::string path = std::string("channels.") + name;
    const YAML::Node n = channels[name];
    if (!present(n)) {
        if (required) r.fail(path, "required channel missing");
        return;
    }
    const bool is_df2 = std::string(name) == "df2";
    if (is_df2) r.check_map(n, path, {"file", "unit", "scale", "absolute", "page"});
    else r.check_map(n, path, {"file", "unit", "scale", "page"});
    out.file = r.path_value(n, path, "file", required);
    out.unit = r.text(n, path, "unit", default_unit);
    double factor = 0.0;
    const std::string problem = detail::channel_unit_problem(name, out.unit, &factor);
    if (!problem.empty()) r.fail(path + ".unit", problem);
    out.scale = r.number(n, path, "scale", false, 1.0);
    if (out.scale == 0.0) r.fail(path + ".scale", "must not be 0");
    out.absolute = is_df2 && r.boolean(n, path, "absolute", false);
    // TIFF directories are counted in 16 bits by many writers; larger indices are typos.
    out.page = r.integer(n, path, "page", -1, 0, 65535);
}

// stack: {pages: all | [k, ...]}. Channel `page` keys contradict a stack (there page k of
// every file is scan k), so they are rejected here rather than silently ignored.
void read_stack(const Reader& r, const YAML::Node& st, ScanConfig& c) {
    r.check_map(st, "stack", {"pages"});
    if (!present(st)) return;
    c.stack.enabled = true;
    const YAML::Node pages = st["pages"];
    if (present(pages) && !(pages.IsScalar() && pages.Scalar() == "all")) {
        c.stack.pages = r.distinct_integers(pages, "stack.pages", 0, 65535, "page (0-based)",
                                            "'all' or 0-based page numbers [0, 3, 5]");
        std::sort(c.stack.pages.begin(), c.stack.pages.end());
    }
    const std::pair<const char*, const ChannelSpec*> channels[] = {
        {"height", &c.height}, {"phase1", &c.phase1}, {"df2", &c.df2}, {"amplitude1", &c.amplitude1}};
    for (const auto& ch : channels)
        if (ch.second->page >= 0)
            r.fail(std::string("channels.") + ch.first + ".page",
                   "not allowed with stack: (page k of every channel file is scan k); use one or the other");
}

// ---- tip calibration keys (amfm calibrate-tip) ----------------------------------------------

// Relative difference above which the tip's calibration cantilever counts as a different one.
// Thermal-noise calibrations of one cantilever repeat to ~1 %; 2 % leaves room for rounding.
constexpr double kCantileverMatchRel = 0.02;

void read_tip_calibration(const Reader& r, const YAML::Node& tip, ScanConfig& c) {
    TipCalibration& t = c.tip_calibration;
    if (present(tip["uncertainty"])) t.radius_uncertainty_m = r.positive(tip, "tip", "uncertainty", true, 0.0, 1.0e-5,
                                                                          "the unit is metres (e.g. 0.2e-9)");
    t.reference = r.text(tip, "tip", "reference", "");
    if (present(tip["reference_modulus"]))
        t.reference_modulus_pa = r.positive(tip, "tip", "reference_modulus", true, 0.0);
    t.date = r.text(tip, "tip", "date", "");
    t.source = r.text(tip, "tip", "source", "");
    const YAML::Node tc = tip["cantilever"];
    r.check_map(tc, "tip.cantilever", {"k1", "f1", "f2"});
    if (!present(tc)) return;
    t.k1_n_per_m = r.positive(tc, "tip.cantilever", "k1", true, 0.0);
    t.f1_hz = r.positive(tc, "tip.cantilever", "f1", true, 0.0);
    t.f2_hz = r.positive(tc, "tip.cantilever", "f2", true, 0.0);
    // A radius calibrated with another cantilever (or another k1 calibration) does not carry over:
    // R absorbs k1 and k2, so the sample's modulus would be off by the ratio.
    const struct {
        const char* key;
        double tip_value, scan_value;
    } checks[] = {{"k1", t.k1_n_per_m, c.cantilever.k1_n_per_m},
                  {"f1", t.f1_hz, c.cantilever.f1_hz},
                  {"f2", t.f2_hz, c.cantilever.f2_hz}};
    for (const auto& ch : checks)
        if (std::abs(ch.tip_value - ch.scan_value) > kCantileverMatchRel * ch.scan_value)
            r.fail(std::string("tip.cantilever.") + ch.key,
                   std::string("the tip radius was calibrated with ") + ch.key + " = " + num(ch.tip_value) + " but cantilever." +
                       ch.key + " = " + num(ch.scan_value) +
                       ": a different cantilever or calibration; recalibrate the tip on a reference with this one");
}

void emit_tip(YAML::Emitter& out, const ScanConfig& c) {
    const TipCalibration& t = c.tip_calibration;
    out << YAML::Key << "tip" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "radius" << YAML::Value << num(c.tip_radius_m);
    if (t.radius_uncertainty_m > 0.0) out << YAML::Key << "uncertainty" << YAML::Value << num(t.radius_uncertainty_m);
    if (!t.reference.empty()) out << YAML::Key << "reference" << YAML::Value << t.reference;
    if (t.reference_modulus_pa > 0.0)
        out << YAML::Key << "reference_modulus" << YAML::Value << num(t.reference_modulus_pa);
    if (!t.date.empty()) out << YAML::Key << "date" << YAML::Value << t.date;
    if (!t.source.empty()) out << YAML::Key << "source" << YAML::Value << t.source;
    if (t.k1_n_per_m > 0.0) {
        out << YAML::Key << "cantilever" << YAML::Value << YAML::Flow << YAML::BeginMap;
        out << YAML::Key << "k1" << YAML::Value << num(t.k1_n_per_m);
        out << YAML::Key << "f1" << YAML::Value << num(t.f1_hz);
        out << YAML::Key << "f2" << YAML::Value << num(t.f2_hz);
        out << YAML::EndMap;
    }
    out << YAML::EndMap;
}

// Merges `extra` over `base`: mappings key by key (recursively), anything else replaced.
void merge_yaml_over(YAML::Node base, const YAML::Node& extra) {
    for (const auto& kv : extra) {
        const std::string key = kv.first.as<std::string>();
        YAML::Node b = base[key];
        if (present(b) && b.IsMap() && kv.second.IsMap()) merge_yaml_over(b, kv.second);
        else base[key] = YAML::Clone(kv.second);
    }
}

// ---- sections --------------------------------------------------------------------------------

Leveling parse_leveling(const std::string& s) {
    return s == "plane" ? Leveling::Plane : s == "rows" ? Leveling::Rows : Leveling::None;
}

ScanConfig parse_document(const YAML::Node& root, const Reader& r, const std::string& source) {
    ScanConfig c;
    c.source = source;
    if (present(root) && !root.IsMap()) r.fail("<document>", "expected a mapping of sections");
    r.check_map(root, "", {"sample", "channels", "scan_size", "cantilever", "tip", "processing", "tilt_correction",
                           "histogram", "fit", "regions", "stack", "outputs"});

    const YAML::Node sample = root["sample"];
    r.check_map(sample, "sample", {"name", "cycle"});
    if (present(sample)) {
        c.sample = r.text(sample, "sample", "name", "");
        c.cycle = r.integer(sample, "sample", "cycle", -1, -1, 1000000);
    }

    const YAML::Node ch = root["channels"];
    if (!present(ch)) r.fail("channels", "required key missing");
    r.check_map(ch, "channels", {"height", "phase1", "df2", "amplitude1"});
    read_channel(r, ch, "height", true, "m", c.height);
    read_channel(r, ch, "phase1", true, "deg", c.phase1);
    read_channel(r, ch, "df2", true, "Hz", c.df2);
    read_channel(r, ch, "amplitude1", false, "m", c.amplitude1);
    read_stack(r, root["stack"], c);

    const char* metres_hint = "the unit is metres (e.g. 10.0e-6 for 10 um)";
    const YAML::Node ss = root["scan_size"];
    if (!present(ss)) r.fail("scan_size", "required key missing");
    r.check_map(ss, "scan_size", {"x", "y"});
    c.scan_size_x_m = r.positive(ss, "scan_size", "x", true, 0.0, 1.0e-3, metres_hint);
    c.scan_size_y_m = r.positive(ss, "scan_size", "y", true, 0.0, 1.0e-3, metres_hint);

    const YAML::Node cl = root["cantilever"];
    if (!present(cl)) r.fail("cantilever", "required key missing");
    r.check_map(cl, "cantilever", {"k1", "q1", "f1", "f2", "k2", "a1_free", "a1_set", "k1_uncertainty"});
    Cantilever& k = c.cantilever;
    k.k1_n_per_m = r.positive(cl, "cantilever", "k1", true, 0.0);
    k.q1 = r.positive(cl, "cantilever", "q1", true, 0.0);
    k.f1_hz = r.positive(cl, "cantilever", "f1", true, 0.0);
    k.f2_hz = r.positive(cl, "cantilever", "f2", true, 0.0);
    k.k2_n_per_m = present(cl["k2"]) ? r.positive(cl, "cantilever", "k2", true, 0.0) : 0.0;
    const char* amp_hint = "amplitudes are in metres (e.g. 105.0e-9 for 105 nm)";
    k.a1_free_m = r.positive(cl, "cantilever", "a1_free", true, 0.0, 1.0e-5, amp_hint);
    k.a1_set_m = r.positive(cl, "cantilever", "a1_set", true, 0.0, 1.0e-5, amp_hint);
    if (present(cl["k1_uncertainty"]))
        c.k1_uncertainty_n_per_m = r.positive(cl, "cantilever", "k1_uncertainty", true, 0.0);

    const YAML::Node tip = root["tip"];
    if (!present(tip)) r.fail("tip", "required key missing");
    r.check_map(tip, "tip", {"radius", "uncertainty", "reference", "reference_modulus", "date", "source", "cantilever"});
    c.tip_radius_m = r.positive(tip, "tip", "radius", true, 0.0, 1.0e-5, "the unit is metres (e.g. 10.0e-9)");
    read_tip_calibration(r, tip, c);

    const YAML::Node pr = root["processing"];
    r.check_map(pr, "processing", {"level", "level_labels", "tilt_method", "tilt_window", "backend"});
    if (present(pr)) {
        c.level = parse_leveling(r.choice(pr, "processing", "level", "none", {"none", "plane", "rows"}));
        c.tilt_method = r.choice(pr, "processing", "tilt_method", "central", {"central", "plane"}) == "plane"
                            ? TiltMethod::LocalPlane
                            : TiltMethod::CentralDifference;
        c.tilt_window = r.integer(pr, "processing", "tilt_window", 3, 3, 255);
        if (c.tilt_window % 2 == 0)
            r.fail("processing.tilt_window", "must be odd, got " + std::to_string(c.tilt_window));
        c.backend = r.choice(pr, "processing", "backend", "auto", {"auto", "cpu", "cuda"});
        const YAML::Node ll = pr["level_labels"];
        if (present(ll)) {
            c.level_labels = r.distinct_integers(ll, "processing.level_labels", 1, 65535, "label",
                                                 "[5] (the labels of a flat reference area)");
            if (c.level == Leveling::None)
                r.fail("processing.level_labels", "a reference area for levelling needs level: plane or rows");
        }
    }

    const YAML::Node tc = root["tilt_correction"];
    r.check_map(tc, "tilt_correction", {"model", "coefficients", "cos_exponent", "max_angle_deg"});
    if (present(tc)) {
        TiltCorrection& t = c.tilt_correction;
        const std::string model = r.text(tc, "tilt_correction", "model", kc_model_name(KcModel::Polynomial));
        if (!kc_model_from_name(model, &t.model)) {
            std::string allowed;
            for (const KcModelName& m : kKcModelNames) allowed += (allowed.empty() ? "" : ", ") + std::string(m.name);
            r.fail("tilt_correction.model", "'" + model + "' is not one of: " + allowed);
        }
        const YAML::Node co = tc["coefficients"];
        if (present(co)) {
            if (!co.IsSequence() || co.size() < 1 || co.size() > (std::size_t)kMaxKcCoefficients)
                r.fail("tilt_correction.coefficients",
                       "expected a list of 1 to " + std::to_string(kMaxKcCoefficients) + " numbers");
            t.n_coefficients = (int)co.size();
            for (int i = 0; i < kMaxKcCoefficients; ++i)
                t.coefficients[i] =
                    i < t.n_coefficients ? r.number(co[i], "tilt_correction.coefficients[" + std::to_string(i) + "]")
                                         : 0.0;
        }
        t.cos_exponent = r.positive(tc, "tilt_correction", "cos_exponent", false, t.cos_exponent);
        t.max_angle_deg = r.number(tc, "tilt_correction", "max_angle_deg", false, t.max_angle_deg);
        if (!(t.max_angle_deg > 0.0 && t.max_angle_deg < 90.0))
            r.fail("tilt_correction.max_angle_deg", "must be in (0, 90) degrees, got " + num(t.max_angle_deg));
    }

    const YAML::Node hi = root["histogram"];
    r.check_map(hi, "histogram", {"bins", "rule", "min_bins", "max_bins", "range", "percentiles", "axis"});
    if (present(hi)) {
        HistogramConfig& h = c.histogram;
        const YAML::Node bins = hi["bins"];
        if (present(bins) && !(bins.IsScalar() && bins.Scalar() == "auto")) {
            const long long b = r.integer(bins, "histogram.bins");
            if (b < 1 || b > 1000000) r.fail("histogram.bins", "expected 'auto' or an integer >= 1, got " + bins.Scalar());
            h.bins = (int)b;
        }
        h.rule = r.choice(hi, "histogram", "rule", "fd", {"fd", "sturges", "sqrt"});
        h.min_bins = r.integer(hi, "histogram", "min_bins", h.min_bins, 1, 1000000);
        h.max_bins = r.integer(hi, "histogram", "max_bins", h.max_bins, 1, 1000000);
        if (h.max_bins < h.min_bins)
            r.fail("histogram.max_bins", std::to_string(h.max_bins) + " is below histogram.min_bins (" +
                                             std::to_string(h.min_bins) + ")");
        const YAML::Node rg = hi["range"];
        if (present(rg)) {
            if (rg.IsScalar()) {
                if (rg.Scalar() != "percentile")
                    r.fail("histogram.range", "expected 'percentile' or [lo_gpa, hi_gpa], got '" + rg.Scalar() + "'");
            } else {
                const auto lohi = r.range(rg, "histogram.range");
                h.fixed_range = true;
                h.fixed_lo_gpa = lohi.first;
                h.fixed_hi_gpa = lohi.second;
            }
        }
        const YAML::Node pc = hi["percentiles"];
        if (present(pc)) {
            const auto lohi = r.range(pc, "histogram.percentiles");
            if (lohi.first < 0.0 || lohi.second > 100.0)
                r.fail("histogram.percentiles", "must lie within [0, 100]");
            h.lo_percentile = lohi.first;
            h.hi_percentile = lohi.second;
        }
        h.log10_axis = r.choice(hi, "histogram", "axis", "linear", {"linear", "log10"}) == "log10";
        if (h.log10_axis && h.fixed_range && !(h.fixed_lo_gpa > 0.0))
            r.fail("histogram.range", "a log10 axis needs lo > 0");
    }

    const YAML::Node fit = root["fit"];
    r.check_map(fit, "fit", {"offset", "max_iterations", "tolerance"});
    if (present(fit)) {
        c.fit.fit_offset = r.boolean(fit, "fit", "offset", false) ? 1 : 0;
        c.fit.max_iterations = r.integer(fit, "fit", "max_iterations", c.fit.max_iterations, 1, 1000000);
        c.fit.tolerance = r.positive(fit, "fit", "tolerance", false, c.fit.tolerance);
    }

    const YAML::Node rg = root["regions"];
    r.check_map(rg, "regions", {"labels", "rois", "masks", "names", "classes", "auto", "class_feature",
                                "angle_tolerance_deg", "min_area_um2", "window_px", "edge_margin_px",
                                "crystal_class", "binder_class"});
    if (present(rg)) {
        c.regions.labels_file = r.path_value(rg, "regions", "labels", false);
        // ---- hand-drawn regions: ImageJ ROIs or one mask image per label (roi_io.hpp) ----
        c.regions.rois_file = r.path_value(rg, "regions", "rois", false);
        const YAML::Node masks = rg["masks"];
        if (present(masks)) {
            if (!masks.IsMap() || masks.size() == 0)
                r.fail("regions.masks", "expected a mapping label: mask image (e.g. {1: facet1.png, 2: facet2.png})");
            for (const auto& kv : masks) {
                const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "?";
                long long label = -1;
                try {
                    label = kv.first.as<long long>();
                } catch (const YAML::Exception&) {
                }
                if (label < 1 || label > 65535)
                    r.fail("regions.masks." + key, "keys are labels, integers 1..65535 (0 is unlabelled)");
                if (c.regions.mask_files.count((int)label)) r.fail("regions.masks." + key, "duplicate label");
                c.regions.mask_files[(int)label] = r.path_value(masks, "regions.masks", key.c_str(), true);
            }
        }
        const int sources = !c.regions.labels_file.empty() + !c.regions.rois_file.empty() +
                            !c.regions.mask_files.empty() + r.boolean(rg, "regions", "auto", false);
        if (sources > 1) r.fail("regions", "give one of labels, rois, masks or auto: true, not several");
        // ---- automatic regions (segmentation.hpp) ----
        AutoRegionsConfig& a = c.regions.automatic;
        a.enabled = r.boolean(rg, "regions", "auto", false);
        if (a.enabled && !c.regions.labels_file.empty())
            r.fail("regions.auto", "give either a label image (labels) or auto: true, not both");
        a.class_feature = r.text(rg, "regions", "class_feature", a.class_feature);
        if (a.class_feature != "roughness" && a.class_feature != "modulus")
            r.fail("regions.class_feature", "expected roughness or modulus, got '" + a.class_feature + "'");
        a.angle_tolerance_deg = r.positive(rg, "regions", "angle_tolerance_deg", false, a.angle_tolerance_deg);
        if (a.angle_tolerance_deg >= 90.0) r.fail("regions.angle_tolerance_deg", "must be below 90 degrees");
        a.min_area_um2 = r.number(rg, "regions", "min_area_um2", false, a.min_area_um2);
        if (a.min_area_um2 < 0.0) r.fail("regions.min_area_um2", "must be >= 0 (square micrometres)");
        a.window_px = r.integer(rg, "regions", "window_px", a.window_px, 3, 101);
        if (a.window_px % 2 == 0) r.fail("regions.window_px", "must be odd (a window centred on the pixel)");
        a.edge_margin_px = r.integer(rg, "regions", "edge_margin_px", a.edge_margin_px, 0, 100);
        a.crystal_class = r.text(rg, "regions", "crystal_class", a.crystal_class);
        a.binder_class = r.text(rg, "regions", "binder_class", a.binder_class);
        for (const char* which : {"names", "classes"}) {
            const std::string path = std::string("regions.") + which;
            const YAML::Node m = rg[which];
            if (!present(m)) continue;
            if (!m.IsMap()) r.fail(path, "expected a mapping label: text (e.g. {1: I, 2: II})");
            auto& dst = std::string(which) == "names" ? c.regions.names : c.regions.classes;
            for (const auto& kv : m) {
                const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "?";
                long long label = 0;
                try {
                    label = kv.first.as<long long>();
                } catch (const YAML::Exception&) {
                    label = -1;
                }
                if (label < 1 || label > 65535)
                    r.fail(path + "." + key, "keys are labels, integers 1..65535 (0 is unlabelled)");
                if (dst.count((int)label)) r.fail(path + "." + key, "duplicate label");
                dst[(int)label] = r.text(kv.second, path + "." + key);
            }
        }
        if (c.regions.labels_file.empty() && c.regions.rois_file.empty() && c.regions.mask_files.empty() &&
            !c.regions.automatic.enabled && (!c.regions.names.empty() || !c.regions.classes.empty()))
            r.fail("regions.labels", "names/classes given without a label image, rois, masks or auto: true");
    }

    if (!c.level_labels.empty()) {
        if (c.regions.automatic.enabled)
            r.fail("processing.level_labels", "automatic regions are found after levelling; name the reference "
                                              "area with regions.labels, rois or masks");
        if (c.regions.labels_file.empty() && c.regions.rois_file.empty() && c.regions.mask_files.empty())
            r.fail("processing.level_labels", "needs regions.labels, rois or masks to say where the labels are");
    }

    const YAML::Node outs = root["outputs"];
    r.check_map(outs, "outputs", {"maps", "gwy", "figures"});
    if (present(outs)) {
        c.outputs.maps = r.boolean(outs, "outputs", "maps", c.outputs.maps);
        c.outputs.gwy = r.boolean(outs, "outputs", "gwy", c.outputs.gwy);
        c.outputs.figures = r.boolean(outs, "outputs", "figures", c.outputs.figures);
    }
    return c;
}

// Sets root[k1][k2]...[kn] = value, creating mappings on the way.
void set_dotted(YAML::Node node, const std::vector<std::string>& parts, std::size_t i, const YAML::Node& value,
                const std::string& file, const std::string& ov) {
    const std::string& k = parts[i];
    if (i + 1 == parts.size()) {
        node[k] = value;
        return;
    }
    if (!present(node[k])) node[k] = YAML::Node(YAML::NodeType::Map);
    if (!node[k].IsMap())
        throw ConfigError(file + ": override '" + ov + "': '" + k + "' holds a value, not a section of keys");
    set_dotted(node[k], parts, i + 1, value, file, ov);
}

void apply_override(YAML::Node& root, const std::string& ov, const std::string& file) {
    const auto eq = ov.find('=');
    if (eq == std::string::npos || eq == 0)
        throw ConfigError(file + ": override '" + ov + "': expected dotted.key=value (e.g. tip.radius=8e-9)");
    const std::string key = ov.substr(0, eq);
    std::vector<std::string> parts;
    std::stringstream ss(key);
    for (std::string p; std::getline(ss, p, '.');) {
        if (p.empty()) throw ConfigError(file + ": override '" + ov + "': empty component in key '" + key + "'");
        parts.push_back(p);
    }
    if (key.back() == '.') throw ConfigError(file + ": override '" + ov + "': empty component in key '" + key + "'");
    YAML::Node value;
    try {
        value = YAML::Load(ov.substr(eq + 1));
    } catch (const YAML::Exception& e) {
        throw ConfigError(file + ": override '" + ov + "': value is not valid YAML (" + e.msg + ")");
    }
    if (!present(root)) root = YAML::Node(YAML::NodeType::Map);
    if (!root.IsMap()) throw ConfigError(file + ": <document>: expected a mapping of sections");
    set_dotted(root, parts, 0, value, file, ov);
}

// ---- writing ---------------------------------------------------------------------------------

void emit_channel(YAML::Emitter& out, const char* name, const ChannelSpec& ch, bool df2) {
    out << YAML::Key << name << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "file" << YAML::Value << ch.file;
    out << YAML::Key << "unit" << YAML::Value << ch.unit;
    out << YAML::Key << "scale" << YAML::Value << num(ch.scale);
    if (df2) out << YAML::Key << "absolute" << YAML::Value << ch.absolute;
    if (ch.page >= 0) out << YAML::Key << "page" << YAML::Value << ch.page;
    out << YAML::EndMap;
}

void emit_labels(YAML::Emitter& out, const char* key, const std::map<int, std::string>& m) {
    out << YAML::Key << key << YAML::Value << YAML::BeginMap;
    for (const auto& kv : m) out << YAML::Key << kv.first << YAML::Value << kv.second;
    out << YAML::EndMap;
}

}  // namespace

ScanConfig parse_scan_config(const std::string& yaml_text, const std::string& base_dir,
                             const std::string& source_name, const std::vector<std::string>& overrides) {
    YAML::Node root;
    try {
        root = YAML::Load(yaml_text);
    } catch (const YAML::ParserException& e) {
        throw ConfigError(source_name + ": YAML syntax error at line " + std::to_string(e.mark.line + 1) +
                          ", column " + std::to_string(e.mark.column + 1) + ": " + e.msg);
    } catch (const YAML::Exception& e) {
        throw ConfigError(source_name + ": cannot parse YAML: " + e.msg);
    }
    for (const std::string& ov : overrides) apply_override(root, ov, source_name);
    const Reader r(source_name, base_dir);
    try {
        return parse_document(root, r, source_name);
    } catch (const YAML::Exception& e) {  // anything the checks above did not anticipate
        throw ConfigError(source_name + ": invalid configuration: " + e.msg);
    }
}

ScanConfig load_scan_config(const std::string& yaml_path, const std::vector<std::string>& overrides) {
    std::error_code ec;
    if (!fs::is_regular_file(yaml_path, ec)) throw ConfigError(yaml_path + ": no such file");
    std::ifstream in(yaml_path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    if (!in.good() && !in.eof()) throw ConfigError(yaml_path + ": cannot read");
    fs::path dir = fs::path(yaml_path).parent_path();
    if (dir.empty()) dir = ".";
    return parse_scan_config(text.str(), dir.string(), yaml_path, overrides);
}

// ---- merged configurations (process --config EXTRA.yaml) ---------------------------------

namespace {

YAML::Node load_yaml_file(const std::string& path) {
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) throw ConfigError(path + ": no such file");
    try {
        const YAML::Node n = YAML::LoadFile(path);
        if (present(n) && !n.IsMap()) throw ConfigError(path + ": <document>: expected a mapping of sections");
        return n;
    } catch (const YAML::ParserException& e) {
        throw ConfigError(path + ": YAML syntax error at line " + std::to_string(e.mark.line + 1) + ", column " +
                          std::to_string(e.mark.column + 1) + ": " + e.msg);
    } catch (const YAML::Exception& e) {
        throw ConfigError(path + ": cannot parse YAML: " + e.msg);
    }
}

}  // namespace

ScanConfig load_scan_config_merged(const std::string& yaml_path, const std::vector<std::string>& extra_yaml_paths,
                                   const std::vector<std::string>& overrides) {
    if (extra_yaml_paths.empty()) return load_scan_config(yaml_path, overrides);
    YAML::Node root = load_yaml_file(yaml_path);
    if (!present(root)) root = YAML::Node(YAML::NodeType::Map);
    std::string source = yaml_path;
    for (const std::string& extra : extra_yaml_paths) {
        const YAML::Node e = load_yaml_file(extra);
        if (present(e)) merge_yaml_over(root, e);
        source += " + " + extra;
    }
    // Relative paths (in either file) resolve against the scan YAML's folder.
    fs::path dir = fs::path(yaml_path).parent_path();
    if (dir.empty()) dir = ".";
    ScanConfig cfg = parse_scan_config(YAML::Dump(root), dir.string(), source, overrides);
    cfg.source = yaml_path;  // the files hashed into the run metadata; the merged values are in `params`
    cfg.merged_files = extra_yaml_paths;
    return cfg;
}

std::string default_config_yaml() {
    const ScanConfig d;
    const Cantilever& k = d.cantilever;
    const TiltCorrection& t = d.tilt_correction;
    const HistogramConfig& h = d.histogram;
    std::string coeffs;
    for (int i = 0; i < t.n_coefficients; ++i) coeffs += (i ? ", " : "") + num(t.coefficients[i]);

    std::string s;
    s += "# amfm scan configuration. SI units unless a key says otherwise; relative paths are\n";
    s += "# resolved against this file's folder. Unknown keys are rejected.\n";
    s += line("sample:", "optional description of the sample");
    s += line("  name: \"\"", "sample name for reports");
    s += line("  cycle: -1", "cycle number, 0 = pristine, -1 = unknown");
    s += line("channels:", "single-channel TIFF files, all the same size");
    s += line("  height:", "topography");
    s += line("    file: \"\"", "REQUIRED: topography TIFF");
    s += line("    unit: m", "unit of the file's values: m | nm | um");
    s += line("    scale: 1.0", "multiplies raw samples first (integer exports)");
    s += line("    # page: 0", "page of a multi-page TIFF holding one channel per page (0-based)");
    s += line("    # channel: HeightRetrace", ".ibw input (process FILE.ibw --config): the wave's channel name");
    s += line("  phase1:", "first-mode phase (90 deg = free, repulsive < 90)");
    s += line("    file: \"\"", "REQUIRED: phase TIFF");
    s += line("    unit: deg", "deg | rad");
    s += line("    scale: 1.0", "multiplies raw samples first");
    s += line("  df2:", "second-mode frequency shift");
    s += line("    file: \"\"", "REQUIRED: frequency shift TIFF");
    s += line("    unit: Hz", "Hz | kHz");
    s += line("    scale: 1.0", "multiplies raw samples first");
    s += line("    absolute: false", "true: the file holds f2 + df2; cantilever.f2 is subtracted");
    s += line("  amplitude1:", "optional per-pixel first-mode amplitude");
    s += line("    file: \"\"", "empty: use cantilever.a1_set everywhere");
    s += line("    unit: m", "m | nm | um");
    s += line("    scale: 1.0", "multiplies raw samples first");
    s += line("    # page / channel", "as for height (.ibw: channel: none uses a1_set)");
    s += line("# stack:", "optional: every channel file is a multi-page TIFF, one page per scan");
    s += line("#   pages: all", "all | [0, 3, 5]: 0-based pages; results in page_000/, ... and stack.csv");
    s += line("scan_size:", "REQUIRED: physical scan size (set for your scan)");
    s += line("  x: 10.0e-6", "fast axis, m");
    s += line("  y: 10.0e-6", "slow axis, m");
    s += line("cantilever:", "REQUIRED: set from your cantilever's calibration");
    s += line("  k1: " + num(k.k1_n_per_m), "first-mode spring constant, N/m");
    s += line("  q1: " + num(k.q1), "first-mode quality factor");
    s += line("  f1: " + num(k.f1_hz), "first-mode resonance, Hz");
    s += line("  f2: " + num(k.f2_hz), "second-mode resonance, Hz");
    s += line("  # k2: 0.0", "second-mode spring constant, N/m; optional, default k1 (f2/f1)^2");
    s += line("  a1_free: " + num(k.a1_free_m), "first-mode free amplitude, m");
    s += line("  a1_set: " + num(k.a1_set_m), "first-mode amplitude setpoint, m");
    s += line("  # k1_uncertainty: 0.0", "1-sigma of k1, N/m; optional, for the systematic uncertainty");
    s += line("tip:", "REQUIRED");
    s += line("  radius: " + num(d.tip_radius_m), "effective contact radius, m (from a reference calibration)");
    s += line("  # uncertainty: 0.0", "1-sigma of the radius, m; `amfm calibrate-tip` writes it and the keys below");
    s += line("  # reference: polystyrene", "reference sample (reference_modulus: its modulus, Pa)");
    s += line("  # date / source", "when and from which scan the radius was calibrated");
    s += line("  # cantilever: {k1: 26.0, f1: 3.0e5, f2: 1.71e6}", "the cantilever it was calibrated with (checked)");
    s += line("processing:", "how the maps are computed");
    s += line(std::string("  level: ") + leveling_name(d.level),
              "height levelling: none | plane | rows (changes real facet tilt!)");
    s += line("  # level_labels: [5]", "fit the levelling on these labels only (a flat reference area)");
    s += line(std::string("  tilt_method: ") + tilt_method_name(d.tilt_method),
              "slope: central (differences) | plane (local plane fit)");
    s += line("  tilt_window: " + std::to_string(d.tilt_window), "local plane window edge, pixels (odd, >= 3)");
    s += line("  backend: " + d.backend, "compute backend: auto | cpu | cuda");
    s += line("tilt_correction:", "corrected E = E / Kc(theta)");
    s += line(std::string("  model: ") + kc_model_name(t.model), "Kc model: polynomial | cos | none");
    s += line("  coefficients: [" + coeffs + "]", "Kc = c0 + c1 theta + ... (theta in deg, up to 8)");
    s += line("  cos_exponent: " + num(t.cos_exponent), "n in Kc = (cos theta)^n for model cos");
    s += line("  max_angle_deg: " + num(t.max_angle_deg), "pixels tilted more than this (deg) are masked");
    s += line("histogram:", "per-region modulus histograms");
    s += line("  bins: auto", "auto, or a fixed number of bins >= 1");
    s += line("  rule: " + h.rule, "automatic bin rule: fd | sturges | sqrt");
    s += line("  min_bins: " + std::to_string(h.min_bins), "lower bound on automatic bins");
    s += line("  max_bins: " + std::to_string(h.max_bins), "upper bound on automatic bins");
    s += line("  range: percentile", "percentile, or [lo, hi] in GPa (fixed)");
    s += line("  percentiles: [" + num(h.lo_percentile) + ", " + num(h.hi_percentile) + "]",
              "range for 'percentile', percent of each region's values");
    s += line("  axis: linear", "modulus axis: linear | log10");
    s += line("fit:", "Gaussian fit of each region's histogram");
    s += line("  offset: false", "also fit a constant background, counts");
    s += line("  max_iterations: " + std::to_string(d.fit.max_iterations), "Levenberg-Marquardt iteration limit");
    s += line("  tolerance: " + num(d.fit.tolerance), "relative chi^2 change that ends a fit");
    s += line("regions:", "optional label image and its names");
    s += line("  labels: \"\"", "8/16-bit TIFF or PNG, 0 = unlabelled; empty: whole map");
    s += line("  names: {}", "label: name, e.g. {1: I, 2: II}; default the number");
    s += line("  classes: {}", "label: class, e.g. {1: LNMO, 2: b/c}; default unclassified");
    const AutoRegionsConfig& a = d.regions.automatic;
    s += line("  auto: false", "true: find crystal facets and binder/carbon instead of a label image");
    s += line("  class_feature: " + a.class_feature, "auto: roughness (topography) | modulus splits the classes");
    s += line("  angle_tolerance_deg: " + num(a.angle_tolerance_deg), "auto: normals within this angle form a facet");
    s += line("  min_area_um2: " + num(a.min_area_um2), "auto: smallest crystal, hole or facet, um^2");
    s += line("  window_px: " + std::to_string(a.window_px), "auto: local-plane window for normals, roughness (odd)");
    s += line("  edge_margin_px: " + std::to_string(a.edge_margin_px), "auto: facet pixels this close to another region are left out");
    s += line("  crystal_class: " + a.crystal_class, "auto: class of the facets");
    s += line("  binder_class: " + a.binder_class, "auto: name and class of the rest");
    const OutputsConfig& o = d.outputs;
    s += line("outputs:", "what the results folder gets besides regions.csv and regions.json");
    s += line(std::string("  maps: ") + (o.maps ? "true" : "false"), "modulus_gpa.tif, tilt_deg.tif, mask.tif (float32/uint8 TIFF)");
    s += line(std::string("  gwy: ") + (o.gwy ? "true" : "false"), "results.gwy for Gwyddion (doubles: ~34 MB per 1024^2 scan)");
    s += line(std::string("  figures: ") + (o.figures ? "true" : "false"), "PNG figures (maps, mask, histograms with fits)");
    return s;
}

std::string config_to_yaml(const ScanConfig& c) {
    YAML::Emitter out;
    out << YAML::BeginMap;
    out << YAML::Key << "sample" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "name" << YAML::Value << c.sample;
    out << YAML::Key << "cycle" << YAML::Value << c.cycle;
    out << YAML::EndMap;

    out << YAML::Key << "channels" << YAML::Value << YAML::BeginMap;
    emit_channel(out, "height", c.height, false);
    emit_channel(out, "phase1", c.phase1, false);
    emit_channel(out, "df2", c.df2, true);
    if (!c.amplitude1.file.empty()) emit_channel(out, "amplitude1", c.amplitude1, false);
    out << YAML::EndMap;
    if (c.stack.enabled) {
        out << YAML::Key << "stack" << YAML::Value << YAML::BeginMap << YAML::Key << "pages" << YAML::Value;
        if (c.stack.pages.empty()) {
            out << "all";
        } else {
            out << YAML::Flow << YAML::BeginSeq;
            for (int p : c.stack.pages) out << p;
            out << YAML::EndSeq;
        }
        out << YAML::EndMap;
    }

    out << YAML::Key << "scan_size" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "x" << YAML::Value << num(c.scan_size_x_m);
    out << YAML::Key << "y" << YAML::Value << num(c.scan_size_y_m);
    out << YAML::EndMap;

    const Cantilever& k = c.cantilever;
    out << YAML::Key << "cantilever" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "k1" << YAML::Value << num(k.k1_n_per_m);
    out << YAML::Key << "q1" << YAML::Value << num(k.q1);
    out << YAML::Key << "f1" << YAML::Value << num(k.f1_hz);
    out << YAML::Key << "f2" << YAML::Value << num(k.f2_hz);
    if (k.k2_n_per_m > 0.0) out << YAML::Key << "k2" << YAML::Value << num(k.k2_n_per_m);
    out << YAML::Key << "a1_free" << YAML::Value << num(k.a1_free_m);
    out << YAML::Key << "a1_set" << YAML::Value << num(k.a1_set_m);
    if (c.k1_uncertainty_n_per_m > 0.0)
        out << YAML::Key << "k1_uncertainty" << YAML::Value << num(c.k1_uncertainty_n_per_m);
    out << YAML::EndMap;

    emit_tip(out, c);

    out << YAML::Key << "processing" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "level" << YAML::Value << leveling_name(c.level);
    if (!c.level_labels.empty()) {
        out << YAML::Key << "level_labels" << YAML::Value << YAML::Flow << YAML::BeginSeq;
        for (int l : c.level_labels) out << l;
        out << YAML::EndSeq;
    }
    out << YAML::Key << "tilt_method" << YAML::Value << tilt_method_name(c.tilt_method);
    out << YAML::Key << "tilt_window" << YAML::Value << c.tilt_window;
    out << YAML::Key << "backend" << YAML::Value << c.backend;
    out << YAML::EndMap;

    const TiltCorrection& t = c.tilt_correction;
    out << YAML::Key << "tilt_correction" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "model" << YAML::Value << kc_model_name(t.model);
    out << YAML::Key << "coefficients" << YAML::Value << YAML::Flow << YAML::BeginSeq;
    for (int i = 0; i < t.n_coefficients; ++i) out << num(t.coefficients[i]);
    out << YAML::EndSeq;
    out << YAML::Key << "cos_exponent" << YAML::Value << num(t.cos_exponent);
    out << YAML::Key << "max_angle_deg" << YAML::Value << num(t.max_angle_deg);
    out << YAML::EndMap;

    const HistogramConfig& h = c.histogram;
    out << YAML::Key << "histogram" << YAML::Value << YAML::BeginMap;
    if (h.bins > 0) out << YAML::Key << "bins" << YAML::Value << h.bins;
    else out << YAML::Key << "bins" << YAML::Value << "auto";
    out << YAML::Key << "rule" << YAML::Value << h.rule;
    out << YAML::Key << "min_bins" << YAML::Value << h.min_bins;
    out << YAML::Key << "max_bins" << YAML::Value << h.max_bins;
    if (h.fixed_range)
        out << YAML::Key << "range" << YAML::Value << YAML::Flow << YAML::BeginSeq << num(h.fixed_lo_gpa)
            << num(h.fixed_hi_gpa) << YAML::EndSeq;
    else
        out << YAML::Key << "range" << YAML::Value << "percentile";
    out << YAML::Key << "percentiles" << YAML::Value << YAML::Flow << YAML::BeginSeq << num(h.lo_percentile)
        << num(h.hi_percentile) << YAML::EndSeq;
    out << YAML::Key << "axis" << YAML::Value << (h.log10_axis ? "log10" : "linear");
    out << YAML::EndMap;

    out << YAML::Key << "fit" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "offset" << YAML::Value << (c.fit.fit_offset != 0);
    out << YAML::Key << "max_iterations" << YAML::Value << c.fit.max_iterations;
    out << YAML::Key << "tolerance" << YAML::Value << num(c.fit.tolerance);
    out << YAML::EndMap;

    if (!c.regions.labels_file.empty()) {
        out << YAML::Key << "regions" << YAML::Value << YAML::BeginMap;
        out << YAML::Key << "labels" << YAML::Value << c.regions.labels_file;
        emit_labels(out, "names", c.regions.names);
        emit_labels(out, "classes", c.regions.classes);
        out << YAML::EndMap;
    }
    if (!c.regions.rois_file.empty() || !c.regions.mask_files.empty()) {
        out << YAML::Key << "regions" << YAML::Value << YAML::BeginMap;
        if (!c.regions.rois_file.empty()) out << YAML::Key << "rois" << YAML::Value << c.regions.rois_file;
        if (!c.regions.mask_files.empty()) {
            out << YAML::Key << "masks" << YAML::Value << YAML::BeginMap;
            for (const auto& kv : c.regions.mask_files) out << YAML::Key << kv.first << YAML::Value << kv.second;
            out << YAML::EndMap;
        }
        emit_labels(out, "names", c.regions.names);
        emit_labels(out, "classes", c.regions.classes);
        out << YAML::EndMap;
    }
    if (c.regions.automatic.enabled) {
        const AutoRegionsConfig& a = c.regions.automatic;
        out << YAML::Key << "regions" << YAML::Value << YAML::BeginMap;
        out << YAML::Key << "auto" << YAML::Value << true;
        out << YAML::Key << "class_feature" << YAML::Value << a.class_feature;
        out << YAML::Key << "angle_tolerance_deg" << YAML::Value << num(a.angle_tolerance_deg);
        out << YAML::Key << "min_area_um2" << YAML::Value << num(a.min_area_um2);
        out << YAML::Key << "window_px" << YAML::Value << a.window_px;
        out << YAML::Key << "edge_margin_px" << YAML::Value << a.edge_margin_px;
        out << YAML::Key << "crystal_class" << YAML::Value << a.crystal_class;
        out << YAML::Key << "binder_class" << YAML::Value << a.binder_class;
        emit_labels(out, "names", c.regions.names);
        emit_labels(out, "classes", c.regions.classes);
        out << YAML::EndMap;
    }
    out << YAML::Key << "outputs" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "maps" << YAML::Value << c.outputs.maps;
    out << YAML::Key << "gwy" << YAML::Value << c.outputs.gwy;
    out << YAML::Key << "figures" << YAML::Value << c.outputs.figures;
    out << YAML::EndMap;
    out << YAML::EndMap;
    return std::string(out.c_str()) + "\n";
}

const char* leveling_name(Leveling l) {
    switch (l) {
        case Leveling::Plane: return "plane";
        case Leveling::Rows: return "rows";
        case Leveling::None: break;
    }
    return "none";
}

const char* tilt_method_name(TiltMethod m) {
    return m == TiltMethod::LocalPlane ? "plane" : "central";
}

const char* kc_model_name(KcModel m) {
    for (const KcModelName& k : kKcModelNames)
        if (k.model == m) return k.name;
    return "?";
}

bool kc_model_from_name(const std::string& name, KcModel* model) {
    for (const KcModelName& k : kKcModelNames)
        if (name == k.name) {
            *model = k.model;
            return true;
        }
    return false;
}

}  // namespace amfm
