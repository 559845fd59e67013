// PNG figures drawn with OpenCV: maps with colour bar and scale bar, mask overlay, and
// region histograms with their fitted Gaussian (the paper's Fig. 2c).
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "host/method/statistics.hpp"
#include "host/model/image.hpp"

namespace amfm {

struct MapFigure {
    std::string title;        // e.g. "Corrected modulus"
    std::string value_label;  // colour bar label, e.g. "E (GPa)"
    bool log10_scale = false;  // colour scale on log10 of the value (modulus spans decades)
    double lo = 0.0, hi = 0.0;  // colour range; lo == hi: robust 1-99 percentiles
    double pixel_size_x_m = 0.0;  // for the scale bar (0: none)
    int colormap = 0;  // 0: viridis, 1: inferno, 2: gray
};

// A float map (NaN drawn dark grey) with a colour bar with ticks and a scale bar.
void save_map_png(const std::string& path, const Image<float>& values, const MapFigure& fig);

// The topography in grey with each mask reason as a coloured overlay and a legend.
void save_mask_overlay_png(const std::string& path, const Image<float>& height_m,
                           const Image<std::uint8_t>& mask, double pixel_size_x_m);

// One region's histogram as bars with the fitted Gaussian drawn over it, axis ticks in GPa,
// and a legend "centre +- sigma".
void save_region_histogram_png(const std::string& path, const RegionStats& region,
                               const std::string& title);

// All regions' fitted Gaussians over the whole-map histogram (grey), like Fig. 2c.
void save_histogram_overview_png(const std::string& path, const StatisticsResult& stats,
                                 const std::string& title);

// ---- calibration plots (amfm fit-tilt) ----------------------------------------------------

// Points with vertical error bars and sampled curves on linear axes (the paper's Fig. 6c).
struct ErrorBarPlot {
    struct Curve {
        std::string label;
        int colour = 0;  // index into the region palette
        std::vector<double> x, y;
    };
    std::string title, x_label, y_label;
    double x0 = 0.0, x1 = 1.0;  // x range; y range from the data
    std::vector<double> x, y, err;  // points and their +- error
    std::string points_label;
    std::vector<Curve> curves;
    double vline_x = NAN;  // a dashed vertical line (e.g. the fit cutoff); NaN: none
    std::string vline_label;
};

void save_error_bar_plot_png(const std::string& path, const ErrorBarPlot& plot);

}  // namespace amfm
