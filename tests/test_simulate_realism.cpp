// The simulator's imperfections of real scans (realism.hpp): each does what it says, none
// changes a truth, the per-pixel truth agrees with truth.json, and the defaults keep the
// committed sample scans.
#include <gtest/gtest.h>

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "amfm/kernels/error.hpp"
#include "amfm/kernels/tilt.hpp"
#include "host/formats/scan_yaml.hpp"
#include "host/formats/tiff_io.hpp"
#include "host/model/scan.hpp"
#include "host/sim/random_fields.hpp"
#include "host/sim/realism.hpp"
#include "host/sim/simulate.hpp"
#include "test_util.hpp"

using namespace amfm;

namespace {

SimulationSpec clean_spec(int n = 256) {
    SimulationSpec s;
    s.nx = s.ny = n;
    s.seed = 7;
    s.cycle = 30;
    s.regions = paper_region_truths(30);
    s.height_noise_m = 0.0;
    s.phase_noise_deg = 0.0;
    s.df2_noise_rel = 0.0;
    return s;
}

const SimulatedScan& clean() {
    static const SimulatedScan sim = simulate_scan(clean_spec());
    return sim;
}

std::string slurp(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), {});
}

double rms(const std::vector<double>& v) {
    double ss = 0.0;
    for (double x : v) ss += x * x;
    return std::sqrt(ss / (double)v.size());
}

}  // namespace

// A default spec writes the committed sample scan (sample_maps/ was written by
// `amfm simulate --paper-series`: seed 1 * 1000003 + cycle): the same bytes for the labels and
// truth.json, the same float bits for the channels (whose TIFFs now go without the
// floating-point predictor the committed ones were written with).
TEST(SimulateRealism, DefaultsKeepTheSampleBytes) {
    SimulationSpec s;
    s.seed = 1000003ull + 5;
    s.cycle = 5;
    s.sample = "simulated LNMO electrode, 5 cycles";
    s.regions = paper_region_truths(5);
    amfm_test::TempDir tmp;
    write_simulated_scan(simulate_scan(s), tmp.file("scan"));
    const std::string sample = (amfm_test::source_dir() / "sample_maps" / "cycle_005").string();
    for (const char* f : {"labels.tif", "truth.json"})
        EXPECT_EQ(slurp(tmp.file("scan") + "/" + f), slurp(sample + "/" + f)) << f;
    for (const char* f : {"height.tif", "phase1.tif", "df2.tif"}) {
        const Image<float> written = read_tiff_float(tmp.file("scan") + "/" + f);
        const Image<float> committed = read_tiff_float(sample + "/" + f);
        ASSERT_EQ(written.size(), committed.size()) << f;
        EXPECT_EQ(std::memcmp(written.data(), committed.data(), written.size() * sizeof(float)), 0) << f;
    }
}

TEST(SimulateRealism, CoarseBlurMatchesTheExactOne) {
    const double sigma = 60.0;  // beyond the exact path
    const cv::Mat fast = sim::smooth_noise(400, 300, sigma, sigma, 3, 9);
    cv::Mat exact = sim::smooth_noise(400, 300, 0.0, 0.0, 3, 9);
    const int k = 2 * (int)std::ceil(4.0 * sigma) + 1;
    cv::GaussianBlur(exact, exact, cv::Size(k, k), sigma, sigma, cv::BORDER_REFLECT_101);
    cv::Scalar mf, sf, me, se;
    cv::meanStdDev(fast, mf, sf);
    cv::meanStdDev(exact, me, se);
    EXPECT_NEAR(sf[0] / se[0], 1.0, 0.05);
    const double corr = cv::mean((fast - mf[0]).mul(exact - me[0]))[0] / (sf[0] * se[0]);
    EXPECT_GT(corr, 0.98);
}

TEST(SimulateRealism, PinkNoiseHasUnitRmsAndA1OverFSpectrum) {
    const std::size_t n = 1 << 16;
    const std::vector<double> v = sim::pink_noise(n, 5);
    EXPECT_NEAR(rms(v), 1.0, 1e-9);
    cv::Mat spectrum;
    cv::dft(cv::Mat(1, (int)n, CV_64F, const_cast<double*>(v.data())), spectrum, cv::DFT_COMPLEX_OUTPUT);
    // Mean power per octave band from 1/4096 to 1/8 cycles per sample: slope -1 in log-log.
    std::vector<double> logf, logp;
    for (std::size_t lo = n / 4096; lo < n / 8; lo *= 2) {
        double p = 0.0;
        for (std::size_t k = lo; k < 2 * lo; ++k) {
            const cv::Vec2d c = spectrum.at<cv::Vec2d>(0, (int)k);
            p += c[0] * c[0] + c[1] * c[1];
        }
        logf.push_back(std::log(1.5 * lo));
        logp.push_back(std::log(p / lo));
    }
    const double slope = (logp.back() - logp.front()) / (logf.back() - logf.front());
    EXPECT_NEAR(slope, -1.0, 0.25);
}

TEST(SimulateRealism, HeightNoisesAndLineOffsets) {
    SimulationSpec s = clean_spec();
    s.height_noise_m = 0.3e-9;
    s.height_noise_1f_m = 0.5e-9;
    s.line_offset_m = 2.0e-9;
    const SimulatedScan noisy = simulate_scan(s);
    s.height_noise_m = 0.0;
    s.height_noise_1f_m = 0.0;
    const SimulatedScan offsets = simulate_scan(s);
    const int nx = s.nx, ny = s.ny;
    // Offsets alone: constant along each line, RMS over lines as asked.
    std::vector<double> per_line;
    for (int y = 0; y < ny; ++y) {
        const double o = offsets.height_m.at(0, y) - clean().height_m.at(0, y);
        for (int x = 0; x < nx; ++x)
            ASSERT_NEAR(offsets.height_m.at(x, y) - clean().height_m.at(x, y), o, 1e-12) << x << "," << y;
        per_line.push_back(o);
    }
    EXPECT_NEAR(rms(per_line), 2.0e-9, 0.02e-9);
    // White + 1/f on top: their RMS adds in quadrature (independent streams).
    std::vector<double> rest;
    for (std::size_t i = 0; i < noisy.height_m.size(); ++i) rest.push_back(noisy.height_m.px[i] - offsets.height_m.px[i]);
    EXPECT_NEAR(rms(rest), std::hypot(0.3e-9, 0.5e-9), 0.03 * std::hypot(0.3e-9, 0.5e-9));
    EXPECT_EQ(noisy.labels.px, clean().labels.px);
    EXPECT_EQ(noisy.modulus_true_gpa.px, clean().modulus_true_gpa.px);
    EXPECT_EQ(noisy.df2_hz.px, clean().df2_hz.px);
}

TEST(SimulateRealism, TipDilationIsAParaboloidAndKeepsFacetSlopes) {
    // A spike images as the tip: h - r^2 / (2 R), above the floor.
    std::vector<double> z(21 * 21, 0.0);
    z[10 * 21 + 10] = 100e-9;
    const std::vector<double> d = sim::dilate_by_tip(z, 21, 21, 2e-9, 3e-9, 20e-9);
    for (int y = 0; y < 21; ++y)
        for (int x = 0; x < 21; ++x) {
            const double r2 = std::pow((x - 10) * 2e-9, 2) + std::pow((y - 10) * 3e-9, 2);
            ASSERT_NEAR(d[y * 21 + x], std::max(0.0, 100e-9 - r2 / 40e-9), 1e-18);
        }
    SimulationSpec s = clean_spec();
    s.tip_convolution_radius_m = 100e-9;
    const SimulatedScan tip = simulate_scan(s);
    const double dx = s.pixel_size_x_m();
    double max_raise = 0.0;
    long facet_px = 0, kept = 0;
    auto h = [&](int x, int y) { return tip.height_m.at(x, y); };
    for (int y = 0; y < s.ny; ++y)
        for (int x = 0; x < s.nx; ++x) {
            const double raise = tip.height_m.at(x, y) - clean().height_m.at(x, y);
            ASSERT_GE(raise, -1e-15);
            max_raise = std::max(max_raise, raise);
            const int label = clean().labels.at(x, y);
            if (label == 0 || label == s.regions.back().label) continue;
            const Slope g = slope_central(h, s.nx, s.ny, x, y, dx, dx);
            ++facet_px;
            kept += std::abs(tilt_deg_from_slope(g.gx, g.gy) - clean().tilt_true_deg.at(x, y)) < 0.2 ? 1 : 0;
        }
    EXPECT_GT(max_raise, 2e-9);  // concave edges filled in
    EXPECT_GT(kept, 0.95 * facet_px);
}

TEST(SimulateRealism, DropoutsAndLostLines) {
    SimulationSpec s = clean_spec();
    s.dropout_fraction = 0.02;
    s.lost_lines = 5;
    const SimulatedScan sim = simulate_scan(s);
    long nan = 0, lost_rows = 0;
    for (int y = 0; y < s.ny; ++y) {
        int row_nan = 0;
        for (int x = 0; x < s.nx; ++x) {
            const bool h = std::isnan(sim.height_m.at(x, y));
            ASSERT_EQ(h, std::isnan(sim.phase1_deg.at(x, y)));
            ASSERT_EQ(h, std::isnan(sim.df2_hz.at(x, y)));
            row_nan += h;
        }
        lost_rows += row_nan == s.nx;
        if (row_nan != s.nx) nan += row_nan;
    }
    EXPECT_EQ(lost_rows, 5);
    const double n = (double)(s.ny - 5) * s.nx, expected = 0.02 * n;
    EXPECT_NEAR((double)nan, expected, 4.0 * std::sqrt(expected));
    amfm_test::TempDir tmp;
    write_simulated_scan(sim, tmp.file("scan"));
    std::ifstream jf(tmp.file("scan") + "/truth.json");
    const nlohmann::json j = nlohmann::json::parse(jf);
    EXPECT_EQ(j.at("realism").at("lost_lines").size(), 5u);
    EXPECT_EQ(j.at("realism").at("nan_pixels").get<long>(), nan + 5L * s.nx);
    const Scan scan = load_scan(load_scan_config(tmp.file("scan") + "/scan.yaml"));
    EXPECT_TRUE(std::isnan(scan.height_m.px[(std::size_t)j.at("realism").at("lost_lines")[0].get<int>() * s.nx]));
}

TEST(SimulateRealism, NonSquarePixelsKeepExactTilts) {
    SimulationSpec s = clean_spec();
    s.ny = 128;
    s.scan_size_y_m = 8.0e-6;  // rows twice as coarse as columns
    const SimulatedScan sim = simulate_scan(s);
    const double dx = s.pixel_size_x_m(), dy = s.pixel_size_y_m();
    EXPECT_DOUBLE_EQ(dy, 2.0 * dx);
    std::map<int, long> counts;
    const PixelVector<float> clean_h = sim.height_m.px;
    auto h = [&](int x, int y) { return clean_h[(std::size_t)y * s.nx + x]; };
    for (int y = 0; y < s.ny; ++y)
        for (int x = 0; x < s.nx; ++x) {
            const int l = sim.labels.at(x, y);
            ++counts[l];
            if (l == 0 || l == s.regions.back().label) continue;
            const Slope g = slope_central(h, s.nx, s.ny, x, y, dx, dy);
            ASSERT_NEAR(tilt_deg_from_slope(g.gx, g.gy), sim.spec.regions[l - 1].tilt_deg, 0.05);
        }
    for (const RegionTruth& r : s.regions) EXPECT_GT(counts[r.label], 100) << r.name;
    amfm_test::TempDir tmp;
    write_simulated_scan(sim, tmp.file("scan"));
    const YAML::Node y = YAML::LoadFile(tmp.file("scan") + "/scan.yaml");
    EXPECT_DOUBLE_EQ(y["scan_size"]["x"].as<double>(), 8.0e-6);
    EXPECT_DOUBLE_EQ(y["scan_size"]["y"].as<double>(), 8.0e-6);
    const Scan scan = load_scan(load_scan_config(tmp.file("scan") + "/scan.yaml"));
    EXPECT_EQ(scan.ny(), 128);
    EXPECT_DOUBLE_EQ(scan.pixel_size_y_m(), 2.0 * scan.pixel_size_x_m());
}

TEST(SimulateRealism, TruthMapsAgreeWithTheRegionTruth) {
    SimulationSpec s = clean_spec(128);
    s.write_truth_maps = true;
    s.extra_crystals = 3;
    const SimulatedScan sim = simulate_scan(s);
    amfm_test::TempDir tmp;
    const std::string dir = tmp.file("scan");
    write_simulated_scan(sim, dir);
    std::ifstream jf(dir + "/truth.json");
    const nlohmann::json j = nlohmann::json::parse(jf);
    const Image<std::uint16_t> regions = read_label_image(dir + "/truth_regions.tif");
    const Image<float> modulus = read_tiff_float(dir + "/truth_modulus_gpa.tif");
    const Image<float> tilt = read_tiff_float(dir + "/truth_tilt_deg.tif");
    EXPECT_EQ(modulus.px, sim.modulus_true_gpa.px);
    EXPECT_EQ(tilt.px, sim.tilt_true_deg.px);
    ASSERT_EQ(j.at("planes").size(), sim.planes_true.size());
    std::map<int, long> extra_px;
    for (std::size_t i = 0; i < regions.size(); ++i) {
        if (sim.labels.px[i]) {
            ASSERT_EQ(regions.px[i], sim.labels.px[i]);
        }
        const int plane = sim.plane_true.px[i];
        if (plane >= 0 && sim.planes_true[plane].crystal >= 2) {
            ++extra_px[sim.planes_true[plane].crystal];
            ASSERT_EQ(sim.labels.px[i], 0);  // extra crystals are never labelled
        }
    }
    EXPECT_EQ(extra_px.size(), 3u);
    for (const nlohmann::json& jr : j.at("regions")) {  // the maps' statistics are truth.json's
        double n = 0, sum = 0, ss = 0;
        for (std::size_t i = 0; i < regions.size(); ++i)
            if (sim.labels.px[i] == jr.at("label").get<int>()) {
                n += 1;
                sum += modulus.px[i];
                ss += (double)modulus.px[i] * modulus.px[i];
            }
        const double mean = sum / n;
        EXPECT_NEAR(mean, jr.at("true_mean_gpa").get<double>(), 1e-9 * mean);
        EXPECT_NEAR(std::sqrt((ss - n * mean * mean) / (n - 1)), jr.at("true_sd_gpa").get<double>(), 1e-6 * mean);
    }
}

TEST(SimulateRealism, StiffCrystalsAcceptanceCase) {
    SimulationSpec s = clean_spec();
    s.regions = stiff_region_truths();
    s.height_noise_m = 0.3e-9;
    s.df2_noise_rel = 0.01;
    s.ny = 128;
    s.scan_size_y_m = 8.0e-6;
    const SimulatedScan sim = simulate_scan(s);
    ASSERT_EQ(s.regions.size(), 5u);
    EXPECT_DOUBLE_EQ(s.regions[0].center_gpa, 100.0);
    EXPECT_DOUBLE_EQ(s.regions[3].center_gpa, 150.0);
    EXPECT_DOUBLE_EQ(s.regions[4].sigma_gpa, 0.1);
    for (float f : sim.df2_hz.px) ASSERT_TRUE(std::isfinite(f) && f > 0.0f);
}

TEST(SimulateRealism, RejectsBadRealism) {
    auto bad = [](void (*edit)(SimulationSpec&)) {
        SimulationSpec s = clean_spec(64);
        edit(s);
        EXPECT_THROW(simulate_scan(s), ConfigError);
    };
    bad([](SimulationSpec& s) { s.dropout_fraction = 0.9; });
    bad([](SimulationSpec& s) { s.lost_lines = 40; });
    bad([](SimulationSpec& s) { s.line_offset_m = -1e-9; });
    bad([](SimulationSpec& s) { s.tip_convolution_radius_m = NAN; });
    bad([](SimulationSpec& s) { s.scan_size_y_m = 100e-6; });
    bad([](SimulationSpec& s) { s.extra_crystals = 100; });
}
