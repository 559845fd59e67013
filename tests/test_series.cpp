// amfm series: the series file, shards, the sample series against its ground truth, a broken
// scan in the middle, reruns that skip unchanged scans, shard merges equal to a single run, and
// the report.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include <sys/wait.h>

#include "amfm/kernels/error.hpp"
#include "host/batch/series.hpp"
#include "host/batch/series_figures.hpp"
#include "host/batch/series_shards.hpp"
#include "host/report/plot_format.hpp"
#include "host/sim/simulate.hpp"
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
    std::string yaml = "name: small test series\nsettings: {histogram: {bins: 40}, outputs: {figures: false}}\nscans:\n";
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

amfm::SeriesRunOptions quiet_options(const fs::path& out) {
    amfm::SeriesRunOptions o;
    o.out_dir = out.string();
    o.backend = "cpu";
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
    const auto counts = amfm::run_series(spec, quiet_options(tmp.path() / "out"));
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
            // Edge pixels (the labels' rim next to label 0: ~10 % of a facet) leave the class.
            EXPECT_GT(row.at("n_valid").get<long long>(), 0.85 * t.at("labelled_pixels").get<double>());
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
    // One scan per cycle: LNMO's four facets are the values compared, b/c's one region per scan
    // allows no test but the pixel-level extra.
    for (const auto& s : doc.at("cycle_steps")) {
        const bool lnmo = s.at("class") == "LNMO";
        EXPECT_EQ(s.at("level"), lnmo ? "facets" : "none");
        for (const json& test : {s, s.at("pixels")}) {
            if (test.at("diff_gpa").is_null()) continue;
            const double lo = test.at("ci95_gpa")[0], hi = test.at("ci95_gpa")[1], d = test.at("diff_gpa");
            EXPECT_LE(lo, d);
            EXPECT_GE(hi, d);
        }
        EXPECT_EQ(s.at("diff_gpa").is_null(), !lnmo);
        EXPECT_FALSE(s.at("pixels").at("diff_gpa").is_null());
        EXPECT_GE(s.at("ks").at("d").get<double>(), 0.0);
    }

    // The report links every series figure and each scan's own figures (relative paths, nothing
    // embedded); --self-contained embeds the same images.
    const std::string html = read_text(tmp.path() / "out" / "report.html");
    for (const auto& e : spec.entries) {
        EXPECT_NE(html.find("id=\"scan-" + e.id + "\""), std::string::npos) << e.id;
        EXPECT_NE(html.find("src=\"scans/" + e.id + "/fig_modulus.png\""), std::string::npos) << e.id;
        EXPECT_NE(html.find("src=\"scans/" + e.id + "/fig_histograms.png\""), std::string::npos) << e.id;
    }
    for (const char* f : {"fig_modulus_vs_cycle", "fig_hist_LNMO", "fig_hist_b_c"}) {
        for (const char* ext : {".png", ".pdf"}) EXPECT_TRUE(fs::is_regular_file(tmp.path() / "out" / (f + std::string(ext)))) << f << ext;
        EXPECT_NE(html.find(std::string("src=\"") + f + ".png\""), std::string::npos) << f;
        EXPECT_NE(html.find(std::string("href=\"") + f + ".pdf\""), std::string::npos) << f;
    }
    EXPECT_EQ(html.find("data:image"), std::string::npos);
    amfm::write_series_outputs(spec, (tmp.path() / "out").string(), true);
    const std::string mailed = read_text(tmp.path() / "out" / "report.html");
    EXPECT_EQ(mailed.find("src=\"fig_"), std::string::npos);
    EXPECT_EQ(mailed.find("src=\"scans/"), std::string::npos);
    std::size_t images = 0;
    for (auto p = mailed.find("src=\"data:image/png;base64,"); p != std::string::npos;
         p = mailed.find("src=\"data:image/png;base64,", p + 1))
        ++images;
    EXPECT_EQ(images, 3u + 2u * 5u);
}

// Fig. 3a breaks its y axis in the widest empty stretch when that is over four times the values
// below it (pristine crystal ~30x the cycled one), and not otherwise.
TEST(SeriesFigures, AxisBreaksBetweenPristineAndCycledValues) {
    amfm::ModulusVsCycle d;
    d.cycles = {0, 5, 200};
    d.classes = {{"LNMO", {{0, 130.0, 20.0, 1000, {118.0, 141.0}}, {5, 4.0, 1.0, 900, {4.2}}, {200, 3.0, 0.5, 800, {}}}},
                 {"b/c", {{0, 2.5, 0.5, 500, {}}, {5, 2.4, 0.4, 500, {}}}}};
    amfm::AxisBreak br = amfm::modulus_axis_break(d);
    EXPECT_TRUE(br.broken);
    EXPECT_DOUBLE_EQ(br.below, 5.0);    // 4.0 + 1.0, the highest reach under the gap
    EXPECT_DOUBLE_EQ(br.above, 110.0);  // 130 - 20
    d.classes[0].points[0].facets_gpa = {30.0};  // a facet at 30 GPa: widest gap now 30 / 5 = 6
    br = amfm::modulus_axis_break(d);
    EXPECT_DOUBLE_EQ(br.below, 5.0);
    EXPECT_DOUBLE_EQ(br.above, 30.0);
    d.classes[0].points[0] = {0, 12.0, 3.0, 1000, {}};  // 9 / 5 < 4: one axis
    EXPECT_FALSE(amfm::modulus_axis_break(d).broken);
}

std::vector<std::string> svg_texts(const std::string& svg) {
    std::vector<std::string> out;
    for (auto p = svg.find("<text"); p != std::string::npos; p = svg.find("<text", p + 1)) {
        const auto a = svg.find('>', p) + 1;
        out.push_back(svg.substr(a, svg.find("</text>", a) - a));
    }
    return out;
}

bool has(const std::vector<std::string>& v, const std::string& s) { return std::find(v.begin(), v.end(), s) != v.end(); }

// The series figures come in every format outputs.figures names; Fig. 3a's x tick labels are the
// cycle numbers and N is under them (SVG text, and the PDF's text where pdftotext is installed);
// the scans' modulus maps share one colour range.
TEST(SeriesFigures, EachFormatCycleTicksNAndOneColourRange) {
    TempDir tmp;
    write_small_series(tmp.path(), {0, 5, 30, 60, 200});
    const amfm::SeriesSpec spec =
        amfm::load_series_spec((tmp.path() / "series.yaml").string(), {"outputs.figures=[png, pdf, svg]"});
    const fs::path out = tmp.path() / "out";
    amfm::run_series(spec, quiet_options(out));
    amfm::write_series_outputs(spec, out.string());
    for (const char* f : {"fig_modulus_vs_cycle", "fig_hist_LNMO", "fig_hist_b_c"})
        for (const char* ext : {".png", ".pdf", ".svg"})
            EXPECT_GT(fs::file_size(out / (f + std::string(ext))), 1000u) << f << ext;

    const std::vector<std::string> texts = svg_texts(read_text(out / "fig_modulus_vs_cycle.svg"));
    for (const char* cycle : {"0", "5", "30", "60", "200"}) EXPECT_TRUE(has(texts, cycle)) << cycle;
    // One scan per cycle: error_bars auto means across facets.
    EXPECT_TRUE(has(texts, "N (facets) per class and cycle"));
    EXPECT_TRUE(has(texts, "error bars: ± SD across facets"));
    EXPECT_TRUE(has(texts, "E (GPa, broken axis)"));
    const json doc = json::parse(read_text(out / "series.json"));
    for (const auto& row : doc.at("table1"))  // each class's N at each cycle, as Table 1 counts it
        EXPECT_TRUE(has(texts, amfm::plot::format_count(row.at("n_facets").get<long long>())))
            << row.at("class") << " " << row.at("cycle");
    const std::string pdf_text = amfm_test::command_output("pdftotext " + (out / "fig_modulus_vs_cycle.pdf").string() + " - 2>/dev/null");
    if (!pdf_text.empty()) {
        EXPECT_NE(pdf_text.find("200"), std::string::npos) << pdf_text;
        EXPECT_NE(pdf_text.find("N (facets)"), std::string::npos) << pdf_text;
    }

    // Pristine (~130 GPa) and cycle 200 (~3 GPa) alone would get very different colour bars.
    const std::vector<std::string> first = svg_texts(read_text(out / "scans" / "scan_0" / "fig_modulus.svg"));
    const std::vector<std::string> last = svg_texts(read_text(out / "scans" / "scan_4" / "fig_modulus.svg"));
    EXPECT_GT(first.size(), 4u);
    EXPECT_EQ(first, last);
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
    // A missing shard is refused with its scans named; so are another split, a shard given twice,
    // a shard still running, and a shard that lacks one of its scans.
    const std::string partial = (tmp.path() / "partial").string();
    amfm_test::expect_error<amfm::DataError>([&] { amfm::merge_series({shard_dirs[0], shard_dirs[1]}, partial); },
                                             {"shards missing: 2/3 (scan_2)"});
    EXPECT_FALSE(fs::exists(partial));
    amfm_test::expect_error<amfm::ConfigError>(
        [&] { amfm::merge_series({shard_dirs[0], shard_dirs[0], shard_dirs[2]}, partial); }, {"shard 0/3 given twice"});
    auto o2 = quiet_options(tmp.path() / "half");
    o2.shard = {1, 2};
    amfm::run_series(spec, o2);
    amfm_test::expect_error<amfm::ConfigError>(
        [&] { amfm::merge_series({shard_dirs[0], o2.out_dir}, partial); }, {"shard 1/2", "different splits"});
    const fs::path copy = tmp.path() / "shard1_copy";
    fs::copy(shard_dirs[1], copy, fs::copy_options::recursive);
    fs::remove_all(copy / "scans" / "scan_4");
    amfm_test::expect_error<amfm::DataError>(
        [&] { amfm::merge_series({shard_dirs[0], copy.string(), shard_dirs[2]}, partial); }, {"lacks scans scan_4"});
    amfm::ShardStatus running;
    running.state = "running";
    running.shard = "1/3";
    amfm::write_shard_status(copy.string(), running);
    amfm_test::expect_error<amfm::DataError>(
        [&] { amfm::merge_series({shard_dirs[0], copy.string(), shard_dirs[2]}, partial); }, {"has not finished"});

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

// Glob entries: one entry per matching file, in name order, ids from the file names; the rules
// that keep ids unique and patterns unambiguous are enforced with the entry named.
TEST(SeriesSpec, GlobEntriesExpandInNameOrder) {
    TempDir tmp;
    for (const char* f : {"c200/b.ibw", "c200/a.ibw", "c200/.hidden.ibw", "c200/notes.txt", "c5/a.ibw", "extra.yaml"}) {
        fs::create_directories((tmp.path() / f).parent_path());
        write_text(tmp.path() / f, "x");
    }
    auto parse = [&](const std::string& y) { return amfm::parse_series_spec(y, tmp.path().string(), "s.yaml"); };
    const amfm::SeriesSpec s = parse(
        "config: extra.yaml\nscans:\n  - {scan: c5/a.ibw, cycle: 5, config: c200/notes.txt}\n"
        "  - {glob: \"c200/*.ibw\", cycle: 200, id_prefix: c200_, sample: S, settings: {histogram.bins: 30}}\n");
    ASSERT_EQ(s.entries.size(), 3u);
    EXPECT_EQ(s.entries[0].id, "a");
    EXPECT_EQ(s.entries[1].id, "c200_a");
    EXPECT_EQ(s.entries[2].id, "c200_b");
    EXPECT_EQ(s.entries[1].scan, "c200/a.ibw");
    EXPECT_EQ(fs::path(s.entries[2].scan_path), (tmp.path() / "c200" / "b.ibw").lexically_normal());
    EXPECT_EQ(s.entries[2].cycle, 200);
    EXPECT_EQ(s.entries[2].sample, "S");
    EXPECT_EQ(s.entries[2].overrides, std::vector<std::string>{"histogram.bins=30"});
    // The entry's config replaces the series-level one.
    ASSERT_EQ(s.entries[0].configs.size(), 1u);
    EXPECT_EQ(fs::path(s.entries[0].configs[0]).filename(), "notes.txt");
    ASSERT_EQ(s.entries[1].configs.size(), 1u);
    EXPECT_EQ(fs::path(s.entries[1].configs[0]).filename(), "extra.yaml");
    // A list of configs keeps its order; a missing one stops the series file with its name.
    const amfm::SeriesSpec two = parse("scans:\n  - {scan: c5/a.ibw, cycle: 5, config: [extra.yaml, c200/notes.txt]}\n");
    ASSERT_EQ(two.entries[0].configs.size(), 2u);
    EXPECT_EQ(fs::path(two.entries[0].configs[1]).filename(), "notes.txt");
    EXPECT_THROW(parse("scans:\n  - {scan: c5/a.ibw, cycle: 5, config: [extra.yaml, nope.yaml]}\n"), amfm::ConfigError);

    auto error_of = [&](const std::string& y) {
        try {
            parse(y);
        } catch (const amfm::ConfigError& e) {
            return std::string(e.what());
        }
        return std::string("accepted");
    };
    auto expect_error = [&](const std::string& y, const std::string& part) {
        const std::string e = error_of(y);
        EXPECT_NE(e.find(part), std::string::npos) << y << " -> " << e;
        EXPECT_NE(e.find("s.yaml"), std::string::npos) << e;
    };
    expect_error("scans:\n  - {glob: \"c200/*\", cycle: 1}\n", "notes.txt");  // not a scan file
    expect_error("scans:\n  - {glob: \"c*/a.ibw\", cycle: 1}\n", "file name");
    expect_error("scans:\n  - {glob: \"c200/*.tif\", cycle: 1}\n", "matches no file");
    expect_error("scans:\n  - {glob: \"nowhere/*.ibw\", cycle: 1}\n", "no folder");
    expect_error("scans:\n  - {glob: \"c200/*.ibw\", cycle: 1, id: x}\n", "id_prefix");
    expect_error("scans:\n  - {scan: c5/a.ibw, cycle: 1, id_prefix: x}\n", "glob entries only");
    expect_error("scans:\n  - {scan: c5/a.ibw, glob: \"c200/*.ibw\", cycle: 1}\n", "not both");
    expect_error("scans:\n  - {cycle: 1}\n", "is required");
    expect_error("scans:\n  - {scan: c5/a.ibw, cycle: 1, config: missing.yaml}\n", "missing.yaml");
    expect_error("config: missing.yaml\nscans:\n  - {scan: c5/a.ibw, cycle: 1}\n", "missing.yaml");
    // Same file names in two cycle folders: the second glob needs an id_prefix.
    expect_error("scans:\n  - {glob: \"c5/*.ibw\", cycle: 5}\n  - {glob: \"c200/*.ibw\", cycle: 200}\n",
                 "scans[1] (c200/a.ibw): id 'a' already used by s.yaml: scans[0] (c5/a.ibw)");
}

// A series mixing a TIFF scan and an Asylum .ibw (`amfm simulate --format ibw`), once named and
// once through a glob: every scan is processed and each .ibw one gives the same maps and table
// as `amfm process FILE.ibw --config ...` alone. Reruns skip them by content hash; changing the
// .ibw's config reprocesses only the .ibw entries.
TEST(SeriesIbw, MixedTiffAndIbwSeriesMatchesProcessAlone) {
    TempDir tmp;
    write_small_series(tmp.path(), {0});
    const std::string cli = AMFM_CLI_PATH;
    const fs::path ibw_dir = tmp.path() / "ibw30";
    ASSERT_EQ(std::system((cli + " --quiet simulate --format ibw --cycle 30 --size 96 --seed 7 --out " +
                           ibw_dir.string() + " 2>/dev/null").c_str()), 0);
    ASSERT_TRUE(fs::is_regular_file(ibw_dir / "scan.ibw"));
    write_text(tmp.path() / "series.yaml",
               "settings: {histogram: {bins: 40}, outputs: {figures: false}}\nscans:\n  - {scan: scan_0, cycle: 0}\n"
               "  - {scan: ibw30/scan.ibw, cycle: 30, config: ibw30/ibw_extra.yaml}\n"
               "  - {glob: \"ibw30/*.ibw\", cycle: 30, id_prefix: g_, config: ibw30/ibw_extra.yaml}\n");
    const amfm::SeriesSpec spec = amfm::load_series_spec((tmp.path() / "series.yaml").string());
    ASSERT_EQ(spec.entries.size(), 3u);
    EXPECT_EQ(spec.entries[1].id, "ibw30");
    EXPECT_EQ(spec.entries[2].id, "g_scan");
    const fs::path out = tmp.path() / "out";
    auto counts = amfm::run_series(spec, quiet_options(out));
    EXPECT_EQ(counts.processed, 3);
    EXPECT_EQ(counts.failed, 0);
    const auto outcome = amfm::write_series_outputs(spec, out.string());
    EXPECT_EQ(outcome.n_ok, 3);

    const fs::path alone = tmp.path() / "alone";
    ASSERT_EQ(std::system((cli + " --quiet process " + (ibw_dir / "scan.ibw").string() + " --config " +
                           (ibw_dir / "ibw_extra.yaml").string() + " --set histogram.bins=40 --backend cpu " +
                           "--no-figures --out " + alone.string() + " 2>/dev/null").c_str()), 0);
    for (const char* id : {"ibw30", "g_scan"})
        for (const char* f : {"regions.csv", "modulus_gpa.tif", "tilt_deg.tif", "mask.tif"}) {
            SCOPED_TRACE(std::string(id) + "/" + f);
            const std::string a = read_text(alone / f), b = read_text(out / "scans" / id / f);
            EXPECT_FALSE(a.empty());
            EXPECT_TRUE(a == b);
        }
    // The .ibw's facets are in the series table (cycle 30, both classes).
    const json doc = json::parse(read_text(out / "series.json"));
    int rows30 = 0;
    for (const auto& row : doc.at("table1")) rows30 += row.at("cycle") == 30;
    EXPECT_EQ(rows30, 2);

    counts = amfm::run_series(spec, quiet_options(out));
    EXPECT_EQ(counts.skipped, 3);
    // The ibw entries' config changes (a setting the hash must see): those two only.
    std::string extra = read_text(ibw_dir / "ibw_extra.yaml");
    write_text(ibw_dir / "ibw_extra.yaml", extra + "fit: {max_iterations: 90}\n");
    counts = amfm::run_series(spec, quiet_options(out));
    EXPECT_EQ(counts.processed, 2);
    EXPECT_EQ(counts.skipped, 1);
    // Reading ahead and writing behind on two more threads changes nothing in the outputs.
    auto pre = quiet_options(tmp.path() / "overlap");
    pre.overlap = true;
    counts = amfm::run_series(spec, pre);
    EXPECT_EQ(counts.processed, 3);
    for (const auto& e : spec.entries)
        for (const char* f : {"regions.csv", "modulus_gpa.tif", "series_entry.json"}) {
            SCOPED_TRACE(e.id + "/" + f);
            EXPECT_TRUE(read_text(out / "scans" / e.id / f) == read_text(tmp.path() / "overlap" / "scans" / e.id / f));
        }
    // direction: trace reads the Trace channels (this file has Retrace ones only: the reason says
    // which channel is missing); on a scan YAML it is refused when the series is read.
    write_text(tmp.path() / "trace.yaml", "scans:\n  - {scan: ibw30/scan.ibw, cycle: 30, direction: trace, "
                                          "config: ibw30/ibw_extra.yaml}\n");
    const amfm::SeriesSpec trace = amfm::load_series_spec((tmp.path() / "trace.yaml").string());
    counts = amfm::run_series(trace, quiet_options(tmp.path() / "trace"));
    EXPECT_EQ(counts.failed, 1);
    const amfm::EntrySummary no_trace =
        amfm::read_entry_summary((tmp.path() / "trace" / "scans" / "ibw30" / "series_entry.json").string());
    EXPECT_NE(no_trace.reason.find("Trace"), std::string::npos) << no_trace.reason;
    EXPECT_THROW(amfm::parse_series_spec("scans:\n  - {scan: scan_0, cycle: 0, direction: trace}\n",
                                         tmp.path().string(), "s.yaml"),
                 amfm::ConfigError);
    EXPECT_THROW(amfm::parse_series_spec("scans:\n  - {scan: ibw30/scan.ibw, cycle: 0, direction: up}\n",
                                         tmp.path().string(), "s.yaml"),
                 amfm::ConfigError);
    // A broken .ibw fails alone, its reason naming the file.
    write_text(ibw_dir / "scan.ibw", "not an igor wave");
    counts = amfm::run_series(spec, quiet_options(out));
    EXPECT_EQ(counts.failed, 2);
    EXPECT_EQ(counts.skipped, 1);
    const amfm::EntrySummary failed = amfm::read_entry_summary((out / "scans" / "ibw30" / "series_entry.json").string());
    EXPECT_EQ(failed.status, "failed");
    EXPECT_NE(failed.reason.find("scan.ibw"), std::string::npos) << failed.reason;
}

}  // namespace
