// Region/class statistics: exact counts and quantiles, bin rules, degenerate regions.
#include <gtest/gtest.h>

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "host/method/statistics.hpp"

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
    c.regions.index.px.assign(index.begin(), index.end());
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

// numpy's default quantile (linear interpolation between order statistics) from a sorted copy.
double sorted_quantile(std::vector<float> v, double p) {
    std::sort(v.begin(), v.end());
    const double h = (v.size() - 1) * p;
    const std::size_t lo = (std::size_t)std::floor(h);
    double value = v[lo];
    if (h > lo && lo + 1 < v.size()) value += (h - lo) * ((double)v[lo + 1] - value);
    return value;
}

// Mean and sample SD as sums in the order of `v`.
std::pair<double, double> sequential_mean_sd(const std::vector<float>& v) {
    double sum = 0.0, ss = 0.0;
    for (float x : v) sum += x;
    const double mean = sum / v.size();
    for (float x : v) ss += ((double)x - mean) * ((double)x - mean);
    return {mean, v.size() > 1 ? std::sqrt(ss / (v.size() - 1)) : NAN};
}

// Every value statistic of `ps` against the sorted reference of `v`. To 4 ulps of a double: the
// tests build with -march=native, whose FMA contraction may round the interpolation differently
// from the library; neighbouring floats are still told apart.
void expect_value_stats(const PixelStats& ps, const std::vector<float>& v) {
    EXPECT_DOUBLE_EQ(ps.p05_gpa, sorted_quantile(v, 0.05));
    EXPECT_DOUBLE_EQ(ps.median_gpa, sorted_quantile(v, 0.5));
    EXPECT_DOUBLE_EQ(ps.p95_gpa, sorted_quantile(v, 0.95));
    const auto [mean, sd] = sequential_mean_sd(v);
    EXPECT_DOUBLE_EQ(ps.mean_gpa, mean);
    if (v.size() > 1) {
        EXPECT_DOUBLE_EQ(ps.sd_gpa, sd);
    } else {
        EXPECT_TRUE(std::isnan(ps.sd_gpa));
    }
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

TEST(Statistics, QuantilesMatchSortedReference) {
    // Small and large inputs (the large ones are selected from a histogram of the float bits),
    // ties, zeros, negative values, decades and values a few ulps apart (one histogram bucket).
    std::mt19937_64 rng(11);
    std::uniform_real_distribution<float> u(-3.0f, 40.0f);
    std::normal_distribution<float> g(0.0f, 1.0f);
    for (int n : {1, 2, 3, 1000, 2047, 2048, 5000, 100000})
        for (int kind = 0; kind < 5; ++kind) {
            SCOPED_TRACE("n " + std::to_string(n) + ", kind " + std::to_string(kind));
            std::vector<float> v(n);
            for (float& x : v) {
                if (kind == 0) x = u(rng);
                if (kind == 1) x = (float)(int)(u(rng) / 8.0f) * ((rng() % 2) ? 1.0f : -1.0f);  // +-0 among them
                if (kind == 2) x = std::pow(10.0f, 2.0f * g(rng));
                if (kind == 3) {  // 2.5 and the next three floats
                    x = 2.5f;
                    for (int k = (int)(rng() % 4); k > 0; --k) x = std::nextafter(x, 3.0f);
                }
                if (kind == 4) x = -std::fabs(g(rng));
            }
            HistogramConfig full;  // the histogram range reports the 0 and 100 % quantiles
            full.lo_percentile = 0.0;
            full.hi_percentile = 100.0;
            for (const HistogramConfig& h : {HistogramConfig{}, full}) {
                const StatisticsResult s = run(make_case(std::vector<std::int32_t>(n, 0), v, {{1, "r", "c"}}), h);
                expect_value_stats(s.regions[0].pixels, v);
                expect_value_stats(s.whole_map.pixels, v);
                expect_value_stats(s.classes[0].pixels, v);
                const double lo = sorted_quantile(v, h.lo_percentile / 100.0);
                const double hi = sorted_quantile(v, h.hi_percentile / 100.0);
                if (hi > lo) {  // else the layout widens a degenerate range
                    EXPECT_DOUBLE_EQ(s.regions[0].hist.lo, lo);
                    EXPECT_DOUBLE_EQ(s.regions[0].hist.hi, hi);
                }
            }
            // Minimum and maximum need no interpolation: exact.
            const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
            const StatisticsResult s = run(make_case(std::vector<std::int32_t>(n, 0), v, {{1, "r", "c"}}), full);
            if (*hi > *lo) {
                EXPECT_EQ(s.regions[0].hist.lo, *lo);
                EXPECT_EQ(s.regions[0].hist.hi, *hi);
            }
        }
}

TEST(Statistics, ClassAndMapQuantilesAreThoseOfTheirPixels) {
    // Regions 0 and 2 form class A, region 1 class B; some pixels unlabelled, some invalid.
    std::mt19937_64 rng(12);
    std::lognormal_distribution<float> crystal(std::log(100.0f), 0.3f), binder(std::log(2.0f), 0.2f);
    const int n = 60000;
    std::vector<std::int32_t> index(n);
    std::vector<float> values(n);
    for (int i = 0; i < n; ++i) {
        index[i] = (int)(rng() % 4) - 1;
        values[i] = index[i] == 1 ? binder(rng) : crystal(rng);
        if (rng() % 50 == 0) values[i] = NAN;
    }
    Case c = make_case(index, values, {{1, "I", "A"}, {2, "b/c", "B"}, {3, "II", "A"}});
    std::vector<float> region[3], class_a, map;
    for (int i = 0; i < n; ++i) {
        if (!std::isfinite(values[i])) continue;
        map.push_back(values[i]);
        if (index[i] >= 0) region[index[i]].push_back(values[i]);
    }
    class_a = region[0];
    class_a.insert(class_a.end(), region[2].begin(), region[2].end());
    const StatisticsResult s = run(c);
    for (int r = 0; r < 3; ++r) expect_value_stats(s.regions[r].pixels, region[r]);
    ASSERT_EQ(s.classes.size(), 2u);
    expect_value_stats(s.classes[0].pixels, class_a);
    expect_value_stats(s.classes[1].pixels, region[1]);
    expect_value_stats(s.whole_map.pixels, map);
    EXPECT_EQ(s.whole_map.pixels.n_valid, (long long)map.size());
    EXPECT_EQ(s.classes[0].pixels.n_valid, (long long)class_a.size());
    EXPECT_EQ(s.whole_map.hist.log10_axis, 1);  // crystal and binder differ by a factor 50
}

TEST(Statistics, ResultsDoNotDependOnTheThreadCount) {
    std::mt19937_64 rng(13);
    std::gamma_distribution<float> g(3.0f, 1.5f);
    const int n = 300000;
    std::vector<std::int32_t> index(n);
    std::vector<float> values(n);
    for (int i = 0; i < n; ++i) {
        index[i] = (i / 1000) % 7 - 1;
        values[i] = g(rng);
    }
    const Case c = make_case(index, values, {{1, "a", "x"}, {2, "b", "y"}, {3, "c", "x"}, {4, "d", "x"},
                                             {5, "e", "y"}, {6, "f", "z"}});
    const int threads = omp_get_max_threads();
    omp_set_num_threads(1);
    const StatisticsResult one = run(c);
    omp_set_num_threads(3);
    const StatisticsResult three = run(c);
    omp_set_num_threads(threads);
    auto same_bits = [](const PixelStats& a, const PixelStats& b) {
        const double x[] = {a.mean_gpa, a.sd_gpa, a.median_gpa, a.p05_gpa, a.p95_gpa};
        const double y[] = {b.mean_gpa, b.sd_gpa, b.median_gpa, b.p05_gpa, b.p95_gpa};
        return std::memcmp(x, y, sizeof x) == 0 && a.n_pixels == b.n_pixels && a.n_valid == b.n_valid &&
               std::equal(a.masked, a.masked + kMaskBitCount, b.masked);
    };
    ASSERT_EQ(one.regions.size(), three.regions.size());
    for (std::size_t r = 0; r < one.regions.size(); ++r) {
        EXPECT_TRUE(same_bits(one.regions[r].pixels, three.regions[r].pixels)) << "region " << r;
        EXPECT_EQ(one.regions[r].counts, three.regions[r].counts);
    }
    ASSERT_EQ(one.classes.size(), three.classes.size());
    for (std::size_t k = 0; k < one.classes.size(); ++k)
        EXPECT_TRUE(same_bits(one.classes[k].pixels, three.classes[k].pixels)) << "class " << k;
    EXPECT_TRUE(same_bits(one.whole_map.pixels, three.whole_map.pixels));
    EXPECT_EQ(one.whole_map.counts, three.whole_map.counts);
}
