// Shards of a series apart from a scheduler: the default count, shard_status.json, the SLURM job
// scripts as written (--dry-run), and `amfm status` from the status files alone. The real
// scheduler runs in tests/test_slurm.sh.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "amfm/kernels/error.hpp"
#include "host/batch/series_shards.hpp"
#include "host/batch/series_slurm.hpp"
#include "test_util.hpp"

namespace {

namespace fs = std::filesystem;
using amfm_test::TempDir;

std::string read_text(const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}

amfm::ShardStatus status_of(const std::string& state, const std::string& shard) {
    amfm::ShardStatus s;
    s.state = state;
    s.shard = shard;
    return s;
}

TEST(SlurmShards, DefaultCountIsOnePerFourScansUpTo64) {
    EXPECT_EQ(amfm::default_shard_count(0), 1);
    EXPECT_EQ(amfm::default_shard_count(1), 1);
    EXPECT_EQ(amfm::default_shard_count(4), 1);
    EXPECT_EQ(amfm::default_shard_count(5), 2);
    EXPECT_EQ(amfm::default_shard_count(256), 64);
    EXPECT_EQ(amfm::default_shard_count(257), 64);
    EXPECT_EQ(amfm::default_shard_count(100000), 64);
}

TEST(SlurmShards, StatusFileRoundTrips) {
    TempDir tmp;
    EXPECT_FALSE(amfm::read_shard_status(tmp.path().string()));
    amfm::ShardStatus s = status_of("failed", "2/3");
    s.job = "41_2";
    s.host = "node7";
    s.n_scans = 3;
    s.n_processed = 1;
    s.n_skipped = 1;
    s.n_failed = 1;
    s.failed_scans = {{"c030", "df2.tif: cannot open as TIFF"}};
    amfm::write_shard_status(tmp.path().string(), s);
    const auto r = amfm::read_shard_status(tmp.path().string());
    ASSERT_TRUE(r);
    EXPECT_EQ(r->state, "failed");
    EXPECT_EQ(r->job, "41_2");
    EXPECT_EQ(r->host, "node7");
    EXPECT_EQ(r->n_scans, 3);
    EXPECT_EQ(r->n_skipped, 1);
    ASSERT_EQ(r->failed_scans.size(), 1u);
    EXPECT_EQ(r->failed_scans[0].second, "df2.tif: cannot open as TIFF");
    std::ofstream(tmp.path() / "shard_status.json") << "{\"state\": 1}";
    amfm_test::expect_error<amfm::DataError>([&] { amfm::read_shard_status(tmp.path().string()); },
                                             {"shard_status.json", "not a shard status file"});
}

TEST(SlurmScripts, ArrayAndMergeScriptsAsWritten) {
    TempDir tmp;
    amfm::SlurmSeriesJob job{"/opt/amfm/bin/amfm", "/data", "my series.yaml", tmp.path().string(),
                             {"--set", "tip.radius=9e-9", "--no-figures"}};
    amfm::SlurmOptions o;
    o.partition = "short";
    o.time = "1:00:00";
    o.mem = "4G";
    o.cpus_per_task = 8;
    o.sbatch_args = {"--account=lab"};
    EXPECT_EQ(amfm::write_slurm_scripts(job, 9, o), 3);  // default: ceil(9 / 4)
    const std::string array = read_text(tmp.path() / "slurm" / "series.sbatch");
    const std::string dir = tmp.path().string();
    for (const std::string& line : std::vector<std::string>{
             "#SBATCH --array=0-2\n", "#SBATCH --output=" + dir + "/slurm/logs/shard_%a.log\n",
          "#SBATCH --partition=short\n#SBATCH --time=1:00:00\n#SBATCH --mem=4G\n#SBATCH --cpus-per-task=8\n"
          "#SBATCH --account=lab\ncd /data\n",
          "exec /opt/amfm/bin/amfm series 'my series.yaml' --out " + dir +
              "/shards/shard_${SLURM_ARRAY_TASK_ID} --shard ${SLURM_ARRAY_TASK_ID}/3 --set tip.radius=9e-9 "
              "--no-figures\n"})
        EXPECT_NE(array.find(line), std::string::npos) << line << " not in:\n" << array;
    const std::string merge = read_text(tmp.path() / "slurm" / "merge.sbatch");
    EXPECT_NE(merge.find("exec /opt/amfm/bin/amfm merge " + dir + "/shards/shard_0 " + dir + "/shards/shard_1 " + dir +
                         "/shards/shard_2 --out " + dir + "\n"),
              std::string::npos)
        << merge;
    EXPECT_EQ(merge.find("--array"), std::string::npos);
    const auto jobs = nlohmann::json::parse(read_text(tmp.path() / "slurm" / "jobs.json"));
    EXPECT_EQ(jobs.at("shards"), 3);
    EXPECT_TRUE(jobs.at("submissions").empty());
    // Not submitted yet: every shard says so.
    const amfm::SeriesJobsReport r = amfm::series_jobs_status(dir);
    ASSERT_EQ(r.shard.size(), 3u);
    EXPECT_EQ(r.shard[1].state, "not submitted");
    EXPECT_TRUE(r.merge_job.empty());
    o.shards = 10;
    amfm_test::expect_error<amfm::ConfigError>([&] { amfm::write_slurm_scripts(job, 9, o); }, {"--shards 10", "1..9"});
}

// Shards run by hand (GNU parallel): their states come from the status files alone.
TEST(SlurmShards, StatusWithoutSchedulerReadsTheStatusFiles) {
    TempDir tmp;
    const std::string dir = tmp.path().string();
    amfm_test::expect_error<amfm::ConfigError>([&] { amfm::series_jobs_status(dir); }, {"no shards"});
    fs::create_directories(amfm::shard_folder(dir, 0));
    std::ofstream(fs::path(amfm::shard_folder(dir, 0)) / "series_manifest.json")
        << R"({"series_file": "s.yaml", "name": "n", "entries": [], "shard": "0/3"})";
    const amfm::ShardStatus done = status_of("done", "0/3");
    amfm::ShardStatus failed = status_of("failed", "1/3");
    failed.failed_scans = {{"b", "why"}};
    amfm::write_shard_status(amfm::shard_folder(dir, 0), done);
    amfm::write_shard_status(amfm::shard_folder(dir, 1), failed);
    const amfm::SeriesJobsReport r = amfm::series_jobs_status(dir);
    EXPECT_FALSE(r.slurm);
    ASSERT_EQ(r.shards, 3);
    EXPECT_EQ(r.shard[0].state, "done");
    EXPECT_EQ(r.shard[1].state, "failed");
    EXPECT_EQ(r.shard[1].status->failed_scans.at(0).first, "b");
    EXPECT_EQ(r.shard[2].state, "not started");
    amfm_test::expect_error<amfm::ConfigError>([&] { amfm::resubmit_failed_shards(dir, r); }, {"no slurm/jobs.json"});
}

}  // namespace
