// What the automatic segmentation writes: labels.tif (reusable as `regions.labels`), the
// regions and surface-normal figures, and its table for regions.json.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "host/method/regions.hpp"
#include "host/method/segmentation.hpp"
#include "host/report/plot_kit.hpp"

namespace amfm {

// labels.tif: uint16, 0 none, 1..N facets, N+1 binder/carbon, with the pixel size for Fiji.
void write_labels_tiff(const std::string& path, const Segmentation& seg, double pixel_size_x_m,
                       double pixel_size_y_m);

// fig_regions: the topography in grey, each region tinted, outlined, and numbered with its
// label, so the segmentation can be checked by eye (and fixed in Fiji by editing labels.tif).
void save_regions_overlay_figure(const std::string& stem, const Image<float>& height_m, const RegionMap& regions,
                                 const std::string& title, double pixel_size_x_m, const plot::FigureOptions& out);

// fig_normals: the local surface normals the facets were grown from (the segmentation's
// noise-adapted window) as a colour wheel, uphill azimuth as hue (in the image's directions)
// and tilt as saturation (white flat, pure hue at full_tilt_deg and beyond), the regions
// outlined, and the wheel as its legend. Returns where the map and the wheel are (points).
struct NormalsFigureLayout {
    plot::Rect map, wheel;
    double pt_per_scan_px = 1.0;
    double full_tilt_deg = 60.0;
};
NormalsFigureLayout save_normals_figure(const std::string& stem, const Image<float>& height_m,
                                        const Segmentation& seg, const RegionMap& regions, double dx_m, double dy_m,
                                        const std::string& title, const plot::FigureOptions& out);

// Parameters, threshold, noise, timing and one entry per facet (label, normal, area).
nlohmann::json segmentation_json(const Segmentation& seg, const AutoRegionsConfig& cfg);

}  // namespace amfm
