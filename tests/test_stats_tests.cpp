// Welch's t, Student's t, Kolmogorov's distribution and the KS test on quantile sketches,
// against values computed with mpmath (30 digits).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "host/method/float_order.hpp"
#include "host/method/stats_tests.hpp"

namespace {

TEST(StatsTests, IncompleteBetaKnownValues) {
    EXPECT_NEAR(amfm::incomplete_beta(2, 3, 0.4), 0.5248, 1e-12);  // binomial sum, exact
    EXPECT_NEAR(amfm::incomplete_beta(0.5, 7.5, 0.1), 0.783751634862733588, 1e-11);
    EXPECT_EQ(amfm::incomplete_beta(2, 3, 0.0), 0.0);
    EXPECT_EQ(amfm::incomplete_beta(2, 3, 1.0), 1.0);
    EXPECT_TRUE(std::isnan(amfm::incomplete_beta(2, 3, 1.5)));
}

TEST(StatsTests, StudentTKnownValues) {
    EXPECT_NEAR(amfm::student_t_cdf(2.0, 5), 0.949030260585070815, 1e-12);
    EXPECT_NEAR(amfm::student_t_cdf(-1.5, 2.5), 0.123918226543148131, 1e-12);
    EXPECT_NEAR(amfm::student_t_quantile(0.975, 10), 2.22813885198627475, 1e-9);
    EXPECT_NEAR(amfm::student_t_quantile(0.975, 1), 12.7062047361747046, 1e-8);
    EXPECT_NEAR(amfm::student_t_quantile(0.975, 3.7), 2.86752070719118946, 1e-9);
    EXPECT_NEAR(amfm::student_t_quantile(0.025, 10), -2.22813885198627475, 1e-9);
    EXPECT_EQ(amfm::student_t_quantile(0.5, 7), 0.0);
}

TEST(StatsTests, KolmogorovKnownValues) {
    EXPECT_NEAR(amfm::kolmogorov_q(1.0), 0.269999671677354521, 1e-12);
    EXPECT_NEAR(amfm::kolmogorov_q(1.36), 0.0494858767553779099, 1e-12);
    EXPECT_NEAR(amfm::kolmogorov_q(0.5), 0.963945243664875094, 1e-12);
    EXPECT_EQ(amfm::kolmogorov_q(0.1), 1.0);
}

// The textbook example (Wikipedia "Welch's t-test", example 1): t = 2.455, df = 24.99, p = 0.0214.
TEST(StatsTests, WelchMatchesReferenceExample) {
    const std::vector<double> a = {27.5, 21.0, 19.0, 23.6, 17.0, 17.9, 16.9, 20.1, 21.9, 22.6, 23.1, 19.6, 19.0, 21.7, 21.4};
    const std::vector<double> b = {27.1, 22.0, 20.8, 23.4, 23.4, 23.5, 25.8, 22.0, 24.8, 20.2, 21.9, 22.1, 22.9, 20.5, 24.4};
    auto mean_sd = [](const std::vector<double>& v, double& m, double& s) {
        m = 0;
        for (double x : v) m += x;
        m /= v.size();
        s = 0;
        for (double x : v) s += (x - m) * (x - m);
        s = std::sqrt(s / (v.size() - 1));
    };
    double ma, sa, mb, sb;
    mean_sd(a, ma, sa);
    mean_sd(b, mb, sb);
    const amfm::WelchResult w = amfm::welch_test(15, ma, sa, 15, mb, sb);
    EXPECT_NEAR(w.diff, 22.9866666666666674 - 20.82, 1e-12);
    EXPECT_NEAR(w.t, 2.45535639828600905, 1e-10);
    EXPECT_NEAR(w.df, 24.9885292902314144, 1e-9);
    EXPECT_NEAR(w.p_two_sided, 0.0213780014628668426, 1e-10);
    EXPECT_NEAR(w.ci_lo, 0.349237066192408791, 1e-8);
    EXPECT_NEAR(w.ci_hi, 3.98409626714093212, 1e-8);
}

TEST(StatsTests, WelchDegenerateGroupsGiveNaN) {
    EXPECT_TRUE(std::isnan(amfm::welch_test(1, 1.0, 0.1, 10, 2.0, 0.1).diff));
    EXPECT_TRUE(std::isnan(amfm::welch_test(10, 1.0, 0.0, 10, 2.0, 0.0).ci_lo));
}

// The radix sort gives std::sort's order, bit for bit, on both sides of its small-input cutoff:
// negative and positive values, decades apart, ties, denormals and infinities.
TEST(StatsTests, RadixSortEqualsStdSort) {
    std::mt19937 rng(5);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    for (std::size_t n : {0u, 1u, 2u, 4095u, 4096u, 100000u}) {
        std::vector<float> v(n);
        for (std::size_t i = 0; i < n; ++i) {
            const float x = u(rng);
            v[i] = i % 7 == 0 ? std::round(x * 4.0f) + 0.5f          // ties
                   : i % 11 == 0 ? x * 1e-40f                       // denormals
                   : i % 13 == 0 ? std::pow(10.0f, 30.0f * x)       // decades
                                 : x;
        }
        if (n > 10) v[3] = std::numeric_limits<float>::infinity(), v[5] = -std::numeric_limits<float>::infinity();
        std::vector<float> expect = v;
        std::sort(expect.begin(), expect.end());
        amfm::sort_floats(v);
        ASSERT_EQ(v.size(), expect.size());
        for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(v[i], expect[i]) << "n " << n << " at " << i;
    }
    std::vector<float> zeros = {0.0f, -0.0f, 1.0f, -1.0f};
    amfm::sort_floats(zeros);
    EXPECT_EQ(zeros[0], -1.0f);
    EXPECT_TRUE(std::signbit(zeros[1]));  // -0 before +0
    EXPECT_FALSE(std::signbit(zeros[2]));
}

TEST(StatsTests, QuantileSketchOfKnownValues) {
    std::vector<float> v = {4, 0, 2, 1, 3};
    const amfm::QuantileSketch s = amfm::make_quantile_sketch(v, 4);
    ASSERT_EQ(s.quantiles.size(), 5u);
    for (int j = 0; j <= 4; ++j) EXPECT_DOUBLE_EQ(s.quantiles[j], j);
    EXPECT_EQ(s.n, 5);
    EXPECT_DOUBLE_EQ(amfm::mixture_cdf({&s}, -1.0), 0.0);
    EXPECT_DOUBLE_EQ(amfm::mixture_cdf({&s}, 2.0), 0.5);
    EXPECT_DOUBLE_EQ(amfm::mixture_cdf({&s}, 2.5), 0.625);
    EXPECT_DOUBLE_EQ(amfm::mixture_cdf({&s}, 4.0), 1.0);
    std::vector<float> none;
    EXPECT_TRUE(amfm::make_quantile_sketch(none, 4).quantiles.empty());
}

TEST(StatsTests, KsOfShiftedUniformsIsTheShift) {
    std::mt19937 rng(7);
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    std::vector<float> a(200000), b(200000), c(200000);
    for (auto& x : a) x = u(rng);
    for (auto& x : b) x = u(rng) + 0.2f;
    for (auto& x : c) x = u(rng);
    const auto sa = amfm::make_quantile_sketch(a, 400), sb = amfm::make_quantile_sketch(b, 400),
               sc = amfm::make_quantile_sketch(c, 400);
    const amfm::KsResult shifted = amfm::ks_test({&sa}, {&sb});
    EXPECT_NEAR(shifted.d, 0.2, 0.01);
    EXPECT_LT(shifted.p, 1e-12);
    const amfm::KsResult same = amfm::ks_test({&sa}, {&sc});
    EXPECT_LT(same.d, 0.01);
    // A mixture of the two halves of `a` is `a` again.
    std::vector<float> lo(a.begin(), a.begin() + 100000), hi(a.begin() + 100000, a.end());
    const auto sl = amfm::make_quantile_sketch(lo, 400), sh = amfm::make_quantile_sketch(hi, 400);
    EXPECT_LT(amfm::ks_test({&sl, &sh}, {&sa}).d, 0.01);
}

TEST(StatsTests, KsPValueUsesEffectiveSampleSize) {
    // n_a = n_b = 200: n_eff = 100, lambda = (10 + 0.12 + 0.11 / 10) * d
    EXPECT_NEAR(amfm::ks_p_value(0.1, 200, 200), amfm::kolmogorov_q(10.131 * 0.1), 1e-12);
    EXPECT_TRUE(std::isnan(amfm::ks_p_value(0.1, 0, 10)));
}

}  // namespace
