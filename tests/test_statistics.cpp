// Region/class statistics: exact counts and quantiles, bin rules, degenerate regions.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "amfm/host/statistics.hpp"

using namespace amfm;

namespace {

// A map whose pixels belong to regions given by `index` (-1: unlabelled) with given values.
struct Case {
    std::vector<float> modulus;
    std::vector<std::uint8_t> mask;
    RegionMap regions;
};

Case make_case(const std::vector<std::int32_t>& index, const std::vector<float>& values,
               const std::vector<RegionInfo>& infos) {
    Case c;
    c.modulus = values;
    c.mask.assign(values.size(), 0);
    c.regions.regions = infos;
    c.regions.from_labels = true;
    c.regions.index = Image<std::int32_t>((int)index.size(), 1);
    c.regions.index.px = index;
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (!std::isfinite(values[i])) c.mask[i] |= kMaskNonFinite;
        if (index[i] < 0) c.mask[i] |= kMaskUnlabelled;
    }
    return c;
}

StatisticsResult run(const Case& c, HistogramConfig h = {}) {
    auto backend = make_cpu_backend();
    return compute_statistics(c.modulus, c.mask, c.regions, h, FitOptions{}, *backend);
}

}  // namespace

TEST(Statistics, CountsQuantilesAndMomentsAreExact) {
    // Region 0: values 1..101 (odd count, exact median 51); region 1: 2 values; one NaN pixel.
    std::vector<std::int32_t> index;
    std::vector<float> values;
    for (int v = 1; v <= 101; ++v) {
        index.push_back(0);
        values.push_back((float)v);
    }
    index.insert(index.end(), {1, 1, 0, -1});
    values.insert(values.end(), {10.0f, 20.0f, NAN, 7.0f});
    const Case c = make_case(index, values, {{1, "I", "LNMO"}, {2, "b/c", "b/c"}});
    const StatisticsResult s = run(c);
    ASSERT_EQ(s.regions.size(), 2u);
    const PixelStats& p = s.regions[0].pixels;
    EXPECT_EQ(p.n_pixels, 102);
    EXPECT_EQ(p.n_valid, 101);
    EXPECT_EQ(p.masked[3], 1);  // the NaN pixel: non-finite bit
    EXPECT_DOUBLE_EQ(p.mean_gpa, 51.0);
    EXPECT_NEAR(p.sd_gpa, std::sqrt(101.0 * 102.0 / 12.0), 1e-9);  // SD of 1..n: sqrt(n(n+1)/12)
    EXPECT_DOUBLE_EQ(p.median_gpa, 51.0);
    EXPECT_DOUBLE_EQ(p.p05_gpa, 6.0);   // 1 + 0.05 * 100
    EXPECT_DOUBLE_EQ(p.p95_gpa, 96.0);
    const PixelStats& q = s.regions[1].pixels;
    EXPECT_EQ(q.n_valid, 2);
    EXPECT_DOUBLE_EQ(q.median_gpa, 15.0);
    EXPECT_NEAR(q.sd_gpa, std::sqrt(50.0), 1e-12);
    // Histogram counts add up to the values inside the percentile range.
    long long counted = 0;
    for (auto n : s.regions[0].counts) counted += n;
    EXPECT_EQ(counted, 99);  // 0.5 % and 99.5 % percentiles of 1..101 are 1.5 and 100.5
    // The whole map holds every valid pixel, labelled or not.
    EXPECT_EQ(s.whole_map.pixels.n_valid, 104);
    EXPECT_EQ(s.whole_map.pixels.masked[4], 1);
    // Classes are the unions of their regions.
    ASSERT_EQ(s.classes.size(), 2u);
    EXPECT_EQ(s.classes[0].class_name, "LNMO");
    EXPECT_EQ(s.classes[0].pixels.n_valid, 101);
}

TEST(Statistics, GaussianRegionRecoversCentreAndSigma) {
    std::mt19937_64 rng(3);
    std::normal_distribution<double> g(4.2, 0.3);
    std::vector<std::int32_t> index(50000, 0);
    std::vector<float> values(50000);
    for (auto& v : values) v = (float)g(rng);
    const StatisticsResult s = run(make_case(index, values, {{1, "I", "LNMO"}}));
    const GaussianSummary& gs = s.regions[0].gaussian;
    ASSERT_EQ(gs.fit.state, FitState::Converged);
    EXPECT_NEAR(gs.center_gpa, 4.2, 0.01);
    EXPECT_NEAR(gs.sigma_gpa, 0.3, 0.01);
    EXPECT_NEAR(gs.fwhm_gpa, 2.0 * std::sqrt(2.0 * std::log(2.0)) * gs.sigma_gpa, 1e-12);
    EXPECT_GE(s.regions[0].hist.nbins, 10);
    EXPECT_LE(s.regions[0].hist.nbins, 200);
}

TEST(Statistics, LogAxisReportsCentreInGpa) {
    std::mt19937_64 rng(5);
    std::normal_distribution<double> g(std::log10(2.0), 0.05);
    std::vector<std::int32_t> index(40000, 0);
    std::vector<float> values(40000);
    for (auto& v : values) v = (float)std::pow(10.0, g(rng));
    HistogramConfig h;
    h.log10_axis = true;
    const StatisticsResult s = run(make_case(index, values, {{1, "b/c", "b/c"}}), h);
    ASSERT_EQ(s.regions[0].gaussian.fit.state, FitState::Converged);
    EXPECT_NEAR(s.regions[0].gaussian.center_gpa, 2.0, 0.02);
    EXPECT_NEAR(s.regions[0].gaussian.fit.sigma, 0.05, 0.003);
}

TEST(Statistics, DegenerateRegionsGiveStatesNotNaNOrCrashes) {
    // Region 0 empty (named, no pixels), 1 a single pixel, 2 all-equal values, 3 two pixels.
    std::vector<std::int32_t> index{1, 2, 2, 2, 2, 3, 3};
    std::vector<float> values{5.0f, 3.0f, 3.0f, 3.0f, 3.0f, 1.0f, 2.0f};
    const StatisticsResult s =
        run(make_case(index, values, {{1, "empty", "x"}, {2, "one", "x"}, {3, "equal", "x"}, {4, "two", "x"}}));
    ASSERT_EQ(s.regions.size(), 4u);
    EXPECT_EQ(s.regions[0].pixels.n_valid, 0);
    EXPECT_EQ(s.regions[0].gaussian.fit.state, FitState::TooFewPoints);
    EXPECT_EQ(s.regions[1].gaussian.fit.state, FitState::TooFewPoints);
    EXPECT_EQ(s.regions[2].gaussian.fit.state, FitState::TooFewPoints);
    EXPECT_DOUBLE_EQ(s.regions[2].pixels.mean_gpa, 3.0);
    EXPECT_DOUBLE_EQ(s.regions[2].pixels.sd_gpa, 0.0);
    EXPECT_EQ(s.regions[3].gaussian.fit.state, FitState::TooFewPoints);
    for (const auto& r : s.regions) {
        EXPECT_TRUE(r.hist.hi > r.hist.lo);
        EXPECT_GE(r.hist.nbins, 1);
    }
    EXPECT_DOUBLE_EQ(s.regions[1].pixels.median_gpa, 5.0);
    EXPECT_TRUE(std::isnan(s.regions[1].pixels.sd_gpa));  // undefined for n = 1: reported empty
}

TEST(Statistics, AutoBinRules) {
    HistogramConfig h;
    h.rule = "sturges";
    EXPECT_EQ(auto_bin_count(h, 1024, 1.0, 10.0), 11);
    h.rule = "sqrt";
    EXPECT_EQ(auto_bin_count(h, 2500, 1.0, 10.0), 50);
    h.rule = "fd";
    EXPECT_EQ(auto_bin_count(h, 1000, 1.0, 10.0), 50);  // width 2 * 1 / 10 = 0.2
    EXPECT_EQ(auto_bin_count(h, 1000, 0.0, 10.0), 11);  // IQR 0: Sturges
    EXPECT_EQ(auto_bin_count(h, 1000000, 1.0, 10.0), 200);  // clamped to max_bins
}
