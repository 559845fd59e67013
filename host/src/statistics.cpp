// Region and class statistics: exact quantiles on the host, histograms and fits on the backend.
#include "amfm/host/statistics.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

namespace amfm {
namespace {

// Quantiles (linear interpolation between order statistics, numpy's default) of `v`, which is
// permuted. Probabilities are taken in ascending order and each step partitions only what is
// left above the previous quantile, so the cost stays close to one pass.
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

struct Moments {
    double mean = NAN, sd = NAN;
};

Moments mean_sd(const std::vector<float>& v) {
    Moments m;
    if (v.empty()) return m;
    double sum = 0.0;
    for (float x : v) sum += x;
    m.mean = sum / v.size();
    if (v.size() < 2) return m;
    double ss = 0.0;
    for (float x : v) ss += ((double)x - m.mean) * ((double)x - m.mean);
    m.sd = std::sqrt(ss / (v.size() - 1));
    return m;
}

struct ValueQuantiles {
    double range_lo, p05, q25, median, q75, p95, range_hi;
};

// Fills the value statistics of `ps` and returns the quantiles the histogram layout needs.
// `values` is permuted.
ValueQuantiles describe_values(std::vector<float>& values, const HistogramConfig& cfg, PixelStats& ps) {
    const Moments m = mean_sd(values);
    ps.mean_gpa = m.mean;
    ps.sd_gpa = m.sd;
    const auto q = quantiles_inplace(values, {cfg.lo_percentile / 100.0, 0.05, 0.25, 0.5, 0.75, 0.95,
                                              cfg.hi_percentile / 100.0});
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

void count_mask_bits(std::uint8_t m, PixelStats& ps) {
    for (int b = 0; b < kMaskBitCount; ++b)
        if (m & (1u << b)) ++ps.masked[b];
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

    // One pass: counts per region and reason, then the valid values bucketed by region.
    std::vector<std::vector<float>> values(n_regions);
    std::vector<float> all_values;
    all_values.reserve(n);
    {
        std::vector<std::size_t> n_valid(n_regions, 0);
        for (std::size_t i = 0; i < n; ++i) {
            const int r = index ? index[i] : 0;
            const bool valid = !(mask[i] & kMaskInvalid);
            count_mask_bits(mask[i], out.whole_map.pixels);
            ++out.whole_map.pixels.n_pixels;
            if (valid) {
                ++out.whole_map.pixels.n_valid;
                all_values.push_back(modulus_gpa[i]);
            }
            if (r < 0) continue;
            PixelStats& ps = out.regions[r].pixels;
            ++ps.n_pixels;
            count_mask_bits(mask[i], ps);
            if (valid) ++n_valid[r];
        }
        for (int r = 0; r < n_regions; ++r) values[r].reserve(n_valid[r]);
        for (std::size_t i = 0; i < n; ++i) {
            const int r = index ? index[i] : 0;
            if (r >= 0 && !(mask[i] & kMaskInvalid)) values[r].push_back(modulus_gpa[i]);
        }
    }

    // Classes in order of their first region; their values are the union of their regions'.
    std::vector<std::string> class_order;
    std::map<std::string, std::vector<int>> class_regions;
    for (int r = 0; r < n_regions; ++r) {
        const std::string& c = regions.regions[r].class_name;
        if (!class_regions.count(c)) class_order.push_back(c);
        class_regions[c].push_back(r);
    }
    std::vector<std::vector<float>> class_values(class_order.size());
    for (std::size_t c = 0; c < class_order.size(); ++c)
        for (int r : class_regions[class_order[c]])
            class_values[c].insert(class_values[c].end(), values[r].begin(), values[r].end());

    // Quantiles and histogram layouts (regions in parallel; they are independent).
    std::vector<HistSpec> specs(n_regions);
#pragma omp parallel for schedule(dynamic, 1)
    for (int r = 0; r < n_regions; ++r) {
        out.regions[r].info = regions.regions[r];
        out.regions[r].pixels.n_valid = (long long)values[r].size();
        const ValueQuantiles q = describe_values(values[r], hist_cfg, out.regions[r].pixels);
        specs[r] = histogram_layout(q, (long long)values[r].size(), hist_cfg, hist_cfg.log10_axis);
    }
    int total_bins = 0;
    for (int r = 0; r < n_regions; ++r) {
        specs[r].offset = total_bins;
        total_bins += specs[r].nbins;
    }
    // The whole map mixes classes whose moduli differ by decades (crystal ~100 GPa, binder
    // ~2 GPa): it is binned on a log10 axis when its robust range spans more than a factor 20.
    const ValueQuantiles map_q = describe_values(all_values, hist_cfg, out.whole_map.pixels);
    const bool map_log = hist_cfg.log10_axis ||
                         (!hist_cfg.fixed_range && map_q.range_lo > 0.0 && map_q.range_hi > 20.0 * map_q.range_lo);
    const HistSpec map_spec = histogram_layout(map_q, (long long)all_values.size(), hist_cfg, map_log);

    std::vector<std::uint32_t> counts(total_bins);
    std::vector<FitResult> fits(n_regions);
    if (n_regions > 0) {
        backend.region_histograms(modulus_gpa.data(), mask.data(), index, n, specs.data(), n_regions,
                                  counts.data());
        backend.fit_gaussians(counts.data(), specs.data(), n_regions, fit_options, fits.data());
    }
    for (int r = 0; r < n_regions; ++r) {
        RegionStats& rs = out.regions[r];
        rs.hist = specs[r];
        rs.counts.assign(counts.begin() + specs[r].offset, counts.begin() + specs[r].offset + specs[r].nbins);
        rs.hist.offset = 0;
        rs.gaussian = summarise_fit(fits[r], rs.hist);
    }

    // The whole map: every valid pixel, labelled or not, as one histogram.
    out.whole_map.hist = map_spec;
    out.whole_map.counts.assign(map_spec.nbins, 0);
    FitResult map_fit;
    backend.region_histograms(modulus_gpa.data(), mask.data(), nullptr, n, &map_spec, 1,
                              out.whole_map.counts.data());
    backend.fit_gaussians(out.whole_map.counts.data(), &map_spec, 1, fit_options, &map_fit);
    out.whole_map.gaussian = summarise_fit(map_fit, map_spec);

    for (std::size_t c = 0; c < class_order.size(); ++c) {
        ClassStats cs;
        cs.class_name = class_order[c];
        std::vector<double> centres;
        for (int r : class_regions[cs.class_name]) {
            cs.labels.push_back(out.regions[r].info.label);
            add_counts(cs.pixels, out.regions[r].pixels);
            if (std::isfinite(out.regions[r].gaussian.center_gpa))
                centres.push_back(out.regions[r].gaussian.center_gpa);
        }
        describe_values(class_values[c], hist_cfg, cs.pixels);
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
