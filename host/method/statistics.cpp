// Region and class statistics: exact quantiles on the host, histograms and fits on the backend.
#include "host/method/statistics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <memory>
#include <numeric>

#include <omp.h>

#include "host/method/float_order.hpp"

namespace amfm {
namespace {

// Quantiles (linear interpolation between order statistics, numpy's default) of `v`, which is
// permuted. Probabilities are taken in ascending order and each step partitions only what is
// left above the previous quantile. The reference: describe() selects faster for large inputs.
std::vector<double> quantiles_inplace(std::vector<float>& v, const std::vector<double>& probs) {
    std::vector<double> out(probs.size(), NAN);
    const std::size_t n = v.size();
    if (n == 0) return out;
    std::vector<std::size_t> order(probs.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return probs[a] < probs[b]; });
    std::size_t first = 0;
    for (std::size_t k : order) {
        const double h = (n - 1) * std::clamp(probs[k], 0.0, 1.0);
        const std::size_t lo = std::min<std::size_t>((std::size_t)std::floor(h), n - 1);
        if (lo >= first) {
            std::nth_element(v.begin() + first, v.begin() + lo, v.end());
            first = lo;
        }
        double value = v[lo];
        const double frac = h - lo;
        if (frac > 0.0 && lo + 1 < n) {
            const float next = *std::min_element(v.begin() + lo + 1, v.end());
            value += frac * ((double)next - value);
        }
        out[k] = value;
    }
    return out;
}

// Values to describe. Their elements start uninitialised (not zeroed): the parallel pass that
// fills them is the first to touch their pages.
template <class T>
struct UninitialisedAllocator : std::allocator<T> {
    template <class U>
    struct rebind {
        using other = UninitialisedAllocator<U>;
    };
    template <class U>
    void construct(U* p) noexcept {
        ::new (static_cast<void*>(p)) U;
    }
};
using Values = std::vector<float, UninitialisedAllocator<float>>;

// The sum of `v` in its order, counting each value's bucket (key >> shift) on the way. Out of
// line: inlined into describe(), GCC keeps the sum on the stack and the pass takes twice as long.
[[gnu::noinline]] double sum_and_histogram(const Values& v, std::uint32_t* hist, int shift) {
    double sum = 0.0;
    for (float x : v) {
        sum += x;
        ++hist[float_order_key(x) >> shift];
    }
    return sum;
}

struct Description {
    double mean = NAN, sd = NAN;  // sd: sample SD, NaN for fewer than two values
    std::vector<double> quantiles;
};

// Mean and SD from sums in the order of `v`; quantiles from quantiles_inplace on a copy.
Description describe_by_partition(const Values& v, const std::vector<double>& probs) {
    Description d;
    if (!v.empty()) {
        double sum = 0.0;
        for (float x : v) sum += x;
        d.mean = sum / v.size();
    }
    if (v.size() >= 2) {
        double ss = 0.0;
        for (float x : v) ss += ((double)x - d.mean) * ((double)x - d.mean);
        d.sd = std::sqrt(ss / (v.size() - 1));
    }
    std::vector<float> copy(v.begin(), v.end());
    d.quantiles = quantiles_inplace(copy, probs);
    return d;
}

// Below this many values the 2^16-bucket histogram costs more than it saves.
constexpr std::size_t kMinRadixSelect = 2048;
static_assert(kMinRadixSelect >= 2, "describe() divides by n - 1");

// describe_by_partition's results bit for bit, in two passes over `v` and without its seven
// partitions and min_element scans, by radix selection: a histogram of the top 16 key bits
// (built in the pass that sums) tells which bucket holds each needed order statistic, and only
// those few buckets' values (gathered in the pass that sums squares) are partitioned. Without
// NaN and zeros, equal floats are bitwise equal, so every exact selection yields the same order
// statistics. Otherwise which of -0/+0 lands at an order statistic (and what NaN does to
// nth_element) depends on the exact sequence of partitions: such values go the reference way.
Description describe(const Values& v, const std::vector<double>& probs) {
    const std::size_t n = v.size();
    if (n < kMinRadixSelect || n > std::numeric_limits<std::uint32_t>::max()) return describe_by_partition(v, probs);

    // The order statistics the interpolation needs, as in quantiles_inplace.
    struct Point {
        std::size_t lo;
        double frac;
    };
    std::vector<Point> points;
    std::vector<std::size_t> ranks;
    for (double p : probs) {
        const double h = (n - 1) * std::clamp(p, 0.0, 1.0);
        const std::size_t lo = std::min<std::size_t>((std::size_t)std::floor(h), n - 1);
        const double frac = h - lo;
        points.push_back({lo, frac});
        ranks.push_back(lo);
        if (frac > 0.0 && lo + 1 < n) ranks.push_back(lo + 1);
    }
    std::sort(ranks.begin(), ranks.end());
    ranks.erase(std::unique(ranks.begin(), ranks.end()), ranks.end());

    Description d;
    constexpr int kShift = 16;
    constexpr std::uint32_t kBuckets = 1u << (32 - kShift);
    std::vector<std::uint32_t> hist(kBuckets, 0);
    d.mean = sum_and_histogram(v, hist.data(), kShift) / n;
    // The lowest and highest 128 buckets hold exactly the infinities and NaNs.
    for (std::uint32_t b = 0; b < 128; ++b)
        if (hist[b] || hist[kBuckets - 1 - b]) return describe_by_partition(v, probs);

    // Bucket of each rank and the number of values below that bucket.
    std::vector<std::uint32_t> rank_bucket(ranks.size());
    std::vector<std::size_t> rank_base(ranks.size());
    std::size_t below = 0, j = 0;
    for (std::uint32_t b = 0; b < kBuckets && j < ranks.size(); ++b) {
        for (; j < ranks.size() && ranks[j] < below + hist[b]; ++j) {
            rank_bucket[j] = b;
            rank_base[j] = below;
        }
        below += hist[b];
    }
    // Buckets 0x7fff and 0x8000 hold -0 and +0 (with the tiniest denormals).
    for (std::uint32_t b : rank_bucket)
        if (b == 0x7fffu || b == 0x8000u) return describe_by_partition(v, probs);

    // The needed buckets' values, grouped by bucket in ascending order: a branch-free pass appends
    // every value of a needed bucket to one buffer (the others are overwritten), which is then
    // split by bucket. slot: 1 + the bucket's position among the needed ones, 0: not needed.
    std::vector<std::uint8_t> slot(kBuckets, 0);
    std::vector<std::size_t> group_begin;
    std::size_t total = 0;
    for (std::uint32_t b : rank_bucket)
        if (!slot[b]) {
            group_begin.push_back(total);
            total += hist[b];
            slot[b] = (std::uint8_t)group_begin.size();
        }
    std::vector<float> mixed(total + 1);
    double ss = 0.0;
    std::size_t w = 0;
    for (float x : v) {
        ss += ((double)x - d.mean) * ((double)x - d.mean);
        mixed[w] = x;
        w += slot[float_order_key(x) >> kShift] != 0;
    }
    d.sd = std::sqrt(ss / (n - 1));
    std::vector<float> grouped(total);
    std::vector<std::size_t> group_end = group_begin;
    for (std::size_t i = 0; i < total; ++i) grouped[group_end[slot[float_order_key(mixed[i]) >> kShift] - 1]++] = mixed[i];

    // Ranks ascend, so within a bucket each partition only looks right of the previous one.
    std::vector<float> stat(ranks.size());
    std::vector<std::size_t> first = group_begin;
    for (std::size_t i = 0; i < ranks.size(); ++i) {
        const unsigned g = slot[rank_bucket[i]] - 1u;
        const std::size_t at = group_begin[g] + (ranks[i] - rank_base[i]);
        std::nth_element(grouped.begin() + first[g], grouped.begin() + at, grouped.begin() + group_end[g]);
        stat[i] = grouped[at];
        first[g] = at + 1;
    }
    auto order_stat = [&](std::size_t rank) {
        return stat[std::lower_bound(ranks.begin(), ranks.end(), rank) - ranks.begin()];
    };
    d.quantiles.resize(probs.size());
    for (std::size_t k = 0; k < probs.size(); ++k) {
        const std::size_t lo = points[k].lo;
        double value = order_stat(lo);
        if (points[k].frac > 0.0 && lo + 1 < n) value += points[k].frac * ((double)order_stat(lo + 1) - value);
        d.quantiles[k] = value;
    }
    return d;
}

struct ValueQuantiles {
    double range_lo, p05, q25, median, q75, p95, range_hi;
};

// Fills the value statistics of `ps` and returns the quantiles the histogram layout needs.
ValueQuantiles describe_values(const Values& values, const HistogramConfig& cfg, PixelStats& ps) {
    const Description d = describe(values, {cfg.lo_percentile / 100.0, 0.05, 0.25, 0.5, 0.75, 0.95,
                                            cfg.hi_percentile / 100.0});
    ps.mean_gpa = d.mean;
    ps.sd_gpa = d.sd;
    const std::vector<double>& q = d.quantiles;
    ps.p05_gpa = q[1];
    ps.median_gpa = q[3];
    ps.p95_gpa = q[5];
    return ValueQuantiles{q[0], q[1], q[2], q[3], q[4], q[5], q[6]};
}

// Histogram layout for n values with quantiles q, on a log10 axis when `log10_axis`.
HistSpec histogram_layout(const ValueQuantiles& q, long long n, const HistogramConfig& cfg, bool log10_axis) {
    HistSpec h;
    h.log10_axis = log10_axis ? 1 : 0;
    auto axis = [&](double gpa) { return hist_axis_value(h, gpa); };
    double lo, hi;
    if (cfg.fixed_range) {
        lo = axis(cfg.fixed_lo_gpa);
        hi = axis(cfg.fixed_hi_gpa);
    } else if (n > 0) {
        lo = axis(q.range_lo);
        hi = axis(q.range_hi);
    } else {
        lo = 0.0;
        hi = 1.0;
    }
    if (!(hi > lo) || !std::isfinite(lo) || !std::isfinite(hi)) {
        // All values equal (or a log axis over non-positive values): a narrow range around
        // the value keeps the bin rule well defined; the fit then reports too_few_points.
        const double c = std::isfinite(lo) ? lo : 0.0;
        const double half = std::max(std::fabs(c) * 1e-3, 1e-6);
        lo = c - half;
        hi = c + half;
    }
    h.lo = lo;
    h.hi = hi;
    const double iqr = axis(q.q75) - axis(q.q25);
    h.nbins = cfg.bins > 0 ? cfg.bins : auto_bin_count(cfg, n, std::isfinite(iqr) ? iqr : 0.0, hi - lo);
    return h;
}

GaussianSummary summarise_fit(const FitResult& f, const HistSpec& h) {
    GaussianSummary g;
    g.fit = f;
    if (f.state != FitState::Converged && f.state != FitState::MaxIterations) {
        g.center_gpa = g.sigma_gpa = g.fwhm_gpa = NAN;
        return g;
    }
    const double fwhm = fwhm_from_sigma(f.sigma);
    if (h.log10_axis) {
        g.center_gpa = std::pow(10.0, f.center);
        g.sigma_gpa = 0.5 * (std::pow(10.0, f.center + f.sigma) - std::pow(10.0, f.center - f.sigma));
        g.fwhm_gpa = std::pow(10.0, f.center + fwhm / 2) - std::pow(10.0, f.center - fwhm / 2);
    } else {
        g.center_gpa = f.center;
        g.sigma_gpa = f.sigma;
        g.fwhm_gpa = fwhm;
    }
    return g;
}

// The value statistics of `from` (what describe_values fills in), without its counts.
PixelStats value_stats(const PixelStats& from) {
    PixelStats p;
    p.mean_gpa = from.mean_gpa;
    p.sd_gpa = from.sd_gpa;
    p.median_gpa = from.median_gpa;
    p.p05_gpa = from.p05_gpa;
    p.p95_gpa = from.p95_gpa;
    return p;
}

void add_counts(PixelStats& into, const PixelStats& from) {
    into.n_pixels += from.n_pixels;
    into.n_valid += from.n_valid;
    for (int b = 0; b < kMaskBitCount; ++b) into.masked[b] += from.masked[b];
}

}  // namespace

int auto_bin_count(const HistogramConfig& cfg, long long n, double iqr, double range) {
    int bins;
    if (n <= 1) {
        bins = cfg.min_bins;
    } else if (cfg.rule == "sturges") {
        bins = (int)std::ceil(std::log2((double)n)) + 1;
    } else if (cfg.rule == "sqrt") {
        bins = (int)std::ceil(std::sqrt((double)n));
    } else {  // Freedman-Diaconis: width 2 IQR / n^(1/3); falls back to Sturges when IQR is 0
        const double width = 2.0 * iqr / std::cbrt((double)n);
        bins = width > 0.0 && range > 0.0 ? (int)std::ceil(range / width)
                                          : (int)std::ceil(std::log2((double)n)) + 1;
    }
    return std::clamp(bins, cfg.min_bins, cfg.max_bins);
}

StatisticsResult compute_statistics(const std::vector<float>& modulus_gpa,
                                    const std::vector<std::uint8_t>& mask, const RegionMap& regions,
                                    const HistogramConfig& hist_cfg, const FitOptions& fit_options,
                                    Backend& backend) {
    const int n_regions = (int)regions.regions.size();
    const std::size_t n = modulus_gpa.size();
    const std::int32_t* index = regions.index.px.empty() ? nullptr : regions.index.data();

    StatisticsResult out;
    out.regions.resize(n_regions);
    out.whole_map.info = RegionInfo{0, "map", "all"};

    // The pixels in chunks, one per thread. First each chunk counts its pixels per region (row
    // n_regions: unlabelled) and combination of mask bits, which gives every count; then it copies
    // its valid values to the whole map's and its regions' lists at offsets that keep pixel order.
    constexpr int kCombos = 1 << kMaskBitCount;
    static_assert(kMaskInvalid < kCombos, "validity is read from the counted bits");
    const int rows = n_regions + 1;
    const int n_chunks = (int)std::clamp<std::size_t>(n / 65536, 1, (std::size_t)omp_get_max_threads());
    auto chunk_begin = [&](int c) { return n * c / n_chunks; };
    auto row_of = [&](std::size_t i) {
        const int r = index ? index[i] : 0;
        return r < 0 ? n_regions : r;
    };
    std::vector<std::size_t> per_combo((std::size_t)n_chunks * rows * kCombos, 0);
#pragma omp parallel for schedule(static)
    for (int c = 0; c < n_chunks; ++c) {
        std::size_t* count = &per_combo[(std::size_t)c * rows * kCombos];
        for (std::size_t i = chunk_begin(c), end = chunk_begin(c + 1); i < end; ++i)
            ++count[(std::size_t)row_of(i) * kCombos + (mask[i] & (kCombos - 1))];
    }
    // Valid values per chunk and row, turned into each chunk's write offsets.
    std::vector<std::size_t> offset((std::size_t)n_chunks * rows, 0), map_offset(n_chunks, 0);
    std::vector<std::size_t> row_valid(rows, 0);
    std::size_t map_valid = 0;
    for (int c = 0; c < n_chunks; ++c) {
        map_offset[c] = map_valid;
        for (int r = 0; r < rows; ++r) {
            const std::size_t* count = &per_combo[((std::size_t)c * rows + r) * kCombos];
            PixelStats& ps = r < n_regions ? out.regions[r].pixels : out.whole_map.pixels;
            std::size_t valid = 0;
            for (int m = 0; m < kCombos; ++m) {
                if (!count[m]) continue;
                ps.n_pixels += (long long)count[m];
                if (!(m & kMaskInvalid)) valid += count[m];
                for (int b = 0; b < kMaskBitCount; ++b)
                    if (m & (1 << b)) ps.masked[b] += (long long)count[m];
            }
            ps.n_valid += (long long)valid;
            offset[(std::size_t)c * rows + r] = row_valid[r];
            row_valid[r] += valid;
            map_valid += valid;
        }
    }
    for (int r = 0; r < n_regions; ++r) add_counts(out.whole_map.pixels, out.regions[r].pixels);
    Values all_values(map_valid);
    std::vector<Values> values(n_regions);
    for (int r = 0; r < n_regions; ++r) values[r].resize(row_valid[r]);
#pragma omp parallel for schedule(static)
    for (int c = 0; c < n_chunks; ++c) {
        float* to_map = all_values.data() + map_offset[c];
        std::vector<float*> to_region(n_regions);
        for (int r = 0; r < n_regions; ++r) to_region[r] = values[r].data() + offset[(std::size_t)c * rows + r];
        for (std::size_t i = chunk_begin(c), end = chunk_begin(c + 1); i < end; ++i) {
            if (mask[i] & kMaskInvalid) continue;
            *to_map++ = modulus_gpa[i];
            const int r = row_of(i);
            if (r < n_regions) *to_region[r]++ = modulus_gpa[i];
        }
    }

    // Classes in order of their first region; their values are the union of their regions'.
    std::vector<std::string> class_order;
    std::vector<std::vector<int>> class_regions;
    {
        std::map<std::string, int> class_index;
        for (int r = 0; r < n_regions; ++r) {
            const std::string& c = regions.regions[r].class_name;
            const auto [it, added] = class_index.emplace(c, (int)class_order.size());
            if (added) {
                class_order.push_back(c);
                class_regions.emplace_back();
            }
            class_regions[it->second].push_back(r);
        }
    }
    const int n_classes = (int)class_order.size();

    // Value statistics of each region, the whole map and each class of several regions: independent
    // jobs, largest first, so the threads only change the schedule, never a result. A class of one
    // region has that region's values in the same order, hence its statistics.
    struct Job {
        std::size_t size;
        int region, cls;  // region >= 0: a region; cls >= 0: a class; neither: the whole map
    };
    std::vector<Job> jobs{{all_values.size(), -1, -1}};
    for (int r = 0; r < n_regions; ++r) jobs.push_back({values[r].size(), r, -1});
    std::vector<PixelStats> class_stats(n_classes);
    for (int c = 0; c < n_classes; ++c) {
        if (class_regions[c].size() < 2) continue;
        std::size_t size = 0;
        for (int r : class_regions[c]) size += values[r].size();
        jobs.push_back({size, -1, c});
    }
    std::stable_sort(jobs.begin(), jobs.end(), [](const Job& a, const Job& b) { return a.size > b.size; });
    std::vector<HistSpec> specs(n_regions);
    ValueQuantiles map_q{};
#pragma omp parallel for schedule(dynamic, 1)
    for (int j = 0; j < (int)jobs.size(); ++j) {
        const Job& job = jobs[j];
        if (job.region >= 0) {
            const int r = job.region;
            out.regions[r].info = regions.regions[r];
            const ValueQuantiles q = describe_values(values[r], hist_cfg, out.regions[r].pixels);
            specs[r] = histogram_layout(q, (long long)values[r].size(), hist_cfg, hist_cfg.log10_axis);
        } else if (job.cls >= 0) {
            Values class_values;
            class_values.reserve(job.size);
            for (int r : class_regions[job.cls])
                class_values.insert(class_values.end(), values[r].begin(), values[r].end());
            describe_values(class_values, hist_cfg, class_stats[job.cls]);
        } else {
            map_q = describe_values(all_values, hist_cfg, out.whole_map.pixels);
        }
    }
    int total_bins = 0;
    for (int r = 0; r < n_regions; ++r) {
        specs[r].offset = total_bins;
        total_bins += specs[r].nbins;
    }
    // The whole map mixes classes whose moduli differ by decades (crystal ~100 GPa, binder
    // ~2 GPa): it is binned on a log10 axis when its robust range spans more than a factor 20.
    const bool map_log = hist_cfg.log10_axis ||
                         (!hist_cfg.fixed_range && map_q.range_lo > 0.0 && map_q.range_hi > 20.0 * map_q.range_lo);
    const HistSpec map_spec = histogram_layout(map_q, (long long)all_values.size(), hist_cfg, map_log);

    // The regions' histograms and the whole map's (every valid pixel, labelled or not) in one
    // pass over the pixels, then every fit in one call.
    specs.push_back(map_spec);
    specs.back().offset = total_bins;
    std::vector<std::uint32_t> counts((std::size_t)total_bins + map_spec.nbins);
    std::vector<FitResult> fits(n_regions + 1);
    backend.region_histograms(modulus_gpa.data(), mask.data(), index, n, specs.data(), n_regions, true, counts.data());
    backend.fit_gaussians(counts.data(), specs.data(), n_regions + 1, fit_options, fits.data());
    auto take = [&](int k, RegionStats& rs) {
        rs.hist = specs[k];
        rs.counts.assign(counts.begin() + specs[k].offset, counts.begin() + specs[k].offset + specs[k].nbins);
        rs.hist.offset = 0;
        rs.gaussian = summarise_fit(fits[k], rs.hist);
    };
    for (int r = 0; r < n_regions; ++r) take(r, out.regions[r]);
    take(n_regions, out.whole_map);

    for (int c = 0; c < n_classes; ++c) {
        ClassStats cs;
        cs.class_name = class_order[c];
        const std::vector<int>& members = class_regions[c];
        cs.pixels = members.size() < 2 ? value_stats(out.regions[members[0]].pixels) : class_stats[c];
        std::vector<double> centres;
        for (int r : members) {
            cs.labels.push_back(out.regions[r].info.label);
            add_counts(cs.pixels, out.regions[r].pixels);
            if (std::isfinite(out.regions[r].gaussian.center_gpa))
                centres.push_back(out.regions[r].gaussian.center_gpa);
        }
        cs.n_fitted_regions = (int)centres.size();
        cs.region_center_mean_gpa = cs.region_center_sd_gpa = NAN;
        if (!centres.empty()) {
            cs.region_center_mean_gpa = std::accumulate(centres.begin(), centres.end(), 0.0) / centres.size();
            if (centres.size() > 1) {
                double ss = 0.0;
                for (double x : centres) ss += (x - cs.region_center_mean_gpa) * (x - cs.region_center_mean_gpa);
                cs.region_center_sd_gpa = std::sqrt(ss / (centres.size() - 1));
            }
        }
        out.classes.push_back(std::move(cs));
    }
    return out;
}

}  // namespace amfm
