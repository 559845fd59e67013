// Levenberg-Marquardt Gaussian fits of histograms: known parameters and degenerate cases.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "amfm/kernels/gauss_fit.hpp"

using namespace amfm;

namespace {

std::vector<std::uint32_t> gaussian_counts(const HistSpec& h, double amp, double c, double s, double offset) {
    std::vector<std::uint32_t> counts(h.nbins);
    for (int b = 0; b < h.nbins; ++b) {
        const double x = hist_bin_center(h, b);
        counts[b] = (std::uint32_t)std::lround(amp * std::exp(-0.5 * (x - c) * (x - c) / (s * s)) + offset);
    }
    return counts;
}

}  // namespace

TEST(HistogramBins, EdgeRule) {
    HistSpec h{1.0, 3.0, 4, 0, 0};
    EXPECT_EQ(hist_bin_index(h, 1.0), 0);
    EXPECT_EQ(hist_bin_index(h, 1.4999), 0);
    EXPECT_EQ(hist_bin_index(h, 1.5), 1);
    EXPECT_EQ(hist_bin_index(h, 3.0), 3);  // the upper edge belongs to the last bin
    EXPECT_EQ(hist_bin_index(h, 3.0001), -1);
    EXPECT_EQ(hist_bin_index(h, 0.9999), -1);
    EXPECT_EQ(hist_bin_index(h, NAN), -1);
    HistSpec lg{-1.0, 1.0, 2, 0, 1};
    EXPECT_EQ(hist_bin_index(lg, hist_axis_value(lg, 5.0)), 1);
    EXPECT_EQ(hist_bin_index(lg, hist_axis_value(lg, 0.5)), 0);
    EXPECT_EQ(hist_bin_index(lg, hist_axis_value(lg, 0.0)), -1);  // log10(0) = -inf
    // A spec without bins owns no slot: nothing is counted (not slot `offset`, one past its end).
    HistSpec empty{1.0, 3.0, 0, 7, 0};
    EXPECT_EQ(hist_bin_index(empty, 2.0), -1);
    EXPECT_EQ(region_hist_slot(&empty, 1, 0, 0, 2.0f), -1);
}

TEST(GaussFit, RecoversKnownParameters) {
    const HistSpec h{100.0, 190.0, 60, 0, 0};
    const auto counts = gaussian_counts(h, 5000.0, 145.0, 10.0, 0.0);
    const FitResult f = fit_gaussian_histogram(counts.data(), h, FitOptions{});
    ASSERT_EQ(f.state, FitState::Converged);
    EXPECT_NEAR(f.center, 145.0, 1e-3);
    EXPECT_NEAR(f.sigma, 10.0, 1e-3);
    EXPECT_NEAR(f.amplitude, 5000.0, 1.0);
    EXPECT_GT(f.r2, 0.99999);
    EXPECT_GT(f.iterations, 0);
    EXPECT_NEAR(fwhm_from_sigma(f.sigma), 2.0 * std::sqrt(2.0 * std::log(2.0)) * f.sigma, 1e-12);
}

TEST(GaussFit, RecoversOffsetWhenAsked) {
    const HistSpec h{0.0, 10.0, 50, 0, 0};
    const auto counts = gaussian_counts(h, 800.0, 4.2, 0.7, 50.0);
    FitOptions o;
    o.fit_offset = 1;
    const FitResult f = fit_gaussian_histogram(counts.data(), h, o);
    ASSERT_EQ(f.state, FitState::Converged);
    EXPECT_NEAR(f.center, 4.2, 1e-3);
    EXPECT_NEAR(f.sigma, 0.7, 2e-3);
    EXPECT_NEAR(f.offset, 50.0, 1.0);
}

TEST(GaussFit, OffCentreStartAndNarrowPeak) {
    // A narrow peak near the range edge (sigma 1.5 bins): the moment start is still close.
    const HistSpec h{1.0, 9.0, 80, 0, 0};
    const auto counts = gaussian_counts(h, 300.0, 2.0, 0.15, 0.0);
    const FitResult f = fit_gaussian_histogram(counts.data(), h, FitOptions{});
    ASSERT_EQ(f.state, FitState::Converged);
    EXPECT_NEAR(f.center, 2.0, 5e-3);
    EXPECT_NEAR(f.sigma, 0.15, 5e-3);
}

TEST(GaussFit, DegenerateHistogramsGiveAStateNeverNaN) {
    const HistSpec h{0.0, 1.0, 10, 0, 0};
    std::vector<std::uint32_t> empty(10, 0), one_bin(10, 0), two_bins(10, 0), flat(10, 7);
    one_bin[4] = 100;
    two_bins[4] = 50;
    two_bins[5] = 50;
    EXPECT_EQ(fit_gaussian_histogram(empty.data(), h, FitOptions{}).state, FitState::TooFewPoints);
    EXPECT_EQ(fit_gaussian_histogram(one_bin.data(), h, FitOptions{}).state, FitState::TooFewPoints);
    EXPECT_EQ(fit_gaussian_histogram(two_bins.data(), h, FitOptions{}).state, FitState::TooFewPoints);
    const HistSpec single{0.0, 1.0, 1, 0, 0};
    std::vector<std::uint32_t> one{42};
    EXPECT_EQ(fit_gaussian_histogram(one.data(), single, FitOptions{}).state, FitState::TooFewPoints);
    // A flat histogram has no peak: whatever the state, every number is finite.
    const FitResult f = fit_gaussian_histogram(flat.data(), h, FitOptions{});
    EXPECT_TRUE(std::isfinite(f.center) && std::isfinite(f.sigma) && std::isfinite(f.amplitude));
}

TEST(GaussFit, IterationLimitIsAState) {
    const HistSpec h{100.0, 190.0, 60, 0, 0};
    const auto counts = gaussian_counts(h, 5000.0, 120.0, 12.0, 0.0);
    FitOptions o;
    o.max_iterations = 1;
    o.tolerance = 0.0;
    const FitResult f = fit_gaussian_histogram(counts.data(), h, o);
    EXPECT_EQ(f.state, FitState::MaxIterations);
    EXPECT_EQ(f.iterations, 1);
}
