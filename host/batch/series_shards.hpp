// A series split into shards that run apart (a SLURM job array, GNU parallel) and are merged:
// the folder layout, each shard's status file, and what `amfm status` makes of them.
//
//   DIR/shards/shard_<i>/       `amfm series --shard i/n --out` of shard i (series_manifest.json,
//                               scans/<id>/, shard_status.json)
//   DIR/slurm/                  the job scripts, jobs.json and the logs (series_slurm.hpp)
//   DIR/                        after `amfm merge DIR/shards/shard_* --out DIR`: what a single run writes
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "host/batch/series.hpp"

namespace amfm {

// The default shard count: one shard per 4 scans (a job's queueing and start-up, seconds to
// minutes, stays small against its scans' work), at most 64 (arrays stay below the usual
// MaxArraySize and queue limits), at least 1.
int default_shard_count(std::size_t n_scans);

// DIR/shards/shard_<i>
std::string shard_folder(const std::string& out_dir, int index);

// shard_status.json, written by the shard itself: "running" when it starts, "done" or "failed"
// when it ends. A shard that is killed (time or memory limit, node failure) stays "running".
struct ShardStatus {
    std::string state;  // "running" | "done" | "failed"
    std::string shard;  // "i/n"
    std::string job;    // the SLURM job ("<array job>_<task>"), "" outside SLURM
    std::string host, started, finished;
    std::string error;  // why the whole shard stopped (backend, output folder); "" otherwise
    int n_scans = 0, n_processed = 0, n_skipped = 0, n_failed = 0;
    std::vector<std::pair<std::string, std::string>> failed_scans;  // id, reason
};

void write_shard_status(const std::string& shard_dir, const ShardStatus& status);
std::optional<ShardStatus> read_shard_status(const std::string& shard_dir);  // nullopt when absent

// run_series for one shard, recording it in shard_status.json (`job`: the SLURM job, or "").
// A scan that fails makes the shard "failed" (its scans are listed with their reasons); an
// exception does too, and is rethrown.
SeriesRunCounts run_series_shard(const SeriesSpec& spec, const SeriesRunOptions& options, const std::string& job);

}  // namespace amfm
