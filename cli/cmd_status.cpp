// amfm status DIR: what has become of a series run in shards (`series --slurm`, or shards run
// by hand under DIR/shards/): per shard done / pending / running / failed with the failed scans
// and why, the merge job, and with --resubmit-failed a new array of the failed shards and a new merge.
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>

#include "command.hpp"
#include "host/batch/series_slurm.hpp"

namespace amfm_cli {
namespace {

struct Options {
    std::string out_dir;
    bool resubmit_failed = false, wait = false;
};

bool in_flight(const amfm::SeriesJobsReport& r) {
    for (const auto& s : r.shard)
        if (s.state == "pending" || s.state == "running") return true;
    return r.merge_state == "pending" || r.merge_state == "running";
}

void print_report(const amfm::SeriesJobsReport& r, const std::string& dir) {
    int failed = 0;
    std::printf("%s: %d shard(s)%s\n", dir.c_str(), r.shards, r.slurm ? " on SLURM" : "");
    for (const auto& s : r.shard) {
        failed += s.state == "failed";
        std::string line = "shard " + std::to_string(s.index) + "/" + std::to_string(r.shards);
        line.resize(12, ' ');
        line += s.state;
        line.resize(26, ' ');
        if (!s.job.empty()) line += "job " + s.job + "  ";
        if (s.status && s.state != "pending" && (s.state != "failed" || s.detail.empty()))
            line += std::to_string(s.status->n_scans) + " scan(s): " + std::to_string(s.status->n_processed) +
                    " processed, " + std::to_string(s.status->n_skipped) + " unchanged, " +
                    std::to_string(s.status->n_failed) + " failed";
        if (!s.detail.empty()) line += (s.state == "pending" ? "(" + s.detail + ")" : s.detail);
        std::printf("%s\n", line.c_str());
        if (s.state == "failed" && s.status)
            for (const auto& [id, reason] : s.status->failed_scans) std::printf("    %s: %s\n", id.c_str(), reason.c_str());
    }
    if (!r.merge_job.empty())
        std::printf("merge       %-13s job %s  %s\n", r.merge_state.c_str(), r.merge_job.c_str(), r.merge_detail.c_str());
    if (!r.queue_note.empty()) std::printf("note: %s\n", r.queue_note.c_str());
    if (failed && r.slurm)
        std::printf("%d shard(s) failed: fix what is listed (logs in %s/slurm/logs/), then `amfm status %s "
                    "--resubmit-failed` (unchanged scans are skipped)\n", failed, dir.c_str(), dir.c_str());
    else if (r.merge_state == "done")
        std::printf("merged: %s/report.html\n", dir.c_str());
}

int run(const Options& o, const Context& ctx) {
    amfm::SeriesJobsReport r = amfm::series_jobs_status(o.out_dir);
    for (int waited_s = 0; o.wait && in_flight(r); waited_s += 2) {
        if (waited_s % 60 == 0) progress(ctx, "waiting for the jobs of " + o.out_dir);
        std::this_thread::sleep_for(std::chrono::seconds(2));
        r = amfm::series_jobs_status(o.out_dir);
    }
    print_report(r, o.out_dir);
    if (o.resubmit_failed) {
        const amfm::SlurmSubmission sub = amfm::resubmit_failed_shards(o.out_dir, r);
        std::string shards;
        for (int i : sub.shards) shards += (shards.empty() ? "" : ",") + std::to_string(i);
        const bool cancelled = r.merge_state == "blocked" || r.merge_state == "pending";
        std::printf("resubmitted: shard(s) %s as job array %s, merge as job %s%s\n", shards.c_str(),
                    sub.array_job.c_str(), sub.merge_job.c_str(),
                    cancelled ? (" (the old merge, job " + r.merge_job + ", cancelled)").c_str() : "");
        return kExitOk;
    }
    for (const auto& s : r.shard)
        if (s.state == "failed") return kExitData;
    return r.merge_state == "failed" ? kExitData : kExitOk;
}

}  // namespace

Runner add_status_command(CLI::App& app) {
    auto o = std::make_shared<Options>();
    auto* cmd = app.add_subcommand("status", "Shards of a series run (`series --slurm`, or DIR/shards/): done, "
                                             "pending, running or failed, failed scans and why; resubmit");
    cmd->add_option("dir", o->out_dir, "The --out folder of `amfm series --slurm`")->required()->check(CLI::ExistingDirectory);
    cmd->add_flag("--resubmit-failed", o->resubmit_failed,
                  "Submit the failed shards again as one job array, with a new merge job (SLURM)");
    cmd->add_flag("--wait", o->wait, "Wait until no shard or merge job is pending or running, then report");
    return [o](const Context& ctx) { return run(*o, ctx); };
}

}  // namespace amfm_cli
