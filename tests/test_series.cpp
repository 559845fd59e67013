// amfm series: the series file, shards, the sample series against its ground truth, a broken
// scan in the middle, reruns that skip unchanged scans, shard merges equal to a single run, and
// the report.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include <sys/wait.h>

#include "amfm/host/series.hpp"
#include "amfm/host/simulate.hpp"
#include "amfm/kernels/error.hpp"
#include "test_util.hpp"

namespace {

namespace fs = std::filesystem;
using amfm_test::TempDir;
using nlohmann::json;

std::string read_text(const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}

void write_text(const fs::path& p, const std::string& text) {
    std::ofstream f(p, std::ios::binary);
    f << text;
}

// Small simulated scans (96 x 96 px) of the paper's cycles, and a series file listing them.
void write_small_series(const fs::path& dir, const std::vector<int>& cycles) {
    std::string yaml = "name: small test series\nsettings: {histogram: {bins: 40}}\nscans:\n";
    for (std::size_t i = 0; i < cycles.size(); ++i) {
        amfm::SimulationSpec spec;
        spec.nx = spec.ny = 96;
        spec.cycle = cycles[i];
        spec.seed = 100 + i;
        spec.regions = amfm::paper_region_truths(cycles[i]);
        const std::string name = "scan_" + std::to_string(i);
        amfm::write_simulated_scan(amfm::simulate_scan(spec), (dir / name).string());
        yaml += "  - {scan: " + name + ", cycle: " + std::to_string(cycles[i]) + ", notes: \"test " +
                std::to_string(i) + "\"}\n";
    }
    write_text(dir / "series.yaml", yaml);
}

amfm::SeriesRunOptions quiet_options(const fs::path& out, bool figures = false) {
    amfm::SeriesRunOptions o;
    o.out_dir = out.string();
    o.backend = "cpu";
    o.figures = figures;
    o.run = amfm::RunInfo{"test", "test"};
    return o;
}

TEST(SeriesSpec, ParsesEntriesIdsAndOverrides) {
    const amfm::SeriesSpec s = amfm::parse_series_spec(
        "name: demo\nsettings: {tip: {radius: 9.0e-9}, histogram.bins: 50}\n"
        "scans:\n  - {scan: a/scan.yaml, cycle: 0, sample: S, notes: first}\n"
        "  - {scan: b.yaml, cycle: 5, settings: {histogram.bins: 60}}\n  - {scan: c, cycle: 30, id: \"x y\"}\n",
        "base", "series.yaml", {"processing.level=plane"});
    ASSERT_EQ(s.entries.size(), 3u);
    EXPECT_EQ(s.name, "demo");
    EXPECT_EQ(s.entries[0].id, "a");
    EXPECT_EQ(s.entries[1].id, "b");
    EXPECT_EQ(s.entries[2].id, "x_y");
    EXPECT_EQ(s.entries[0].sample, "S");
    EXPECT_EQ(s.entries[0].notes, "first");
    EXPECT_EQ(s.entries[1].cycle, 5);
    EXPECT_EQ(fs::path(s.entries[0].scan_path), fs::path("base/a/scan.yaml"));
    // Series settings, then the command line's, then the scan's own (last one wins).
    const std::vector<std::string> expect = {"tip.radius=9.0e-9", "histogram.bins=50", "processing.level=plane",
                                             "histogram.bins=60"};
    EXPECT_EQ(s.entries[1].overrides, expect);
}

TEST(SeriesSpec, RejectsBadEntriesNamingThem) {
    auto parse = [](const std::string& y) { return amfm::parse_series_spec(y, ".", "s.yaml"); };
    EXPECT_THROW(parse("scans: []\n"), amfm::ConfigError);
    EXPECT_THROW(parse("scans:\n  - {scan: a.yaml}\n"), amfm::ConfigError);               // no cycle
    EXPECT_THROW(parse("scans:\n  - {scan: a.yaml, cycle: -1}\n"), amfm::ConfigError);
    EXPECT_THROW(parse("scans:\n  - {scan: a.yaml, cycle: 1, colour: red}\n"), amfm::ConfigError);
    EXPECT_THROW(parse("scanz: []\n"), amfm::ConfigError);
    try {
        parse("scans:\n  - {scan: x/a.yaml, cycle: 1}\n  - {scan: y/a.yaml, cycle: 2}\n");
        FAIL() << "duplicate id accepted";
    } catch (const amfm::ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("scans[1]"), std::string::npos) << e.what();
    }
}

TEST(SeriesShard, ParsesAndPartitionsEveryEntryOnce) {
    EXPECT_THROW(amfm::parse_shard("3/3"), amfm::ConfigError);
    EXPECT_THROW(amfm::parse_shard("1"), amfm::ConfigError);
    EXPECT_THROW(amfm::parse_shard("1/2x"), amfm::ConfigError);
    const amfm::Shard s = amfm::parse_shard("2/3");
    EXPECT_EQ(s.index, 2);
    EXPECT_EQ(s.count, 3);
    for (std::size_t k = 0; k < 20; ++k) {
        int owners = 0;
        for (int i = 0; i < 3; ++i) owners += amfm::shard_contains({i, 3}, k);
        EXPECT_EQ(owners, 1);
    }
}

// The bundled series reproduces the simulator's truth. Tolerances: class pixel mean within
// 3 % and SD within 10 % (pixels over the 45 deg cutoff are masked, so the valid set is a
// little smaller than the labelled one); each facet's Gaussian centre within 5 % + 0.05 GPa.
TEST(SeriesSample, ReproducesGroundTruthTable) {
    TempDir tmp;
    const fs::path series = amfm_test::source_dir() / "sample_maps" / "series.yaml";
    const amfm::SeriesSpec spec = amfm::load_series_spec(series.string());
    ASSERT_EQ(spec.entries.size(), 5u);
    const auto counts = amfm::run_series(spec, quiet_options(tmp.path() / "out", true));
    EXPECT_EQ(counts.processed, 5);
    const auto outcome = amfm::write_series_outputs(spec, (tmp.path() / "out").string());
    EXPECT_EQ(outcome.n_ok, 5);

    const json doc = json::parse(read_text(tmp.path() / "out" / "series.json"));
    std::map<std::pair<int, std::string>, json> table1;
    for (const auto& row : doc.at("table1")) table1[{row.at("cycle"), row.at("class")}] = row;
    for (const auto& e : spec.entries) {
        const json truth = json::parse(read_text(fs::path(e.scan_path).parent_path() / "truth.json"));
        for (const auto& [cls, t] : truth.at("classes").items()) {
            SCOPED_TRACE(e.id + " " + cls);
            ASSERT_TRUE(table1.count({e.cycle, cls}));
            const json& row = table1[{e.cycle, cls}];
            EXPECT_NEAR(row.at("mean_gpa").get<double>(), t.at("true_mean_gpa").get<double>(),
                        0.03 * t.at("true_mean_gpa").get<double>());
            EXPECT_NEAR(row.at("sd_gpa").get<double>(), t.at("true_sd_gpa").get<double>(),
                        0.10 * t.at("true_sd_gpa").get<double>());
            EXPECT_GT(row.at("n_valid").get<long long>(), 0.9 * t.at("labelled_pixels").get<double>());
        }
        for (const auto& r : truth.at("regions")) {
            SCOPED_TRACE(e.id + " region " + r.at("name").get<std::string>());
            bool found = false;
            for (const auto& reg : doc.at("regions"))
                if (reg.at("scan") == e.id && reg.at("label") == r.at("label")) {
                    found = true;
                    const double c = r.at("center_gpa");
                    EXPECT_NEAR(reg.at("center_gpa").get<double>(), c, 0.05 * c + 0.05);
                }
            EXPECT_TRUE(found);
        }
    }
    // Comparisons: 4 steps per class (5 cycles), one gap per cycle.
    EXPECT_EQ(doc.at("cycle_steps").size(), 8u);
    EXPECT_EQ(doc.at("class_gaps").size(), 5u);
    for (const auto& s : doc.at("cycle_steps")) {
        const double lo = s.at("ci95_gpa")[0], hi = s.at("ci95_gpa")[1], d = s.at("diff_gpa");
        EXPECT_LE(lo, d);
        EXPECT_GE(hi, d);
        EXPECT_GE(s.at("ks").at("d").get<double>(), 0.0);
    }

    // The report holds every scan, every series figure and each scan's own figures, embedded.
    const std::string html = read_text(tmp.path() / "out" / "report.html");
    for (const auto& e : spec.entries) {
        EXPECT_NE(html.find("id=\"scan-" + e.id + "\""), std::string::npos) << e.id;
        EXPECT_NE(html.find("scans/" + e.id + "/fig_modulus.png"), std::string::npos) << e.id;
        EXPECT_NE(html.find("scans/" + e.id + "/fig_histograms.png"), std::string::npos) << e.id;
    }
    for (const char* f : {"fig_modulus_vs_cycle.png", "fig_hist_LNMO.png", "fig_hist_b_c.png"}) {
        EXPECT_TRUE(fs::is_regular_file(tmp.path() / "out" / f)) << f;
        EXPECT_NE(html.find(std::string("alt=\"") + f + "\""), std::string::npos) << f;
    }
    EXPECT_EQ(html.find("src=\"fig_"), std::string::npos);  // nothing refers to a file outside
    std::size_t images = 0;
    for (auto p = html.find("data:image/png;base64,"); p != std::string::npos; p = html.find("data:image/png;base64,", p + 1))
        ++images;
    EXPECT_EQ(images, 3u + 2u * 5u);
}

// A corrupt scan in the middle is reported with its reason; the others are processed; the CLI
// exits with the data error code; a rerun skips what is unchanged and retries the broken one.
TEST(SeriesRun, BrokenScanInTheMiddleDoesNotStopTheOthers) {
    TempDir tmp;
    write_small_series(tmp.path(), {0, 30, 200});
    write_text(tmp.path() / "scan_1" / "height.tif", "this is not a TIFF file");
    const fs::path out = tmp.path() / "out";
    const std::string cmd = std::string(AMFM_CLI_PATH) + " series " + (tmp.path() / "series.yaml").string() +
                            " --out " + out.string() + " --backend cpu --no-figures 2>" +
                            (tmp.path() / "stderr.txt").string();
    const int rc = std::system(cmd.c_str());
    ASSERT_TRUE(WIFEXITED(rc));
    EXPECT_EQ(WEXITSTATUS(rc), 3);
    const std::string err = read_text(tmp.path() / "stderr.txt");
    EXPECT_NE(err.find("[2/3] scan_1 cycle 30: failed"), std::string::npos) << err;
    EXPECT_NE(err.find("[3/3] scan_2 cycle 200: processed"), std::string::npos) << err;
    EXPECT_NE(err.find("scans/s, ETA"), std::string::npos) << err;

    const json doc = json::parse(read_text(out / "series.json"));
    ASSERT_EQ(doc.at("scans").size(), 3u);
    EXPECT_EQ(doc.at("scans")[0].at("status"), "ok");
    EXPECT_EQ(doc.at("scans")[1].at("status"), "failed");
    EXPECT_NE(doc.at("scans")[1].at("reason").get<std::string>().find("height.tif"), std::string::npos);
    EXPECT_EQ(doc.at("scans")[2].at("status"), "ok");
    EXPECT_TRUE(fs::is_regular_file(out / "scans" / "scan_0" / "regions.csv"));
    EXPECT_TRUE(fs::is_regular_file(out / "scans" / "scan_2" / "regions.csv"));
    EXPECT_FALSE(fs::exists(out / "scans" / "scan_1" / "regions.csv"));
    EXPECT_NE(read_text(out / "report.html").find("failed: "), std::string::npos);

    // Rerun: the two good scans are skipped by content hash, the broken one is tried again.
    const amfm::SeriesSpec spec = amfm::load_series_spec((tmp.path() / "series.yaml").string());
    auto counts = amfm::run_series(spec, quiet_options(out));
    EXPECT_EQ(counts.skipped, 2);
    EXPECT_EQ(counts.failed, 1);
    // A changed setting or changed input bytes reprocess that scan only.
    const amfm::SeriesSpec changed = amfm::load_series_spec((tmp.path() / "series.yaml").string(), {"histogram.bins=30"});
    counts = amfm::run_series(changed, quiet_options(out));
    EXPECT_EQ(counts.processed, 2);
    amfm::SimulationSpec sim;
    sim.nx = sim.ny = 96;
    sim.cycle = 30;
    sim.seed = 999;
    sim.regions = amfm::paper_region_truths(30);
    amfm::write_simulated_scan(amfm::simulate_scan(sim), (tmp.path() / "scan_1").string());
    counts = amfm::run_series(changed, quiet_options(out));
    EXPECT_EQ(counts.processed, 1);
    EXPECT_EQ(counts.skipped, 2);
    EXPECT_EQ(counts.failed, 0);
}

// Shards merged equal a single run, byte for byte in every table (and in the report).
TEST(SeriesMerge, ShardsMergeToTheSingleRunBytes) {
    TempDir tmp;
    write_small_series(tmp.path(), {0, 5, 30, 60, 200});
    write_text(tmp.path() / "scan_3" / "df2.tif", "corrupt");
    const amfm::SeriesSpec spec = amfm::load_series_spec((tmp.path() / "series.yaml").string());
    const fs::path single = tmp.path() / "single";
    amfm::run_series(spec, quiet_options(single));
    const auto single_outcome = amfm::write_series_outputs(spec, single.string());
    EXPECT_EQ(single_outcome.n_ok, 4);
    EXPECT_EQ(single_outcome.n_failed, 1);

    std::vector<std::string> shard_dirs;
    for (int i = 0; i < 3; ++i) {
        auto o = quiet_options(tmp.path() / ("shard" + std::to_string(i)));
        o.shard = {i, 3};
        const auto c = amfm::run_series(spec, o);
        EXPECT_EQ(c.selected, i < 2 ? 2 : 1);
        shard_dirs.push_back(o.out_dir);
    }
    // Missing shard: reported, not silently dropped.
    const auto partial = amfm::merge_series({shard_dirs[0], shard_dirs[1]}, (tmp.path() / "partial").string());
    EXPECT_EQ(partial.n_missing, 1);

    const fs::path merged = tmp.path() / "merged";
    const auto outcome = amfm::merge_series(shard_dirs, merged.string());
    EXPECT_EQ(outcome.n_ok, 4);
    EXPECT_EQ(outcome.n_failed, 1);
    for (const char* f : {"series.csv", "series_comparisons.csv", "series.json", "series_manifest.json",
                          "report.html", "fig_modulus_vs_cycle.png"}) {
        SCOPED_TRACE(f);
        const std::string a = read_text(single / f), b = read_text(merged / f);
        EXPECT_FALSE(a.empty());
        EXPECT_TRUE(a == b);
    }
    // Shards of another series are refused.
    write_text(tmp.path() / "other.yaml", "scans:\n  - {scan: scan_0, cycle: 0}\n");
    const amfm::SeriesSpec other = amfm::load_series_spec((tmp.path() / "other.yaml").string());
    amfm::run_series(other, quiet_options(tmp.path() / "other"));
    EXPECT_THROW(amfm::merge_series({shard_dirs[0], (tmp.path() / "other").string()}, (tmp.path() / "x").string()),
                 amfm::ConfigError);
}

}  // namespace
