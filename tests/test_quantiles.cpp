// The one quantile rule (linear interpolation between order statistics) by every route:
// partitions, radix selection and sorted sketches, against a sorted reference.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "host/method/quantiles.hpp"

namespace {

// numpy's default quantile from a sorted copy, written out independently of the module.
double sorted_reference(std::vector<float> v, double p) {
    std::sort(v.begin(), v.end());
    const double h = p * (double)(v.size() - 1);
    const std::size_t lo = (std::size_t)std::floor(h);
    if (lo + 1 >= v.size()) return v.back();
    return v[lo] + (h - (double)lo) * ((double)v[lo + 1] - v[lo]);
}

const std::vector<double> kProbs = {0.0, 0.005, 0.05, 0.25, 0.5, 0.75, 0.95, 0.995, 1.0};

// The partitions alone: quantiles_inplace of floats selects by radix from kMinRadixQuantiles
// values on, of doubles never (the same order statistics, the same interpolation).
std::vector<double> by_partition(const std::vector<float>& v, const std::vector<double>& probs) {
    std::vector<double> d(v.begin(), v.end());
    return amfm::quantiles_inplace(d, probs);
}

std::vector<double> by_radix(const std::vector<float>& v, const std::vector<double>& probs) {
    std::vector<double> q;
    EXPECT_TRUE(amfm::radix_quantiles(v, [](float) { return true; }, probs, q));
    return q;
}

std::vector<float> normal_values(std::size_t n, unsigned seed, float mean = 50.0f, float sd = 10.0f) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> d(mean, sd);
    std::vector<float> v(n);
    for (float& x : v) x = d(rng);
    return v;
}

}  // namespace

TEST(Quantiles, PositionFollowsTheRule) {
    EXPECT_EQ(amfm::quantile_position(1, 0.7).lo, 0u);
    EXPECT_EQ(amfm::quantile_position(1, 0.7).frac, 0.0);
    EXPECT_EQ(amfm::quantile_position(5, 0.5).lo, 2u);
    EXPECT_EQ(amfm::quantile_position(5, 0.5).frac, 0.0);
    EXPECT_EQ(amfm::quantile_position(4, 0.5).lo, 1u);
    EXPECT_DOUBLE_EQ(amfm::quantile_position(4, 0.5).frac, 0.5);
    EXPECT_EQ(amfm::quantile_position(4, 1.0).lo, 3u);
    EXPECT_EQ(amfm::quantile_position(4, 1.5).lo, 3u);  // clamped
    EXPECT_EQ(amfm::quantile_position(4, -1.0).lo, 0u);
}

TEST(Quantiles, OneAndTwoValues) {
    for (double p : kProbs) {
        EXPECT_EQ(by_partition({3.5f}, {p})[0], 3.5);
        EXPECT_DOUBLE_EQ(by_partition({2.0f, 1.0f}, {p})[0], 1.0 + p);
    }
    EXPECT_TRUE(std::isnan(by_partition({}, {0.5})[0]));
}

TEST(Quantiles, ZeroAndOneAreTheExtremes) {
    const std::vector<float> v = normal_values(1001, 3);
    const std::vector<double> q = by_partition(v, {1.0, 0.0});
    EXPECT_EQ(q[0], *std::max_element(v.begin(), v.end()));
    EXPECT_EQ(q[1], *std::min_element(v.begin(), v.end()));
}

TEST(Quantiles, EvenMedianIsTheMeanOfTheMiddleTwo) {
    std::vector<double> v = {4.0, 1.0, 3.0, 2.0};
    EXPECT_DOUBLE_EQ(amfm::quantiles_inplace(v, {0.5})[0], 2.5);
    EXPECT_DOUBLE_EQ(by_partition({4, 1, 3, 2, 5}, {0.5})[0], 3.0);
}

TEST(Quantiles, TiesAndUnsortedProbabilities) {
    std::vector<float> v = {2, 2, 2, 1, 1, 3, 3, 3, 3, 2, 2};
    const std::vector<double> probs = {0.9, 0.1, 0.5, 0.33, 1.0, 0.0};
    const std::vector<double> q = by_partition(v, probs);
    for (std::size_t k = 0; k < probs.size(); ++k) EXPECT_DOUBLE_EQ(q[k], sorted_reference(v, probs[k])) << probs[k];
}

TEST(Quantiles, PartitionMatchesSortedReference) {
    for (std::size_t n : {3u, 10u, 99u, 1000u, 4097u}) {
        const std::vector<float> v = normal_values(n, (unsigned)n);
        const std::vector<double> q = by_partition(v, kProbs);
        for (std::size_t k = 0; k < kProbs.size(); ++k) EXPECT_EQ(q[k], sorted_reference(v, kProbs[k])) << n;
    }
}

TEST(Quantiles, RadixSelectionMatchesPartitionsBitForBit) {
    std::vector<float> v = normal_values(200000, 11);
    for (std::size_t i = 0; i < v.size(); i += 7) v[i] = std::round(v[i]);  // many ties
    EXPECT_EQ(by_radix(v, kProbs), by_partition(v, kProbs));
    // Negative values and a wide range of exponents.
    std::vector<float> w = normal_values(50000, 12, 0.0f, 1e3f);
    for (std::size_t i = 0; i < w.size(); i += 5) w[i] *= 1e-6f;
    EXPECT_EQ(by_radix(w, kProbs), by_partition(w, kProbs));
}

TEST(Quantiles, ManyFloatsInPlaceMatchSortedReference) {
    // Above the radix threshold: radix selection; with zeros at the median it declines and the
    // partitions answer. Either way the sorted reference's values, and `v` keeps its values.
    std::vector<float> v = normal_values(amfm::kMinRadixQuantiles + 1001, 21, 0.0f, 5.0f);
    for (std::size_t i = 0; i < v.size(); i += 3) v[i] = std::round(v[i]);
    std::vector<float> in_place = v;
    std::vector<double> q = amfm::quantiles_inplace(in_place, kProbs);
    for (std::size_t k = 0; k < kProbs.size(); ++k) EXPECT_EQ(q[k], sorted_reference(v, kProbs[k])) << kProbs[k];
    std::sort(in_place.begin(), in_place.end());
    std::vector<float> sorted = v;
    std::sort(sorted.begin(), sorted.end());
    EXPECT_EQ(in_place, sorted);
    for (std::size_t i = 0; i < v.size() / 2; ++i) v[i] = 0.0f;  // the median lands on a zero
    in_place = v;
    q = amfm::quantiles_inplace(in_place, kProbs);
    for (std::size_t k = 0; k < kProbs.size(); ++k) EXPECT_EQ(q[k], sorted_reference(v, kProbs[k])) << kProbs[k];
}

TEST(Quantiles, RadixSelectionKeepsOnlySelectedValues) {
    const std::vector<float> v = normal_values(30000, 5);
    std::vector<float> positive;
    for (float x : v)
        if (x > 50.0f) positive.push_back(x);
    std::vector<double> q;
    ASSERT_TRUE(amfm::radix_quantiles(v, [](float x) { return x > 50.0f; }, kProbs, q));
    EXPECT_EQ(q, by_partition(positive, kProbs));
    EXPECT_FALSE(amfm::radix_quantiles(v, [](float) { return false; }, kProbs, q));
}

TEST(Quantiles, RadixSelectionDeclinesNonFiniteValuesAndZeroRanks) {
    std::vector<double> q;
    std::vector<float> v = normal_values(5000, 6);
    v[17] = INFINITY;
    EXPECT_FALSE(amfm::radix_quantiles(v, [](float) { return true; }, {0.5}, q));
    v[17] = NAN;
    EXPECT_FALSE(amfm::radix_quantiles(v, [](float) { return true; }, {0.5}, q));
    std::vector<float> zeros(5000, 0.0f);
    EXPECT_FALSE(amfm::radix_quantiles(zeros, [](float) { return true; }, {0.5}, q));
}

TEST(Quantiles, OrderStatisticsInAnyRankOrder) {
    std::vector<float> v = normal_values(777, 8);
    std::vector<float> sorted = v;
    std::sort(sorted.begin(), sorted.end());
    const std::vector<double> at = amfm::order_statistics_inplace(v, {700, 0, 388, 776, 388});
    EXPECT_EQ(at, (std::vector<double>{sorted[700], sorted[0], sorted[388], sorted[776], sorted[388]}));
}

TEST(Quantiles, SketchLevelsFollowTheRule) {
    const std::vector<float> v = normal_values(12345, 9);
    std::vector<float> work = v;
    const amfm::QuantileSketch s = amfm::make_quantile_sketch(work, 400);
    ASSERT_EQ(s.quantiles.size(), 401u);
    EXPECT_EQ(s.n, 12345);
    for (int j = 0; j <= 400; j += 8) EXPECT_DOUBLE_EQ(s.quantiles[(std::size_t)j], sorted_reference(v, j / 400.0)) << j;
    EXPECT_EQ(s.quantiles.front(), *std::min_element(v.begin(), v.end()));
    EXPECT_EQ(s.quantiles.back(), *std::max_element(v.begin(), v.end()));
}
