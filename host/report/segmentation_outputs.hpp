// What the automatic segmentation writes: labels.tif (reusable as `regions.labels`), the
// overlay figure, and its table for regions.json.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "host/method/regions.hpp"
#include "host/method/segmentation.hpp"

namespace amfm {

// labels.tif: uint16, 0 none, 1..N facets, N+1 binder/carbon, with the pixel size for Fiji.
void write_labels_tiff(const std::string& path, const Segmentation& seg, double pixel_size_x_m,
                       double pixel_size_y_m);

// The topography in grey, each region tinted, outlined, and numbered with its label, so the
// segmentation can be checked by eye (and fixed in Fiji by editing labels.tif).
void save_regions_overlay_png(const std::string& path, const Image<float>& height_m, const RegionMap& regions,
                              const std::string& title);

// Parameters, threshold, noise, timing and one entry per facet (label, normal, area).
nlohmann::json segmentation_json(const Segmentation& seg, const AutoRegionsConfig& cfg);

}  // namespace amfm
