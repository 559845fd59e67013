// Automatic regions: crystal vs binder/carbon, then crystal facets by surface normal.
//
// 1. Class split. Per pixel a roughness (RMS residual of the local plane fitted by
//    slope_local_plane over window_px^2, see fit_local_planes) or the modulus; Otsu's threshold on its log10 splits
//    the map (crystal = smooth, or stiff); opening/closing and a minimum area clean it.
// 2. Height noise. The white height noise of the crystal class, estimated from the data
//    (height_noise.hpp: robust to facets' tilt, edges and scan-line offsets), sets every
//    tolerance below; a clean scan gives ~0 and the tolerances of a clean scan.
// 3. Facets. Normals and residuals from a local-plane fit whose window grows with the noise
//    (3x3 on clean scans, so narrow facets keep core pixels; wider until the normals scatter by at
//    most a third of angle_tolerance_deg, up to window_px; the tolerance widens where that is not
//    enough). Crystal pixels whose residual is at the noise level ("core": away from ridges,
//    edges and curved parts) are grown into regions of equal normal: a 4-neighbour joins when
//    its normal is within the tolerance of the region's mean normal. A grown region whose core
//    pixels lie farther from its plane than kPlanaritySigma noise sigma (RMS) is no facet
//    (a smooth patch of binder): rejected, its pixels unassigned. Each facet's plane (mean normal
//    through the mean height) then claims the nearby non-core pixels that lie on it within a few
//    noise sigma, which gives back the band the fitting window lost at edges (out to two roughness
//    windows from the crystal mask). Facets whose normals agree within the tolerance and that touch
//    are merged (noise can split one facet). Regions under min_area_um2 are dropped. Pixels on no
//    facet's plane (rounded ridges, curved or rough parts, facets under the minimum area) stay
//    unlabelled; edge pixels leave the statistics as for every region source (regions.hpp,
//    mark_region_edges). Known limit: facets narrower than the normal window (the steep > 45 deg
//    corner strips of the simulator) get no core pixels and stay unlabelled.
// 4. Binder/carbon: the rest of the finite map, except a band one roughness window wide around the
//    crystals, where the class is uncertain (a stiff steep strip the roughness window could not
//    resolve would swing the soft class's mean): those pixels are unassigned, and counted. The area
//    rule never moves binder pixels into the crystal class, so the binder is never emptied by it.
// Labels follow Gwyddion's grain numbering: 0 = none, facets 1..N by decreasing area, and
// binder/carbon N+1.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "host/model/config.hpp"
#include "host/model/image.hpp"

namespace amfm {

struct FacetInfo {
    int label = 0;
    long long pixels = 0;
    double area_um2 = 0.0;
    double tilt_deg = 0.0;     // of the facet's mean unit normal
    double azimuth_deg = 0.0;  // direction of steepest ascent, as azimuth_deg_from_slope
    double slope_x = 0.0, slope_y = 0.0;  // mean normal as dz/dx, dz/dy
};

struct Segmentation {
    Image<std::uint16_t> labels;       // 0 none, 1..N facets, N+1 binder/carbon
    Image<std::uint8_t> crystal;       // 1 where the class split says crystal (after clean-up)
    Image<float> roughness_m;          // local-plane residual RMS per pixel (NaN: undefined)
    std::string class_feature;         // "roughness" or "modulus"
    double class_threshold = 0.0;      // Otsu threshold in the feature's unit (m or GPa)
    double height_noise_m = 0.0;       // white height noise of the crystal class, from the data (m RMS)
    int normal_window_px = 3;          // edge of the noise-adapted normal window
    double angle_tolerance_deg = 0.0;  // the growing tolerance used (angle_tolerance_deg or wider)
    int rejected_facets = 0;           // grown regions not planar within the noise (binder patches)
    long long unassigned_pixels = 0;   // finite pixels in no region (label 0)
    std::vector<FacetInfo> facets;     // by label
    int binder_label = 0;
    long long binder_pixels = 0;
    double seconds = 0.0;
};

// height_m: the (levelled) topography; modulus_gpa: needed only for class_feature "modulus"
// (may be empty otherwise); pixel pitch in metres. Throws ConfigError for a bad configuration
// and DataError when a needed map is missing or has another size.
Segmentation segment_scan(const Image<float>& height_m, const Image<float>& modulus_gpa, double dx_m,
                          double dy_m, const AutoRegionsConfig& cfg);

// Names ("F1".., binder name) and classes of the segmentation's labels, with the user's
// names/classes from `user` taking precedence; the labels file stays empty.
RegionsConfig segmentation_regions_config(const Segmentation& seg, const RegionsConfig& user);

// Least-squares plane over the (2*half+1)^2 window of every pixel. The slope is exactly
// slope_local_plane's (the tilt stage's estimator): interior windows with all heights finite use
// separable window sums (O(1) per pixel), clipped or holed windows call slope_local_plane itself.
// want_slopes false: only the residual (gx, gy stay empty; saves their memory).
struct LocalPlanes {
    Image<double> gx, gy;     // dz/dx, dz/dy (dimensionless); NaN where no plane fits
    Image<float> residual_m;  // RMS distance of the window's finite heights from the plane
};
LocalPlanes fit_local_planes(const Image<float>& height_m, double dx_m, double dy_m, int half,
                             bool want_slopes = true);

// Otsu's threshold of the finite values of `values` (OpenCV on 256 levels between the
// 0.5/99.5 % percentiles). Returns NaN when fewer than two distinct values exist.
double otsu_threshold(const std::vector<float>& values);

}  // namespace amfm
