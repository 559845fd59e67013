// amfm series SERIES.yaml --out DIR: every scan of a cycle-number series, then the tables,
// comparisons, figures and report.html.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "command.hpp"
#include "host/batch/series.hpp"

namespace amfm_cli {
namespace {

struct Options {
    std::string series_yaml, out_dir, backend = "auto", shard;
    std::vector<std::string> sets;
    bool no_figures = false, gwy = false, force = false, sequential = false, strict = false;
};

int run(const Options& o, const Context& ctx) {
    std::vector<std::string> sets = o.sets;
    if (o.no_figures) sets.push_back("outputs.figures=false");
    if (o.gwy) sets.push_back("outputs.gwy=true");
    const amfm::SeriesSpec spec = amfm::load_series_spec(o.series_yaml, sets);
    amfm::SeriesRunOptions ro;
    ro.out_dir = o.out_dir;
    ro.backend = o.backend;
    ro.force = o.force;
    // Reading the next scan and writing the previous one overlap this one's processing
    // (amfm-bench-series in README.md), identical outputs, two more scans in memory.
    ro.overlap = !o.sequential;
    ro.run = amfm::RunInfo{AMFM_VERSION, ctx.command_line};
    if (!o.shard.empty()) ro.shard = amfm::parse_shard(o.shard);
    ro.on_progress = [&ctx](const amfm::SeriesProgress& p) {
        char head[64], tail[96];
        std::snprintf(head, sizeof head, "[%zu/%zu] ", p.position, p.total);
        std::snprintf(tail, sizeof tail, " (%.2f s) | %.2f scans/s, ETA %s", p.seconds, p.scans_per_second,
                      duration_text(p.eta_seconds).c_str());
        std::string line = head + p.entry->id + " cycle " + std::to_string(p.entry->cycle) + ": " + p.status;
        if (p.status == "failed") line += ": " + p.reason;
        progress(ctx, line + tail);
    };
    progress(ctx, "series " + o.series_yaml + ": " + std::to_string(spec.entries.size()) + " scans" +
                      (o.shard.empty() ? "" : ", shard " + o.shard));
    const amfm::SeriesRunCounts n = amfm::run_series(spec, ro);
    progress(ctx, std::to_string(n.processed) + " processed, " + std::to_string(n.skipped) + " unchanged (skipped), " +
                      std::to_string(n.failed) + " failed");
    if (ro.shard.count > 1) {
        progress(ctx, "shard written to " + o.out_dir + "; combine the shards with `amfm merge SHARD_DIR... --out DIR`");
        return n.failed ? kExitData : kExitOk;
    }
    const amfm::SeriesOutcome out = amfm::write_series_outputs(spec, o.out_dir);
    progress(ctx, "tables, figures and report: " + o.out_dir + "/report.html");
    // Sanity warnings on stderr, also under --quiet: a doubtful result is never silent.
    for (const std::string& w : out.warnings) std::fprintf(stderr, "amfm: warning: %s\n", w.c_str());
    if (out.n_failed || out.n_missing) {
        progress(ctx, std::to_string(out.n_failed + out.n_missing) + " of " + std::to_string(spec.entries.size()) +
                          " scans failed (reasons in report.html and series.json)");
        return kExitData;
    }
    if (o.strict && !out.warnings.empty()) {
        std::fprintf(stderr, "amfm: input error: %zu sanity warning(s) and --strict (listed in report.html)\n",
                     out.warnings.size());
        return kExitData;
    }
    return kExitOk;
}

}  // namespace

Runner add_series_command(CLI::App& app) {
    auto o = std::make_shared<Options>();
    auto* cmd = app.add_subcommand("series", "Process a cycle-number series: per-scan folders, Table 1, "
                                             "comparisons, figures, report.html");
    cmd->add_option("series", o->series_yaml,
                    "Series YAML listing the scans (scan YAML, folder, .ibw or glob) and their cycle numbers")
        ->required()
        ->check(CLI::ExistingFile);
    cmd->add_option("-o,--out", o->out_dir, "Results folder (scans/<id>/ per scan, series.* and report.html)")
        ->required();
    cmd->add_option("--backend", o->backend, "auto | cpu | cuda")->check(CLI::IsMember({"auto", "cpu", "cuda"}));
    cmd->add_option("--set", o->sets, "Override a key of every scan: --set tip.radius=9e-9 (repeatable)")
        ->allow_extra_args(false);
    cmd->add_option("--shard", o->shard, "Process only shard i of n (0-based, entry k goes to k mod n); "
                                         "combine with `amfm merge`");
    cmd->add_flag("--no-figures", o->no_figures, "Skip the per-scan PNG figures [outputs.figures=false]");
    cmd->add_flag("--gwy", o->gwy, "Also write each scan's results.gwy for Gwyddion [outputs.gwy=true]");
    cmd->add_flag("--strict", o->strict,
                  "Exit 3 when a sanity check warns on any scan (the outputs are still written)");
    cmd->add_flag("--force", o->force, "Reprocess scans whose inputs and settings are unchanged");
    cmd->add_flag("--sequential", o->sequential,
                  "Read, process and write one scan at a time (default: the next scan is read and the previous "
                  "one written while one is processed; at most three scans in memory)");
    return [o](const Context& ctx) { return run(*o, ctx); };
}

}  // namespace amfm_cli
