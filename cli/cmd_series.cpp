// amfm series SERIES.yaml --out DIR: every scan of a cycle-number series, then the tables,
// comparisons, figures and report.html; one shard of it (--shard), or all shards as a SLURM job
// array with a merge job (--slurm).
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "command.hpp"
#include "host/batch/series.hpp"
#include "host/batch/series_shards.hpp"
#include "host/batch/series_slurm.hpp"
#include "host/model/output_folder.hpp"

namespace amfm_cli {
namespace {

struct Options {
    std::string series_yaml, out_dir, backend = "auto", shard;
    std::vector<std::string> sets;
    bool no_figures = false, gwy = false, force = false, sequential = false, strict = false;
    bool slurm = false, dry_run = false, self_contained = false;
    amfm::SlurmOptions slurm_options;
};

// --slurm: the job scripts under DIR/slurm/, submitted unless --dry-run.
int submit(const Options& o, const Context& ctx, std::size_t n_scans) {
    namespace fs = std::filesystem;
    amfm::SlurmSeriesJob job;
    job.amfm = fs::read_symlink("/proc/self/exe").string();
    job.work_dir = fs::current_path().string();
    job.series_yaml = o.series_yaml;
    job.out_dir = fs::absolute(o.out_dir).lexically_normal().string();
    if (o.backend != "auto") job.series_args = {"--backend", o.backend};
    for (const auto& s : o.sets) job.series_args.insert(job.series_args.end(), {"--set", s});
    for (const auto& [on, flag] : {std::pair{o.no_figures, "--no-figures"}, {o.gwy, "--gwy"}, {o.force, "--force"},
                                   {o.sequential, "--sequential"}})
        if (on) job.series_args.push_back(flag);
    const int n = amfm::write_slurm_scripts(job, n_scans, o.slurm_options);
    const std::string slurm = job.out_dir + "/slurm";
    std::printf("series %s: %zu scans in %d shards%s\n", o.series_yaml.c_str(), n_scans, n,
                o.slurm_options.shards ? "" : " (default: one per 4 scans, at most 64)");
    std::printf("job scripts: %s/series.sbatch (array 0-%d), %s/merge.sbatch\n", slurm.c_str(), n - 1, slurm.c_str());
    if (o.dry_run) {
        std::printf("not submitted (--dry-run): submit with `amfm status %s --resubmit-failed`, or by hand as the "
                    "scripts' first lines say\n", o.out_dir.c_str());
        return kExitOk;
    }
    std::vector<int> shards;
    for (int i = 0; i < n; ++i) shards.push_back(i);
    const amfm::SlurmSubmission sub = amfm::submit_slurm_jobs(job.out_dir, shards);
    std::printf("submitted: shards as job array %s (tasks 0-%d), merge as job %s (runs when every shard "
                "succeeded)\n", sub.array_job.c_str(), n - 1, sub.merge_job.c_str());
    std::printf("follow: amfm status %s   (or squeue -j %s,%s)\n", o.out_dir.c_str(), sub.array_job.c_str(),
                sub.merge_job.c_str());
    std::printf("logs: %s/logs/shard_<i>.log and merge.log; results: %s/report.html after job %s\n", slurm.c_str(),
                o.out_dir.c_str(), sub.merge_job.c_str());
    progress(ctx, "submitted " + std::to_string(n) + " shard(s) and a merge");
    return kExitOk;
}

int run(const Options& o, const Context& ctx) {
    std::vector<std::string> sets = o.sets;
    if (o.no_figures) sets.push_back("outputs.figures=false");
    if (o.gwy) sets.push_back("outputs.gwy=true");
    const amfm::SeriesSpec spec = amfm::load_series_spec(o.series_yaml, sets);
    if (o.slurm) return submit(o, ctx, spec.entries.size());
    const amfm::OutputLock lock(o.out_dir);  // one run per folder: a second one is refused, not mixed in
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
    // A shard records itself in shard_status.json (`amfm status`, `amfm merge`).
    const amfm::SeriesRunCounts n = o.shard.empty() ? amfm::run_series(spec, ro)
                                                    : amfm::run_series_shard(spec, ro, amfm::slurm_job_from_environment());
    progress(ctx, std::to_string(n.processed) + " processed, " + std::to_string(n.skipped) + " unchanged (skipped), " +
                      std::to_string(n.failed) + " failed");
    if (ro.shard.count > 1) {
        progress(ctx, "shard written to " + o.out_dir + "; combine the shards with `amfm merge SHARD_DIR... --out DIR`");
        return n.failed ? kExitData : kExitOk;
    }
    const amfm::SeriesOutcome out = amfm::write_series_outputs(spec, o.out_dir, o.self_contained);
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
    auto* slurm = cmd->add_flag("--slurm", o->slurm,
                  "Run the shards as a SLURM job array and merge them in a dependent job: scripts in "
                  "OUT/slurm/, shard folders in OUT/shards/, follow with `amfm status OUT`")
        ->excludes("--shard");
    cmd->add_option("--shards", o->slurm_options.shards, "--slurm: shard count (default: one per 4 scans, at most 64)")
        ->needs(slurm)
        ->check(CLI::PositiveNumber);
    cmd->add_option("--partition", o->slurm_options.partition, "--slurm: sbatch --partition")
        ->needs(slurm);
    cmd->add_option("--time", o->slurm_options.time, "--slurm: sbatch --time per job, e.g. 2:00:00")
        ->needs(slurm);
    cmd->add_option("--mem", o->slurm_options.mem, "--slurm: sbatch --mem per job, e.g. 8G")
        ->needs(slurm);
    cmd->add_option("--cpus-per-task", o->slurm_options.cpus_per_task, "--slurm: sbatch --cpus-per-task")
        ->needs(slurm)
        ->check(CLI::PositiveNumber);
    cmd->add_option("--sbatch-arg", o->slurm_options.sbatch_args,
                    "--slurm: a further sbatch option for both jobs, e.g. --sbatch-arg=--account=lab (repeatable)")
        ->needs(slurm)
        ->allow_extra_args(false);
    cmd->add_flag("--dry-run", o->dry_run, "--slurm: write the job scripts without submitting them")
        ->needs(slurm);
    cmd->add_flag("--no-figures", o->no_figures, "Skip the per-scan figures [outputs.figures=false]");
    cmd->add_flag("--self-contained", o->self_contained,
                  "Embed the figures in report.html (base64) so that the one file can be mailed; by default it "
                  "links the figure files beside it")
        ->excludes(slurm)
        ->excludes("--shard");
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
