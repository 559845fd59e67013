// Indentation depth: how deep the tip presses into the surface at each pixel (the flat-punch
// estimate amfm_indentation_m of physics.hpp, from the phase and df2 channels) and its median
// per region, class and map. The method assumes a layer much thicker than the indentation: a
// region whose median indentation is more than kIndentationThicknessShare of the configured
// interphase thickness gets a warning (code "indentation"), since the substrate under a thin
// layer then stiffens the modulus the layer appears to have.
#pragma once

#include <cstdint>
#include <limits>
#include <vector>

#include "host/method/regions.hpp"
#include "host/method/sanity.hpp"
#include "host/method/statistics.hpp"
#include "host/model/image.hpp"
#include "host/model/scan.hpp"

namespace amfm {

// The rule's share of the thickness; the paper keeps the indentation below 2 nm in a ~20 nm CEI.
constexpr double kIndentationThicknessShare = 0.2;

// Median indentation (nm) of the valid pixels of each row of a StatisticsResult; NaN without any.
struct IndentationStats {
    std::vector<double> region_median_nm;  // in the order of StatisticsResult::regions
    std::vector<double> class_median_nm;   // in the order of StatisticsResult::classes
    double map_median_nm = std::numeric_limits<double>::quiet_NaN();  // every valid pixel, labelled or not
};

// Indentation in nm per pixel; NaN where `mask` holds a reason that invalidates the modulus, so
// the map and the modulus map have the same defined pixels.
Image<float> indentation_map_nm(const Scan& scan, const Image<std::uint8_t>& mask);

IndentationStats indentation_stats(const Image<float>& indentation_nm, const RegionMap& regions,
                                   const StatisticsResult& stats);

// One warning per region whose median indentation exceeds kIndentationThicknessShare of
// `interphase_thickness_nm` (regions.interphase_thickness_nm), naming the region.
std::vector<SanityWarning> indentation_warnings(const StatisticsResult& stats, const IndentationStats& indentation,
                                                double interphase_thickness_nm);

}  // namespace amfm
