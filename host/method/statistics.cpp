// Region and class statistics: exact quantiles on the host, histograms and fits on the backend.
#include "host/method/statistics.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <numeric>
#include <stdexcept>
#include <cstdio>

#include <omp.h>

#include "host/method/float_order.hpp"
#include "host/method/quantiles.hpp"
#include "amfm/kernels/error.hpp"

namespace amfm {
namespace {

// The sum of `v` in its order, counting each value's bucket (key >> shift) on the way. Out of
// line: inlined into describe(), GCC keeps the sum on the stack and the pass takes twice as long.
[[gnu::noinline]] double sum_and_histogram(const PixelValues& v, std::uint32_t* hist, int shift) {
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

// Mean and SD from sums in the order of `v`; quantiles by partitions of a copy.
Description describe_by_partition(const PixelValues& v, const std::vector<double>& probs) {
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

// describe_by_partition's results bit for bit in two passes over `v`, without its partitions and
// minimum scans: radix selection, its counting fused into the pass that sums and its keeping into
// the pass that sums squares. Without NaN and zeros, equal floats are bitwise equal, so every
// exact selection yields the same order statistics; inputs with them go the reference way.
Description describe(const PixelValues& v, const std::vector<double>& probs) {
    const std::size_t n = v.size();
    if (n < kMinRadixSelect) return describe_by_partition(v, probs);
    Description d;
    RadixSelection sel;
    d.mean = sum_and_histogram(v, sel.counts(), RadixSelection::kShift) / n;
    if (!sel.plan(n, quantile_ranks(n, probs))) return describe_by_partition(v, probs);
    RadixSelection::Keeper keep = sel.keeper();
    double ss = 0.0;
    for (float x : v) {
        ss += ((double)x - d.mean) * ((double)x - d.mean);
        keep(x);
    }
    d.sd = std::sqrt(ss / (n - 1));
    sel.select();
    for (double p : probs) d.quantiles.push_back(sel.quantile(quantile_position(n, p)));
    return d;
}

struct ValueQuantiles {
    double range_lo, p05, q25, median, q75, p95, range_hi;
};

// Fills the value statistics of `ps` and returns the quantiles the histogram layout needs.
ValueQuantiles describe_values(const PixelValues& values, const HistogramConfig& cfg, PixelStats& ps) {
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
    for (int b = 0; b < kMaskBitCount; ++b) {
        into.masked[b] += from.masked[b];
        into.lost[b] += from.lost[b];
    }
}

// Adds the pixels counted per combination of mask bits to `ps`; returns the valid ones, those
// without any of the `excluded` bits.
std::size_t add_combo_counts(const std::size_t* count, std::uint8_t excluded, PixelStats& ps) {
    std::size_t valid = 0;
    for (int m = 0; m < (1 << kMaskBitCount); ++m) {
        if (!count[m]) continue;
        ps.n_pixels += (long long)count[m];
        const int invalid = m & excluded;
        if (!invalid) valid += count[m];
        else ps.lost[__builtin_ctz((unsigned)invalid)] += (long long)count[m];  // its lowest reason bit
        for (int b = 0; b < kMaskBitCount; ++b)
            if (m & (1 << b)) ps.masked[b] += (long long)count[m];
    }
    ps.n_valid += (long long)valid;
    return valid;
}

// The valid values of the whole map, of each region, and (filled by describe_all) of each
// class of several regions: each list in pixel order.
struct ValidValues {
    PixelValues whole_map;
    std::vector<PixelValues> regions;
    std::vector<PixelValues> joined_classes;
};

// Pixels in chunks, one per thread, in pixel order.
struct Chunks {
    std::size_t n;
    int count;
    std::size_t begin(int c) const { return n * c / count; }
};

// Counts every region's (and the whole map's) pixels, valid ones and pixels per mask bit into
// `out`, and returns the valid values. First each chunk counts its pixels per region (row
// n_regions: unlabelled) and combination of mask bits, which gives every count; then it copies
// its valid values to the whole map's and its regions' lists at offsets that keep pixel order.
// A region leaves out its edge pixels (kMaskOutOfRegion); the whole map keeps them.
template <class Floats, class Bytes>
ValidValues gather_valid_values(const Floats& modulus_gpa, const Bytes& mask, const RegionMap& regions,
                                StatisticsResult& out) {
    const int n_regions = (int)regions.regions.size();
    const std::int32_t* index = regions.index.px.empty() ? nullptr : regions.index.data();
    constexpr int kCombos = 1 << kMaskBitCount;
    static_assert(kMaskOutOfRegion < kCombos, "validity is read from the counted bits");
    const int rows = n_regions + 1;
    const Chunks chunks{modulus_gpa.size(),
                        (int)std::clamp<std::size_t>(modulus_gpa.size() / 65536, 1, (std::size_t)omp_get_max_threads())};
    auto row_of = [&](std::size_t i) {
        const int r = index ? index[i] : 0;
        return r < 0 ? n_regions : r;
    };
    std::vector<std::size_t> per_combo((std::size_t)chunks.count * rows * kCombos, 0);
#pragma omp parallel for schedule(static)
    for (int c = 0; c < chunks.count; ++c) {
        std::size_t* count = &per_combo[(std::size_t)c * rows * kCombos];
        for (std::size_t i = chunks.begin(c), end = chunks.begin(c + 1); i < end; ++i)
            ++count[(std::size_t)row_of(i) * kCombos + (mask[i] & (kCombos - 1))];
    }
    // Valid values per chunk and row, turned into each chunk's write offsets.
    std::vector<std::size_t> offset((std::size_t)chunks.count * rows, 0), map_offset(chunks.count, 0);
    std::vector<std::size_t> row_valid(rows, 0);
    std::size_t map_valid = 0;
    for (int c = 0; c < chunks.count; ++c) {
        map_offset[c] = map_valid;
        for (int r = 0; r < rows; ++r) {
            const std::size_t* count = &per_combo[((std::size_t)c * rows + r) * kCombos];
            map_valid += add_combo_counts(count, kMaskInvalid, out.whole_map.pixels);
            offset[(std::size_t)c * rows + r] = row_valid[r];
            if (r < n_regions) row_valid[r] += add_combo_counts(count, kMaskOutOfRegion, out.regions[r].pixels);
        }
    }
    ValidValues v;
    v.whole_map.resize(map_valid);
    v.regions.resize(n_regions);
    for (int r = 0; r < n_regions; ++r) v.regions[r].resize(row_valid[r]);
#pragma omp parallel for schedule(static)
    for (int c = 0; c < chunks.count; ++c) {
        float* to_map = v.whole_map.data() + map_offset[c];
        std::vector<float*> to_region(n_regions);
        for (int r = 0; r < n_regions; ++r) to_region[r] = v.regions[r].data() + offset[(std::size_t)c * rows + r];
        for (std::size_t i = chunks.begin(c), end = chunks.begin(c + 1); i < end; ++i) {
            if (mask[i] & kMaskInvalid) continue;
            *to_map++ = modulus_gpa[i];
            const int r = row_of(i);
            if (r < n_regions && !(mask[i] & kMaskEdge)) *to_region[r]++ = modulus_gpa[i];
        }
    }
    return v;
}

// Classes in order of their first region, with their regions.
struct ClassGroups {
    std::vector<std::string> names;
    std::vector<std::vector<int>> members;
};

ClassGroups group_by_class(const RegionMap& regions) {
    ClassGroups g;
    std::map<std::string, int> class_index;
    for (int r = 0; r < (int)regions.regions.size(); ++r) {
        const std::string& c = regions.regions[r].class_name;
        const auto [it, added] = class_index.emplace(c, (int)g.names.size());
        if (added) {
            g.names.push_back(c);
            g.members.emplace_back();
        }
        g.members[it->second].push_back(r);
    }
    return g;
}

struct Descriptions {
    std::vector<HistSpec> specs;                 // per region, offsets not yet set
    ValueQuantiles map_quantiles{};
    std::vector<PixelStats> joined_class_stats;  // value statistics of each class of several regions
};

// Value statistics of each region (into `out`), the whole map and each class of several regions
// (whose values, the union of its regions', are joined into values.joined_classes): independent
// jobs, largest first, so the threads only change the schedule, never a result. A class of one
// region has that region's values in the same order, hence its statistics.
Descriptions describe_all(ValidValues& values, const ClassGroups& classes, const HistogramConfig& hist_cfg,
                          StatisticsResult& out) {
    struct Job {
        std::size_t size;
        int region, cls;  // region >= 0: a region; cls >= 0: a class; neither: the whole map
    };
    const int n_regions = (int)values.regions.size(), n_classes = (int)classes.names.size();
    std::vector<Job> jobs{{values.whole_map.size(), -1, -1}};
    for (int r = 0; r < n_regions; ++r) jobs.push_back({values.regions[r].size(), r, -1});
    for (int c = 0; c < n_classes; ++c) {
        if (classes.members[c].size() < 2) continue;
        std::size_t size = 0;
        for (int r : classes.members[c]) size += values.regions[r].size();
        jobs.push_back({size, -1, c});
    }
    std::stable_sort(jobs.begin(), jobs.end(), [](const Job& a, const Job& b) { return a.size > b.size; });
    Descriptions d;
    d.specs.resize(n_regions);
    d.joined_class_stats.resize(n_classes);
    values.joined_classes.resize(n_classes);
#pragma omp parallel for schedule(dynamic, 1)
    for (int j = 0; j < (int)jobs.size(); ++j) {
        const Job& job = jobs[j];
        if (job.region >= 0) {
            const PixelValues& v = values.regions[job.region];
            const ValueQuantiles q = describe_values(v, hist_cfg, out.regions[job.region].pixels);
            d.specs[job.region] = histogram_layout(q, (long long)v.size(), hist_cfg, hist_cfg.log10_axis);
        } else if (job.cls >= 0) {
            PixelValues& joined = values.joined_classes[job.cls];
            joined.reserve(job.size);
            for (int r : classes.members[job.cls])
                joined.insert(joined.end(), values.regions[r].begin(), values.regions[r].end());
            describe_values(joined, hist_cfg, d.joined_class_stats[job.cls]);
        } else {
            d.map_quantiles = describe_values(values.whole_map, hist_cfg, out.whole_map.pixels);
        }
    }
    return d;
}

constexpr int kTiltBit = 0;  // PixelStats::lost's index of kMaskTiltOverCutoff
static_assert(kMaskTiltOverCutoff == 1u << kTiltBit, "the tilt cutoff is reason bit 0");

double share(long long part, long long whole) { return whole > 0 ? (double)part / whole : 0.0; }

// A fit whose centre can be read as the modulus: converged, inside the binned range, finite width.
bool fit_usable(const GaussianSummary& g, const HistSpec& h) {
    const FitResult& f = g.fit;
    return f.state == FitState::Converged && f.center >= h.lo && f.center <= h.hi && f.sigma > 0.0 &&
           std::isfinite(g.center_gpa) && std::isfinite(g.sigma_gpa);
}

// The first state of RegionQuality's list that applies to `r`.
RegionQuality assess_quality(const RegionStats& r) {
    const PixelStats& p = r.pixels;
    if (share(p.lost[kTiltBit], p.n_pixels) > kMostlyShare) return RegionQuality::MostlyBeyondCutoff;
    if (share(p.n_pixels - p.n_valid, p.n_pixels) > kMostlyShare) return RegionQuality::MostlyMasked;
    if (p.n_valid < kMinValidPixels) return RegionQuality::FewPixels;
    if (!fit_usable(r.gaussian, r.hist)) return RegionQuality::FitFailed;
    return RegionQuality::Ok;
}

// Every region's histogram (by `specs`) and the whole map's (every valid pixel, labelled or not,
// by `map_spec`) in one pass over the pixels on the backend, then every Gaussian fit in one call.
template <class Floats, class Bytes>
void fit_histograms(const Floats& modulus_gpa, const Bytes& mask, const RegionMap& regions, std::vector<HistSpec> specs, const HistSpec& map_spec,
                    const FitOptions& fit_options, Backend& backend, StatisticsResult& out) {
    const int n_regions = (int)specs.size();
    specs.push_back(map_spec);
    std::size_t total_bins = 0;
    for (const HistSpec& h : specs) total_bins += (std::size_t)std::max(h.nbins, 0);
    if (total_bins > kMaxHistogramBins)
        throw ConfigError("histogram: " + std::to_string(n_regions) + " regions and the whole map need " +
                          std::to_string(total_bins) + " bins in all, over the limit of " +
                          std::to_string(kMaxHistogramBins) + "; lower histogram.bins or histogram.max_bins, "
                          "or label fewer regions");
    int offset = 0;  // below the limit: int offsets cannot overflow
    for (HistSpec& h : specs) {
        h.offset = offset;
        offset += std::max(h.nbins, 0);
    }
    std::vector<std::uint32_t> counts(total_bins);
    std::vector<FitResult> fits(specs.size());
    const std::int32_t* index = regions.index.px.empty() ? nullptr : regions.index.data();
    backend.region_histograms(modulus_gpa.data(), mask.data(), index, modulus_gpa.size(), specs.data(), n_regions,
                              true, counts.data());
    backend.fit_gaussians(counts.data(), specs.data(), (int)specs.size(), fit_options, fits.data());
    for (int k = 0; k <= n_regions; ++k) {
        RegionStats& rs = k < n_regions ? out.regions[k] : out.whole_map;
        rs.hist = specs[k];
        rs.counts.assign(counts.begin() + specs[k].offset, counts.begin() + specs[k].offset + specs[k].nbins);
        rs.hist.offset = 0;
        rs.gaussian = summarise_fit(fits[k], rs.hist);
        rs.quality = assess_quality(rs);
        if (rs.quality != RegionQuality::Ok) rs.gaussian.center_gpa = rs.gaussian.sigma_gpa = rs.gaussian.fwhm_gpa = NAN;
    }
}

// A class of the given regions: its value statistics `values` (of its pixels), its regions'
// counts, and the spread of their Gaussian centres.
ClassStats class_stats(const std::string& name, const std::vector<int>& members,
                       const std::vector<RegionStats>& regions, const PixelStats& values) {
    ClassStats cs;
    cs.class_name = name;
    cs.pixels = value_stats(values);
    std::vector<double> centres;
    for (int r : members) {
        cs.labels.push_back(regions[r].info.label);
        add_counts(cs.pixels, regions[r].pixels);
        if (std::isfinite(regions[r].gaussian.center_gpa)) centres.push_back(regions[r].gaussian.center_gpa);
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
    return cs;
}

}  // namespace

const char* region_quality_name(RegionQuality q) {
    switch (q) {
        case RegionQuality::Ok: return "ok";
        case RegionQuality::MostlyBeyondCutoff: return "mostly_beyond_cutoff";
        case RegionQuality::MostlyMasked: return "mostly_masked";
        case RegionQuality::FewPixels: return "few_pixels";
        case RegionQuality::FitFailed: return "fit_failed";
    }
    return "unknown";
}

RegionQuality parse_region_quality(const std::string& name) {
    for (RegionQuality q : {RegionQuality::Ok, RegionQuality::MostlyBeyondCutoff, RegionQuality::MostlyMasked,
                            RegionQuality::FewPixels, RegionQuality::FitFailed})
        if (name == region_quality_name(q)) return q;
    throw std::invalid_argument("unknown region quality '" + name + "'");
}

std::string region_quality_warning(const RegionStats& r, double cutoff_deg) {
    const PixelStats& p = r.pixels;
    auto percent = [&](long long part) { return std::to_string((int)std::lround(100.0 * share(part, p.n_pixels))); };
    std::string why;
    switch (r.quality) {
        case RegionQuality::Ok: return "";
        case RegionQuality::MostlyBeyondCutoff: {
            char cutoff[32];
            std::snprintf(cutoff, sizeof cutoff, "%g", cutoff_deg);
            why = percent(p.lost[kTiltBit]) + " % of its pixels are tilted beyond the " + cutoff + " deg cutoff";
            break;
        }
        case RegionQuality::MostlyMasked: {
            const int main = (int)(std::max_element(p.lost, p.lost + kMaskBitCount) - p.lost);
            why = percent(p.n_pixels - p.n_valid) + " % of its pixels are masked (mostly " + mask_bit_name(main) +
                  ", " + percent(p.lost[main]) + " %)";
            break;
        }
        case RegionQuality::FewPixels:
            why = std::to_string(p.n_valid) + " valid pixels, fewer than the " + std::to_string(kMinValidPixels) +
                  " a histogram fit needs";
            break;
        case RegionQuality::FitFailed:
            why = std::string("the Gaussian fit failed (") + fit_state_name(r.gaussian.fit.state) +
                  (r.gaussian.fit.state == FitState::Converged ? ", centre outside the histogram" : "") + ")";
            break;
    }
    const std::string who = r.info.label == 0 ? std::string("the whole map")
                                              : "region " + std::to_string(r.info.label) + " '" + r.info.name + "'";
    return who + ": " + why + "; no centre reported";
}

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

namespace {

// compute_statistics for both kinds of float and byte vectors (a list's, an Image's).
template <class Floats, class Bytes>
StatisticsResult statistics_of(const Floats& modulus_gpa, const Bytes& mask, const RegionMap& regions,
                               const HistogramConfig& hist_cfg, const FitOptions& fit_options, Backend& backend,
                               bool keep_class_values) {
    const int n_regions = (int)regions.regions.size();
    StatisticsResult out;
    out.regions.resize(n_regions);
    for (int r = 0; r < n_regions; ++r) out.regions[r].info = regions.regions[r];
    out.whole_map.info = RegionInfo{0, "map", "all"};

    ValidValues values = gather_valid_values(modulus_gpa, mask, regions, out);
    const ClassGroups classes = group_by_class(regions);
    const Descriptions described = describe_all(values, classes, hist_cfg, out);

    // The whole map mixes classes whose moduli differ by decades (crystal ~100 GPa, binder
    // ~2 GPa): it is binned on a log10 axis when its robust range spans more than a factor 20.
    const ValueQuantiles& map_q = described.map_quantiles;
    const bool map_log = hist_cfg.log10_axis ||
                         (!hist_cfg.fixed_range && map_q.range_lo > 0.0 && map_q.range_hi > 20.0 * map_q.range_lo);
    const HistSpec map_spec = histogram_layout(map_q, (long long)values.whole_map.size(), hist_cfg, map_log);
    fit_histograms(modulus_gpa, mask, regions, described.specs, map_spec, fit_options, backend, out);

    for (std::size_t c = 0; c < classes.names.size(); ++c) {
        const std::vector<int>& members = classes.members[c];
        const bool joined = members.size() > 1;
        out.classes.push_back(class_stats(classes.names[c], members, out.regions,
                                          joined ? described.joined_class_stats[c] : out.regions[members[0]].pixels));
        if (keep_class_values)
            out.classes.back().values_gpa =
                std::move(joined ? values.joined_classes[c] : values.regions[(std::size_t)members[0]]);
    }
    return out;
}

}  // namespace

StatisticsResult compute_statistics(const std::vector<float>& modulus_gpa, const std::vector<std::uint8_t>& mask,
                                    const RegionMap& regions, const HistogramConfig& hist_cfg,
                                    const FitOptions& fit_options, Backend& backend, bool keep_class_values) {
    return statistics_of(modulus_gpa, mask, regions, hist_cfg, fit_options, backend, keep_class_values);
}

StatisticsResult compute_statistics(const Image<float>& modulus_gpa, const Image<std::uint8_t>& mask,
                                    const RegionMap& regions, const HistogramConfig& hist_cfg,
                                    const FitOptions& fit_options, Backend& backend, bool keep_class_values) {
    return statistics_of(modulus_gpa.px, mask.px, regions, hist_cfg, fit_options, backend, keep_class_values);
}

}  // namespace amfm
