// End to end on simulated scans: simulate -> files -> load -> process -> outputs.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <nlohmann/json.hpp>

#include "amfm/kernels/error.hpp"
#include "amfm/kernels/mask.hpp"
#include "host/formats/scan_yaml.hpp"
#include "host/formats/tiff_io.hpp"
#include "host/method/pipeline.hpp"
#include "host/method/uncertainty.hpp"
#include "host/model/config.hpp"
#include "host/model/scan.hpp"
#include "host/report/outputs.hpp"
#include "host/sim/simulate.hpp"
#include "test_util.hpp"

using namespace amfm;
using amfm_test::expect_error;
namespace fs = std::filesystem;

namespace {

struct Truth {
    double mean = 0, sd = 0;  // of the true modulus over the region's labelled pixels
    double tilt_deg = 0;
};

// The empirical truth of the pixels actually generated: the mean and SD the fit should find.
std::map<int, Truth> empirical_truth(const SimulatedScan& sim) {
    std::map<int, Truth> out;
    std::map<int, double> n, s, ss;
    for (std::size_t i = 0; i < sim.labels.size(); ++i) {
        const int l = sim.labels.px[i];
        if (l == 0) continue;
        const double v = sim.modulus_true_gpa.px[i];
        n[l] += 1;
        s[l] += v;
        ss[l] += v * v;
    }
    for (auto& [l, cnt] : n) {
        out[l].mean = s[l] / cnt;
        out[l].sd = std::sqrt(std::max(0.0, ss[l] / cnt - out[l].mean * out[l].mean));
    }
    for (const RegionTruth& r : sim.spec.regions) out[r.label].tilt_deg = r.tilt_deg;
    return out;
}

SimulatedScan simulate(int cycle, int n = 256) {
    SimulationSpec spec;
    spec.nx = spec.ny = n;
    spec.cycle = cycle;
    spec.seed = 11 + cycle;
    spec.regions = paper_region_truths(cycle);
    return simulate_scan(spec);
}

Scan write_and_load(const SimulatedScan& sim, const fs::path& dir, const std::vector<std::string>& overrides = {}) {
    write_simulated_scan(sim, dir.string());
    return load_scan(load_scan_config((dir / "scan.yaml").string(), overrides));
}

}  // namespace

class PipelineOnPaperSeries : public ::testing::TestWithParam<int> {};

// Tolerance: the Gaussian centre is within 2 % of the region's true mean plus 0.2 sigma (the
// smooth modulus field holds a few hundred independent patches per facet), and sigma within
// 25 % + 2 % of the centre (channel noise adds ~1 % of E in quadrature).
TEST_P(PipelineOnPaperSeries, RecoversEveryRegionsTrueCentre) {
    amfm_test::TempDir tmp;
    const SimulatedScan sim = simulate(GetParam());
    const Scan scan = write_and_load(sim, tmp.path() / "scan");
    auto backend = make_cpu_backend();
    const ScanResult r = process_scan(scan, *backend);
    const auto truth = empirical_truth(sim);
    ASSERT_EQ(r.stats.regions.size(), sim.spec.regions.size());
    for (const RegionStats& reg : r.stats.regions) {
        const Truth& t = truth.at(reg.info.label);
        SCOPED_TRACE("cycle " + std::to_string(GetParam()) + " region " + reg.info.name);
        ASSERT_EQ(reg.gaussian.fit.state, FitState::Converged);
        // The simulator's labels stop short of every boundary, so the edge pixels leaving here are
        // the rim next to label 0; the stage itself must keep 90 % of the pixels.
        EXPECT_GT(reg.pixels.n_valid + reg.pixels.lost[kMaskEdgeIndex], 0.9 * reg.pixels.n_pixels);
        EXPECT_NEAR(reg.gaussian.center_gpa, t.mean, 0.02 * t.mean + 0.2 * t.sd);
        EXPECT_NEAR(reg.gaussian.sigma_gpa, t.sd, 0.25 * t.sd + 0.02 * t.mean);
        EXPECT_NEAR(reg.pixels.mean_gpa, t.mean, 0.02 * t.mean + 0.2 * t.sd);
    }
}

INSTANTIATE_TEST_SUITE_P(Cycles, PipelineOnPaperSeries, ::testing::Values(0, 5, 30, 60, 200));

// Automatic regions split by modulus are found after the pixel stage; the unlabelled bit is then
// set without running the stage again. Every map must equal a stage run given the final regions
// (and the edge pass that follows every stage).
TEST(Pipeline, ModulusSegmentationMarksUnlabelledLikeAStageWithRegions) {
    amfm_test::TempDir dir;
    write_simulated_scan(simulate(0), dir.file("scan"));
    ScanConfig cfg = load_scan_config(dir.file("scan/scan.yaml"));
    cfg.regions = RegionsConfig();
    cfg.regions.automatic.enabled = true;
    cfg.regions.automatic.class_feature = "modulus";
    cfg.regions.automatic.min_area_um2 = 0.5;  // leaves small pieces unlabelled
    const Scan scan = load_scan(cfg);
    auto backend = make_backend(BackendKind::Cpu);
    const ScanResult r = process_scan(scan, *backend);
    ASSERT_TRUE(r.segmented);

    const int nx = scan.nx(), ny = scan.ny();
    Image<float> tilt(nx, ny), modulus(nx, ny);
    Image<std::uint8_t> mask(nx, ny);
    PixelInputs in{r.height_leveled_m.data(), scan.phase1_deg.data(), scan.df2_hz.data(), nullptr,
                   r.regions.index.data()};
    backend->pixel_stage(in, make_pixel_params(cfg, nx, ny), PixelOutputs{tilt.data(), modulus.data(), mask.data()});
    mark_region_edges(r.regions, slope_stencil(cfg), mask);  // the host's pass after every stage
    long long unlabelled = 0;
    for (std::size_t i = 0; i < mask.size(); ++i) unlabelled += (mask.px[i] & kMaskUnlabelled) != 0;
    EXPECT_GT(unlabelled, 0);
    EXPECT_EQ(r.mask.px, mask.px);
    for (std::size_t i = 0; i < mask.size(); ++i) {
        ASSERT_TRUE(r.tilt_deg.px[i] == tilt.px[i] || (std::isnan(r.tilt_deg.px[i]) && std::isnan(tilt.px[i]))) << i;
        ASSERT_TRUE(r.modulus_gpa.px[i] == modulus.px[i] || (std::isnan(r.modulus_gpa.px[i]) && std::isnan(modulus.px[i])))
            << i;
    }
}

TEST(Pipeline, WithoutTheCorrectionTiltedFacetsAreOffByKc) {
    amfm_test::TempDir tmp;
    const SimulatedScan sim = simulate(30);
    const Scan corrected = write_and_load(sim, tmp.path() / "a");
    const Scan uncorrected = write_and_load(sim, tmp.path() / "b", {"tilt_correction.model=none"});
    auto backend = make_cpu_backend();
    const ScanResult on = process_scan(corrected, *backend);
    const ScanResult off = process_scan(uncorrected, *backend);
    int tilted = 0;
    for (std::size_t i = 0; i < on.stats.regions.size(); ++i) {
        const RegionTruth& t = sim.spec.regions[i];
        if (t.class_name != "LNMO") continue;
        const double expected = kc_factor(TiltCorrection{}, t.tilt_deg);
        const double ratio = off.stats.regions[i].pixels.median_gpa / on.stats.regions[i].pixels.median_gpa;
        EXPECT_NEAR(ratio, expected, 0.01) << "facet " << t.name << " tilt " << t.tilt_deg;
        if (t.tilt_deg > 15.0) {
            ++tilted;
            EXPECT_LT(ratio, 0.9);  // a real, visible error without the correction
        }
    }
    EXPECT_GE(tilted, 2);
}

TEST(Pipeline, OutputsFolderHoldsEveryFileAndTheContract) {
    amfm_test::TempDir tmp;
    const SimulatedScan sim = simulate(0, 128);
    const Scan scan = write_and_load(sim, tmp.path() / "scan");
    auto backend = make_cpu_backend();
    const ScanResult r = process_scan(scan, *backend);
    const fs::path out = tmp.path() / "out";
    write_scan_outputs(scan, r, out.string(), RunInfo{"test", "amfm process"});
    for (const char* f : {"modulus_gpa.tif", "tilt_deg.tif", "mask.tif", "regions.csv", "regions.json",
                          "fig_modulus.png", "fig_tilt.png", "fig_indentation.png", "fig_mask.png", "fig_histograms.png",
                          "fig_modulus.pdf", "fig_histograms.pdf"})
        EXPECT_TRUE(fs::exists(out / f)) << f;
    int hist_pngs = 0;  // the default formats: PNG and PDF
    for (const auto& e : fs::directory_iterator(out)) {
        const std::string name = e.path().filename().string();
        hist_pngs += name.rfind("hist_", 0) == 0 && e.path().extension() == ".png";
        EXPECT_NE(e.path().extension(), ".svg") << name;
    }
    EXPECT_EQ(hist_pngs, (int)r.stats.regions.size());
    EXPECT_FALSE(fs::exists(tmp.path() / ("out.partial-" + std::to_string(getpid()))));

    // The maps read back bit for bit.
    const Image<float> modulus = read_tiff_float((out / "modulus_gpa.tif").string());
    ASSERT_EQ(modulus.size(), r.modulus_gpa.size());
    for (std::size_t i = 0; i < modulus.size(); ++i) {
        if (std::isnan(r.modulus_gpa.px[i]))
            ASSERT_TRUE(std::isnan(modulus.px[i]));
        else
            ASSERT_EQ(modulus.px[i], r.modulus_gpa.px[i]);
    }
    const Image<float> mask = read_tiff_float((out / "mask.tif").string());
    for (std::size_t i = 0; i < mask.size(); ++i) ASSERT_EQ((int)mask.px[i], (int)r.mask.px[i]);

    std::ifstream f(out / "regions.json");
    const nlohmann::json j = nlohmann::json::parse(f);
    ASSERT_EQ(j["regions"].size(), r.stats.regions.size());
    for (const auto& reg : j["regions"]) {
        for (const char* k : {"label", "name", "class", "n_pixels", "n_valid", "gaussian", "pixels"})
            EXPECT_TRUE(reg.contains(k)) << k;
        for (const char* k : {"center_gpa", "sigma_gpa", "fwhm_gpa", "amplitude", "r2", "state"})
            EXPECT_TRUE(reg["gaussian"].contains(k)) << k;
        for (const char* k : {"mean_gpa", "sd_gpa", "median_gpa"}) EXPECT_TRUE(reg["pixels"].contains(k)) << k;
        EXPECT_EQ(reg["gaussian"]["state"], "converged");
    }
    EXPECT_FALSE(j["classes"].empty());
    EXPECT_EQ(j["run"]["backend"], "cpu");
    EXPECT_EQ(j["parameters"]["tip"]["radius"], 10e-9);
    ASSERT_EQ(j["scan"]["inputs"].size(), 5u);  // height, phase1, df2, labels, config
    for (const auto& in : j["scan"]["inputs"]) EXPECT_EQ(in["sha256"].get<std::string>().size(), 64u);
}

// outputs: {maps, gwy, figures} picks the files; the tables are always there. By default
// results.gwy is not written (doubles: it would be most of the folder's bytes).
TEST(Pipeline, OutputsSectionSelectsTheFiles) {
    amfm_test::TempDir tmp;
    const SimulatedScan sim = simulate(30, 48);
    write_and_load(sim, tmp.path() / "scan");
    auto backend = make_cpu_backend();
    auto files_of = [&](const std::vector<std::string>& overrides) {
        const Scan scan = load_scan(load_scan_config((tmp.path() / "scan" / "scan.yaml").string(), overrides));
        const fs::path out = tmp.path() / ("out" + std::to_string(overrides.size()));
        fs::remove_all(out);
        write_scan_outputs(scan, process_scan(scan, *backend), out.string(), RunInfo{"test", ""});
        std::set<std::string> names;
        for (const auto& e : fs::directory_iterator(out)) names.insert(e.path().filename().string());
        return names;
    };
    const std::set<std::string> dflt = files_of({});
    EXPECT_TRUE(dflt.count("modulus_gpa.tif") && dflt.count("fig_modulus.png") && dflt.count("regions.json"));
    EXPECT_FALSE(dflt.count("results.gwy"));
    const std::set<std::string> gwy_only = files_of({"outputs.gwy=true", "outputs.maps=false", "outputs.figures=false"});
    EXPECT_EQ(gwy_only, (std::set<std::string>{"regions.csv", "regions.json", "results.gwy"}));
    const std::set<std::string> tables = files_of({"outputs.maps=no", "outputs.figures=false"});
    EXPECT_EQ(tables, (std::set<std::string>{"regions.csv", "regions.json"}));
    expect_error<ConfigError>([&] { load_scan_config((tmp.path() / "scan" / "scan.yaml").string(), {"outputs.png=true"}); },
                              {"scan.yaml", "outputs.png", "maps, gwy, figures"});
    expect_error<ConfigError>([&] { load_scan_config((tmp.path() / "scan" / "scan.yaml").string(), {"outputs.gwy=2"}); },
                              {"outputs.gwy", "true or false"});
}

// The figures are drawn on several threads: one that fails still fails the folder, with the
// figure named, after the others finished, and nothing is left behind.
TEST(Pipeline, FailedFigureFailsTheFolderAndLeavesNothing) {
    amfm_test::TempDir tmp;
    const SimulatedScan sim = simulate(30, 48);
    const Scan scan = write_and_load(sim, tmp.path() / "scan");
    auto backend = make_cpu_backend();
    ScanResult r = process_scan(scan, *backend);
    r.height_leveled_m = Image<float>();  // the mask overlay cannot be drawn
    const fs::path out = tmp.path() / "out";
    expect_error<DataError>([&] { write_scan_outputs(scan, r, out.string(), RunInfo{"test", ""}); },
                            {"fig_mask", "height map"});
    EXPECT_FALSE(fs::exists(out));
    for (const auto& e : fs::directory_iterator(tmp.path()))
        EXPECT_EQ(e.path().filename().string().find(".partial"), std::string::npos) << e.path();
}

TEST(Pipeline, FailedWriteLeavesNothingBehind) {
    amfm_test::TempDir tmp;
    const SimulatedScan sim = simulate(0, 64);
    const Scan scan = write_and_load(sim, tmp.path() / "scan");
    auto backend = make_cpu_backend();
    const ScanResult r = process_scan(scan, *backend);
    const fs::path blocker = tmp.path() / "out";
    std::ofstream(blocker) << "a file where the output folder should go";
    EXPECT_THROW(write_scan_outputs(scan, r, blocker.string(), RunInfo{"test", ""}), DataError);
    for (const auto& e : fs::directory_iterator(tmp.path()))
        EXPECT_EQ(e.path().filename().string().find(".partial"), std::string::npos) << e.path();
}

TEST(Pipeline, NoLabelImageMeansOneWholeMapRegion) {
    amfm_test::TempDir tmp;
    const SimulatedScan sim = simulate(200, 96);
    write_simulated_scan(sim, (tmp.path() / "scan").string());
    ScanConfig cfg = load_scan_config((tmp.path() / "scan" / "scan.yaml").string());
    cfg.regions = RegionsConfig{};
    const Scan scan = load_scan(cfg);
    auto backend = make_cpu_backend();
    const ScanResult r = process_scan(scan, *backend);
    ASSERT_EQ(r.stats.regions.size(), 1u);
    EXPECT_EQ(r.stats.regions[0].pixels.n_pixels, 96 * 96);
    for (auto m : r.mask.px) ASSERT_EQ(m & kMaskUnlabelled, 0);
}

TEST(Pipeline, TipRadiusUncertaintyBecomesASystematicUncertaintyPerRegion) {
    amfm_test::TempDir tmp;
    const SimulatedScan sim = simulate(60, 96);
    const Scan scan = write_and_load(sim, tmp.path() / "scan", {"tip.uncertainty=1.0e-9"});  // 10 % of R
    auto backend = make_cpu_backend();
    const ScanResult r = process_scan(scan, *backend);
    EXPECT_NEAR(r.uncertainty.calibration.total_rel, 0.1, 1e-12);  // E is proportional to 1/R
    const nlohmann::json j = nlohmann::json::parse(regions_json(scan, r, RunInfo{"test", ""}));
    for (std::size_t i = 0; i < r.stats.regions.size(); ++i) {
        if (r.stats.regions[i].quality != RegionQuality::Ok) continue;  // others (III: a thin strip here) have none
        const nlohmann::json& g = j["regions"][i]["gaussian"];
        EXPECT_NEAR(g["systematic_radius_gpa"].get<double>(), 0.1 * r.stats.regions[i].gaussian.center_gpa, 1e-12);
        // The systematic sum adds the Kc curve's term (tilt noise x its slope) in quadrature.
        EXPECT_NEAR(g["systematic_gpa"].get<double>(),
                    std::hypot(g["systematic_radius_gpa"].get<double>(), g["systematic_kc_tilt_gpa"].get<double>()), 1e-12);
    }
    EXPECT_NE(regions_csv(r).find("systematic_gpa"), std::string::npos);
}

// With levelling off the heights move into the result (no copy) and every output is the same as
// from process_scan; with levelling on the scan keeps its heights.
TEST(Pipeline, TakingTheHeightsGivesTheSameResultWithoutACopy) {
    amfm_test::TempDir tmp;
    const SimulatedScan sim = simulate(60, 96);
    for (const char* level : {"none", "plane"}) {
        SCOPED_TRACE(level);
        const Scan scan = write_and_load(sim, tmp.path() / level, {std::string("processing.level=") + level});
        auto backend = make_cpu_backend();
        const ScanResult copied = process_scan(scan, *backend);
        Scan taken_from = scan;
        const ScanResult taken = process_scan_taking_height(taken_from, *backend);
        EXPECT_EQ(taken.height_leveled_m.px, copied.height_leveled_m.px);
        ASSERT_EQ(taken.modulus_gpa.size(), copied.modulus_gpa.size());  // NaN where masked: compared as bits
        EXPECT_EQ(std::memcmp(taken.modulus_gpa.data(), copied.modulus_gpa.data(), 4 * copied.modulus_gpa.size()), 0);
        EXPECT_EQ(taken.mask.px, copied.mask.px);
        EXPECT_EQ(regions_csv(taken), regions_csv(copied));
        EXPECT_EQ(taken_from.nx(), 96);
        if (std::string(level) == "none") {
            EXPECT_EQ(taken.height_leveled_m.px, scan.height_m.px);
            EXPECT_TRUE(taken_from.height_m.px.empty());
        } else {
            EXPECT_NE(taken.height_leveled_m.px, scan.height_m.px);
            EXPECT_EQ(taken_from.height_m.px, scan.height_m.px);
        }
    }
}
