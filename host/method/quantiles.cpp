// Quantiles by linear interpolation between order statistics (see quantiles.hpp).
#include "host/method/quantiles.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace amfm {
namespace {

template <class T>
std::vector<double> quantiles_by_partition(std::vector<T>& v, const std::vector<double>& probs) {
    std::vector<double> out(probs.size(), NAN);
    const std::size_t n = v.size();
    if (n == 0) return out;
    std::vector<std::size_t> order(probs.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return probs[a] < probs[b]; });
    std::size_t first = 0;
    for (std::size_t k : order) {
        const QuantilePosition q = quantile_position(n, probs[k]);
        if (q.lo >= first) {
            std::nth_element(v.begin() + first, v.begin() + q.lo, v.end());
            first = q.lo;
        }
        // After the partition everything right of lo is >= v[lo]: the next order statistic is their minimum.
        const double at_lo = v[q.lo];
        out[k] = q.frac > 0.0 ? interpolate_quantile(at_lo, *std::min_element(v.begin() + q.lo + 1, v.end()), q.frac)
                              : at_lo;
    }
    return out;
}

}  // namespace

QuantilePosition quantile_position(std::size_t n, double p) {
    const double h = (n - 1) * std::clamp(p, 0.0, 1.0);
    const std::size_t lo = std::min<std::size_t>((std::size_t)std::floor(h), n - 1);
    return {lo, lo + 1 < n ? h - lo : 0.0};
}

std::vector<double> quantiles_inplace(std::vector<float>& v, const std::vector<double>& probs) {
    // Many values: radix selection (two passes, no partitions), whose order statistics are the
    // partitions' exactly; where it declines (NaN, infinities, zeros at a wanted rank), partitions.
    std::vector<double> out;
    if (v.size() >= kMinRadixQuantiles && radix_quantiles(v, [](float) { return true; }, probs, out)) return out;
    return quantiles_by_partition(v, probs);
}

std::vector<double> quantiles_inplace(std::vector<double>& v, const std::vector<double>& probs) {
    return quantiles_by_partition(v, probs);
}

std::vector<double> order_statistics_inplace(std::vector<float>& v, const std::vector<std::size_t>& ranks) {
    std::vector<std::size_t> order(ranks.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return ranks[a] < ranks[b]; });
    std::vector<double> out(ranks.size());
    std::size_t first = 0;
    for (std::size_t k : order) {
        std::nth_element(v.begin() + first, v.begin() + ranks[k], v.end());
        first = ranks[k];
        out[k] = v[ranks[k]];
    }
    return out;
}

std::vector<std::size_t> quantile_ranks(std::size_t n, const std::vector<double>& probs) {
    std::vector<std::size_t> ranks;
    for (double p : probs) {
        const QuantilePosition q = quantile_position(n, p);
        ranks.push_back(q.lo);
        if (q.frac > 0.0) ranks.push_back(q.lo + 1);
    }
    return ranks;
}

bool RadixSelection::plan(std::size_t n, std::vector<std::size_t> ranks) {
    if (n > std::numeric_limits<std::uint32_t>::max()) return false;
    // The lowest and highest 128 buckets hold exactly the infinities and NaNs.
    for (std::uint32_t b = 0; b < 128; ++b)
        if (counts_[b] || counts_[kBuckets - 1 - b]) return false;
    std::sort(ranks.begin(), ranks.end());
    ranks.erase(std::unique(ranks.begin(), ranks.end()), ranks.end());
    ranks_ = std::move(ranks);
    rank_bucket_.assign(ranks_.size(), 0);
    rank_base_.assign(ranks_.size(), 0);
    std::size_t below = 0, j = 0;
    for (std::uint32_t b = 0; b < kBuckets && j < ranks_.size(); ++b) {
        for (; j < ranks_.size() && ranks_[j] < below + counts_[b]; ++j) {
            rank_bucket_[j] = b;
            rank_base_[j] = below;
        }
        below += counts_[b];
    }
    // Buckets 0x7fff and 0x8000 hold -0 and +0 (with the tiniest denormals).
    for (std::uint32_t b : rank_bucket_)
        if (b == 0x7fffu || b == 0x8000u) return false;
    // slot: 1 + the bucket's position among the needed ones; at most 255 of them.
    slot_.assign(kBuckets, 0);
    group_begin_.clear();
    std::size_t total = 0;
    for (std::uint32_t b : rank_bucket_)
        if (!slot_[b]) {
            if (group_begin_.size() == 255) return false;
            group_begin_.push_back(total);
            total += counts_[b];
            slot_[b] = (std::uint8_t)group_begin_.size();
        }
    kept_.assign(total + 1, 0.0f);  // + 1: the last unneeded value is written past the kept ones
    return true;
}

void RadixSelection::select() {
    // The kept values, grouped by bucket in ascending order (each group in pass order).
    const std::size_t total = kept_.size() - 1;
    std::vector<float> grouped(total);
    std::vector<std::size_t> group_end = group_begin_;
    for (std::size_t i = 0; i < total; ++i) grouped[group_end[slot_[bucket(kept_[i])] - 1]++] = kept_[i];
    // Ranks ascend, so within a bucket each partition only looks right of the previous one.
    stat_.assign(ranks_.size(), 0.0f);
    std::vector<std::size_t> first = group_begin_;
    for (std::size_t i = 0; i < ranks_.size(); ++i) {
        const unsigned g = slot_[rank_bucket_[i]] - 1u;
        const std::size_t at = group_begin_[g] + (ranks_[i] - rank_base_[i]);
        std::nth_element(grouped.begin() + first[g], grouped.begin() + at, grouped.begin() + group_end[g]);
        stat_[i] = grouped[at];
        first[g] = at + 1;
    }
}

float RadixSelection::order_statistic(std::size_t rank) const {
    return stat_[std::lower_bound(ranks_.begin(), ranks_.end(), rank) - ranks_.begin()];
}

QuantileSketch make_quantile_sketch(std::vector<float>& values, int k) {
    QuantileSketch s;
    s.n = (long long)values.size();
    if (values.empty() || k < 1) return s;
    sort_floats(values);
    s.quantiles.resize((std::size_t)k + 1);
    const std::size_t n = values.size();
    for (int j = 0; j <= k; ++j) {
        const double h = (double)(n - 1) * j / k;
        const std::size_t lo = std::min((std::size_t)h, n - 1);
        const double frac = h - (double)lo;
        s.quantiles[(std::size_t)j] = interpolate_quantile(values[lo], frac > 0.0 ? values[lo + 1] : 0.0, frac);
    }
    return s;
}

}  // namespace amfm
