// A series entry's inputs and what is kept of it: opening the scan as `amfm process` would, the
// content hash that decides whether it is processed again, and its summary (series_entry.json),
// the only thing the series tables read.
#include <fstream>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "amfm/kernels/error.hpp"
#include "host/batch/series.hpp"
#include "host/formats/open_scan.hpp"
#include "host/formats/scan_loading.hpp"
#include "host/method/quantiles.hpp"
#include "host/method/sanity.hpp"
#include "host/model/channels.hpp"
#include "host/model/config.hpp"
#include "host/model/hash.hpp"
#include "host/model/table_format.hpp"
#include "host/report/stats_table.hpp"
#include "host/model/text.hpp"

namespace amfm {
using nlohmann::json;

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

void set_entry_metadata(EntrySummary& s, const SeriesEntry& e) {
    s.id = e.id;
    s.scan = e.scan;
    s.cycle = e.cycle;
    s.sample = e.sample;
    s.notes = e.notes;
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
    for (std::size_t i = 0; i < result.stats.regions.size(); ++i)
        s.regions.push_back(region_row(result.stats.regions[i], result.uncertainty.regions.at(i)));
    for (const SanityWarning& w : result.warnings) s.warnings.push_back(warning_text(w));
    return s;
}

const Table<StatsRow>& entry_class_table() {
    static const Table<StatsRow> t = stats_cols<StatsRow>({"class", "n_valid", "mean_gpa", "sd_gpa"});
    return t;
}

const Table<StatsRow>& entry_region_table() {
    static const Table<StatsRow> t = [] {
        Table<StatsRow> r = stats_cols<StatsRow>(
            {"label", "name", "class", "n_valid", "mean_gpa", "sd_gpa", "center_gpa", "sigma_gpa", "fwhm_gpa",
             "center_se_gpa", "systematic_gpa", "combined_gpa"});
        r.push_back(stats_col<StatsRow>("fit_state", "fit"));
        r.push_back(stats_col<StatsRow>("quality"));
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
                    {"sketch_levels", kSeriesSketchLevels}, {"classes", classes}, {"regions", regions},
                    {"warnings", s.warnings}};
    return json_text(j, 1) + "\n";
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
        s.warnings = j.value("warnings", std::vector<std::string>{});  // absent in entries of earlier versions
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

}  // namespace amfm
