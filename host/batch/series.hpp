// A cycle-number series: many scans, each with a cycle number, processed one after another
// into per-scan folders, then compared (the paper's Table 1 and Fig. 3a).
//
// Output folder layout (what `amfm series` and `amfm merge` write):
//   series_manifest.json        the series as listed (ids, cycles, samples, notes) and the shard
//   scans/<id>/                 what `amfm process` writes, plus series_entry.json (status,
//                               content hash of inputs + settings, the summary the tables use)
//   series.csv, series_comparisons.csv, series.json, fig_*.{png,pdf,svg}, report.html
// The tables are computed from the series_entry.json files alone, so a merge of shard folders
// gives the same bytes as a single run.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "host/formats/open_scan.hpp"
#include "host/method/stats_tests.hpp"
#include "host/model/scan.hpp"
#include "host/report/outputs.hpp"
#include "host/report/stats_table.hpp"

namespace amfm {

struct SeriesEntry {
    std::string id;          // folder name under scans/; unique in the series
    std::string scan;        // as written in the series file
    std::string scan_path;   // resolved against the series file's folder (a folder means <folder>/scan.yaml)
    std::vector<std::string> configs;  // resolved `config:` YAMLs, merged in order like `process --config`
    int cycle = -1;          // 0 = pristine
    std::string sample, notes;
    std::vector<std::string> overrides;  // "dotted.key=value": the series' settings, then the scan's
    std::string direction;   // .ibw only: "trace" or "retrace" channels ("": retrace, as `process`)
};

// What Fig. 3a's error bars show (the series file's `error_bars`): the SD across replicate
// scans, across the facets' Gaussian centres (the paper's), or of the pooled pixels; `auto`:
// scans where some cycle has replicates, else facets.
enum class ErrorBars { Auto, Scans, Facets, Pixels };
inline constexpr std::pair<ErrorBars, const char*> kErrorBarNames[] = {
    {ErrorBars::Auto, "auto"}, {ErrorBars::Scans, "scans"}, {ErrorBars::Facets, "facets"}, {ErrorBars::Pixels, "pixels"}};
const char* error_bars_name(ErrorBars e);
ErrorBars parse_error_bars(const std::string& name, const std::string& where);  // ConfigError naming `where`

struct SeriesSpec {
    std::string source;  // the series file
    std::string name;
    ErrorBars error_bars = ErrorBars::Auto;
    std::vector<SeriesEntry> entries;  // in file order
};

// Loads and checks a series YAML (ConfigError naming the file and entry otherwise):
//   name: "LNMO cycling"                     # optional
//   settings: {tip.radius: 9.5e-9}           # optional; `--set` overrides applied to every scan
//   config: tip.yaml                         # optional; merged like `process --config`
//   error_bars: auto                         # optional; Fig. 3a: auto | scans | facets | pixels
//   scans:
//     - {scan: cycle_000/scan.yaml, cycle: 0, sample: "pristine", notes: "...", id: c000,
//        settings: {histogram.bins: 80}}     # sample, notes, id, settings optional
//     - {scan: c5/scan0001.ibw, cycle: 5, config: c5/extra.yaml}   # an Asylum .ibw
//     - {glob: "c200/*.ibw", cycle: 200, id_prefix: c200_}        # one entry per matching file
// A scan's `config:` replaces the series-level one (one file per scan, as `process --config`).
// `glob:` wildcards (*, ?, [..]) apply to the file name only; matches are taken in byte order of
// their names, each must be a .ibw or a scan YAML, and at least one must match; their ids are
// id_prefix + the file name without its extension.
SeriesSpec load_series_spec(const std::string& yaml_path, const std::vector<std::string>& extra_overrides = {});
SeriesSpec parse_series_spec(const std::string& yaml_text, const std::string& base_dir,
                             const std::string& source_name,
                             const std::vector<std::string>& extra_overrides = {});

// An entry id as a plain folder name: letters, digits, '-', '_' and '.' kept, anything else '_'
// ("scan" for an empty, "." or ".." id). Ids name the folders series and merge write and remove.
std::string sanitize_id(const std::string& id);

// --shard i/n: entry k belongs to shard k mod n (0-based i).
struct Shard {
    int index = 0, count = 1;
};
Shard parse_shard(const std::string& text);  // "i/n"; ConfigError otherwise
bool shard_contains(const Shard& shard, std::size_t entry_index);

// What a series keeps of each scan (series_entry.json): small and independent of the scan size.
// Rows keep the columns of entry_class_table / entry_region_table (the rest stay at their defaults).
struct ClassSummary {
    StatsRow stats;
    QuantileSketch sketch;  // of the class's valid pixel moduli (GPa)
};

struct EntrySummary {
    std::string id, scan, sample, notes;
    int cycle = -1;
    std::string status;  // "ok" | "failed" | "missing" (no folder: not processed, e.g. a shard absent)
    std::string reason;  // why it failed
    std::string input_hash;
    int nx = 0, ny = 0;
    std::vector<ClassSummary> classes;
    std::vector<StatsRow> regions;
    std::vector<std::string> warnings;  // the scan's sanity warnings, as warning_text writes them
};

// Levels of the per-class quantile sketches (resolves CDFs to 1/400).
constexpr int kSeriesSketchLevels = 400;

// An entry's inputs as the skip-if-unchanged check needs them: the effective configuration and
// its content hash; for an .ibw also the scan itself, because its configuration (channels,
// cantilever from the wave note) is only known by reading the file, which is then kept rather
// than read twice.
struct EntryInput {
    OpenedScan opened;  // the configuration; the scan too where opening reads it (.ibw)
    std::string hash;
    std::map<std::string, std::string> file_hashes;  // input file -> SHA-256, so loading does not hash again
};

// open_scan with the entry's configs, overrides and direction (retrace when not given), as
// `amfm process` opens it. ConfigError / DataError naming the file.
EntryInput prepare_entry(const SeriesEntry& entry);

// The scan of a prepared entry: the one already read (.ibw), else the files its configuration names.
Scan load_entry_scan(EntryInput&& input, bool concurrent = true);

// SHA-256 over the amfm version, the effective settings and the bytes of every input file
// (paths replaced by content digests, so moving the data does not invalidate it), plus the
// channel each role was read from when a file holds several (.ibw: trace vs retrace).
// `file_hashes` (optional) receives each input file's SHA-256.
std::string entry_input_hash(const ScanConfig& cfg,
                             const std::vector<std::pair<std::string, std::string>>& channel_map = {},
                             std::map<std::string, std::string>* file_hashes = nullptr);

// The series file is the authority for an entry's id, scan, cycle, sample and notes: they may be
// edited without reprocessing the scan.
void set_entry_metadata(EntrySummary& s, const SeriesEntry& entry);
EntrySummary summarize_scan(const SeriesEntry& entry, const ScanResult& result, const std::string& input_hash);

// series_entry.json's class and region objects (a class's also holds its quantiles_gpa).
const Table<StatsRow>& entry_class_table();
const Table<StatsRow>& entry_region_table();
std::string entry_summary_json(const EntrySummary& s);
EntrySummary read_entry_summary(const std::string& path);  // DataError when unreadable

struct SeriesProgress {
    std::size_t position = 0, total = 0;  // 1-based position among this run's scans
    const SeriesEntry* entry = nullptr;
    std::string status;  // "processed" | "skipped" | "failed"
    std::string reason;
    double seconds = 0.0, elapsed_seconds = 0.0, eta_seconds = 0.0, scans_per_second = 0.0;
    // Where this scan's time went (amfm-bench-series): settings + content hash of the inputs
    // (reads every input byte), loading the channels (load_scan / the .ibw), the pipeline, and
    // writing scans/<id>/. With overlap, prepare + load ran on the read-ahead thread and the
    // writing on the writer thread, both overlapped with other scans' pipelines.
    double seconds_prepare = 0.0, seconds_load = 0.0, seconds_process = 0.0, seconds_write = 0.0;
    double seconds_waiting_for_inputs = 0.0;  // main thread blocked on prepare + load (all of it without overlap)
    std::uint64_t input_bytes = 0;  // bytes of the input files read for this scan
};

struct SeriesRunOptions {
    std::string out_dir;
    Shard shard;
    std::string backend = "auto";
    bool force = false;   // reprocess even when the content hash is unchanged
    // Read the next scan and write the previous one's outputs on two more threads while this one
    // is processed (at most three scans in memory); the pipeline then uses two OpenMP threads
    // fewer than there are cores (at least one). Outputs are identical either way; progress is
    // reported in series order, each scan once its outputs are on disk.
    bool overlap = false;
    RunInfo run;
    std::function<void(const SeriesProgress&)> on_progress;
};

struct SeriesRunCounts {
    int selected = 0, processed = 0, skipped = 0, failed = 0;
    std::vector<std::pair<std::string, std::string>> failures;  // id and reason of each failed scan
};

// Processes the shard's entries in order (one scan in memory at a time, three with overlap), writing
// scans/<id>/ and series_manifest.json. A scan that fails is recorded with its reason and the
// others go on. Throws only for the output folder itself or the backend.
SeriesRunCounts run_series(const SeriesSpec& spec, const SeriesRunOptions& options);

struct SeriesOutcome {
    int n_ok = 0, n_failed = 0, n_missing = 0;
    std::vector<std::string> warnings;  // every scan's sanity warnings, each as "<id>: <warning_text>"
};

// Reads scans/<id>/series_entry.json for every entry and writes series.csv,
// series_comparisons.csv, series.json, the figures and report.html into out_dir, and redraws
// the scans' modulus maps on the series' common colour range. report.html links its figures;
// `self_contained` embeds them (base64) so that the one file can be mailed.
SeriesOutcome write_series_outputs(const SeriesSpec& spec, const std::string& out_dir, bool self_contained = false);

// The series as recorded in an output folder's series_manifest.json.
SeriesSpec read_series_manifest(const std::string& out_dir, Shard* shard = nullptr);

// Copies the scan folders of shard output folders (same series) into out_dir and writes the
// series outputs as a single run would. ConfigError when the shards list different series or
// splits, or one twice; DataError naming the missing shards (and their scans), a shard that has
// not finished, or scans a shard lacks.
SeriesOutcome merge_series(const std::vector<std::string>& shard_dirs, const std::string& out_dir);

// A row of series.csv: a class pooled over the scans of a cycle number (scan empty), or a
// region of one scan (n_scans 1).
struct SeriesRow {
    int cycle = 0;
    std::string scan;
    int n_scans = 1;
    StatsRow stats;  // a class: its pooled pixels and (n_fitted_regions, region_center_*) its facets
    SampleSummary scans;  // a class: its scans' means (series_tables.hpp, PooledClass)
    double systematic_rel = StatsRow::kUndefined;  // a class: its facets' mean relative systematic uncertainty
};
// series.csv's columns; series.json's table1 and regions show some of them.
const Table<SeriesRow>& series_csv_table();

// The tables alone (tests; write_series_outputs writes them).
std::string series_csv(const std::vector<EntrySummary>& entries);
std::string series_comparisons_csv(const std::vector<EntrySummary>& entries);
std::string series_json(const SeriesSpec& spec, const std::vector<EntrySummary>& entries);
std::string series_report_html(const SeriesSpec& spec, const std::vector<EntrySummary>& entries,
                               const std::string& out_dir, bool self_contained = false);

}  // namespace amfm
