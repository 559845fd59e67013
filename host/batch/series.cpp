// A series: the series file, content hashes, per-scan processing into scans/<id>/, shards, merge.
#include "host/batch/series.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <exception>
#include <filesystem>
#include <fstream>
#include <future>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include <fnmatch.h>

#include "amfm/kernels/backend.hpp"
#include "amfm/kernels/error.hpp"
#include "host/batch/pipelined.hpp"
#include "host/formats/open_scan.hpp"
#include "host/formats/scan_loading.hpp"
#include "host/method/pipeline.hpp"
#include "host/model/config.hpp"
#include "host/model/channels.hpp"
#include "host/model/file_io.hpp"
#include "host/model/hash.hpp"
#include "host/model/input_file.hpp"
#include "host/model/scan.hpp"
#include "host/model/table_format.hpp"
#include "host/model/yaml_load.hpp"

namespace amfm {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kEntryFile = "series_entry.json";
constexpr const char* kManifestFile = "series_manifest.json";

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

std::string sanitize_id(const std::string& s) {
    std::string out;
    for (char c : s) out += (std::isalnum((unsigned char)c) || c == '-' || c == '_' || c == '.') ? c : '_';
    if (out.empty() || out == "." || out == "..") out = "scan";
    return out;
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

json entry_ref_json(const SeriesEntry& e) {
    return {{"id", e.id}, {"scan", e.scan}, {"cycle", e.cycle}, {"sample", e.sample}, {"notes", e.notes}};
}

json manifest_json(const SeriesSpec& spec, const Shard& shard) {
    json entries = json::array();
    for (const auto& e : spec.entries) entries.push_back(entry_ref_json(e));
    return {{"format", "amfm series manifest"},
            {"format_version", 1},
            {"series_file", spec.source},
            {"name", spec.name},
            {"shard", std::to_string(shard.index) + "/" + std::to_string(shard.count)},
            {"entries", entries}};
}

void write_manifest(const SeriesSpec& spec, const Shard& shard, const fs::path& out) {
    write_file_atomic(out / kManifestFile, manifest_json(spec, shard).dump(2) + "\n");
}

EntrySummary failed_summary(const SeriesEntry& e, const std::string& reason, const std::string& hash) {
    EntrySummary s;
    s.id = e.id;
    s.scan = e.scan;
    s.cycle = e.cycle;
    s.sample = e.sample;
    s.notes = e.notes;
    s.status = "failed";
    s.reason = reason;
    s.input_hash = hash;
    return s;
}

void set_entry_metadata(EntrySummary& s, const SeriesEntry& e) {
    s.id = e.id;
    s.scan = e.scan;
    s.cycle = e.cycle;
    s.sample = e.sample;
    s.notes = e.notes;
}

}  // namespace

SeriesSpec parse_series_spec(const std::string& yaml_text, const std::string& base_dir,
                             const std::string& source_name, const std::vector<std::string>& extra_overrides) {
    YAML::Node root;
    try {
        root = parse_yaml(yaml_text, source_name);
    } catch (const YAML::Exception& e) {
        throw ConfigError(source_name + ": not valid YAML (" + e.msg + ")");
    }
    if (!root.IsMap()) throw ConfigError(source_name + ": expected a map with a 'scans' list");
    SeriesSpec spec;
    spec.source = source_name;
    std::vector<std::string> shared;
    std::vector<std::string> shared_configs;
    try {
        for (const auto& kv : root) {
            const std::string key = kv.first.as<std::string>();
            if (key == "name") {
                spec.name = kv.second.as<std::string>();
            } else if (key == "settings") {
                flatten_settings(kv.second, "", shared, source_name);
            } else if (key == "config") {
                shared_configs = resolve_configs(kv.second, base_dir, source_name);
            } else if (key != "scans") {
                throw ConfigError(source_name + ": unknown key '" + key + "' (expected name, settings, config, scans)");
            }
        }
    } catch (const YAML::Exception& ex) {
        throw ConfigError(source_name + ": " + ex.msg);
    }
    shared.insert(shared.end(), extra_overrides.begin(), extra_overrides.end());
    const YAML::Node scans = root["scans"];
    if (!scans || !scans.IsSequence() || scans.size() == 0)
        throw ConfigError(source_name + ": 'scans' must be a non-empty list");
    std::map<std::string, std::string> seen;  // id -> where it was defined
    for (std::size_t i = 0; i < scans.size(); ++i) {
        const YAML::Node s = scans[i];
        const std::string where = source_name + ": scans[" + std::to_string(i) + "]";
        if (!s.IsMap()) throw ConfigError(where + ": expected {scan: PATH, cycle: N, ...}");
        SeriesEntry proto;
        std::vector<std::string> own;
        std::string glob, id_prefix;
        std::vector<std::string> own_configs;
        bool has_cycle = false, has_id_prefix = false;
        try {
            for (const auto& kv : s) {
                const std::string key = kv.first.as<std::string>();
                if (key == "scan") proto.scan = kv.second.as<std::string>();
                else if (key == "glob") glob = kv.second.as<std::string>();
                else if (key == "cycle") proto.cycle = kv.second.as<int>(), has_cycle = true;
                else if (key == "sample") proto.sample = kv.second.as<std::string>();
                else if (key == "notes") proto.notes = kv.second.as<std::string>();
                else if (key == "id") proto.id = kv.second.as<std::string>();
                else if (key == "id_prefix") id_prefix = kv.second.as<std::string>(), has_id_prefix = true;
                else if (key == "settings") flatten_settings(kv.second, "", own, where);
                else if (key == "config") own_configs = resolve_configs(kv.second, base_dir, where);
                else if (key == "direction") proto.direction = kv.second.as<std::string>();
                else throw ConfigError(where + ": unknown key '" + key +
                                       "' (expected scan or glob, cycle, sample, notes, id, id_prefix, settings, "
                                       "config, direction)");
            }
        } catch (const YAML::Exception& ex) {
            throw ConfigError(where + ": " + ex.msg);
        }
        if (proto.scan.empty() && glob.empty())
            throw ConfigError(where + ": 'scan' (a scan YAML, its folder or an .ibw) or 'glob' (e.g. "
                                      "\"cycle_200/*.ibw\") is required");
        if (!proto.scan.empty() && !glob.empty())
            throw ConfigError(where + ": give 'scan' (one scan) or 'glob' (one scan per matching file), not both");
        if (!has_cycle) throw ConfigError(where + ": 'cycle' (cycle number, 0 = pristine) is required");
        if (!proto.direction.empty()) parse_scan_direction(proto.direction, where);
        if (proto.cycle < 0) throw ConfigError(where + ": 'cycle' must be >= 0");
        if (!glob.empty() && !proto.id.empty())
            throw ConfigError(where + ": 'id' names one scan; a glob entry takes 'id_prefix' (ids are the prefix + file names)");
        if (glob.empty() && has_id_prefix)
            throw ConfigError(where + ": 'id_prefix' applies to glob entries only; use 'id'");
        proto.configs = own_configs.empty() ? shared_configs : own_configs;
        proto.overrides = shared;
        proto.overrides.insert(proto.overrides.end(), own.begin(), own.end());

        std::vector<SeriesEntry> expanded;
        if (glob.empty()) {
            fs::path p(proto.scan);
            if (p.is_relative()) p = fs::path(base_dir) / p;
            std::error_code ec;
            if (fs::is_directory(p, ec)) p /= "scan.yaml";
            proto.scan_path = p.lexically_normal().string();
            proto.id = proto.id.empty() ? default_id(proto.scan) : sanitize_id(proto.id);
            expanded.push_back(std::move(proto));
        } else {
            for (const std::string& file : expand_glob(glob, base_dir, where)) {
                SeriesEntry e = proto;
                e.scan = file;
                const fs::path p = fs::path(file).is_relative() ? fs::path(base_dir) / file : fs::path(file);
                e.scan_path = p.lexically_normal().string();
                e.id = sanitize_id(id_prefix + fs::path(file).stem().string());
                expanded.push_back(std::move(e));
            }
        }
        for (SeriesEntry& e : expanded) {
            const std::string here = glob.empty() ? where : where + " (" + e.scan + ")";
            const ScanReader* reader = e.direction.empty() ? nullptr : find_scan_reader(e.scan_path);
            if (reader && !reader->has_directions)
                throw ConfigError(here + ": 'direction' applies to .ibw files; " + e.scan + " is a " + reader->name +
                                  " (its channel files are one direction already)");
            if (seen.count(e.id))
                throw ConfigError(here + ": id '" + e.id + "' already used by " + seen[e.id] + "; give " +
                                  (glob.empty() ? "one of them an explicit 'id'" : "the glob entry an 'id_prefix'"));
            seen[e.id] = here;
            spec.entries.push_back(std::move(e));
        }
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

Shard parse_shard(const std::string& text) {
    Shard s;
    const auto slash = text.find('/');
    try {
        if (slash == std::string::npos) throw std::invalid_argument("no slash");
        std::size_t used_i = 0, used_n = 0;
        s.index = std::stoi(text.substr(0, slash), &used_i);
        s.count = std::stoi(text.substr(slash + 1), &used_n);
        if (used_i != slash || used_n != text.size() - slash - 1) throw std::invalid_argument("trailing");
    } catch (const std::exception&) {
        throw ConfigError("--shard '" + text + "': expected i/n, e.g. 0/4 (0-based: i = 0..n-1)");
    }
    if (s.count < 1 || s.index < 0 || s.index >= s.count)
        throw ConfigError("--shard '" + text + "': need n >= 1 and 0 <= i < n");
    return s;
}

bool shard_contains(const Shard& shard, std::size_t entry_index) {
    return (int)(entry_index % (std::size_t)shard.count) == shard.index;
}

EntryInput prepare_entry(const SeriesEntry& entry) {
    // As `amfm process FILE --config C --set ... [--direction trace]` opens it.
    OpenScanOptions reading;
    reading.extra_yaml = entry.configs;
    reading.overrides = entry.overrides;
    if (!entry.direction.empty()) reading.direction = parse_scan_direction(entry.direction, entry.scan_path);
    EntryInput in;
    reading.hashes = &in.file_hashes;
    in.opened = open_scan(entry.scan_path, reading);
    in.hash = entry_input_hash(in.opened.config, in.opened.channel_map, &in.file_hashes);
    return in;
}

Scan load_entry_scan(EntryInput&& input, bool concurrent) {
    OpenScanOptions reading;
    reading.hashes = &input.file_hashes;
    reading.concurrent = concurrent;
    return load_opened_scan(std::move(input.opened), reading);
}

std::string entry_input_hash(const ScanConfig& cfg, const std::vector<std::pair<std::string, std::string>>& channel_map,
                             std::map<std::string, std::string>* file_hashes) {
    ScanConfig c = cfg;
    c.source.clear();
    // An .ibw is every channel's file: hashed once.
    std::map<std::string, std::string> own;
    std::map<std::string, std::string>* hashes = file_hashes ? file_hashes : &own;
    auto content = [&](std::string& file) { file = "sha256:" + cached_sha256(file, hashes); };
    for (const ChannelRole& role : kChannelRoles)
        if (!(c.*role.spec).file.empty()) content((c.*role.spec).file);
    if (!c.regions.labels_file.empty()) content(c.regions.labels_file);
    if (!c.regions.rois_file.empty()) content(c.regions.rois_file);
    for (auto& [label, file] : c.regions.mask_files) content(file);
    std::string text = std::string("amfm ") + AMFM_VERSION + "\n" + config_to_yaml(c);
    // Only when given, so the hashes of scan-YAML entries (one file per channel) stay as they were.
    for (const auto& [role, name] : channel_map) text += "channel " + role + " = " + name + "\n";
    return sha256_bytes(text);
}

EntrySummary summarize_scan(const SeriesEntry& entry, const ScanResult& result, const std::string& input_hash) {
    EntrySummary s;
    set_entry_metadata(s, entry);
    s.status = "ok";
    s.input_hash = input_hash;
    s.nx = result.modulus_gpa.nx;
    s.ny = result.modulus_gpa.ny;
    for (const ClassStats& c : result.stats.classes) {
        if (c.values_gpa.size() != (std::size_t)c.pixels.n_valid)
            throw std::logic_error("summarize_scan: the scan was processed without keep_class_values");
        std::vector<float> values(c.values_gpa.begin(), c.values_gpa.end());  // the sketch sorts them
        s.classes.push_back({class_row(c), make_quantile_sketch(values, kSeriesSketchLevels)});
    }
    for (const RegionStats& r : result.stats.regions) s.regions.push_back(region_row(r, result.systematic_rel));
    return s;
}

const Table<StatsRow>& entry_class_table() {
    static const Table<StatsRow> t = stats_cols<StatsRow>({"class", "n_valid", "mean_gpa", "sd_gpa"});
    return t;
}

const Table<StatsRow>& entry_region_table() {
    static const Table<StatsRow> t = [] {
        Table<StatsRow> r = stats_cols<StatsRow>(
            {"label", "name", "class", "n_valid", "mean_gpa", "sd_gpa", "center_gpa", "sigma_gpa", "fwhm_gpa"});
        r.push_back(stats_col<StatsRow>("fit_state", "fit"));
        return r;
    }();
    return t;
}

std::string entry_summary_json(const EntrySummary& s) {
    json classes = json::array(), regions = json::array();
    for (const auto& c : s.classes) {
        json q = json::array();
        for (double v : c.sketch.quantiles) q.push_back(json_number(v));
        json j = json_object(entry_class_table(), c.stats);
        j["quantiles_gpa"] = q;
        classes.push_back(j);
    }
    for (const StatsRow& r : s.regions) regions.push_back(json_object(entry_region_table(), r));
    const json j = {{"format", "amfm series entry"}, {"format_version", 1}, {"id", s.id},
                    {"scan", s.scan},  {"cycle", s.cycle},   {"sample", s.sample},
                    {"notes", s.notes}, {"status", s.status}, {"reason", s.reason},
                    {"input_hash", s.input_hash}, {"nx", s.nx}, {"ny", s.ny},
                    {"sketch_levels", kSeriesSketchLevels}, {"classes", classes}, {"regions", regions}};
    return j.dump(1) + "\n";
}

EntrySummary read_entry_summary(const std::string& path) {
    std::ifstream f(path);
    if (!f) throw DataError(path + ": cannot open");
    EntrySummary s;
    try {
        const json j = json::parse(f);
        s.id = j.at("id");
        s.scan = j.at("scan");
        s.cycle = j.at("cycle");
        s.sample = j.at("sample");
        s.notes = j.at("notes");
        s.status = j.at("status");
        s.reason = j.at("reason");
        s.input_hash = j.at("input_hash");
        s.nx = j.at("nx");
        s.ny = j.at("ny");
        for (const auto& c : j.at("classes")) {
            ClassSummary cs;
            cs.stats.kind = "class";
            read_json_object(entry_class_table(), c, cs.stats);
            cs.stats.name = cs.stats.class_name;
            for (const auto& q : c.at("quantiles_gpa"))
                cs.sketch.quantiles.push_back(q.is_null() ? std::numeric_limits<double>::quiet_NaN() : q.get<double>());
            cs.sketch.n = cs.sketch.quantiles.empty() ? 0 : cs.stats.pixels.n_valid;
            s.classes.push_back(std::move(cs));
        }
        for (const auto& r : j.at("regions")) {
            StatsRow row;
            row.kind = "region";
            row.has_fit = true;
            read_json_object(entry_region_table(), r, row);
            s.regions.push_back(std::move(row));
        }
    } catch (const json::exception& e) {
        throw DataError(path + ": not a series entry (" + e.what() + ")");
    } catch (const std::invalid_argument& e) {
        throw DataError(path + ": not a series entry (" + e.what() + ")");
    }
    return s;
}

namespace {

// Everything a scan needs before the pipeline: the reading part of an entry, which may run on
// the read-ahead thread (it writes nothing).
struct Fetched {
    std::exception_ptr error;
    std::string hash;                       // "" when preparing failed
    std::optional<EntrySummary> unchanged;  // set: same inputs and settings as the recorded run
    std::optional<Scan> scan;               // set: to be processed
    double seconds_prepare = 0.0, seconds_load = 0.0;
    std::uint64_t input_bytes = 0;
};

std::uint64_t input_bytes_of(const ScanConfig& cfg) {
    std::set<std::string> files;
    for (const ChannelRole& role : kChannelRoles)
        if (!(cfg.*role.spec).file.empty()) files.insert((cfg.*role.spec).file);
    if (!cfg.regions.labels_file.empty()) files.insert(cfg.regions.labels_file);
    if (!cfg.regions.rois_file.empty()) files.insert(cfg.regions.rois_file);
    for (const auto& [label, file] : cfg.regions.mask_files) files.insert(file);
    std::uint64_t n = 0;
    for (const std::string& f : files) {
        std::error_code ec;
        const auto size = fs::file_size(f, ec);
        if (!ec) n += size;
    }
    return n;
}

Fetched fetch_entry(const SeriesEntry& e, const fs::path& dir, bool force, bool concurrent) {
    using clock = std::chrono::steady_clock;
    Fetched f;
    try {
        const auto t0 = clock::now();
        EntryInput in = prepare_entry(e);
        f.hash = in.hash;
        f.input_bytes = input_bytes_of(in.opened.config);
        const fs::path entry_file = dir / kEntryFile;
        std::error_code ec;
        if (!force && fs::is_regular_file(entry_file, ec) && fs::is_regular_file(dir / "regions.json", ec)) {
            EntrySummary old = read_entry_summary(entry_file.string());
            if (old.status == "ok" && old.input_hash == f.hash) f.unchanged = std::move(old);
        }
        const auto t1 = clock::now();
        f.seconds_prepare = std::chrono::duration<double>(t1 - t0).count();
        if (!f.unchanged) {
            f.scan = load_entry_scan(std::move(in), concurrent);
            f.seconds_load = std::chrono::duration<double>(clock::now() - t1).count();
        }
    } catch (...) {
        f.error = std::current_exception();
    }
    return f;
}

// Writes scans/<id>/ and its series_entry.json; a failure is recorded there with its reason.
// Sets p's status, reason and writing time.
void write_entry(const SeriesEntry& e, const fs::path& dir, const Scan& scan, const ScanResult& result,
                 const std::string& hash, const RunInfo& run, SeriesProgress& p) {
    const auto t0 = std::chrono::steady_clock::now();
    const fs::path entry_file = dir / kEntryFile;
    try {
        write_scan_outputs(scan, result, dir.string(), run);
        write_file_atomic(entry_file, entry_summary_json(summarize_scan(e, result, hash)));
        p.status = "processed";
    } catch (const std::exception& ex) {
        std::error_code ec;
        fs::remove_all(dir, ec);
        fs::create_directories(dir, ec);
        write_file_atomic(entry_file, entry_summary_json(failed_summary(e, ex.what(), hash)));
        p.status = "failed";
        p.reason = ex.what();
    }
    p.seconds_write = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

SeriesRunCounts run_series(const SeriesSpec& spec, const SeriesRunOptions& o) {
    const fs::path out(o.out_dir), scans_dir = out / "scans";
    fs::create_directories(scans_dir);
    write_manifest(spec, o.shard, out);
    auto backend = make_backend(parse_backend_kind(o.backend));

    std::vector<std::size_t> selected;
    for (std::size_t k = 0; k < spec.entries.size(); ++k)
        if (shard_contains(o.shard, k)) selected.push_back(k);
    SeriesRunCounts counts;
    counts.selected = (int)selected.size();

    using clock = std::chrono::steady_clock;
    const auto start = clock::now();
    double processed_seconds = 0.0;
    auto last_report = start;
    // Reports one scan, in series order, once its outputs are on disk. Its `seconds` are the wall
    // time since the previous report: with overlap, what the scan added to the run.
    auto report = [&](SeriesProgress& p) {
        if (p.status == "processed") ++counts.processed;
        else if (p.status == "failed") ++counts.failed;
        else ++counts.skipped;
        const auto now = clock::now();
        p.seconds = std::chrono::duration<double>(now - last_report).count();
        last_report = now;
        if (p.status != "skipped") processed_seconds += p.seconds;
        p.elapsed_seconds = std::chrono::duration<double>(now - start).count();
        p.scans_per_second = p.elapsed_seconds > 0 ? (double)p.position / p.elapsed_seconds : 0.0;
        const std::size_t worked = (std::size_t)(counts.processed + counts.failed);
        const double per_scan = worked ? processed_seconds / (double)worked : 0.0;
        p.eta_seconds = per_scan * (double)(p.total - p.position);
        if (o.on_progress) o.on_progress(p);
    };

    // One entry's way through the stages: its progress record, and what the writer needs.
    struct Processed {
        SeriesProgress p;
        std::string hash;
        std::optional<Scan> scan;  // empty: nothing to write (skipped or failed)
        std::optional<ScanResult> result;
    };
    auto read = [&](std::size_t pos) {
        const SeriesEntry& e = spec.entries[selected[pos]];
        return fetch_entry(e, scans_dir / e.id, o.force, stage_threads_have_spare_cores(o.overlap));
    };
    auto process = [&](std::size_t pos, Fetched&& f, double waited) {
        const SeriesEntry& e = spec.entries[selected[pos]];
        const fs::path dir = scans_dir / e.id, entry_file = dir / kEntryFile;
        Processed item;
        SeriesProgress& p = item.p;
        p.position = pos + 1;
        p.total = selected.size();
        p.entry = &e;
        p.seconds_waiting_for_inputs = waited;
        p.seconds_prepare = f.seconds_prepare;
        p.seconds_load = f.seconds_load;
        p.input_bytes = f.input_bytes;
        item.hash = f.hash;
        try {
            if (f.error) std::rethrow_exception(f.error);
            if (f.unchanged) {
                EntrySummary& old = *f.unchanged;
                set_entry_metadata(old, e);  // cycle, sample, notes may be edited without reprocessing
                const std::string text = entry_summary_json(old);
                if (read_file(entry_file) != text) write_file_atomic(entry_file, text);
                p.status = "skipped";
            } else {
                std::error_code ec;
                if (fs::is_regular_file(entry_file, ec)) fs::remove_all(dir);  // ours: no stale files
                item.scan = std::move(f.scan);
                const auto t1 = clock::now();
                item.result = process_scan(*item.scan, *backend, ProcessOptions{true});
                p.seconds_process = std::chrono::duration<double>(clock::now() - t1).count();
            }
        } catch (const BackendUnavailable&) {
            throw;
        } catch (const std::exception& ex) {
            item.scan.reset();
            std::error_code ec;
            if (fs::is_regular_file(entry_file, ec)) fs::remove_all(dir, ec);
            fs::create_directories(dir);
            write_file_atomic(entry_file, entry_summary_json(failed_summary(e, ex.what(), f.hash)));
            p.status = "failed";
            p.reason = ex.what();
        }
        return item;
    };
    auto write = [&](std::size_t pos, Processed&& item) {
        if (item.result) {
            const SeriesEntry& e = spec.entries[selected[pos]];
            write_entry(e, scans_dir / e.id, *item.scan, *item.result, item.hash, o.run, item.p);
        }
        return std::move(item.p);
    };
    run_pipelined(selected.size(), o.overlap, read, process, write,
                  [&](std::size_t, SeriesProgress&& p) { report(p); });
    return counts;
}

SeriesSpec read_series_manifest(const std::string& out_dir, Shard* shard) {
    const fs::path path = fs::path(out_dir) / kManifestFile;
    std::ifstream f(path);
    if (!f) throw ConfigError(path.string() + ": not found (not an `amfm series` output folder)");
    SeriesSpec spec;
    try {
        const json j = json::parse(f);
        spec.source = j.at("series_file");
        spec.name = j.at("name");
        for (const auto& e : j.at("entries")) {
            SeriesEntry se;
            se.id = e.at("id");
            // The id names a folder merge writes and removes: only what sanitize_id lets through.
            if (se.id != sanitize_id(se.id))
                throw ConfigError(path.string() + ": entry id '" + se.id +
                                  "' is not a plain folder name (letters, digits, '-', '_', '.'); the manifest "
                                  "was edited or damaged");
            se.scan = e.at("scan");
            se.cycle = e.at("cycle");
            se.sample = e.at("sample");
            se.notes = e.at("notes");
            spec.entries.push_back(std::move(se));
        }
        if (shard) *shard = parse_shard(j.at("shard").get<std::string>());
    } catch (const json::exception& e) {
        throw ConfigError(path.string() + ": not a series manifest (" + e.what() + ")");
    }
    return spec;
}

SeriesOutcome merge_series(const std::vector<std::string>& shard_dirs, const std::string& out_dir) {
    if (shard_dirs.empty()) throw ConfigError("merge: no shard folders given");
    std::vector<SeriesSpec> specs;
    std::vector<Shard> shards;
    for (const auto& d : shard_dirs) {
        Shard sh;
        specs.push_back(read_series_manifest(d, &sh));
        shards.push_back(sh);
        const json a = manifest_json(specs.front(), Shard{}), b = manifest_json(specs.back(), Shard{});
        if (a.at("entries") != b.at("entries") || a.at("name") != b.at("name"))
            throw ConfigError("merge: " + d + " holds a different series than " + shard_dirs.front());
    }
    const fs::path out(out_dir);
    fs::create_directories(out / "scans");
    const SeriesSpec& spec = specs.front();
    for (std::size_t k = 0; k < spec.entries.size(); ++k) {
        const std::string& id = spec.entries[k].id;
        for (std::size_t s = 0; s < shard_dirs.size(); ++s) {
            const fs::path src = fs::path(shard_dirs[s]) / "scans" / id, dst = out / "scans" / id;
            const fs::path rel = dst.lexically_normal().lexically_relative((out / "scans").lexically_normal());
            if (rel.empty() || rel.begin()->string() == ".." || rel.has_parent_path())
                throw ConfigError("merge: entry '" + id + "' would write outside " + (out / "scans").string());
            std::error_code ec;
            if (!shard_contains(shards[s], k) || !fs::is_regular_file(src / kEntryFile, ec)) continue;
            if (!fs::exists(dst, ec) || !fs::equivalent(src, dst, ec)) {
                fs::remove_all(dst);
                fs::copy(src, dst, fs::copy_options::recursive);
            }
            break;
        }
    }
    write_manifest(spec, Shard{}, out);
    return write_series_outputs(spec, out_dir);
}

}  // namespace amfm
