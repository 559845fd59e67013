// Pixel statistics, histogram layout and Gaussian fits per region and per class.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "amfm/kernels/backend.hpp"
#include "amfm/kernels/mask.hpp"
#include "host/method/regions.hpp"
#include "host/model/config.hpp"

namespace amfm {

// Statistics of the valid modulus values (GPa) of a set of pixels. Values are NaN when
// n_valid is too small for them (writers print an empty field / null, never NaN).
struct PixelStats {
    long long n_pixels = 0;
    long long n_valid = 0;
    long long masked[kMaskBitCount] = {};  // pixels carrying each reason bit
    // Pixels left out by the reason they are lost to: a pixel with several reasons counts under
    // its lowest bit (tilt before phase before df2 before non-finite before edge), so
    // n_valid + sum(lost) == n_pixels. kMaskUnlabelled never loses a pixel; kMaskEdge loses one
    // from its region and class, not from the whole map.
    long long lost[kMaskBitCount] = {};
    double mean_gpa = 0.0, sd_gpa = 0.0, median_gpa = 0.0, p05_gpa = 0.0, p95_gpa = 0.0;
};

struct GaussianSummary {
    FitResult fit;            // axis units (GPa, or log10 GPa)
    double center_gpa = 0.0;  // on a log axis: 10^center
    double sigma_gpa = 0.0;   // on a log axis: half the width of [10^(c-s), 10^(c+s)]
    double fwhm_gpa = 0.0;
};

// Whether a region's (or the whole map's) Gaussian centre is presented as its result. Only `Ok`
// rows carry a centre, sigma and FWHM; the others keep the raw fit in GaussianSummary::fit and
// say why (README, "Region quality"). Checked in this order, the first that applies:
enum class RegionQuality : int {
    Ok = 0,
    MostlyBeyondCutoff,  // more than kMostlyShare of the pixels lost to the tilt cutoff
    MostlyMasked,        // more than kMostlyShare of the pixels invalid (any reason)
    FewPixels,           // fewer than kMinValidPixels valid pixels
    FitFailed,           // the fit did not converge, or its centre lies outside the histogram
};
const char* region_quality_name(RegionQuality q);
RegionQuality parse_region_quality(const std::string& name);  // std::invalid_argument for an unknown name

// The quality thresholds, here only.
constexpr double kMostlyShare = 0.5;
constexpr long long kMinValidPixels = 30;

struct RegionStats {
    RegionInfo info;
    PixelStats pixels;
    HistSpec hist;
    std::vector<std::uint32_t> counts;
    GaussianSummary gaussian;
    RegionQuality quality = RegionQuality::Ok;
};

// Why a region (label 0: the whole map) has no centre, naming it and `cutoff_deg` (the tilt
// cutoff) where that is the reason; "" for an `Ok` region.
std::string region_quality_warning(const RegionStats& r, double cutoff_deg);

// Pixel values whose elements start uninitialised (not zeroed): the parallel pass that fills
// them is the first to touch their pages.
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
using PixelValues = std::vector<float, UninitialisedAllocator<float>>;

struct ClassStats {
    std::string class_name;
    std::vector<int> labels;
    PixelStats pixels;
    // The valid moduli (GPa) the statistics describe, each region's in turn, in pixel order;
    // kept only when asked (compute_statistics' keep_class_values: the series' quantile
    // sketches), else empty, so a single scan does not hold a copy of its map to the end.
    PixelValues values_gpa;
    // Sample SD across the class's regions' Gaussian centres (the paper's Table 1 spread
    // across facets); NaN with fewer than two fitted regions.
    double region_center_mean_gpa = 0.0, region_center_sd_gpa = 0.0;
    int n_fitted_regions = 0;
};

struct StatisticsResult {
    std::vector<RegionStats> regions;
    std::vector<ClassStats> classes;
    RegionStats whole_map;  // every valid pixel, labelled or not, edges too (the paper's grey histogram)
};

// Bins of all histograms of one map together (every region's and the whole map's): 65535 regions of
// 256 bins fit; more is refused (ConfigError naming the limit) before the count arrays, one per
// histogram thread, are allocated, and keeps every offset within an int.
constexpr std::size_t kMaxHistogramBins = std::size_t(1) << 24;

// Number of bins for n values with the given spread by the configured rule.
int auto_bin_count(const HistogramConfig& cfg, long long n, double iqr, double range);

// Region and class statistics for one processed map. Histograms and fits run on `backend`.
// `keep_class_values`: ClassStats::values_gpa keeps each class's valid moduli.
StatisticsResult compute_statistics(const std::vector<float>& modulus_gpa, const std::vector<std::uint8_t>& mask,
                                    const RegionMap& regions, const HistogramConfig& hist_cfg,
                                    const FitOptions& fit_options, Backend& backend,
                                    bool keep_class_values = false);
StatisticsResult compute_statistics(const Image<float>& modulus_gpa, const Image<std::uint8_t>& mask,
                                    const RegionMap& regions, const HistogramConfig& hist_cfg,
                                    const FitOptions& fit_options, Backend& backend, bool keep_class_values = false);

}  // namespace amfm
