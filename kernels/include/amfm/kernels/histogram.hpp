// The one bin-edge rule every backend uses, so histogram counts agree exactly.
#pragma once

#include <climits>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>

#include "amfm/kernels/error.hpp"

#include "amfm/kernels/hd.hpp"
#include "amfm/kernels/mask.hpp"

namespace amfm {

// Histogram of one region: nbins equal bins over [lo, hi] on the axis (GPa, or log10 GPa).
// `offset` is where the region's bins start in the concatenated count array.
struct HistSpec {
    double lo = 0.0;
    double hi = 1.0;
    int nbins = 1;
    int offset = 0;
    int log10_axis = 0;
};

AMFM_HD double hist_axis_value(const HistSpec& h, double modulus_gpa) {
    return h.log10_axis ? log10(modulus_gpa) : modulus_gpa;
}

// Bin b holds lo + b*w <= v < lo + (b+1)*w; v == hi goes into the last bin; values outside
// [lo, hi] (and NaN) give -1 and are not counted, and so does everything for a spec without
// bins (nbins < 1), which owns no slot in the count array.
AMFM_HD int hist_bin_index(const HistSpec& h, double axis_value) {
    if (h.nbins < 1 || !(axis_value >= h.lo && axis_value <= h.hi)) return -1;
    int b = (int)((axis_value - h.lo) / (h.hi - h.lo) * h.nbins);
    if (b >= h.nbins) b = h.nbins - 1;
    if (b < 0) b = 0;
    return b;
}

// Where one pixel lands in the concatenated counts of Backend::region_histograms:
// specs[region].offset + bin, or -1 when it is not counted (one of the `excluded` mask bits, a
// region outside [0, n_regions), a value outside [lo, hi]). Pass region 0 when there are no labels.
AMFM_HD int region_hist_slot(const HistSpec* specs, int n_regions, int region, std::uint8_t mask,
                             float modulus_gpa, std::uint8_t excluded = kMaskOutOfRegion) {
    if (region < 0 || region >= n_regions || (mask & excluded)) return -1;
    const HistSpec& h = specs[region];
    const int b = hist_bin_index(h, hist_axis_value(h, modulus_gpa));
    return b < 0 ? -1 : h.offset + b;
}

// The length of the concatenated count array that n specs describe (host side).
inline std::size_t total_hist_bins(const HistSpec* specs, int n) {
    std::size_t total = 0;
    for (int k = 0; k < n; ++k) {
        const std::size_t end = (std::size_t)specs[k].offset + (std::size_t)specs[k].nbins;
        if (end > total) total = end;
    }
    return total;
}

// Checks specs[0, n) before a backend uses them (host side): a negative offset or bin count, bins
// past INT_MAX, or a spec with bins whose range is not finite with lo < hi would index outside the
// count array or bin nothing; throws DataError naming `what` and the spec.
inline void validate_hist_specs(const HistSpec* specs, int n, const char* what) {
    for (int k = 0; k < n; ++k) {
        const HistSpec& h = specs[k];
        const char* problem = nullptr;
        if (h.offset < 0)
            problem = "negative offset";
        else if (h.nbins < 0)
            problem = "negative bin count";
        else if ((long long)h.offset + h.nbins > INT_MAX)
            problem = "bins past INT_MAX";
        else if (h.nbins > 0 && !(std::isfinite(h.lo) && std::isfinite(h.hi) && h.lo < h.hi))
            problem = "range not finite with lo < hi";
        if (problem)
            throw DataError(std::string(what) + ": histogram spec " + std::to_string(k) + " (offset " +
                            std::to_string(h.offset) + ", " + std::to_string(h.nbins) + " bins, [" +
                            std::to_string(h.lo) + ", " + std::to_string(h.hi) + "]): " + problem);
    }
}

// The slots pixel i counts in: its region's histogram (specs[region]; not for an edge pixel) and,
// when `whole_map` is set, the histogram of every valid pixel of the map, labelled or not, edges
// too (specs[n_regions]).
// -1 where it counts in none. Backend::region_histograms fills both kinds in one pass.
struct HistSlots {
    int region = -1, whole_map = -1;
};

AMFM_HD HistSlots pixel_hist_slots(const HistSpec* specs, int n_regions, bool whole_map, int region,
                                   std::uint8_t mask, float modulus_gpa) {
    HistSlots s;
    s.region = region_hist_slot(specs, n_regions, region, mask, modulus_gpa);
    if (whole_map) s.whole_map = region_hist_slot(specs + n_regions, 1, 0, mask, modulus_gpa, kMaskInvalid);
    return s;
}

AMFM_HD double hist_bin_width(const HistSpec& h) { return (h.hi - h.lo) / h.nbins; }

AMFM_HD double hist_bin_center(const HistSpec& h, int b) {
    return h.lo + (b + 0.5) * hist_bin_width(h);
}

}  // namespace amfm
