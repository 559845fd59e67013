// The uncertainty budget: each term against its formula, the fit's standard error against the
// scatter of repeated fits, and the systematic term against a known error in the tip radius.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <random>
#include <vector>

#include "amfm/kernels/error.hpp"
#include "amfm/kernels/gauss_fit.hpp"
#include "host/formats/scan_yaml.hpp"
#include "host/method/pipeline.hpp"
#include "host/method/uncertainty.hpp"
#include "host/model/config.hpp"
#include "host/sim/simulate.hpp"
#include "test_util.hpp"

using namespace amfm;
namespace fs = std::filesystem;

namespace {


ScanResult process_with(const fs::path& dir, const std::vector<std::string>& overrides) {
    const Scan scan = load_scan(load_scan_config((dir / "scan.yaml").string(), overrides));
    auto backend = make_cpu_backend();
    return process_scan(scan, *backend);
}

}  // namespace

TEST(UncertaintyTerms, TiltNoiseOfCentralDifferences) {
    // slope = (z[i+1] - z[i-1]) / (2 dx): sigma = sqrt(2) noise / (2 dx) on the finer axis.
    EXPECT_NEAR(tilt_noise_deg(1e-9, 10e-9, 20e-9, TiltMethod::CentralDifference, 3),
                std::atan(1e-9 / (std::sqrt(2.0) * 10e-9)) * 180.0 / kPi, 1e-12);
}

TEST(UncertaintyTerms, KcLogSlopeOfTheCosineModel) {
    // d ln (cos theta)^n / d theta = -n tan theta per radian.
    TiltCorrection tc;
    tc.model = KcModel::CosPower;
    tc.cos_exponent = 2.5;
    EXPECT_NEAR(kc_log_slope_per_deg(tc, 30.0), 2.5 * std::tan(30.0 * kPi / 180.0) * kPi / 180.0, 1e-9);
    tc.model = KcModel::None;
    EXPECT_EQ(kc_log_slope_per_deg(tc, 30.0), 0.0);
}

TEST(UncertaintyTerms, KcFitErrorFollowsTheCoefficientCovariance) {
    TiltCorrection tc;
    tc.model = KcModel::Polynomial;
    tc.n_coefficients = 2;
    tc.coefficients[0] = 1.0;
    tc.coefficients[1] = -0.01;
    for (int i = 2; i < kMaxKcCoefficients; ++i) tc.coefficients[i] = 0.0;
    // var Kc(20) = C00 + 2 * 20 C01 + 20^2 C11 = 1e-4 - 40e-6 + 400e-7 = 1e-4; Kc(20) = 0.8.
    const std::vector<double> cov = {1e-4, -1e-6, -1e-6, 1e-7};
    EXPECT_NEAR(kc_fit_relative_error(tc, cov, 20.0), 0.01 / 0.8, 1e-12);
    EXPECT_TRUE(std::isnan(kc_fit_relative_error(tc, {}, 20.0)));  // not recorded
}

// The standard error from the fit's covariance matches the scatter of the centres of repeated
// fits to independent samples (200 histograms of 4000 values each).
TEST(UncertaintyTerms, FitStandardErrorMatchesTheScatterOfRepeatedFits) {
    std::mt19937_64 rng(5);
    std::normal_distribution<double> value(10.0, 1.0);
    std::vector<double> centres, errors;
    for (int trial = 0; trial < 200; ++trial) {
        RegionStats r;
        r.hist.lo = 6.0;
        r.hist.hi = 14.0;
        r.hist.nbins = 40;
        r.counts.assign(40, 0);
        for (int i = 0; i < 4000; ++i)
            if (const int b = hist_bin_index(r.hist, value(rng)); b >= 0) ++r.counts[(std::size_t)b];
        r.gaussian.fit = fit_gaussian_histogram(r.counts.data(), r.hist, FitOptions{});
        r.gaussian.center_gpa = r.gaussian.fit.center;
        centres.push_back(r.gaussian.fit.center);
        errors.push_back(fit_standard_errors(r, false).center);
    }
    double mean = 0.0, ss = 0.0, mean_error = 0.0;
    for (double c : centres) mean += c / 200.0;
    for (double c : centres) ss += (c - mean) * (c - mean);
    for (double e : errors) mean_error += e / 200.0;
    const double scatter = std::sqrt(ss / 199.0);
    EXPECT_NEAR(mean_error, scatter, 0.2 * scatter);  // the SD of 200 values is known to ~5 %
    EXPECT_NEAR(scatter, 1.0 / std::sqrt(4000.0), 0.5 / std::sqrt(4000.0));  // the mean's own error, roughly
}

// Simulated with R = 10 nm, processed with R = 10.8 nm or 9.2 nm declared +- 1 nm: every
// presented centre moves by the radius error, and the reported systematic term covers the move.
TEST(UncertaintyBudget, SystematicTermCoversAKnownTipRadiusError) {
    amfm_test::TempDir tmp;
    SimulationSpec spec;
    spec.nx = spec.ny = 128;
    spec.cycle = 60;
    spec.seed = 71;
    spec.regions = paper_region_truths(60);
    ASSERT_EQ(spec.tip_radius_m, 10.0e-9);
    write_simulated_scan(simulate_scan(spec), (tmp.path() / "scan").string());
    const ScanResult truth = process_with(tmp.path() / "scan", {});
    for (double radius_nm : {10.8, 9.2}) {
        SCOPED_TRACE(radius_nm);
        const ScanResult r = process_with(
            tmp.path() / "scan", {"tip.radius=" + std::to_string(radius_nm) + "e-9", "tip.uncertainty=1.0e-9"});
        int checked = 0;
        for (std::size_t i = 0; i < r.stats.regions.size(); ++i) {
            const double e_true = truth.stats.regions[i].gaussian.center_gpa, e = r.stats.regions[i].gaussian.center_gpa;
            if (!std::isfinite(e) || !std::isfinite(e_true)) continue;
            const UncertaintyBudget& u = r.uncertainty.regions[i];
            EXPECT_NEAR(u.radius_gpa, e / radius_nm, 1e-12 * e);  // sigma_R / R x centre
            EXPECT_NEAR(e, e_true * 10.0 / radius_nm, 0.002 * e);  // E ~ 1/R
            EXPECT_LE(std::fabs(e - e_true), u.systematic_gpa);
            EXPECT_GT(std::fabs(e - e_true), 0.5 * u.systematic_gpa);  // of the size of the error, not far above
            EXPECT_NEAR(u.combined_gpa, std::hypot(u.center_se_gpa, u.systematic_gpa), 1e-12 * e);
            EXPECT_GT(u.center_se_gpa, 0.0);
            EXPECT_TRUE(std::isnan(u.k1_gpa));      // k1's uncertainty not given
            EXPECT_TRUE(std::isnan(u.kc_fit_gpa));  // no Kc covariance recorded
            ++checked;
        }
        EXPECT_GE(checked, 3);
    }
}

TEST(UncertaintyBudget, KcCovarianceMustMatchTheCoefficients) {
    amfm_test::TempDir tmp;
    SimulationSpec spec;
    spec.nx = spec.ny = 32;
    spec.regions = paper_region_truths(0);
    write_simulated_scan(simulate_scan(spec), (tmp.path() / "scan").string());
    const std::string yaml = (tmp.path() / "scan" / "scan.yaml").string();
    amfm_test::expect_error<ConfigError>(
        [&] { load_scan_config(yaml, {"tilt_correction.coefficients=[1.0, -0.01]", "tilt_correction.covariance=[1e-4]"}); },
        {"tilt_correction.covariance", "expected 4 numbers"});
    const ScanConfig cfg = load_scan_config(
        yaml, {"tilt_correction.coefficients=[1.0, -0.01]", "tilt_correction.covariance=[1e-4, -1e-6, -1e-6, 1e-7]"});
    EXPECT_EQ(cfg.kc_covariance, (std::vector<double>{1e-4, -1e-6, -1e-6, 1e-7}));
}
