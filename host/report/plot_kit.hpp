// The drawing kit of the figures: a Figure is a list of drawing operations in points (1/72
// inch) - paths, circles, text, raster images - written as PNG and PDF through cairo (text set
// by pango in DejaVu Sans) and as SVG with its text as text, all from the same list. The axes,
// colour bars, scale bars and legends drawn with it are in plot_axes.hpp, numbers in
// plot_format.hpp, colour maps in colormaps.hpp.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "host/report/colormaps.hpp"

namespace amfm::plot {

inline const Rgb kWhite{1, 1, 1};
inline const Rgb kBlack{0, 0, 0};
inline const Rgb kInk{0.12, 0.12, 0.12};  // text and axes
inline const Rgb kGridInk{0.8, 0.8, 0.8};
inline const Rgb kMutedInk{0.43, 0.43, 0.43};  // "no fit" notes

constexpr double kTitlePt = 11.0, kLabelPt = 9.5, kTickPt = 8.5;
constexpr const char* kFontFamily = "DejaVu Sans";

struct Point {
    double x = 0, y = 0;
};

struct Rect {
    double x = 0, y = 0, w = 0, h = 0;
    double right() const { return x + w; }
    double bottom() const { return y + h; }
};

enum class FigureFormat { Png, Pdf, Svg };
inline constexpr const char* kFigureFormatNames[] = {"png", "pdf", "svg"};  // also the file extensions

// How figures are written: which files, and the PNG's pixels per inch.
struct FigureOptions {
    std::vector<FigureFormat> formats{FigureFormat::Png, FigureFormat::Pdf};
    double dpi = 150.0;
};

struct Stroke {
    Rgb colour = kInk;
    double width_pt = 0.75;
    double dash_pt = 0.0;  // > 0: dashes and gaps of this length
};

enum class Align { Left, Center, Right };

struct TextStyle {
    double size_pt = kTickPt;
    Rgb colour = kInk;
    Align align = Align::Left;
    bool bold = false;
    bool vertical = false;  // turned 90 degrees counter-clockwise, reading upwards
    bool halo = false;      // a white outline, for text over images
};

struct TextExtent {
    double width = 0, ascent = 0, descent = 0;  // points
};

// The size of a line of text as pango sets it (the same in every format).
TextExtent measure_text(const std::string& text, double size_pt, bool bold = false);

// RGB pixels (0xRRGGBB, row-major) shown unsmoothed in a rectangle.
struct Raster {
    int nx = 0, ny = 0;
    std::vector<std::uint32_t> rgb;
};

class Figure {
public:
    Figure(double width_pt, double height_pt);
    double width() const { return width_; }
    double height() const { return height_; }

    // A polygon or polyline; fill and/or stroke.
    void path(std::vector<Point> pts, bool closed, std::optional<Rgb> fill, std::optional<Stroke> stroke,
              double fill_alpha = 1.0);
    void line(Point a, Point b, const Stroke& s) { path({a, b}, false, std::nullopt, s); }
    // A polyline broken at non-finite points.
    void curve(const std::vector<Point>& pts, const Stroke& s);
    void rect(const Rect& r, std::optional<Rgb> fill, std::optional<Stroke> stroke, double fill_alpha = 1.0);
    void circle(Point centre, double radius_pt, const Rgb& fill);
    // Text with its baseline at `at.y`; at.x is its left edge, centre or right edge (for
    // vertical text, `at` is the point the baseline's anchor sits on after turning).
    void text(const std::string& s, Point at, const TextStyle& style);
    void image(std::shared_ptr<const Raster> raster, const Rect& where);
    void clip(const Rect& r);  // until unclip()
    void unclip();

    // The file in one format, as bytes (PNG at `dpi`).
    std::string render(FigureFormat format, double dpi) const;
    // stem + ".png", ".pdf", ".svg" as the options ask, each written atomically; DataError
    // naming the file when one cannot be written.
    void save(const std::string& stem, const FigureOptions& options) const;

    struct PathOp {
        std::vector<Point> pts;
        bool closed;
        std::optional<Rgb> fill;
        std::optional<Stroke> stroke;
        double fill_alpha;
    };
    struct CircleOp {
        Point c;
        double r;
        Rgb fill;
    };
    struct TextOp {
        std::string s;
        Point at;
        TextStyle style;
    };
    struct ImageOp {
        std::shared_ptr<const Raster> raster;
        Rect where;
    };
    struct ClipOp {
        std::optional<Rect> r;  // none: unclip
    };
    using Op = std::variant<PathOp, CircleOp, TextOp, ImageOp, ClipOp>;
    const std::vector<Op>& ops() const { return ops_; }

private:
    double width_, height_;
    std::vector<Op> ops_;
};

// Bytes as base64 (RFC 4648, padded), for data: URIs of embedded images.
std::string base64(const std::string& bytes);

// The pixel size of a figure's PNG at `dpi`.
int png_pixels(double points, double dpi);

}  // namespace amfm::plot
