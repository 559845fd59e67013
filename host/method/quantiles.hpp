// Quantiles by one rule: linear interpolation between order statistics (numpy's default,
// Hyndman-Fan type 7). The p-quantile of n values x_(0) <= ... <= x_(n-1) is
// x_(lo) + f (x_(lo+1) - x_(lo)) with h = p (n - 1), lo = floor(h), f = h - lo: p = 0 is the
// minimum, p = 1 the maximum, and the median of an even count is the mean of the middle two.
// Three ways to the order statistics: partial partitions of a vector (quantiles_inplace), radix
// selection in two passes over many floats (RadixSelection), or a sorted vector (sketches).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "host/method/float_order.hpp"

namespace amfm {

// Where the p-quantile of n >= 1 values lies: order statistic `lo`, and the fraction of the
// step to the next one.
struct QuantilePosition {
    std::size_t lo = 0;
    double frac = 0.0;
};

// From this many values on, quantiles_inplace (and the in-place selections of whole maps) select
// by radix: its 2^16 buckets cost more than partitioning fewer values (the df2 lock check's row
// medians, a few thousand values a row, took longer by radix than by partitions).
constexpr std::size_t kMinRadixQuantiles = std::size_t(1) << 16;

// p is clamped to [0, 1].
QuantilePosition quantile_position(std::size_t n, double p);

// The quantile from the order statistics at lo and lo + 1 (`next` is read only when frac > 0).
inline double interpolate_quantile(double at_lo, double next, double frac) {
    return frac > 0.0 ? at_lo + frac * (next - at_lo) : at_lo;
}

// Quantiles of `v` (maybe permuted) at `probs` (any order); NaN for an empty `v`. Floats from
// kMinRadixQuantiles on go by radix selection (v untouched) where it applies; otherwise probabilities
// are taken in ascending order and each step partitions only what is left above the previous quantile.
std::vector<double> quantiles_inplace(std::vector<float>& v, const std::vector<double>& probs);
std::vector<double> quantiles_inplace(std::vector<double>& v, const std::vector<double>& probs);

// The order statistics of the given ranks (each < v.size()) of `v` (permuted), by partitions.
std::vector<double> order_statistics_inplace(std::vector<float>& v, const std::vector<std::size_t>& ranks);

// Exact order statistics of up to 2^32 - 1 floats in two passes over them, for inputs too large
// to copy and partition cheaply. Pass 1 counts every value's bucket (the top 16 bits of its
// order key); plan() finds the buckets that hold the wanted ranks; pass 2 keeps the values of
// those buckets only, and nth_element runs on them alone. The caller runs both passes over the
// same values in the same order, so it can fuse other work into them (statistics sum in pass 1
// and sum squares in pass 2).
class RadixSelection {
public:
    static constexpr int kShift = 16;
    static constexpr std::uint32_t kBuckets = 1u << (32 - kShift);
    static std::uint32_t bucket(float x) { return float_order_key(x) >> kShift; }

    RadixSelection() : counts_(kBuckets, 0) {}

    // Pass 1: ++counts()[bucket(x)] for every value.
    std::uint32_t* counts() { return counts_.data(); }

    // After pass 1 over n values: prepares pass 2 for the order statistics of `ranks` (each < n).
    // False, and the values are to be selected another way, when they include infinities or NaN,
    // or a wanted rank's bucket holds a zero (which of -0 and +0 lands at an order statistic
    // then depends on the exact sequence of partitions), or the ranks span over 255 buckets.
    bool plan(std::size_t n, std::vector<std::size_t> ranks);

    // Pass 2: keep(x) for every value, in pass 1's order. A local copy of it runs from registers.
    struct Keeper {
        float* out;
        const std::uint8_t* slot;
        std::size_t w = 0;
        void operator()(float x) {
            out[w] = x;  // branch-free: a value of an unneeded bucket is overwritten by the next
            w += slot[bucket(x)] != 0;
        }
    };
    Keeper keeper() { return Keeper{kept_.data(), slot_.data()}; }

    // After pass 2: selects the planned order statistics; then order_statistic(rank) reads them.
    void select();
    float order_statistic(std::size_t rank) const;
    double quantile(const QuantilePosition& q) const {
        const double at_lo = order_statistic(q.lo);
        return q.frac > 0.0 ? interpolate_quantile(at_lo, order_statistic(q.lo + 1), q.frac) : at_lo;
    }

private:
    std::vector<std::uint32_t> counts_;
    std::vector<std::size_t> ranks_;         // wanted ranks, ascending, unique
    std::vector<std::uint32_t> rank_bucket_;  // the bucket of each rank
    std::vector<std::size_t> rank_base_;      // the number of values below that bucket
    std::vector<std::uint8_t> slot_;          // per bucket: 1 + its position among the needed ones, 0: not needed
    std::vector<std::size_t> group_begin_;    // per needed bucket: where its values start after select()
    std::vector<float> kept_;
    std::vector<float> stat_;  // per rank
};

// Both passes of a RadixSelection over the values of `v` (a vector of floats, any allocator) where keep(x) is true, for the ranks
// ranks_for(n) returns given the number n of such values. False when none is kept or plan()
// declines; otherwise `sel` holds the order statistics and n is set.
template <class Floats, class Keep, class Ranks>
bool radix_select(const Floats& v, Keep keep, Ranks ranks_for, RadixSelection& sel, std::size_t& n);

// Quantiles at `probs` by radix_select; false (quantiles untouched) where it declines.
template <class Floats, class Keep>
bool radix_quantiles(const Floats& v, Keep keep, const std::vector<double>& probs,
                     std::vector<double>& quantiles);

// The order statistics quantile positions in n values need (lo, and lo + 1 where frac > 0).
std::vector<std::size_t> quantile_ranks(std::size_t n, const std::vector<double>& probs);

// A distribution as its quantiles at the evenly spaced levels 0, 1/K, ..., 1 (K + 1 values,
// non-decreasing), with the number of values it summarises. The CDF between two levels is
// linear, so the sketch resolves probabilities to 1/K.
struct QuantileSketch {
    std::vector<double> quantiles;
    long long n = 0;
};

// Quantiles at K + 1 evenly spaced levels of `values` (sorted in place). The position of level
// j, (n - 1) j / K, is rounded once, so whole ranks are exact. Empty sketch for no values.
QuantileSketch make_quantile_sketch(std::vector<float>& values, int k);

// ---- template definitions ------------------------------------------------------------------

template <class Floats, class Keep, class Ranks>
bool radix_select(const Floats& v, Keep keep, Ranks ranks_for, RadixSelection& sel, std::size_t& n) {
    std::uint32_t* counts = sel.counts();
    n = 0;
    for (float x : v)
        if (keep(x)) {
            ++counts[RadixSelection::bucket(x)];
            ++n;
        }
    if (n == 0 || !sel.plan(n, ranks_for(n))) return false;
    RadixSelection::Keeper keeper = sel.keeper();
    for (float x : v)
        if (keep(x)) keeper(x);
    sel.select();
    return true;
}

template <class Floats, class Keep>
bool radix_quantiles(const Floats& v, Keep keep, const std::vector<double>& probs,
                     std::vector<double>& quantiles) {
    RadixSelection sel;
    std::size_t n = 0;
    if (!radix_select(v, keep, [&](std::size_t count) { return quantile_ranks(count, probs); }, sel, n)) return false;
    quantiles.clear();
    for (double p : probs) quantiles.push_back(sel.quantile(quantile_position(n, p)));
    return true;
}

}  // namespace amfm
