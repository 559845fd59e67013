// Shards of a series: their folders, shard_status.json, and a shard run that records itself.
#include "host/batch/series_shards.hpp"

#include <unistd.h>

#include <algorithm>
#include <exception>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "amfm/kernels/error.hpp"
#include "host/model/file_io.hpp"
#include "host/model/table_format.hpp"
#include "host/model/text.hpp"

namespace amfm {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kShardStatusFile = "shard_status.json";

std::string host_name() {
    char buf[256] = {};
    return gethostname(buf, sizeof buf - 1) == 0 ? std::string(buf) : std::string();
}

}  // namespace

int default_shard_count(std::size_t n_scans) {
    return (int)std::clamp<std::size_t>((n_scans + 3) / 4, 1, 64);
}

std::string shard_folder(const std::string& out_dir, int index) {
    return (fs::path(out_dir) / "shards" / ("shard_" + std::to_string(index))).string();
}

void write_shard_status(const std::string& shard_dir, const ShardStatus& s) {
    json failed = json::array();
    for (const auto& [id, reason] : s.failed_scans) failed.push_back({{"id", id}, {"reason", reason}});
    const json j = {{"format", "amfm shard status"}, {"format_version", 1}, {"state", s.state},
                    {"shard", s.shard},   {"job", s.job},  {"host", s.host},
                    {"started", s.started}, {"finished", s.finished}, {"error", s.error},
                    {"scans", s.n_scans}, {"processed", s.n_processed}, {"skipped", s.n_skipped},
                    {"failed", s.n_failed}, {"failed_scans", failed}};
    fs::create_directories(shard_dir);
    write_file_atomic(fs::path(shard_dir) / kShardStatusFile, json_text(j, 2) + "\n");
}

std::optional<ShardStatus> read_shard_status(const std::string& shard_dir) {
    const fs::path path = fs::path(shard_dir) / kShardStatusFile;
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) return std::nullopt;
    try {
        const json j = json::parse(read_file(path));
        ShardStatus s;
        s.state = j.at("state");
        s.shard = j.at("shard");
        s.job = j.at("job");
        s.host = j.at("host");
        s.started = j.at("started");
        s.finished = j.at("finished");
        s.error = j.at("error");
        s.n_scans = j.at("scans");
        s.n_processed = j.at("processed");
        s.n_skipped = j.at("skipped");
        s.n_failed = j.at("failed");
        for (const auto& f : j.at("failed_scans")) s.failed_scans.emplace_back(f.at("id"), f.at("reason"));
        return s;
    } catch (const json::exception& e) {
        throw DataError(path.string() + ": not a shard status file (" + e.what() + ")");
    }
}

SeriesRunCounts run_series_shard(const SeriesSpec& spec, const SeriesRunOptions& options, const std::string& job) {
    ShardStatus s;
    s.state = "running";
    s.shard = std::to_string(options.shard.index) + "/" + std::to_string(options.shard.count);
    s.job = job;
    s.host = host_name();
    s.started = utc_now_iso();
    for (std::size_t k = 0; k < spec.entries.size(); ++k) s.n_scans += shard_contains(options.shard, k);
    write_shard_status(options.out_dir, s);
    try {
        const SeriesRunCounts n = run_series(spec, options);
        s.state = n.failed ? "failed" : "done";
        s.n_processed = n.processed;
        s.n_skipped = n.skipped;
        s.n_failed = n.failed;
        s.failed_scans = n.failures;
        s.finished = utc_now_iso();
        write_shard_status(options.out_dir, s);
        return n;
    } catch (const std::exception& e) {
        s.state = "failed";
        s.error = e.what();
        s.finished = utc_now_iso();
        write_shard_status(options.out_dir, s);
        throw;
    }
}

}  // namespace amfm
