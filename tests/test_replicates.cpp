// Replicate scans in a series: Table 1's three kinds of values, Fig. 3a's error bars and the
// Welch test between cycles on the scans' means, checked against a hand computation.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "amfm/kernels/error.hpp"
#include "host/batch/series.hpp"
#include "host/method/stats_tests.hpp"
#include "host/sim/simulate.hpp"
#include "test_util.hpp"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

json read_json(const fs::path& p) {
    std::ifstream f(p);
    return json::parse(f);
}

// Three scans per cycle (0 and 200), simulated with different seeds; `extra` adds top-level keys.
amfm::SeriesSpec write_replicate_series(const fs::path& dir, const std::string& extra) {
    std::string yaml = extra + "settings: {histogram: {bins: 40}, outputs: {figures: false, maps: false}}\nscans:\n";
    int k = 0;
    for (int cycle : {0, 200})
        for (int replicate = 0; replicate < 3; ++replicate, ++k) {
            amfm::SimulationSpec spec;
            spec.nx = spec.ny = 96;
            spec.cycle = cycle;
            spec.seed = 300 + k;
            spec.regions = amfm::paper_region_truths(cycle);
            const std::string name = "scan_" + std::to_string(k);
            amfm::write_simulated_scan(amfm::simulate_scan(spec), (dir / name).string());
            yaml += "  - {scan: " + name + ", cycle: " + std::to_string(cycle) + "}\n";
        }
    std::ofstream(dir / "series.yaml") << yaml;
    return amfm::load_series_spec((dir / "series.yaml").string());
}

json run(const amfm::SeriesSpec& spec, const fs::path& out) {
    amfm::SeriesRunOptions o;
    o.out_dir = out.string();
    o.backend = "cpu";
    o.run = amfm::RunInfo{"test", "test"};
    EXPECT_EQ(amfm::run_series(spec, o).processed, 6);
    amfm::write_series_outputs(spec, out.string());
    return read_json(out / "series.json");
}

// Each scan's class mean (series_entry.json), by cycle and class: the replicate values.
std::map<std::pair<int, std::string>, std::vector<double>> scan_means(const amfm::SeriesSpec& spec, const fs::path& out) {
    std::map<std::pair<int, std::string>, std::vector<double>> m;
    for (const auto& e : spec.entries) {
        const json j = read_json(out / "scans" / e.id / "series_entry.json");
        for (const auto& c : j.at("classes")) m[{e.cycle, c.at("class")}].push_back(c.at("mean_gpa").get<double>());
    }
    return m;
}

double sample_sd(const std::vector<double>& v) {
    double mean = 0.0, ss = 0.0;
    for (double x : v) mean += x / (double)v.size();
    for (double x : v) ss += (x - mean) * (x - mean);
    return std::sqrt(ss / (double)(v.size() - 1));
}

}  // namespace

TEST(Replicates, TableFigureAndWelchUseTheScansAsReplicates) {
    amfm_test::TempDir tmp;
    const amfm::SeriesSpec spec = write_replicate_series(tmp.path(), "");
    EXPECT_EQ(spec.error_bars, amfm::ErrorBars::Auto);
    const json doc = run(spec, tmp.path() / "out");
    const auto means = scan_means(spec, tmp.path() / "out");

    ASSERT_EQ(doc.at("table1").size(), 4u);  // 2 cycles x 2 classes
    for (const auto& row : doc.at("table1")) {
        const std::vector<double>& v = means.at({row.at("cycle"), row.at("class")});
        ASSERT_EQ(v.size(), 3u);
        EXPECT_EQ(row.at("n_scans").get<int>(), 3);
        EXPECT_NEAR(row.at("scan_mean_gpa").get<double>(), (v[0] + v[1] + v[2]) / 3.0, 1e-9);
        EXPECT_NEAR(row.at("scan_sd_gpa").get<double>(), sample_sd(v), 1e-9);
        EXPECT_NEAR(row.at("scan_sem_gpa").get<double>(), sample_sd(v) / std::sqrt(3.0), 1e-9);
        EXPECT_GE(row.at("n_facets").get<int>(), 3);  // the ok regions of three scans
    }
    // Fig. 3a: auto means across scans here, N = 3 on every point.
    EXPECT_EQ(doc.at("fig3a").at("error_bars"), "scans");
    ASSERT_EQ(doc.at("fig3a").at("points").size(), 4u);
    for (const auto& p : doc.at("fig3a").at("points")) {
        EXPECT_EQ(p.at("n").get<int>(), 3);
        EXPECT_NEAR(p.at("sd_gpa").get<double>(), sample_sd(means.at({p.at("cycle"), p.at("class")})), 1e-9);
    }
    // Welch between cycles on the three scan means each, by hand.
    ASSERT_EQ(doc.at("cycle_steps").size(), 2u);
    for (const auto& s : doc.at("cycle_steps")) {
        SCOPED_TRACE(s.at("class").get<std::string>());
        EXPECT_EQ(s.at("level"), "scans");
        EXPECT_EQ(s.at("n_a").get<int>(), 3);
        EXPECT_EQ(s.at("n_b").get<int>(), 3);
        const std::vector<double>& a = means.at({0, s.at("class")});
        const std::vector<double>& b = means.at({200, s.at("class")});
        const double ma = (a[0] + a[1] + a[2]) / 3.0, mb = (b[0] + b[1] + b[2]) / 3.0;
        const double va = sample_sd(a) * sample_sd(a) / 3.0, vb = sample_sd(b) * sample_sd(b) / 3.0;
        const double t = (mb - ma) / std::sqrt(va + vb);
        const double df = (va + vb) * (va + vb) / (va * va / 2.0 + vb * vb / 2.0);
        EXPECT_NEAR(s.at("diff_gpa").get<double>(), mb - ma, 1e-9);
        EXPECT_NEAR(s.at("welch").at("t").get<double>(), t, 1e-9 * std::fabs(t));
        EXPECT_NEAR(s.at("welch").at("df").get<double>(), df, 1e-9 * df);
        EXPECT_NEAR(s.at("welch").at("p").get<double>(), 2.0 * (1.0 - amfm::student_t_cdf(std::fabs(t), df)), 1e-9);
        const double half = amfm::student_t_quantile(0.975, df) * std::sqrt(va + vb);
        EXPECT_NEAR(s.at("ci95_gpa")[0].get<double>(), mb - ma - half, 1e-9);
        // The pooled-pixel test is kept beside it, labelled, on every valid pixel.
        for (const auto& row : doc.at("table1"))
            if (row.at("cycle") == 0 && row.at("class") == s.at("class"))
                EXPECT_EQ(s.at("pixels").at("n_a"), row.at("n_valid"));
    }
}

TEST(Replicates, ErrorBarsFromTheSeriesFile) {
    amfm_test::TempDir tmp;
    const amfm::SeriesSpec spec = write_replicate_series(tmp.path(), "error_bars: facets\n");
    EXPECT_EQ(spec.error_bars, amfm::ErrorBars::Facets);
    const json doc = run(spec, tmp.path() / "out");
    EXPECT_EQ(doc.at("fig3a").at("error_bars"), "facets");
    std::map<std::pair<int, std::string>, json> table1;
    for (const auto& row : doc.at("table1")) table1[{row.at("cycle"), row.at("class")}] = row;
    for (const auto& p : doc.at("fig3a").at("points")) {
        const json& row = table1.at({p.at("cycle"), p.at("class")});
        EXPECT_EQ(p.at("n"), row.at("n_facets"));
        EXPECT_EQ(p.at("sd_gpa"), row.at("facet_sd_gpa"));
    }
    // The manifest keeps it, so a merge draws the same figure.
    EXPECT_EQ(amfm::read_series_manifest((tmp.path() / "out").string()).error_bars, amfm::ErrorBars::Facets);
    amfm_test::expect_error<amfm::ConfigError>(
        [&] { amfm::parse_series_spec("error_bars: sem\nscans: [{scan: a.yaml, cycle: 0}]\n", tmp.path().string(), "s.yaml"); },
        {"s.yaml: error_bars", "'sem'", "auto, scans, facets, pixels"});
}
