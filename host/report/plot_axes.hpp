// What the figures draw with the kit (plot_kit.hpp): ticks at nice steps and on log axes, axes
// with their labels, histogram bars, error bars, legends placed where the data leaves room,
// colour bars and scale bars. Coordinates in points.
#pragma once

#include <string>
#include <vector>

#include "host/report/plot_kit.hpp"

namespace amfm::plot {

// ---- ticks -------------------------------------------------------------------------------

// Multiples of `step` inside [lo, hi] (at most about 1000).
std::vector<double> ticks_with_step(double lo, double hi, double step);

// Ticks at 1-2-5 steps inside [lo, hi], the count as close as possible to `target`.
std::vector<double> nice_ticks(double lo, double hi, int target, double* step_out);

struct Tick {
    double pos;  // axis coordinate (value, or log10 value on a log axis)
    std::string label;
};

std::vector<Tick> linear_ticks(double lo, double hi, int target);

// Ticks for an axis in log10 units [ulo, uhi], labelled with the value.
std::vector<Tick> log_ticks(double ulo, double uhi, int max_ticks);

// ---- plots -----------------------------------------------------------------------------

struct Axes {
    Rect area;              // plot area in points
    double x0 = 0, x1 = 1;  // axis units (log10 on a log axis)
    double y0 = 0, y1 = 1;
    double px(double x) const { return area.x + (x - x0) / (x1 - x0) * area.w; }
    double py(double y) const { return area.y + area.h - (y - y0) / (y1 - y0) * area.h; }
};

// Left and bottom axis lines, outward ticks and their labels, and the axis titles.
void draw_axes(Figure& fig, const Axes& ax, const std::vector<Tick>& xticks, const std::vector<Tick>& yticks,
               const std::string& xlabel, const std::string& ylabel);

// A title centred over the plot area.
void draw_title(Figure& fig, const std::string& title, double centre_x, double baseline_y);

// Bars for counts[b] over [edges[b], edges[b+1]] in axis units, clipped to the plot area.
void draw_bars(Figure& fig, const Axes& ax, const std::vector<double>& edges, const std::vector<double>& counts,
               const Rgb& fill, const Rgb& outline);

// A point with a vertical error bar (caps included) from y - err to y + err, in axis units.
void draw_error_bar(Figure& fig, const Axes& ax, double x, double y, double err, const Rgb& colour);

// An open circle (a secondary point, e.g. one facet beside its class mean).
void draw_open_point(Figure& fig, Point centre, double radius_pt, const Rgb& colour);

// A legend box in an upper corner of the plot: lines of text, each with an optional colour key.
struct LegendLine {
    std::string text;
    Rgb colour;
    int key = 0;  // 0: none, 1: line, 2: filled box, 3: point with error bar, 4: open point
};

constexpr double kLegendRow = 12.5;  // points per legend line

Point legend_size(const std::vector<LegendLine>& lines);
Rect legend_box(const Rect& plot, const Point& size, bool left);
void draw_legend(Figure& fig, const Rect& box, const std::vector<LegendLine>& lines);

// What a plot shows, in axis units: bars over bin edges and sampled curves.
struct PlotData {
    std::vector<double> edges, bars;
    std::vector<std::vector<Point>> curves;

    // The highest bar or curve point over [xa, xb] (0 when none).
    double max_between(double xa, double xb) const;
};

// Sets the y range (0 to a tick above the data) and picks the upper corner for the legend
// that needs the least headroom, raising the top of the axis until the data clears it.
Rect place_legend_and_y_range(Axes& ax, const PlotData& data, const std::vector<LegendLine>& legend, double* ystep);

// ---- maps ------------------------------------------------------------------------------

// A vertical colour bar (high values at the top) with ticks and labels to its right, in the
// colour map's 256 steps, and the value label above it.
void draw_colour_bar(Figure& fig, const Rect& bar, Colormap map, double lo, double hi, const std::vector<Tick>& ticks,
                     const std::string& value_label);

// The width the colour bar's tick labels take to the right of the bar.
double colour_bar_label_width(const std::vector<Tick>& ticks);

// A white bar with a black outline and its length above it, at the lower left of `map`;
// its length in points is the stated length / metres_per_pt, its ends on the grid of `snap_pt`
// (a PNG pixel) so that it covers whole pixels. Returns that length in metres (0 when there
// is none to draw).
double draw_scale_bar(Figure& fig, const Rect& map, double metres_per_pt, double snap_pt);

}  // namespace amfm::plot
