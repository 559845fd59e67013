// The series file: its top-level keys, one entry of `scans:`, a glob entry's expansion, and the
// checks that stop a series before any scan is processed (rules in series.hpp).
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <fnmatch.h>

#include "amfm/kernels/error.hpp"
#include "host/batch/series.hpp"
#include "host/formats/open_scan.hpp"
#include "host/model/input_file.hpp"
#include "host/model/yaml_load.hpp"

namespace amfm {
namespace fs = std::filesystem;

std::string sanitize_id(const std::string& s) {
    std::string out;
    for (char c : s) out += (std::isalnum((unsigned char)c) || c == '-' || c == '_' || c == '.') ? c : '_';
    if (out.empty() || out == "." || out == "..") out = "scan";
    return out;
}

namespace {

// Nested maps become dotted keys, leaves become YAML flow text: {tip: {radius: 9e-9}} -> tip.radius=9e-09.
void flatten_settings(const YAML::Node& node, const std::string& prefix, std::vector<std::string>& out,
                      const std::string& where) {
    if (node.IsNull()) return;
    if (!node.IsMap()) throw ConfigError(where + ": 'settings' must be a map of keys to values");
    for (const auto& kv : node) {
        const std::string key = prefix.empty() ? kv.first.as<std::string>() : prefix + "." + kv.first.as<std::string>();
        if (kv.second.IsMap()) {
            flatten_settings(kv.second, key, out, where);
        } else {
            YAML::Emitter e;
            e << YAML::Flow << kv.second;
            out.push_back(key + "=" + e.c_str());
        }
    }
}


// cycle_030/scan.yaml -> cycle_030; data/a.yaml -> a; a folder -> its name; cycle_030/scan.ibw
// (as `amfm simulate --format ibw` names it) -> cycle_030; data/LNMO0001.ibw -> LNMO0001.
std::string default_id(const std::string& scan) {
    fs::path p(scan);
    while (!p.empty() && p.filename().empty()) p = p.parent_path();  // trailing slash
    const std::string file = p.filename().string();
    if ((file == "scan.yaml" || file == "scan.yml" || file == "scan.ibw") && !p.parent_path().filename().empty())
        return sanitize_id(p.parent_path().filename().string());
    if (p.has_extension()) return sanitize_id(p.stem().string());
    return sanitize_id(file);
}

// `config:` — one path or a list, merged in order — relative to the series file's folder; each
// must exist, checked here so a typo stops the series before any scan rather than failing every scan.
std::vector<std::string> resolve_configs(const YAML::Node& node, const std::string& base_dir, const std::string& where) {
    std::vector<std::string> paths;
    if (node.IsScalar()) paths.push_back(node.as<std::string>());
    else if (node.IsSequence())
        for (const auto& n : node) paths.push_back(n.as<std::string>());
    else throw ConfigError(where + ": config: expected a YAML file or a list of them");
    std::vector<std::string> out;
    for (const std::string& path : paths) {
        fs::path p(path);
        if (p.is_relative()) p = fs::path(base_dir) / p;
        std::error_code ec;
        if (!fs::is_regular_file(p, ec)) throw ConfigError(where + ": config '" + path + "': no such file");
        out.push_back(p.lexically_normal().string());
    }
    return out;
}

bool has_wildcard(const std::string& s) { return s.find_first_of("*?[") != std::string::npos; }

// `glob:` -> the matching files, as written (folder part of the pattern + file name), in byte
// order of the names so that every shard of a job array sees the same entries in the same order.
// Wildcards only in the file name: a folder wildcard would make the id (the file name) ambiguous.
std::vector<std::string> expand_glob(const std::string& pattern, const std::string& base_dir, const std::string& where) {
    const fs::path pat(pattern);
    const std::string name_pattern = pat.filename().string();
    const fs::path folder = pat.parent_path();
    if (name_pattern.empty() || has_wildcard(folder.string()))
        throw ConfigError(where + ": glob '" + pattern + "': wildcards may only appear in the file name, "
                                  "e.g. \"cycle_200/*.ibw\"");
    fs::path dir = folder.is_relative() ? fs::path(base_dir) / folder : folder;
    if (dir.empty()) dir = ".";
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) throw ConfigError(where + ": glob '" + pattern + "': no folder " + dir.string());
    std::vector<std::string> names;
    for (const auto& de : fs::directory_iterator(dir, ec)) {
        const std::string name = de.path().filename().string();
        // FNM_PERIOD: "*" does not match hidden files (editor backups, ._ files from macOS).
        if (fnmatch(name_pattern.c_str(), name.c_str(), FNM_PERIOD) != 0 || !de.is_regular_file(ec)) continue;
        if (!find_scan_reader(de.path().string()))
            throw ConfigError(where + ": glob '" + pattern + "' matches " + name +
                              ", which is not a scan (.ibw or scan YAML); narrow the pattern, e.g. \"*.ibw\"");
        names.push_back(name);
    }
    if (ec) throw ConfigError(where + ": glob '" + pattern + "': cannot list " + dir.string() + " (" + ec.message() + ")");
    if (names.empty()) throw ConfigError(where + ": glob '" + pattern + "' matches no file in " + dir.string());
    std::sort(names.begin(), names.end());
    std::vector<std::string> out;
    for (const std::string& n : names) out.push_back((folder / n).generic_string());
    return out;
}

}  // namespace

const char* error_bars_name(ErrorBars e) {
    for (const auto& [value, name] : kErrorBarNames)
        if (value == e) return name;
    return "auto";
}

ErrorBars parse_error_bars(const std::string& name, const std::string& where) {
    for (const auto& [value, n] : kErrorBarNames)
        if (name == n) return value;
    throw ConfigError(where + ": '" + name + "' is not one of auto, scans, facets, pixels");
}

namespace {

// The series file's top-level keys other than `scans`: what every entry starts from.
struct SeriesDefaults {
    std::vector<std::string> overrides;  // the series' settings, then the command line's
    std::vector<std::string> configs;    // the series' `config:`, replaced by an entry's own
};

YAML::Node load_series_root(const std::string& yaml_text, const std::string& source_name) {
    YAML::Node root;
    try {
        root = parse_yaml(yaml_text, source_name);
    } catch (const YAML::Exception& e) {
        throw ConfigError(source_name + ": not valid YAML (" + e.msg + ")");
    }
    if (!root.IsMap()) throw ConfigError(source_name + ": expected a map with a 'scans' list");
    return root;
}

// name, settings, config; sets spec.name.
SeriesDefaults read_top_level_keys(const YAML::Node& root, const std::string& base_dir,
                                   const std::vector<std::string>& extra_overrides, SeriesSpec& spec) {
    SeriesDefaults d;
    const std::string& source_name = spec.source;
    try {
        for (const auto& kv : root) {
            const std::string key = kv.first.as<std::string>();
            if (key == "name") {
                spec.name = kv.second.as<std::string>();
            } else if (key == "settings") {
                flatten_settings(kv.second, "", d.overrides, source_name);
            } else if (key == "config") {
                d.configs = resolve_configs(kv.second, base_dir, source_name);
            } else if (key == "error_bars") {
                spec.error_bars = parse_error_bars(kv.second.as<std::string>(), source_name + ": error_bars");
            } else if (key != "scans") {
                throw ConfigError(source_name + ": unknown key '" + key +
                                  "' (expected name, settings, config, error_bars, scans)");
            }
        }
    } catch (const YAML::Exception& ex) {
        throw ConfigError(source_name + ": " + ex.msg);
    }
    d.overrides.insert(d.overrides.end(), extra_overrides.begin(), extra_overrides.end());
    return d;
}

// One item of `scans:` as written: one scan, or a glob still to be expanded.
struct EntryKeys {
    SeriesEntry proto;  // scan, cycle, sample, notes, id, direction
    std::string glob, id_prefix;
    bool has_cycle = false, has_id_prefix = false;
    std::vector<std::string> own_overrides, own_configs;
};

EntryKeys read_entry_keys(const YAML::Node& s, const std::string& base_dir, const std::string& where) {
    if (!s.IsMap()) throw ConfigError(where + ": expected {scan: PATH, cycle: N, ...}");
    EntryKeys k;
    SeriesEntry& proto = k.proto;
    try {
        for (const auto& kv : s) {
            const std::string key = kv.first.as<std::string>();
            if (key == "scan") proto.scan = kv.second.as<std::string>();
            else if (key == "glob") k.glob = kv.second.as<std::string>();
            else if (key == "cycle") proto.cycle = kv.second.as<int>(), k.has_cycle = true;
            else if (key == "sample") proto.sample = kv.second.as<std::string>();
            else if (key == "notes") proto.notes = kv.second.as<std::string>();
            else if (key == "id") proto.id = kv.second.as<std::string>();
            else if (key == "id_prefix") k.id_prefix = kv.second.as<std::string>(), k.has_id_prefix = true;
            else if (key == "settings") flatten_settings(kv.second, "", k.own_overrides, where);
            else if (key == "config") k.own_configs = resolve_configs(kv.second, base_dir, where);
            else if (key == "direction") proto.direction = kv.second.as<std::string>();
            else throw ConfigError(where + ": unknown key '" + key +
                                   "' (expected scan or glob, cycle, sample, notes, id, id_prefix, settings, "
                                   "config, direction)");
        }
    } catch (const YAML::Exception& ex) {
        throw ConfigError(where + ": " + ex.msg);
    }
    return k;
}

// The keys an entry needs and the combinations it may not have.
void check_entry_keys(const EntryKeys& k, const std::string& where) {
    const SeriesEntry& proto = k.proto;
    if (proto.scan.empty() && k.glob.empty())
        throw ConfigError(where + ": 'scan' (a scan YAML, its folder or an .ibw) or 'glob' (e.g. "
                                  "\"cycle_200/*.ibw\") is required");
    if (!proto.scan.empty() && !k.glob.empty())
        throw ConfigError(where + ": give 'scan' (one scan) or 'glob' (one scan per matching file), not both");
    if (!k.has_cycle) throw ConfigError(where + ": 'cycle' (cycle number, 0 = pristine) is required");
    if (!proto.direction.empty()) parse_scan_direction(proto.direction, where);
    if (proto.cycle < 0) throw ConfigError(where + ": 'cycle' must be >= 0");
    if (!k.glob.empty() && !proto.id.empty())
        throw ConfigError(where + ": 'id' names one scan; a glob entry takes 'id_prefix' (ids are the prefix + file names)");
    if (k.glob.empty() && k.has_id_prefix)
        throw ConfigError(where + ": 'id_prefix' applies to glob entries only; use 'id'");
}

// The entry's scans with their paths and ids: one for `scan:`, one per matching file for `glob:`.
std::vector<SeriesEntry> expand_entry(EntryKeys&& k, const SeriesDefaults& defaults, const std::string& base_dir,
                                      const std::string& where) {
    SeriesEntry& proto = k.proto;
    proto.configs = k.own_configs.empty() ? defaults.configs : k.own_configs;
    proto.overrides = defaults.overrides;
    proto.overrides.insert(proto.overrides.end(), k.own_overrides.begin(), k.own_overrides.end());

    std::vector<SeriesEntry> expanded;
    if (k.glob.empty()) {
        fs::path p(proto.scan);
        if (p.is_relative()) p = fs::path(base_dir) / p;
        std::error_code ec;
        if (fs::is_directory(p, ec)) p /= "scan.yaml";
        proto.scan_path = p.lexically_normal().string();
        proto.id = proto.id.empty() ? default_id(proto.scan) : sanitize_id(proto.id);
        expanded.push_back(std::move(proto));
    } else {
        for (const std::string& file : expand_glob(k.glob, base_dir, where)) {
            SeriesEntry e = proto;
            e.scan = file;
            const fs::path p = fs::path(file).is_relative() ? fs::path(base_dir) / file : fs::path(file);
            e.scan_path = p.lexically_normal().string();
            e.id = sanitize_id(k.id_prefix + fs::path(file).stem().string());
            expanded.push_back(std::move(e));
        }
    }
    return expanded;
}

// Appends one expanded scan after the checks that need its file and the ids so far (id -> where
// it was defined).
void add_entry(SeriesEntry&& e, bool from_glob, const std::string& where, std::map<std::string, std::string>& seen,
               SeriesSpec& spec) {
    const std::string here = from_glob ? where + " (" + e.scan + ")" : where;
    const ScanReader* reader = e.direction.empty() ? nullptr : find_scan_reader(e.scan_path);
    if (reader && !reader->has_directions)
        throw ConfigError(here + ": 'direction' applies to .ibw files; " + e.scan + " is a " + reader->name +
                          " (its channel files are one direction already)");
    if (seen.count(e.id))
        throw ConfigError(here + ": id '" + e.id + "' already used by " + seen[e.id] + "; give " +
                          (from_glob ? "the glob entry an 'id_prefix'" : "one of them an explicit 'id'"));
    seen[e.id] = here;
    spec.entries.push_back(std::move(e));
}

}  // namespace

SeriesSpec parse_series_spec(const std::string& yaml_text, const std::string& base_dir,
                             const std::string& source_name, const std::vector<std::string>& extra_overrides) {
    YAML::Node root = load_series_root(yaml_text, source_name);
    SeriesSpec spec;
    spec.source = source_name;
    const SeriesDefaults defaults = read_top_level_keys(root, base_dir, extra_overrides, spec);
    const YAML::Node scans = root["scans"];
    if (!scans || !scans.IsSequence() || scans.size() == 0)
        throw ConfigError(source_name + ": 'scans' must be a non-empty list");
    std::map<std::string, std::string> seen;  // id -> where it was defined
    for (std::size_t i = 0; i < scans.size(); ++i) {
        const std::string where = source_name + ": scans[" + std::to_string(i) + "]";
        EntryKeys keys = read_entry_keys(scans[i], base_dir, where);
        check_entry_keys(keys, where);
        const bool from_glob = !keys.glob.empty();
        for (SeriesEntry& e : expand_entry(std::move(keys), defaults, base_dir, where))
            add_entry(std::move(e), from_glob, where, seen, spec);
    }
    return spec;
}

SeriesSpec load_series_spec(const std::string& yaml_path, const std::vector<std::string>& extra_overrides) {
    try {
        check_input_file(yaml_path);  // a FIFO would block the read below; names the reason
    } catch (const DataError& e) {
        throw ConfigError(e.what());
    }
    std::ifstream f(yaml_path);
    if (!f) throw ConfigError(yaml_path + ": cannot open series file");
    std::stringstream text;
    text << f.rdbuf();
    const fs::path dir = fs::absolute(yaml_path).parent_path();
    return parse_series_spec(text.str(), dir.string(), yaml_path, extra_overrides);
}

}  // namespace amfm
