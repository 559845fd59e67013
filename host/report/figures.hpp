// The figures of a results folder, drawn with the plotting kit (plot_kit.hpp) and written in
// the formats outputs.figures asks for: maps at full resolution with colour bar and scale
// bar, the mask overlay, region histograms with their fitted Gaussian (the paper's Fig. 2c)
// and the calibration plots. Each function takes the path without extension.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "host/method/statistics.hpp"
#include "host/model/config.hpp"
#include "host/model/image.hpp"
#include "host/report/plot_kit.hpp"

namespace amfm {

// outputs.figures and outputs.dpi as the kit takes them; the modulus map's outputs.colormap.
plot::FigureOptions figure_options(const OutputsConfig& outputs);
plot::Colormap map_colormap(const OutputsConfig& outputs);

struct MapFigure {
    std::string title;         // e.g. "Corrected modulus"
    std::string value_label;   // colour bar label, e.g. "E (GPa)"
    bool log10_scale = false;  // colour scale on log10 of the value (modulus spans decades)
    double lo = 0.0, hi = 0.0;  // colour range; lo == hi: robust 1-99 percentiles
    double pixel_size_x_m = 0.0;  // for the scale bar (0: none)
    plot::Colormap colormap = plot::Colormap::Viridis;
};

// One scan pixel per PNG pixel (small maps: a whole number of PNG pixels per scan pixel, up to
// 256 on the long side), NaN dark grey, a colour bar with ticks and a scale bar.
void save_map_figure(const std::string& stem, const Image<float>& values, const MapFigure& fig,
                     const plot::FigureOptions& out);

// How many PNG pixels a scan pixel takes on each side in the map figures.
int map_enlargement(int nx, int ny);

// The p_lo-th and p_hi-th percentiles (0..100) of a map's finite values (positive too when
// `log_scale`): a display range, not a statistic (the value of rank round(p / 100 (n - 1))).
// False when no value is usable.
bool display_percentiles(const PixelVector<float>& px, bool log_scale, double p_lo, double p_hi, double& lo,
                         double& hi);

// The topography in grey with each mask reason as a coloured overlay and a legend.
void save_mask_overlay_figure(const std::string& stem, const Image<float>& height_m, const Image<std::uint8_t>& mask,
                              double pixel_size_x_m, const plot::FigureOptions& out);

// One region's histogram as bars with the fitted Gaussian drawn over it, axis ticks in GPa,
// and a legend "centre ± sigma".
void save_region_histogram_figure(const std::string& stem, const RegionStats& region, const std::string& title,
                                  const plot::FigureOptions& out);

// All regions' fitted Gaussians over the whole-map histogram (grey), like Fig. 2c, with an
// inset on a log count axis so that small regions stay visible next to a large one.
void save_histogram_overview_figure(const std::string& stem, const StatisticsResult& stats, const std::string& title,
                                    const plot::FigureOptions& out);

// ---- calibration plots (amfm fit-tilt) ----------------------------------------------------

// Points with vertical error bars and sampled curves on linear axes (the paper's Fig. 6c).
struct ErrorBarPlot {
    struct Curve {
        std::string label;
        int colour = 0;  // index into the categorical palette
        std::vector<double> x, y;
    };
    std::string title, x_label, y_label;
    double x0 = 0.0, x1 = 1.0;  // x range; y range from the data
    std::vector<double> x, y, err;  // points and their ± error
    std::string points_label;
    std::vector<Curve> curves;
    double vline_x = NAN;  // a dashed vertical line (e.g. the fit cutoff); NaN: none
    std::string vline_label;
};

void save_error_bar_plot(const std::string& stem, const ErrorBarPlot& plot, const plot::FigureOptions& out);

}  // namespace amfm
