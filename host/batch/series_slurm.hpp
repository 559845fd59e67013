// A series on a SLURM cluster: a job array of shards and a merge job that waits for them
// (`amfm series --slurm`), what has become of them (`amfm status`) and resubmitting the shards
// that failed. Only sbatch, squeue and scancel are used: no accounting database (sacct) needed.
//
//   DIR/slurm/series.sbatch     the job array: task i runs `amfm series --shard i/n --out DIR/shards/shard_i`
//   DIR/slurm/merge.sbatch      `amfm merge DIR/shards/shard_* --out DIR`
//   DIR/slurm/jobs.json         the shard count and every submission's job ids
//   DIR/slurm/logs/             shard_<i>.log, merge.log (each job's stdout and stderr)
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "host/batch/series_shards.hpp"

namespace amfm {

struct SlurmOptions {
    int shards = 0;  // 0: default_shard_count
    std::string partition, time, mem;
    int cpus_per_task = 0;                 // 0: the cluster's default
    std::vector<std::string> sbatch_args;  // further sbatch options, e.g. --account=lab (one #SBATCH line each)
};

// What every shard runs: `amfm series` with the same series file and options.
struct SlurmSeriesJob {
    std::string amfm;         // absolute path of the amfm program
    std::string work_dir;     // absolute: where the jobs run, as the submitting command ran
    std::string series_yaml;  // as given (relative to work_dir): the outputs record it as a single run does
    std::string out_dir;      // absolute
    std::vector<std::string> series_args;  // further `amfm series` options (--backend, --set, ...)
};

// Writes DIR/slurm/series.sbatch, merge.sbatch and a jobs.json without submissions; returns
// the shard count used. ConfigError for a shard count below 1 or above the scan count.
int write_slurm_scripts(const SlurmSeriesJob& job, std::size_t n_scans, const SlurmOptions& options);

struct SlurmSubmission {
    std::string array_job, merge_job;
    std::vector<int> shards;
    std::string submitted;  // UTC time
};

// `sbatch --parsable --array=SHARDS series.sbatch`, then the merge with
// `--dependency=afterok:ARRAY[:JOB...]` (`merge_also_waits_for`: jobs of other shards still
// queued); recorded in jobs.json. ConfigError when sbatch is missing or refuses, with its message.
SlurmSubmission submit_slurm_jobs(const std::string& out_dir, const std::vector<int>& shards,
                                  const std::vector<std::string>& merge_also_waits_for = {});

// The SLURM job this process runs in ("<array job>_<task>", else the job id), "" outside SLURM.
std::string slurm_job_from_environment();

struct ShardReport {
    int index = 0;
    std::string state;   // "done" | "failed" | "running" | "pending" | "not submitted" | "not started"
    std::string job;     // the latest job that ran or runs it ("" when none)
    std::string detail;  // the queue's reason, why it failed, ...
    std::optional<ShardStatus> status;  // its shard_status.json
};

struct SeriesJobsReport {
    int shards = 0;
    bool slurm = false;  // DIR/slurm/jobs.json exists
    std::vector<ShardReport> shard;
    std::string merge_job, merge_state, merge_detail;  // merge_state: "done" | "pending" | "running" |
                                                       // "blocked" | "failed" | "unknown" | "" (no job)
    std::string queue_note;  // why squeue could not be asked ("" when it answered)
};

// The shards of DIR (from slurm/jobs.json, else the shard folders) with their state: the status
// file a shard writes, and for SLURM jobs squeue's view of the latest job of each. ConfigError
// when DIR holds no shards.
SeriesJobsReport series_jobs_status(const std::string& out_dir);

// Submits the failed shards again as one array with a new merge (the old merge job, which can
// no longer run, is cancelled). Unchanged scans are skipped by the rerun. ConfigError when DIR
// was not submitted with --slurm or nothing failed.
SlurmSubmission resubmit_failed_shards(const std::string& out_dir, const SeriesJobsReport& report);

}  // namespace amfm
