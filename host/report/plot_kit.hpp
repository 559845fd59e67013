// The drawing kit of the PNG figures (OpenCV only): ink and text sizes, number and tick
// labels, text, axes with ticks, bars, curves, legends, the scale bar, the region palette and
// the PNG writer. figures.hpp's map and plot figures are drawn with it.
#pragma once

#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

namespace amfm::plot {

constexpr int kFont = cv::FONT_HERSHEY_SIMPLEX;
inline const cv::Scalar kWhite(255, 255, 255);
inline const cv::Scalar kInk(30, 30, 30);          // text and axes
inline const cv::Scalar kGridInk(200, 200, 200);
inline const cv::Scalar kMutedInk(110, 110, 110);  // "no fit" notes

constexpr double kTitleScale = 0.75;
constexpr double kLabelScale = 0.6;
constexpr double kTickScale = 0.5;

// ---- numbers -----------------------------------------------------------------------------

// Fixed decimals (clamped to 0..9), never "-0.0".
std::string format_fixed(double v, int decimals);

// A tick label whose decimals follow the tick step.
std::string format_tick(double v, double step);

// "145.1 +- 10.2": decimals chosen so the spread shows two to three significant digits.
int decimals_for_spread(double spread);

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

// ---- text and canvas -----------------------------------------------------------------------

enum class Align { Left, Center, Right };

cv::Size text_size(const std::string& s, double scale, int thickness = 1, int* baseline = nullptr);

// Text with its baseline at y; x is the left edge, centre or right edge.
void put_text(cv::Mat& img, const std::string& s, int x, int y, double scale, const cv::Scalar& colour,
              Align align = Align::Left, int thickness = 1);

cv::Mat blank_canvas(int w, int h);

// Tableau-10 in BGR, repeating: distinct on white, safe for most colour-vision deficiencies.
cv::Scalar region_colour(std::size_t i);

// A white bar with a black outline and its length above it, at the lower left of `map_rect`.
void draw_scale_bar(cv::Mat& img, const cv::Rect& map_rect, double metres_per_display_px);

// How a figure's PNG is compressed (only the file size changes, never a pixel): colour maps,
// whose pixels vary from one to the next, or plots and overlays, mostly flat colour.
enum class Content { Map, Plot };

// Encoded in memory and written atomically; the encoder follows the path's extension.
// DataError naming the path when it cannot be written.
void write_png(const std::string& path, const cv::Mat& img, Content content);

// ---- plots -----------------------------------------------------------------------------

struct Axes {
    cv::Rect area;           // plot area in pixels
    double x0 = 0, x1 = 1;   // axis units (log10 on a log axis)
    double y0 = 0, y1 = 1;
    double px(double x) const { return area.x + (x - x0) / (x1 - x0) * area.width; }
    double py(double y) const { return area.y + area.height - (y - y0) / (y1 - y0) * area.height; }
};

// An antialiased polyline in pixels, broken at non-finite points.
void draw_curve(cv::Mat& img, const std::vector<cv::Point2d>& pts, const cv::Scalar& colour, int thickness);

// Left and bottom axis lines, their ticks and labels, and the axis titles.
void draw_axes(cv::Mat& img, const Axes& ax, const std::vector<Tick>& xticks, const std::vector<Tick>& yticks,
               const std::string& xlabel, const std::string& ylabel);

// Bars for counts[b] over [edges[b], edges[b+1]] in axis units.
void draw_bars(cv::Mat& img, const Axes& ax, const std::vector<double>& edges, const std::vector<double>& counts,
               const cv::Scalar& fill, const cv::Scalar& outline);

// A legend box in an upper corner of the plot: lines of text, each with an optional colour key.
struct LegendLine {
    std::string text;
    cv::Scalar colour;
    int key = 0;  // 0: none, 1: line, 2: filled box
};

constexpr int kLegendRow = 24;  // pixels per legend line

cv::Size legend_size(const std::vector<LegendLine>& lines);
cv::Rect legend_box(const cv::Rect& plot, const cv::Size& size, bool left);
void draw_legend(cv::Mat& img, const cv::Rect& box, const std::vector<LegendLine>& lines);

// What a plot shows, in axis units: bars over bin edges and sampled curves.
struct PlotData {
    std::vector<double> edges, bars;
    std::vector<std::vector<cv::Point2d>> curves;

    // The highest bar or curve point over [xa, xb] (0 when none).
    double max_between(double xa, double xb) const;
};

// Sets the y range (0 to a tick above the data) and picks the upper corner for the legend
// that needs the least headroom, raising the top of the axis until the data clears it.
cv::Rect place_legend_and_y_range(Axes& ax, const PlotData& data, const std::vector<LegendLine>& legend,
                                  double* ystep);

}  // namespace amfm::plot
