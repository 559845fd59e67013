// Calibrations: tip radius from a simulated flat reference, Kc(theta) from a simulated
// sphere field, the acceptance rule, the config contract of the tip: block, bad inputs, and the
// systematic uncertainty.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>

#include "amfm/kernels/backend.hpp"
#include "amfm/kernels/error.hpp"
#include "amfm/kernels/tilt_correction.hpp"
#include "host/calibration/calibration.hpp"
#include "host/formats/scan_yaml.hpp"
#include "host/method/uncertainty.hpp"
#include "host/model/config.hpp"
#include "host/model/scan.hpp"
#include "host/sim/simulate_calibration.hpp"
#include "test_util.hpp"

using amfm_test::TempDir;
namespace fs = std::filesystem;

namespace {

amfm::Scan write_and_load(const amfm::SimulatedCalibrationScan& sim, const TempDir& tmp, const std::string& name) {
    amfm::write_calibration_scan(sim, tmp.file(name));
    return amfm::load_scan(amfm::load_scan_config(tmp.file(name + "/scan.yaml")));
}

amfm::TipCalibrationResult calibrate(const amfm::ReferenceScanSpec& spec, const TempDir& tmp) {
    const amfm::Scan scan = write_and_load(amfm::simulate_reference_scan(spec), tmp, "ref");
    auto backend = amfm::make_cpu_backend();
    return amfm::calibrate_tip(scan, amfm::parse_reference(spec.reference), *backend);
}

std::string slurp(const std::string& path) {
    std::ifstream f(path);
    return std::string(std::istreambuf_iterator<char>(f), {});
}

int run_amfm(const std::string& args, const TempDir& tmp) {
    const std::string cmd = "cd '" + tmp.path().string() + "' && '" AMFM_CLI_PATH "' -q " + args +
                            " >stdout.txt 2>stderr.txt";
    const int status = std::system(cmd.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

// ---- tip radius ------------------------------------------------------------------------------

TEST(CalibrateTip, RecoversRadiusOnPolystyreneWithin2Percent) {
    TempDir tmp;
    amfm::ReferenceScanSpec spec;  // polystyrene, 3 GPa, R = 10 nm, default noise
    const amfm::TipCalibrationResult r = calibrate(spec, tmp);
    EXPECT_NEAR(r.radius_m, spec.tip_radius_m, 0.02 * spec.tip_radius_m);
    EXPECT_EQ(r.estimator, "gaussian centre");
    EXPECT_EQ(r.n_valid, (long long)spec.nx * spec.ny);
    EXPECT_GT(r.spread_m, 0.0);
    EXPECT_LT(r.standard_error_m, r.spread_m);
}

TEST(CalibrateTip, RecoversRadiusOnFusedSilicaWithNoise) {
    TempDir tmp;
    amfm::ReferenceScanSpec spec;
    spec.reference = "fused-silica";
    spec.modulus_pa = 73.0e9;
    spec.tip_radius_m = 25.0e-9;
    spec.noise.df2_rel = 0.02;  // four times the default
    spec.seed = 7;
    const amfm::TipCalibrationResult r = calibrate(spec, tmp);
    EXPECT_NEAR(r.radius_m, 25.0e-9, 0.02 * 25.0e-9);
}

TEST(CalibrateTip, TooFewValidPixelsIsADataError) {
    TempDir tmp;
    amfm::ReferenceScanSpec spec;
    amfm::Scan scan = write_and_load(amfm::simulate_reference_scan(spec), tmp, "ref");
    for (std::size_t i = 50; i < scan.df2_hz.size(); ++i) scan.df2_hz.px[i] = -1.0f;  // no contact
    auto backend = amfm::make_cpu_backend();
    try {
        amfm::calibrate_tip(scan, amfm::parse_reference("polystyrene"), *backend);
        FAIL() << "expected DataError";
    } catch (const amfm::DataError& e) {
        EXPECT_NE(std::string(e.what()).find("only 50 of"), std::string::npos) << e.what();
    }
}

TEST(CalibrateTip, TenPercentAcceptanceRule) {
    amfm::TipCalibrationResult a, b;
    a.radius_m = 10.0e-9;
    a.standard_error_m = b.standard_error_m = 0.001e-9;
    b.radius_m = 10.9e-9;
    amfm::TipDrift d = amfm::compare_tip_calibrations(a, b);
    EXPECT_TRUE(d.accepted);
    EXPECT_NEAR(d.relative_change, 0.09, 1e-12);
    EXPECT_NEAR(d.radius_m, 10.45e-9, 1e-18);
    EXPECT_NEAR(d.uncertainty_m, 0.45e-9, 1e-18);  // half the drift dominates the pixel statistics
    b.radius_m = 11.01e-9;  // 10.1 %: rejected (the paper accepts less than 10 %)
    EXPECT_FALSE(amfm::compare_tip_calibrations(a, b).accepted);
}

TEST(CalibrateTip, CliRejectsDriftUnlessForced) {
    TempDir tmp;
    amfm::ReferenceScanSpec spec;
    amfm::write_calibration_scan(amfm::simulate_reference_scan(spec), tmp.file("before"));
    spec.seed = 2;
    spec.tip_radius_m = 12.0e-9;  // +20 %: the tip changed
    amfm::write_calibration_scan(amfm::simulate_reference_scan(spec), tmp.file("after"));
    EXPECT_EQ(run_amfm("calibrate-tip before/scan.yaml --reference polystyrene --after after/scan.yaml -o tip.yaml", tmp),
              3);
    EXPECT_NE(slurp(tmp.file("stderr.txt")).find("changed by 20 %"), std::string::npos);
    EXPECT_EQ(run_amfm("calibrate-tip before/scan.yaml --reference polystyrene --after after/scan.yaml --force -o "
                       "tip.yaml",
                       tmp),
              0);
    // The block loads through process's --config path and carries the mean radius and the drift.
    const amfm::ScanConfig cfg =
        amfm::load_scan_config_merged(tmp.file("before/scan.yaml"), {tmp.file("tip.yaml")});
    EXPECT_NEAR(cfg.tip_radius_m, 11.0e-9, 0.02 * 11.0e-9);
    EXPECT_NEAR(cfg.tip_calibration.radius_uncertainty_m, 1.0e-9, 0.05e-9);
    EXPECT_EQ(cfg.tip_calibration.reference, "polystyrene");
    EXPECT_EQ(cfg.tip_calibration.reference_modulus_pa, 3.0e9);
    EXPECT_EQ(cfg.tip_calibration.k1_n_per_m, 26.0);
    EXPECT_FALSE(cfg.tip_calibration.date.empty());
}

TEST(CalibrateTip, ReferenceFarFromSampleWarns) {
    const amfm::ReferenceSample silica = amfm::parse_reference("fused-silica");
    EXPECT_EQ(silica.modulus_pa, 73.0e9);
    EXPECT_NE(amfm::reference_range_warning(silica, 1.0e9, 2.0e9).find("polystyrene"), std::string::npos);
    EXPECT_EQ(amfm::reference_range_warning(amfm::parse_reference("polystyrene"), 1.0e9, 2.0e9), "");
    EXPECT_EQ(amfm::parse_reference("500 MPa").modulus_pa, 500.0e6);
    EXPECT_EQ(amfm::parse_modulus_pa("7.3e10", "x"), 7.3e10);
    EXPECT_THROW(amfm::parse_reference("glass"), amfm::ConfigError);
    EXPECT_THROW(amfm::parse_modulus_pa("-3GPa", "x"), amfm::ConfigError);
}

// ---- cantilever consistency ----------------------------------------------------------------

const char* kScanYaml = R"(
channels: {height: {file: h.tif}, phase1: {file: p.tif}, df2: {file: d.tif}}
scan_size: {x: 1.0e-6, y: 1.0e-6}
cantilever: {k1: 26.0, q1: 450.0, f1: 3.0e5, f2: 1.71e6, a1_free: 1.5e-7, a1_set: 1.05e-7}
)";

TEST(CalibrateTip, TipBlockWithAnotherCantileverIsRejected) {
    const std::string ok = std::string(kScanYaml) +
                           "tip: {radius: 1.0e-8, uncertainty: 2.0e-10, cantilever: {k1: 26.1, f1: 3.0e5, f2: 1.71e6}}\n";
    const amfm::ScanConfig c = amfm::parse_scan_config(ok, ".", "t.yaml");
    EXPECT_EQ(c.tip_calibration.radius_uncertainty_m, 2.0e-10);
    const std::string bad = std::string(kScanYaml) + "tip: {radius: 1.0e-8, cantilever: {k1: 40.0, f1: 3.0e5, f2: 1.71e6}}\n";
    try {
        amfm::parse_scan_config(bad, ".", "t.yaml");
        FAIL() << "expected ConfigError";
    } catch (const amfm::ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("tip.cantilever.k1"), std::string::npos) << e.what();
    }
    amfm::Cantilever a, b;
    b.f2_hz *= 1.1;
    EXPECT_THROW(amfm::check_same_cantilever(a, "a.yaml", b, "b.yaml"), amfm::ConfigError);
    EXPECT_NO_THROW(amfm::check_same_cantilever(a, "a.yaml", a, "b.yaml"));
}

// ---- tilt correction -------------------------------------------------------------------------

void expect_tilt_fit_recovers(double n_true, std::uint64_t seed) {
    TempDir tmp;
    amfm::SphereFieldSpec spec;
    spec.seed = seed;
    spec.kc_true.cos_exponent = n_true;
    const amfm::Scan scan = write_and_load(amfm::simulate_sphere_field(spec), tmp, "spheres");
    auto backend = amfm::make_cpu_backend();
    const amfm::TiltFitResult r = amfm::fit_tilt_calibration(scan, amfm::TiltFitOptions{}, *backend);
    double worst = 0.0;
    for (double t = 0.0; t <= 45.0; t += 0.5)
        worst = std::max(worst, std::abs(amfm::kc_factor(r.polynomial, t) - amfm::kc_factor(spec.kc_true, t)));
    EXPECT_LT(worst, 0.01) << "n_true " << n_true;
    EXPECT_NEAR(r.cos_exponent, n_true, 0.1);
    EXPECT_EQ(r.polynomial.n_coefficients, 5);
    EXPECT_EQ(r.polynomial.max_angle_deg, 45.0);
    EXPECT_GT(r.n_fitted, 1000);
    EXPECT_GT(r.n_film, 0);
    EXPECT_GT(r.n_invalid + r.n_sliding, 0);  // the rims beyond the slide angle are counted, not used
    EXPECT_EQ(r.n_film + r.n_invalid + r.n_sliding + r.n_binned, r.n_pixels);
    EXPECT_TRUE(r.warnings.empty());
}

TEST(FitTilt, RecoversCosPowerTruth) { expect_tilt_fit_recovers(2.5, 1); }
TEST(FitTilt, RecoversAnotherExponent) { expect_tilt_fit_recovers(1.8, 3); }

TEST(FitTilt, FlatScanHasNoTiltRange) {
    TempDir tmp;
    const amfm::Scan scan = write_and_load(amfm::simulate_reference_scan(amfm::ReferenceScanSpec{}), tmp, "flat");
    auto backend = amfm::make_cpu_backend();
    try {
        amfm::fit_tilt_calibration(scan, amfm::TiltFitOptions{}, *backend);
        FAIL() << "expected DataError";
    } catch (const amfm::DataError& e) {
        EXPECT_NE(std::string(e.what()).find("no usable tilt range"), std::string::npos) << e.what();
    }
}

TEST(FitTilt, PolynomialAndCosFitsAreExactOnExactData) {
    std::vector<double> x, y, r;
    for (double t = 0.0; t <= 45.0; t += 1.0) {
        x.push_back(t);
        y.push_back(1.0 - 2e-3 * t + 3e-5 * t * t - 4e-7 * t * t * t);
        r.push_back(std::pow(std::cos(t / amfm::kDegPerRad), 2.3));
    }
    const std::vector<double> c = amfm::fit_polynomial(x, y, 3, 45.0);
    ASSERT_EQ(c.size(), 4u);
    EXPECT_NEAR(c[0], 1.0, 1e-10);
    EXPECT_NEAR(c[1], -2e-3, 1e-11);
    EXPECT_NEAR(c[2], 3e-5, 1e-12);
    EXPECT_NEAR(c[3], -4e-7, 1e-14);
    EXPECT_NEAR(amfm::fit_cos_exponent(x, r), 2.3, 1e-9);
    EXPECT_THROW(amfm::fit_polynomial({1.0, 1.0, 1.0}, {1.0, 2.0, 3.0}, 2, 1.0), amfm::DataError);
}

// A straight line through noisy points: the textbook variances of intercept and slope.
TEST(FitTilt, CoefficientCovarianceOfALineIsTheTextbooks) {
    std::vector<double> x, y;
    for (int i = 0; i <= 20; ++i) {
        x.push_back(2.0 * i);
        y.push_back(1.0 - 0.01 * x.back() + (i % 3 == 0 ? 0.004 : i % 3 == 1 ? -0.003 : -0.001));
    }
    const std::vector<double> c = amfm::fit_polynomial(x, y, 1, 45.0);
    const std::vector<double> cov = amfm::polynomial_covariance(x, y, c, 45.0);
    ASSERT_EQ(cov.size(), 4u);
    double mean_x = 0.0, sxx = 0.0, ss = 0.0;
    for (double v : x) mean_x += v / 21.0;
    for (double v : x) sxx += (v - mean_x) * (v - mean_x);
    for (std::size_t i = 0; i < x.size(); ++i) ss += std::pow(y[i] - c[0] - c[1] * x[i], 2);
    const double s2 = ss / 19.0;
    EXPECT_NEAR(cov[3], s2 / sxx, 1e-9 * s2 / sxx);
    EXPECT_NEAR(cov[0], s2 * (1.0 / 21.0 + mean_x * mean_x / sxx), 1e-9 * s2);
    EXPECT_NEAR(cov[1], -mean_x * s2 / sxx, 1e-9 * s2);
    EXPECT_EQ(cov[1], cov[2]);
}

TEST(FitTilt, CliWritesABlockProcessAccepts) {
    TempDir tmp;
    amfm::write_calibration_scan(amfm::simulate_sphere_field(amfm::SphereFieldSpec{}), tmp.file("spheres"));
    ASSERT_EQ(run_amfm("fit-tilt spheres/scan.yaml --order 3 --out fit", tmp), 0) << slurp(tmp.file("stderr.txt"));
    EXPECT_TRUE(fs::exists(tmp.path() / "fit" / "fig_tilt_calibration.png"));
    EXPECT_TRUE(fs::exists(tmp.path() / "fit" / "tilt_bins.csv"));
    const amfm::ScanConfig cfg =
        amfm::load_scan_config_merged(tmp.file("spheres/scan.yaml"), {tmp.file("fit/tilt_correction.yaml")});
    EXPECT_EQ(cfg.tilt_correction.model, amfm::KcModel::Polynomial);
    EXPECT_EQ(cfg.tilt_correction.n_coefficients, 4);
    EXPECT_NEAR(cfg.tilt_correction.cos_exponent, 2.5, 0.1);
    EXPECT_NEAR(amfm::kc_factor(cfg.tilt_correction, 30.0), std::pow(std::cos(30.0 / amfm::kDegPerRad), 2.5), 0.01);
    // The coefficients' covariance, for the uncertainty budget: positive variances.
    ASSERT_EQ(cfg.kc_covariance.size(), 16u);
    for (int i = 0; i < 4; ++i) EXPECT_GT(cfg.kc_covariance[(std::size_t)(5 * i)], 0.0);
    EXPECT_GT(amfm::kc_fit_relative_error(cfg.tilt_correction, cfg.kc_covariance, 30.0), 0.0);
    // The merge replaced only what the block holds.
    EXPECT_EQ(cfg.cantilever.k1_n_per_m, 26.0);
}

// ---- systematic uncertainty ------------------------------------------------------------------

TEST(SystematicUncertainty, FollowsTheEquationsExponents) {
    amfm::ScanConfig c;
    c.tip_radius_m = 10.0e-9;
    c.tip_calibration.radius_uncertainty_m = 0.3e-9;  // 3 %
    c.k1_uncertainty_n_per_m = 0.1 * c.cantilever.k1_n_per_m;  // 10 %
    // k2 derived from k1: E ~ k1^(-1/2) k2^(3/2) ~ k1^1
    amfm::SystematicUncertainty u = amfm::modulus_systematic_uncertainty(c);
    EXPECT_DOUBLE_EQ(u.k1_exponent, 1.0);
    EXPECT_NEAR(u.total_rel, std::hypot(0.03, 0.10), 1e-12);
    // k2 given: E ~ k1^(-1/2)
    c.cantilever.k2_n_per_m = 800.0;
    u = amfm::modulus_systematic_uncertainty(c);
    EXPECT_DOUBLE_EQ(u.k1_exponent, -0.5);
    EXPECT_NEAR(u.total_rel, std::hypot(0.03, 0.05), 1e-12);
    // R calibrated with this cantilever: k1's error cancels between reference and sample.
    c.tip_calibration.k1_n_per_m = c.cantilever.k1_n_per_m;
    EXPECT_NEAR(amfm::modulus_systematic_uncertainty(c).total_rel, 0.03, 1e-12);
}
