// amfm process SCAN --out DIR: one scan (any format open_scan reads) through the whole method;
// amfm process DIR_OR_FILES... --out DIR: every scan among them, one sub-folder each, summary.csv.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "amfm/kernels/backend.hpp"
#include "amfm/kernels/error.hpp"
#include "command.hpp"
#include "host/batch/stack.hpp"
#include "host/formats/open_scan.hpp"
#include "host/method/pipeline.hpp"
#include "host/method/sanity.hpp"
#include "host/model/config.hpp"
#include "host/model/file_io.hpp"
#include "host/model/table_format.hpp"
#include "host/model/output_folder.hpp"
#include "host/model/scan.hpp"
#include "host/report/outputs.hpp"
#include "host/report/stats_table.hpp"

namespace amfm_cli {
namespace {

// Named flags for the keys people change most; each is a --set of its YAML key.
struct NamedOverride {
    const char* flag;
    const char* key;
    const char* help;
};
constexpr NamedOverride kNamedOverrides[] = {
    {"--tip-radius", "tip.radius", "Contact radius R in metres"},
    {"--max-angle", "tilt_correction.max_angle_deg", "Tilt cutoff in degrees (default 45)"},
    {"--kc", "tilt_correction.model", "Tilt correction: polynomial | cos | none"},
    {"--tilt-method", "processing.tilt_method", "central | plane"},
    {"--tilt-window", "processing.tilt_window", "Local-plane window edge in pixels (odd)"},
    {"--level", "processing.level", "Height levelling: none | plane | rows"},
    {"--bins", "histogram.bins", "Histogram bins per region, or auto"},
    {"--axis", "histogram.axis", "Histogram axis: linear | log10"},
};
constexpr std::size_t kNamedCount = sizeof kNamedOverrides / sizeof kNamedOverrides[0];

struct Options {
    std::vector<std::string> inputs;  // one scan file, or files and folders (a batch)
    bool recursive = false;           // -r: folders' sub-folders too
    std::string out_dir, backend;
    std::vector<std::string> extra_configs;  // --config (repeatable): any input
    std::string direction;                   // --direction: .ibw only
    std::vector<std::string> sets;
    std::string named[kNamedCount];
    bool no_figures = false, gwy = false, sequential = false, strict = false, force = false;
};

// A schema column of the row as the console shows it.
std::string shown(const amfm::StatsRow& r, const char* column) {
    return amfm::console_cell(amfm::stats_column(column).value(r));
}

// The regions of one processed scan, then a line per class.
void print_summary(const amfm::ScanResult& result) {
    using amfm::StatsRow;
    static const std::vector<amfm::ConsoleColumn<StatsRow>> regions = {
        {"label", -6, 0, [](const StatsRow& r) { return shown(r, "label"); }},
        {"region", -10, 1, [](const StatsRow& r) { return shown(r, "name"); }},
        {"class", -8, 1, [](const StatsRow& r) { return shown(r, "class"); }},
        {"pixels", 9, 1, [](const StatsRow& r) { return shown(r, "n_pixels"); }},
        {"valid", 9, 1, [](const StatsRow& r) { return shown(r, "n_valid"); }},
        {"gaussian (GPa)", -22, 2, amfm::console_gaussian},
        {"fit", -14, 1, [](const StatsRow& r) { return shown(r, "fit_state"); }},
        {"quality", -20, 1, [](const StatsRow& r) { return shown(r, "quality"); }},
        {"indent (nm)", 0, 1, [](const StatsRow& r) { return shown(r, "indentation_median_nm"); }},
    };
    std::fputs(amfm::console_header(regions).c_str(), stdout);
    for (const StatsRow& r : amfm::scan_rows(result)) {
        if (r.kind == "region") std::fputs(amfm::console_line(regions, r).c_str(), stdout);
        if (r.kind == "class")
            std::printf("class %-12s mean %s +- %s GPa (SD over %s valid pixels), median indentation %s nm\n",
                        r.class_name.c_str(), shown(r, "mean_gpa").c_str(), shown(r, "sd_gpa").c_str(),
                        shown(r, "n_valid").c_str(), shown(r, "indentation_median_nm").c_str());
    }
}

// A stack's regions and classes, page by page.
void print_stack_summary(const std::vector<amfm::StackRow>& rows) {
    using amfm::StackRow;
    static const std::vector<amfm::ConsoleColumn<StackRow>> table = {
        {"page", -5, 0, [](const StackRow& r) { return std::to_string(r.page); }},
        {"region", -10, 1, [](const StackRow& r) { return r.stats.kind == "region" ? r.stats.name : "(class)"; }},
        {"class", -8, 1, [](const StackRow& r) { return shown(r.stats, "class"); }},
        {"valid", 9, 1, [](const StackRow& r) { return shown(r.stats, "n_valid"); }},
        {"gaussian (GPa)", -22, 2, [](const StackRow& r) { return amfm::console_gaussian(r.stats); }},
        {"mean +- SD (GPa)", 0, 1,
         [](const StackRow& r) { return shown(r.stats, "mean_gpa") + " +- " + shown(r.stats, "sd_gpa"); }},
    };
    std::fputs(amfm::console_header(table).c_str(), stdout);
    for (const StackRow& r : rows) std::fputs(amfm::console_line(table, r).c_str(), stdout);
}

// What the file itself gave (an .ibw's channels and note values), each with its source, on stderr.
void report_file_values(const amfm::OpenedScan& opened, const Context& ctx) {
    for (const auto& [role, name] : opened.channel_map) progress(ctx, "channel " + role + " = " + name);
    for (const amfm::NoteParameter& p : opened.parameters) {
        if (!p.usable()) continue;
        char value[32];
        std::snprintf(value, sizeof value, "%.6g", p.value);
        progress(ctx, p.key + " = " + value + " from " + p.source + (p.warning.empty() ? "" : "; CHECK: " + p.warning));
    }
}

// Sanity warnings on stderr, also under --quiet: a doubtful result is never silent.
void report_warnings(const std::vector<amfm::SanityWarning>& warnings, const std::string& scan = "") {
    for (const amfm::SanityWarning& w : warnings)
        std::fprintf(stderr, "amfm: warning: %s%s\n", scan.empty() ? "" : (scan + ": ").c_str(),
                     amfm::warning_text(w).c_str());
}

// stack: in the YAML: every page is a scan, written to OUT/page_NNN/, with OUT/stack.csv.
amfm::StackRun run_stack(const Options& o, const amfm::ScanConfig& cfg, const std::string& out_dir,
                         const Context& ctx) {
    auto backend = amfm::make_backend(amfm::parse_backend_kind(o.backend.empty() ? cfg.backend : o.backend));
    progress(ctx, "stack: processing page by page on " + backend->device_description());
    amfm::StackRun run = amfm::process_stack(cfg, *backend, out_dir, amfm::RunInfo{AMFM_VERSION, ctx.command_line},
                                             [&](const std::string& m) { progress(ctx, m); }, !o.sequential, o.force);
    return run;
}

// What every scan of the run is opened with: --config, --set and the named flags, --direction.
amfm::OpenScanOptions reading_options(const Options& o) {
    std::vector<std::string> sets = o.sets;
    for (std::size_t i = 0; i < kNamedCount; ++i)
        if (!o.named[i].empty()) sets.push_back(std::string(kNamedOverrides[i].key) + "=" + o.named[i]);
    if (o.no_figures) sets.push_back("outputs.figures=false");
    if (o.gwy) sets.push_back("outputs.gwy=true");
    // Any scan file takes --config too, e.g. the tip: block of `amfm calibrate-tip`.
    amfm::OpenScanOptions reading;
    reading.extra_yaml = o.extra_configs;
    reading.overrides = sets;
    if (!o.direction.empty()) reading.direction = amfm::parse_scan_direction(o.direction, "--direction");
    return reading;
}

// One processed scan (a stack's pages instead when the YAML says stack:).
struct Processed {
    std::optional<amfm::ScanResult> result;
    std::optional<amfm::StackRun> stack;
};

// One scan file through the method into `out_dir`.
Processed process_file(const Options& o, const std::string& file, const std::string& out_dir, const Context& ctx) {
    const amfm::OpenScanOptions reading = reading_options(o);
    progress(ctx, "loading " + file);
    amfm::OpenedScan opened = amfm::open_scan(file, reading);
    report_file_values(opened, ctx);
    if (opened.config.stack.enabled) return {std::nullopt, run_stack(o, opened.config, out_dir, ctx)};
    amfm::Scan scan = amfm::load_opened_scan(std::move(opened), reading);
    const amfm::ScanConfig& cfg = scan.config;
    auto backend = amfm::make_backend(amfm::parse_backend_kind(o.backend.empty() ? cfg.backend : o.backend));
    progress(ctx, "processing " + std::to_string(scan.nx()) + " x " + std::to_string(scan.ny()) + " pixels on " +
                      backend->device_description());
    amfm::ScanResult result = amfm::process_scan_taking_height(scan, *backend);
    char timing[128];
    std::snprintf(timing, sizeof timing, "per-pixel stage %.1f ms, statistics %.1f ms; writing ",
                  result.seconds_pixel_stage * 1e3, result.seconds_statistics * 1e3);
    progress(ctx, timing + out_dir);
    amfm::write_scan_outputs(scan, result, out_dir, amfm::RunInfo{AMFM_VERSION, ctx.command_line});
    return {std::move(result), std::nullopt};
}

int run(const Options& o, const Context& ctx) {
    const Processed done = process_file(o, o.inputs.front(), o.out_dir, ctx);
    if (done.stack) {
        if (!ctx.quiet) print_stack_summary(done.stack->rows);
        progress(ctx, "done: " + std::to_string(done.stack->pages.size()) + " page(s) in " + o.out_dir + " (stack.csv), " +
                          std::to_string(done.stack->skipped.size()) + " unchanged (skipped; --force reprocesses them)");
        return kExitOk;
    }
    const amfm::ScanResult& result = *done.result;
    if (!ctx.quiet) print_summary(result);
    report_warnings(result.warnings);
    progress(ctx, "done: " + o.out_dir);
    if (o.strict && !result.warnings.empty()) {
        std::fprintf(stderr, "amfm: input error: %zu sanity warning(s) and --strict (results written to %s)\n",
                     result.warnings.size(), o.out_dir.c_str());
        return kExitData;
    }
    return kExitOk;
}

// ---- a batch: every scan among files and folders --------------------------------------------

// A batch's summary.csv row: the scan's folder and file, then its region's, class's or map's statistics.
struct BatchRow {
    std::string folder, file;
    amfm::StatsRow stats;
};

const amfm::Table<BatchRow>& summary_table() {
    using amfm::stats_col;
    static const amfm::Table<BatchRow> t = {
        {"scan", [](const BatchRow& r) { return amfm::text_cell(r.folder); }, "", {}},
        {"file", [](const BatchRow& r) { return amfm::text_cell(r.file); }, "", {}},
        stats_col<BatchRow>("kind"),     stats_col<BatchRow>("label"),
        stats_col<BatchRow>("region"),   stats_col<BatchRow>("class"),
        stats_col<BatchRow>("n_pixels"), stats_col<BatchRow>("n_valid"),
        stats_col<BatchRow>("center_gpa"), stats_col<BatchRow>("sigma_gpa"),
        stats_col<BatchRow>("fit_state"), stats_col<BatchRow>("mean_gpa"),
        stats_col<BatchRow>("sd_gpa"),   stats_col<BatchRow>("quality"),
        stats_col<BatchRow>("valid_fraction"), stats_col<BatchRow>("indentation_median_nm"),
    };
    return t;
}

// A scan's results folder: the file's stem, or its folder's name for scan.yaml / scan.ibw;
// _2, _3, ... when taken.
std::string folder_for(const std::string& file, std::set<std::string>& taken) {
    const std::filesystem::path p = std::filesystem::absolute(file).lexically_normal();
    std::string name = p.stem().string();
    if (name == "scan" && !p.parent_path().filename().empty()) name = p.parent_path().filename().string();
    std::string unique = name;
    for (int k = 2; taken.count(unique); ++k) unique = name + "_" + std::to_string(k);
    taken.insert(unique);
    return unique;
}

// One scan of the batch into OUT/<folder>/: its rows, or why it failed ("" when it did not).
std::string batch_scan(const Options& o, const std::string& file, const std::string& folder,
                       std::vector<BatchRow>& rows, const Context& ctx) {
    const Context quiet{true, ctx.command_line};
    try {
        const Processed done = process_file(o, file, (std::filesystem::path(o.out_dir) / folder).string(), quiet);
        if (done.stack) {
            for (const amfm::StackRow& r : done.stack->rows)
                rows.push_back({folder + "/" + amfm::stack_page_folder(r.page), file, r.stats});
            return "";
        }
        for (const amfm::StatsRow& r : amfm::scan_rows(*done.result)) rows.push_back({folder, file, r});
        report_warnings(done.result->warnings, folder);
        if (o.strict && !done.result->warnings.empty())
            return std::to_string(done.result->warnings.size()) + " sanity warning(s) and --strict";
        return "";
    } catch (const std::exception& e) {
        return e.what();
    }
}

// Every scan among the inputs, one sub-folder each, OUT/summary.csv for all; a failed scan is
// listed (OUT/failed.csv) and the others finish; exit 3 when any failed.
int run_batch(const Options& o, const Context& ctx) {
    const std::vector<std::string> files = amfm::find_scan_files(o.inputs, o.recursive, o.out_dir);
    if (files.empty())
        throw amfm::DataError("no scan files found in the inputs given (a folder's sub-folders are searched with -r)");
    std::filesystem::create_directories(o.out_dir);
    progress(ctx, "batch: " + std::to_string(files.size()) + " scan file(s) into " + o.out_dir);
    std::set<std::string> taken;
    std::vector<BatchRow> rows;
    std::string failed = "file,reason\n";
    std::size_t n_failed = 0;
    const auto start = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < files.size(); ++i) {
        const std::string folder = folder_for(files[i], taken);
        const std::string why = batch_scan(o, files[i], folder, rows, ctx);
        if (!why.empty()) {
            ++n_failed;
            failed += amfm::csv_text(files[i]) + "," + amfm::csv_text(why) + "\n";
        }
        const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        const double eta = elapsed / (double)(i + 1) * (double)(files.size() - i - 1);
        progress(ctx, "[" + std::to_string(i + 1) + "/" + std::to_string(files.size()) + "] " + files[i] + " -> " +
                          folder + ": " + (why.empty() ? "done" : "failed: " + why) + " | ETA " + duration_text(eta));
        if (!why.empty() && ctx.quiet) std::fprintf(stderr, "amfm: %s: failed: %s\n", files[i].c_str(), why.c_str());
    }
    amfm::write_file_atomic(std::filesystem::path(o.out_dir) / "summary.csv", amfm::csv_table(summary_table(), rows));
    if (n_failed) amfm::write_file_atomic(std::filesystem::path(o.out_dir) / "failed.csv", failed);
    progress(ctx, std::to_string(files.size() - n_failed) + " processed, " + std::to_string(n_failed) +
                      " failed; summary.csv" + (n_failed ? " and failed.csv" : "") + " in " + o.out_dir);
    return n_failed ? kExitData : kExitOk;
}

bool is_batch(const Options& o) {
    std::error_code ec;
    return o.inputs.size() > 1 || std::filesystem::is_directory(o.inputs.front(), ec);
}

}  // namespace

Runner add_process_command(CLI::App& app) {
    auto o = std::make_shared<Options>();
    auto* cmd = app.add_subcommand("process", "Process one scan (maps, region statistics, figures), or every scan "
                                              "among files and folders (one sub-folder each, summary.csv)");
    cmd->add_option("scans", o->inputs,
                    "A scan file: scan YAML (see `amfm config`), Asylum .ibw, or any file Gwyddion reads (`amfm info "
                    "FILE` shows what amfm finds in it); or several files and folders: every scan among them")
        ->required()
        ->check(CLI::ExistingPath);
    cmd->add_flag("-r,--recursive", o->recursive, "Folders: search their sub-folders too (default: a sub-folder "
                                                    "counts by its scan.yaml or scan.ibw)");
    cmd->add_option("--config", o->extra_configs,
                    "YAML merged over the scan YAML or over what an .ibw gives (tip: from calibrate-tip, "
                    "tilt_correction: from fit-tilt, regions, ...); repeatable, later files win")
        ->check(CLI::ExistingFile)
        ->allow_extra_args(false);
    cmd->add_option("--direction", o->direction, ".ibw input: channels of this scan direction (default retrace)")
        ->check(CLI::IsMember({"trace", "retrace"}));
    cmd->add_option("-o,--out", o->out_dir, "Results folder (created; written atomically)")->required();
    cmd->add_option("--backend", o->backend, "auto | cpu | cuda (default: the YAML's, else auto)")
        ->check(CLI::IsMember({"auto", "cpu", "cuda"}));
    cmd->add_option("--set", o->sets, "Override any YAML key: --set histogram.axis=log10 (repeatable)")
        ->allow_extra_args(false);
    cmd->add_flag("--no-figures", o->no_figures, "Skip the PNG figures [outputs.figures=false]");
    cmd->add_flag("--gwy", o->gwy, "Also write results.gwy for Gwyddion [outputs.gwy=true]");
    cmd->add_flag("--strict", o->strict,
                  "Exit 3 when a sanity check warns (the results are still written, the warnings in regions.json)");
    cmd->add_flag("--sequential", o->sequential,
                  "Stacks: read, process and write one page at a time (default: the next page is read and the "
                  "previous one written while one is processed)");
    cmd->add_flag("--force", o->force,
                  "Stacks: reprocess pages whose inputs and settings are unchanged since the last run into --out");
    for (std::size_t i = 0; i < kNamedCount; ++i)
        cmd->add_option(kNamedOverrides[i].flag, o->named[i],
                        std::string(kNamedOverrides[i].help) + " [" + kNamedOverrides[i].key + "]");
    return [o](const Context& ctx) {
        const amfm::OutputLock lock(o->out_dir);  // refused at once when another run writes there
        return is_batch(*o) ? run_batch(*o, ctx) : run(*o, ctx);
    };
}

}  // namespace amfm_cli
