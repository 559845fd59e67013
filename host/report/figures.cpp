// PNG figures drawn with OpenCV only: colour maps with colour bar and scale bar, the mask
// overlay, and histograms with their fitted Gaussians (the paper's Fig. 2c).
#include "host/report/figures.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "amfm/kernels/error.hpp"
#include "amfm/kernels/gauss_fit.hpp"
#include "amfm/kernels/histogram.hpp"
#include "amfm/kernels/mask.hpp"
#include "host/method/float_order.hpp"
#include "host/method/quantiles.hpp"
#include "host/model/file_io.hpp"

namespace amfm {
namespace {

constexpr int kFont = cv::FONT_HERSHEY_SIMPLEX;
const cv::Scalar kWhite(255, 255, 255);
const cv::Scalar kInk(30, 30, 30);          // text and axes
const cv::Scalar kGridInk(200, 200, 200);
const cv::Scalar kMutedInk(110, 110, 110);  // "no fit" notes
const cv::Scalar kNaNGrey(64, 64, 64);      // NaN pixels in maps
const double kLn10 = 2.302585092994045684;

constexpr double kTitleScale = 0.75;
constexpr double kLabelScale = 0.6;
constexpr double kTickScale = 0.5;

// ---- numbers -----------------------------------------------------------------------------

std::string trim_zeros(std::string s) {
    if (s.find('.') == std::string::npos) return s;
    while (!s.empty() && s.back() == '0') s.pop_back();
    if (!s.empty() && s.back() == '.') s.pop_back();
    return s;
}

// "2.5e-9": mantissa without trailing zeros, exponent without '+' or leading zeros.
std::string format_scientific(double v, int mantissa_decimals) {
    if (v == 0.0) return "0";
    int e = (int)std::floor(std::log10(std::fabs(v)));
    double m = v / std::pow(10.0, e);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", mantissa_decimals, m);
    if (std::fabs(std::atof(buf)) >= 10.0) {  // rounding carried into the next decade
        ++e;
        m = v / std::pow(10.0, e);
        std::snprintf(buf, sizeof buf, "%.*f", mantissa_decimals, m);
    }
    return trim_zeros(buf) + "e" + std::to_string(e);
}

std::string format_fixed(double v, int decimals) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", std::clamp(decimals, 0, 9), v);
    std::string s = buf;
    if (s == "-0" || s.find_first_not_of("-0.") == std::string::npos) {
        if (!s.empty() && s[0] == '-') s.erase(0, 1);  // no "-0.0"
    }
    return s;
}

// A tick label whose decimals follow the tick step.
std::string format_tick(double v, double step) {
    if (!std::isfinite(v)) return "nan";
    if (std::fabs(v) < std::fabs(step) * 1e-6) v = 0.0;
    const double mag = std::max(std::fabs(v), std::fabs(step));
    if (mag >= 1e6 || (step > 0.0 && step < 1e-4)) {
        // Enough mantissa digits to tell neighbouring ticks apart.
        const double e = std::floor(std::log10(std::max(std::fabs(v), std::fabs(step))));
        const int d = std::clamp((int)std::ceil(e - std::log10(step) - 1e-9), 0, 6);
        return format_scientific(v, d);
    }
    const int decimals = step > 0.0 ? std::max(0, (int)std::ceil(-std::log10(step) - 1e-9)) : 2;
    return format_fixed(v, decimals);
}

// A single value with up to ~3 significant digits, no trailing zeros (log-axis labels).
std::string format_compact(double v) {
    if (!std::isfinite(v)) return "nan";
    if (v == 0.0) return "0";
    const double a = std::fabs(v);
    if (a >= 1e5 || a < 1e-3) return format_scientific(v, 2);
    const int e = (int)std::floor(std::log10(a));
    return trim_zeros(format_fixed(v, std::max(0, 2 - e)));
}

// "145.1 +- 10.2": decimals chosen so the spread shows two to three significant digits.
int decimals_for_spread(double spread) {
    if (!(spread > 0.0) || !std::isfinite(spread)) return 2;
    return std::clamp(1 - (int)std::floor(std::log10(spread)), 1, 6);
}

// ---- ticks -------------------------------------------------------------------------------

std::vector<double> ticks_with_step(double lo, double hi, double step) {
    std::vector<double> t;
    if (!(step > 0.0)) return t;
    const double eps = step * 1e-6;
    for (double k = std::ceil((lo - eps) / step); k * step <= hi + eps; k += 1.0) {
        t.push_back(k * step);
        if (t.size() > 1000) break;
    }
    return t;
}

// Ticks at 1-2-5 steps inside [lo, hi], the count as close as possible to `target`.
std::vector<double> nice_ticks(double lo, double hi, int target, double* step_out) {
    if (!(hi > lo) || !std::isfinite(lo) || !std::isfinite(hi)) {
        if (step_out) *step_out = 1.0;
        return {std::isfinite(lo) ? lo : 0.0};
    }
    const int e0 = (int)std::floor(std::log10((hi - lo) / target));
    double best_step = 0.0;
    int best_score = std::numeric_limits<int>::max();
    for (int e = e0 - 1; e <= e0 + 1; ++e) {
        for (double f : {1.0, 2.0, 5.0}) {
            const double step = f * std::pow(10.0, e);
            const int n = (int)ticks_with_step(lo, hi, step).size();
            const int score = std::abs(n - target);
            if (score < best_score) {
                best_score = score;
                best_step = step;
            }
        }
    }
    if (step_out) *step_out = best_step;
    return ticks_with_step(lo, hi, best_step);
}

struct Tick {
    double pos;  // axis coordinate (value, or log10 value on a log axis)
    std::string label;
};

std::vector<Tick> linear_ticks(double lo, double hi, int target) {
    double step = 1.0;
    std::vector<Tick> out;
    for (double v : nice_ticks(lo, hi, target, &step)) out.push_back({v, format_tick(v, step)});
    return out;
}

// Ticks for an axis in log10 units [ulo, uhi], labelled with the value: decades when the axis
// spans several, 1-2-5 inside decades for one to three, plain 1-2-5 steps for less.
std::vector<Tick> log_ticks(double ulo, double uhi, int max_ticks) {
    std::vector<Tick> out;
    if (!(uhi > ulo) || !std::isfinite(ulo) || !std::isfinite(uhi)) return out;
    const double eps = 1e-9;
    const int dlo = (int)std::ceil(ulo - eps), dhi = (int)std::floor(uhi + eps);
    const int decades = dhi - dlo + 1;
    if (decades >= 4) {
        const int every = (decades + max_ticks - 1) / max_ticks;
        for (int d = dlo; d <= dhi; ++d)
            if ((d - dlo) % every == 0) out.push_back({(double)d, format_compact(std::pow(10.0, d))});
        return out;
    }
    std::vector<Tick> ones_twos_fives;
    for (int d = (int)std::floor(ulo); d <= (int)std::ceil(uhi); ++d) {
        for (double f : {1.0, 2.0, 5.0}) {
            const double u = d + std::log10(f);
            if (u >= ulo - eps && u <= uhi + eps)
                ones_twos_fives.push_back({u, format_compact(f * std::pow(10.0, d))});
        }
    }
    if (ones_twos_fives.size() >= 4 && (int)ones_twos_fives.size() <= max_ticks + 2) return ones_twos_fives;
    if (decades >= 2) {
        for (int d = dlo; d <= dhi; ++d) out.push_back({(double)d, format_compact(std::pow(10.0, d))});
        return out;
    }
    // Less than about a decade: 1-2-5 steps in value space, placed on the log axis.
    double step = 1.0;
    for (double v : nice_ticks(std::pow(10.0, ulo), std::pow(10.0, uhi), 5, &step))
        if (v > 0.0) out.push_back({std::log10(v), format_tick(v, step)});
    return out;
}

// A 1-2-5 length near `target` (closest on a log scale).
double nice_length(double target) {
    if (!(target > 0.0) || !std::isfinite(target)) return 0.0;
    const int e = (int)std::floor(std::log10(target));
    double best = 0.0, best_d = std::numeric_limits<double>::max();
    for (int k = e - 1; k <= e + 1; ++k)
        for (double f : {1.0, 2.0, 5.0}) {
            const double c = f * std::pow(10.0, k);
            const double d = std::fabs(std::log(c / target));
            if (d < best_d) {
                best_d = d;
                best = c;
            }
        }
    return best;
}

std::string length_label(double metres) {
    struct Unit {
        double scale;
        const char* name;
    };
    // Hershey fonts have no micro sign.
    for (const Unit& u : {Unit{1.0, "m"}, Unit{1e-3, "mm"}, Unit{1e-6, "um"}, Unit{1e-9, "nm"}})
        if (metres >= u.scale * (1.0 - 1e-9)) return format_compact(metres / u.scale) + " " + u.name;
    return format_compact(metres / 1e-12) + " pm";
}

// ---- drawing helpers ---------------------------------------------------------------------

enum class Align { Left, Center, Right };

cv::Size text_size(const std::string& s, double scale, int thickness = 1, int* baseline = nullptr) {
    int b = 0;
    cv::Size sz = cv::getTextSize(s, kFont, scale, thickness, &b);
    if (baseline) *baseline = b;
    return sz;
}

// Text with its baseline at y; x is the left edge, centre or right edge.
void put_text(cv::Mat& img, const std::string& s, int x, int y, double scale, const cv::Scalar& colour,
              Align align = Align::Left, int thickness = 1) {
    const cv::Size sz = text_size(s, scale, thickness);
    if (align == Align::Center) x -= sz.width / 2;
    if (align == Align::Right) x -= sz.width;
    cv::putText(img, s, cv::Point(x, y), kFont, scale, colour, thickness, cv::LINE_AA);
}

// Dark text on a white canvas, turned 90 degrees counter-clockwise, centred at (cx, cy).
void put_text_vertical(cv::Mat& img, const std::string& s, int cx, int cy, double scale) {
    int base = 0;
    const cv::Size sz = text_size(s, scale, 1, &base);
    cv::Mat tile(sz.height + base + 4, sz.width + 4, CV_8UC3, kWhite);
    cv::putText(tile, s, cv::Point(2, sz.height + 2), kFont, scale, kInk, 1, cv::LINE_AA);
    cv::Mat turned;
    cv::rotate(tile, turned, cv::ROTATE_90_COUNTERCLOCKWISE);
    cv::Rect dst(cx - turned.cols / 2, cy - turned.rows / 2, turned.cols, turned.rows);
    dst &= cv::Rect(0, 0, img.cols, img.rows);
    if (dst.area() <= 0) return;
    cv::Mat roi = img(dst);
    cv::min(roi, turned(cv::Rect(0, 0, dst.width, dst.height)), roi);  // ink over white
}

// How a figure's PNG is compressed. OpenCV's default (no parameters: SUB filter, zlib level 1,
// run-length matching only) is the fastest of its settings for the colour maps, whose pixels
// vary from one to the next; plots (mostly flat colour) and the grey mask overlay come out a
// quarter to a half smaller, and no slower, with zlib's ordinary matching. Setting
// IMWRITE_PNG_COMPRESSION is slower at every level, 0 included: it also turns on libpng's
// adaptive filter choice. Only the file size changes, never a pixel.
enum class Content { Map, Plot };

// Encoded in memory and written in one go (faster than cv::imwrite's many small writes); the
// encoder follows the path's extension, as cv::imwrite's does.
void write_png(const std::string& path, const cv::Mat& img, Content content) {
    std::vector<int> params;
    if (content == Content::Plot) params = {cv::IMWRITE_PNG_STRATEGY, cv::IMWRITE_PNG_STRATEGY_DEFAULT};
    const std::size_t dot = path.find_last_of("./");
    const std::string ext = dot != std::string::npos && path[dot] == '.' ? path.substr(dot) : std::string();
    std::vector<std::uint8_t> bytes;
    bool ok = false;
    std::string why;
    try {
        ok = cv::imencode(ext, img, bytes, params);
    } catch (const cv::Exception& e) {
        why = e.what();
    }
    if (!ok) throw DataError("cannot write figure " + path + (why.empty() ? "" : ": " + why));
    write_file_atomic(path, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

// A white bar with a black outline and its length above it, at the lower left of `map_rect`.
void draw_scale_bar(cv::Mat& img, const cv::Rect& map_rect, double metres_per_display_px) {
    if (!(metres_per_display_px > 0.0) || !std::isfinite(metres_per_display_px)) return;
    const double width_m = metres_per_display_px * map_rect.width;
    const double len_m = nice_length(0.2 * width_m);
    const int len_px = (int)std::lround(len_m / metres_per_display_px);
    if (len_px < 4 || len_px > map_rect.width - 20) return;
    const int margin = std::max(8, map_rect.width / 30);
    const int bar_h = std::max(4, map_rect.height / 90);
    const int x0 = map_rect.x + margin, y1 = map_rect.y + map_rect.height - margin;
    const cv::Rect bar(x0, y1 - bar_h, len_px, bar_h);
    cv::rectangle(img, bar, cv::Scalar(0, 0, 0), 3, cv::LINE_AA);
    cv::rectangle(img, bar, kWhite, cv::FILLED);
    const std::string label = length_label(len_m);
    const int tx = x0 + len_px / 2, ty = bar.y - 7;
    const double scale = kLabelScale;
    put_text(img, label, tx, ty, scale, cv::Scalar(0, 0, 0), Align::Center, 4);
    put_text(img, label, tx, ty, scale, kWhite, Align::Center, 1);
}

cv::Scalar region_colour(std::size_t i) {
    // Tableau-10 in BGR: distinct on white, safe for most colour-vision deficiencies.
    static const cv::Scalar palette[] = {
        {180, 119, 31}, {14, 127, 255}, {44, 160, 44}, {40, 39, 214}, {189, 103, 148},
        {75, 86, 140},  {194, 119, 227}, {34, 189, 188}, {207, 190, 23}, {127, 127, 127}};
    return palette[i % (sizeof palette / sizeof palette[0])];
}

// ---- maps ------------------------------------------------------------------------------

// The usable values of a map: finite, and positive too when they go to a log scale.
bool usable(float v, bool log_scale) { return std::isfinite(v) && (!log_scale || v > 0.0f); }

// The p_lo-th and p_hi-th percentiles (0..100) of a map's usable values, by radix selection
// (no copy of the map); by partitions of a copy where that declines. False when none is usable.
// A display range, not a statistic: the value of rank round(p / 100 (n - 1)), which the figures
// have always used (the statistics' interpolated quantiles would change their pixels).
bool percentile_pair(const std::vector<float>& px, bool log_scale, double p_lo, double p_hi, double& lo,
                     double& hi) {
    const auto keep = [log_scale](float v) { return usable(v, log_scale); };
    auto nearest_ranks = [&](std::size_t n) {
        auto rank = [n](double p) { return std::min(n - 1, (std::size_t)std::lround(p / 100.0 * (n - 1))); };
        return std::vector<std::size_t>{rank(p_lo), rank(p_hi)};
    };
    RadixSelection sel;
    std::size_t n = 0;
    if (radix_select(px, keep, nearest_ranks, sel, n)) {
        const std::vector<std::size_t> ranks = nearest_ranks(n);
        lo = sel.order_statistic(ranks[0]);
        hi = sel.order_statistic(ranks[1]);
        return true;
    }
    std::vector<float> values;
    for (float v : px)
        if (keep(v)) values.push_back(v);
    if (values.empty()) return false;
    const std::vector<double> at = order_statistics_inplace(values, nearest_ranks(values.size()));
    lo = at[0];
    hi = at[1];
    return true;
}

// Colour range in scale units (log10 when log_scale): the given one, else 1-99 percentiles;
// widened when it collapses so that an all-equal map still gets a colour bar.
void colour_range(const Image<float>& values, const MapFigure& fig, double& lo, double& hi) {
    lo = fig.lo;
    hi = fig.hi;
    if (lo > hi) std::swap(lo, hi);
    const bool given = lo != hi && std::isfinite(lo) && std::isfinite(hi) && (!fig.log10_scale || lo > 0.0);
    if (!given) {
        if (!percentile_pair(values.px, fig.log10_scale, 1.0, 99.0, lo, hi)) {
            lo = fig.log10_scale ? 1.0 : 0.0;
            hi = fig.log10_scale ? 10.0 : 1.0;
        }
    }
    if (fig.log10_scale) {
        lo = std::log10(lo);
        hi = std::log10(hi);
        if (!(hi > lo)) {
            lo -= 0.5;
            hi += 0.5;
        }
    } else if (!(hi > lo)) {
        const double pad = lo != 0.0 ? 0.1 * std::fabs(lo) : 1.0;
        lo -= pad;
        hi += pad;
    }
}

cv::Mat apply_colormap(const cv::Mat& index8, int colormap) {
    cv::Mat bgr;
    if (colormap == 2) {
        cv::cvtColor(index8, bgr, cv::COLOR_GRAY2BGR);
    } else {
        cv::applyColorMap(index8, bgr, colormap == 1 ? cv::COLORMAP_INFERNO : cv::COLORMAP_VIRIDIS);
    }
    return bgr;
}

// The colours of a colormap's 256 indices, as apply_colormap paints them.
std::vector<cv::Vec3b> colormap_palette(int colormap) {
    cv::Mat ramp(1, 256, CV_8UC1);
    for (int i = 0; i < 256; ++i) ramp.at<std::uint8_t>(0, i) = (std::uint8_t)i;
    const cv::Mat bgr = apply_colormap(ramp, colormap);
    return std::vector<cv::Vec3b>(bgr.ptr<cv::Vec3b>(0), bgr.ptr<cv::Vec3b>(0) + 256);
}

// A byte (0..255) that never decreases with a finite float, computed by `formula` but not per
// pixel: the byte is decided by the values at which it steps up, found once by bisection over
// the floats' order keys, and looked up from a table over the keys' top 16 bits and a step or
// two. Should the formula be found not to step cleanly (e.g. log10 not monotone right there),
// every value goes through the formula instead, so the bytes are the formula's either way.
class ByteSteps {
public:
    explicit ByteSteps(std::function<int(float)> formula) : formula_(std::move(formula)) {
        constexpr std::uint32_t kFirst = 0x00800000u;  // order key of -FLT_MAX
        constexpr std::uint32_t kLast = 0xff7fffffu;   // order key of +FLT_MAX
        step_[0] = 0;
        step_[256] = kNever;
        const int first = formula_(float_from_order_key(kFirst)), last = formula_(float_from_order_key(kLast));
        for (int k = 1; k <= first; ++k) step_[k] = 0;
        std::uint32_t from = kFirst;
        for (int k = first + 1; k <= 255; ++k) {
            if (last < k) {
                step_[k] = kNever;
                continue;
            }
            std::uint32_t a = from, b = kLast;  // the first key in [a, b] with a byte >= k
            while (a < b) {
                const std::uint32_t mid = a + (b - a) / 2;
                if (formula_(float_from_order_key(mid)) >= k) b = mid;
                else a = mid + 1;
            }
            step_[k] = from = a;
            for (std::uint32_t d = 1; d <= 8 && exact_; ++d) {  // a clean step: below < k <= above
                if (a - d >= kFirst && formula_(float_from_order_key(a - d)) >= k) exact_ = false;
                if (a + d <= kLast && formula_(float_from_order_key(a + d)) < k) exact_ = false;
            }
        }
        int byte = 0;
        for (std::uint32_t top = 0; top < kTable; ++top) {
            while (byte < 255 && step_[byte + 1] <= (top << 16)) ++byte;
            start_[top] = (std::uint8_t)byte;
        }
    }

    int operator()(float v) const {
        if (!exact_) return formula_(v);
        const std::uint32_t key = float_order_key(v);
        int byte = start_[key >> 16];
        byte += key >= step_[byte + 1];       // step_[256] is above every key
        while (key >= step_[byte + 1]) ++byte;  // rare: several steps under one table entry
        return byte;
    }

private:
    static constexpr std::uint32_t kTable = 1u << 16;
    static constexpr std::uint32_t kNever = 0xffffffffu;  // above every finite value's key

    std::function<int(float)> formula_;
    bool exact_ = true;
    std::uint32_t step_[257];  // step_[k]: the first key with a byte >= k
    std::vector<std::uint8_t> start_ = std::vector<std::uint8_t>(kTable);
};

// The colour index (0..255) of a finite map value on a colour range [lo, hi] in scale units:
// round(255 t), t = (s - lo) / (hi - lo) clamped to [0, 1], s the value or, on a log scale, its
// log10 (non-positive values at index 0).
ByteSteps colour_index(double lo, double hi, bool log_scale) {
    return ByteSteps([lo, hi, log_scale](float value) {
        double v = value;
        if (log_scale) v = v > 0.0 ? std::log10(v) : lo;
        const double t = std::clamp((v - lo) / (hi - lo), 0.0, 1.0);
        return (int)std::lround(t * 255.0);
    });
}

// Integer nearest-neighbour enlargement for small maps (pixels stay sharp), area averaging
// for large ones; the long side ends up near 600 px.
cv::Size display_size(int nx, int ny) {
    const int long_side = std::max(nx, ny);
    if (long_side <= 800) {
        const int k = std::max(1, (int)std::lround(600.0 / long_side));
        return cv::Size(nx * k, ny * k);
    }
    const double s = 600.0 / long_side;
    return cv::Size(std::max(1, (int)std::lround(nx * s)), std::max(1, (int)std::lround(ny * s)));
}

cv::Mat to_display(const cv::Mat& src, const cv::Size& size) {
    cv::Mat out;
    const bool enlarge = size.width >= src.cols;
    cv::resize(src, out, size, 0, 0, enlarge ? cv::INTER_NEAREST : cv::INTER_AREA);
    return out;
}

void check_image(const Image<float>& img, const std::string& path, const char* what) {
    if (img.nx <= 0 || img.ny <= 0 || img.px.size() != (std::size_t)img.nx * img.ny)
        throw DataError("cannot draw figure " + path + ": " + what + " is empty or inconsistent (" +
                        std::to_string(img.nx) + " x " + std::to_string(img.ny) + ")");
}

// ---- plots -----------------------------------------------------------------------------

struct Axes {
    cv::Rect area;           // plot area in pixels
    double x0 = 0, x1 = 1;   // axis units (log10 on a log axis)
    double y0 = 0, y1 = 1;
    double px(double x) const { return area.x + (x - x0) / (x1 - x0) * area.width; }
    double py(double y) const { return area.y + area.height - (y - y0) / (y1 - y0) * area.height; }
};

// Fixed-point polyline (1/8 px) so smooth curves stay smooth.
void draw_curve(cv::Mat& img, const std::vector<cv::Point2d>& pts, const cv::Scalar& colour, int thickness) {
    constexpr int kShift = 3;
    std::vector<cv::Point> run;
    auto flush = [&]() {
        if (run.size() >= 2)
            cv::polylines(img, std::vector<std::vector<cv::Point>>{run}, false, colour, thickness, cv::LINE_AA,
                          kShift);
        run.clear();
    };
    for (const cv::Point2d& p : pts) {
        if (!std::isfinite(p.x) || !std::isfinite(p.y)) {
            flush();
            continue;
        }
        run.emplace_back((int)std::lround(p.x * (1 << kShift)), (int)std::lround(p.y * (1 << kShift)));
    }
    flush();
}

void draw_axes(cv::Mat& img, const Axes& ax, const std::vector<Tick>& xticks, const std::vector<Tick>& yticks,
               const std::string& xlabel, const std::string& ylabel) {
    const cv::Rect& a = ax.area;
    const int bottom = a.y + a.height, right = a.x + a.width;
    int widest = 0;
    for (const Tick& t : yticks) {
        const int y = (int)std::lround(ax.py(t.pos));
        if (y < a.y - 1 || y > bottom + 1) continue;
        cv::line(img, {a.x - 6, y}, {a.x, y}, kInk, 1, cv::LINE_AA);
        put_text(img, t.label, a.x - 10, y + 6, kTickScale, kInk, Align::Right);
        widest = std::max(widest, text_size(t.label, kTickScale).width);
    }
    for (const Tick& t : xticks) {
        const int x = (int)std::lround(ax.px(t.pos));
        if (x < a.x - 1 || x > right + 1) continue;
        cv::line(img, {x, bottom}, {x, bottom + 6}, kInk, 1, cv::LINE_AA);
        put_text(img, t.label, x, bottom + 24, kTickScale, kInk, Align::Center);
    }
    cv::line(img, {a.x, a.y}, {a.x, bottom}, kInk, 1, cv::LINE_AA);
    cv::line(img, {a.x, bottom}, {right, bottom}, kInk, 1, cv::LINE_AA);
    put_text(img, xlabel, a.x + a.width / 2, bottom + 54, kLabelScale, kInk, Align::Center);
    put_text_vertical(img, ylabel, std::max(12, a.x - widest - 30), a.y + a.height / 2, kLabelScale);
}

// Bars for counts[b] over [edges[b], edges[b+1]] in axis units.
void draw_bars(cv::Mat& img, const Axes& ax, const std::vector<double>& edges, const std::vector<double>& counts,
               const cv::Scalar& fill, const cv::Scalar& outline) {
    const int n = (int)counts.size();
    const double px_per_bin = n > 0 ? std::fabs(ax.px(edges[1]) - ax.px(edges[0])) : 0.0;
    for (int b = 0; b < n; ++b) {
        if (!(counts[b] > 0.0)) continue;
        const double xa = std::max(ax.px(edges[b]), (double)ax.area.x);
        const double xb = std::min(ax.px(edges[b + 1]), (double)(ax.area.x + ax.area.width));
        if (!(xb > xa)) continue;
        const int l = (int)std::lround(xa), r = std::max(l + 1, (int)std::lround(xb));
        const int top = (int)std::lround(std::max(ax.py(counts[b]), (double)ax.area.y));
        const int base = ax.area.y + ax.area.height;
        cv::rectangle(img, cv::Point(l, top), cv::Point(r - 1, base - 1), fill, cv::FILLED);
        if (px_per_bin >= 5.0) cv::rectangle(img, cv::Point(l, top), cv::Point(r - 1, base - 1), outline, 1);
    }
}

// A legend box in an upper corner of the plot: lines of text, each with an optional colour key.
struct LegendLine {
    std::string text;
    cv::Scalar colour;
    int key = 0;  // 0: none, 1: line, 2: filled box
};

constexpr int kLegendRow = 24, kLegendKey = 28, kLegendPad = 10, kLegendInset = 8;

cv::Size legend_size(const std::vector<LegendLine>& lines) {
    if (lines.empty()) return {0, 0};
    int text_w = 0;
    bool any_key = false;
    for (const LegendLine& l : lines) {
        text_w = std::max(text_w, text_size(l.text, kTickScale).width);
        any_key = any_key || l.key != 0;
    }
    return {kLegendPad * 2 + text_w + (any_key ? kLegendKey + 8 : 0),
            kLegendPad * 2 + kLegendRow * (int)lines.size() - 6};
}

cv::Rect legend_box(const cv::Rect& plot, const cv::Size& size, bool left) {
    const int x = left ? plot.x + kLegendInset + 12 : plot.x + plot.width - size.width - kLegendInset;
    return {std::max(x, plot.x + kLegendInset), plot.y + kLegendInset, size.width, size.height};
}

void draw_legend(cv::Mat& img, const cv::Rect& box, const std::vector<LegendLine>& lines) {
    if (lines.empty()) return;
    bool any_key = false;
    for (const LegendLine& l : lines) any_key = any_key || l.key != 0;
    cv::Mat roi = img(box & cv::Rect(0, 0, img.cols, img.rows));
    roi = roi * 0.15 + cv::Scalar(255, 255, 255) * 0.85;  // translucent white panel
    cv::rectangle(img, box, kGridInk, 1);
    int y = box.y + kLegendPad + 14;
    for (const LegendLine& l : lines) {
        int x = box.x + kLegendPad;
        if (any_key) {
            if (l.key == 1) cv::line(img, {x, y - 5}, {x + kLegendKey, y - 5}, l.colour, 3, cv::LINE_AA);
            if (l.key == 2) cv::rectangle(img, cv::Rect(x, y - 12, kLegendKey, 12), l.colour, cv::FILLED);
            x += kLegendKey + 8;
        }
        put_text(img, l.text, x, y, kTickScale, l.key == 0 ? l.colour : kInk);
        y += kLegendRow;
    }
}

// What a plot shows, in axis units: bars over bin edges and sampled curves.
struct PlotData {
    std::vector<double> edges, bars;
    std::vector<std::vector<cv::Point2d>> curves;

    double max_between(double xa, double xb) const {
        double m = 0.0;
        for (std::size_t b = 0; b < bars.size(); ++b)
            if (edges[b] < xb && edges[b + 1] > xa && std::isfinite(bars[b])) m = std::max(m, bars[b]);
        for (const auto& c : curves)
            for (const cv::Point2d& p : c)
                if (p.x >= xa && p.x <= xb && std::isfinite(p.y)) m = std::max(m, p.y);
        return m;
    }
};

// Sets the y range (0 to a tick above the data) and picks the upper corner for the legend
// that needs the least headroom, raising the top of the axis until the data clears it.
cv::Rect place_legend_and_y_range(Axes& ax, const PlotData& data, const std::vector<LegendLine>& legend,
                                  double* ystep) {
    const double ymax_all = data.max_between(-std::numeric_limits<double>::infinity(),
                                             std::numeric_limits<double>::infinity());
    double top = ymax_all > 0.0 ? ymax_all * 1.08 : 5.0;  // an empty plot still gets a few ticks
    cv::Rect box;
    if (!legend.empty()) {
        const cv::Size size = legend_size(legend);
        const double free_frac = 1.0 - (size.height + 2.0 * kLegendInset) / ax.area.height;
        double best_top = std::numeric_limits<double>::infinity();
        for (bool left : {false, true}) {
            const cv::Rect b = legend_box(ax.area, size, left);
            auto axis_x = [&](double px) { return ax.x0 + (px - ax.area.x) / ax.area.width * (ax.x1 - ax.x0); };
            const double under = data.max_between(axis_x(b.x - 4), axis_x(b.x + b.width + 4));
            const double needed = std::max(top, free_frac > 0.2 ? under / free_frac : under * 1.08);
            if (needed < best_top * 0.999) {  // ties keep the right-hand corner
                best_top = needed;
                box = b;
            }
        }
        top = best_top;
    }
    nice_ticks(0.0, top, 5, ystep);
    *ystep = std::max(*ystep, 1.0);  // pixel counts: whole-number ticks
    ax.y0 = 0.0;
    ax.y1 = std::max(top, *ystep * std::ceil(top / *ystep - 1e-9));
    return box;
}

std::string region_display_name(const RegionInfo& info) {
    std::string s = info.name.empty() ? std::to_string(info.label) : info.name;
    if (!info.class_name.empty() && info.class_name != "unclassified") s += " (" + info.class_name + ")";
    return s;
}

bool fit_drawable(const FitResult& f) {
    return f.state == FitState::Converged && std::isfinite(f.amplitude) && f.amplitude > 0.0 &&
           std::isfinite(f.center) && std::isfinite(f.sigma) && f.sigma > 0.0 && std::isfinite(f.offset);
}

std::string centre_text(const GaussianSummary& g) {
    const int d = decimals_for_spread(g.sigma_gpa);
    return format_fixed(g.center_gpa, d) + " +- " + format_fixed(g.sigma_gpa, d) + " GPa";
}

// Counts of a region's histogram, as many as both the spec and the vector hold.
std::vector<double> region_counts(const RegionStats& r) {
    const std::size_t n = std::min(r.counts.size(), (std::size_t)std::max(0, r.hist.nbins));
    return std::vector<double>(r.counts.begin(), r.counts.begin() + (std::ptrdiff_t)n);
}

bool hist_range_ok(const HistSpec& h) {
    return std::isfinite(h.lo) && std::isfinite(h.hi) && h.hi > h.lo && h.nbins >= 1;
}

cv::Mat blank_canvas(int w, int h) { return cv::Mat(h, w, CV_8UC3, kWhite); }

}  // namespace

// ================================================================================================

void save_map_png(const std::string& path, const Image<float>& values, const MapFigure& fig) {
    check_image(values, path, "map");
    double lo = 0.0, hi = 1.0;  // scale units
    colour_range(values, fig, lo, hi);

    // Colour per pixel; NaN dark grey, non-positive values on a log scale at the low end.
    const ByteSteps index = colour_index(lo, hi, fig.log10_scale);
    const std::vector<cv::Vec3b> palette = colormap_palette(fig.colormap);
    const cv::Vec3b nan_colour((std::uint8_t)kNaNGrey[0], (std::uint8_t)kNaNGrey[1], (std::uint8_t)kNaNGrey[2]);
    cv::Mat colour(values.ny, values.nx, CV_8UC3);
    for (int y = 0; y < values.ny; ++y) {
        const float* src = &values.at(0, y);
        cv::Vec3b* dst = colour.ptr<cv::Vec3b>(y);
        for (int x = 0; x < values.nx; ++x) dst[x] = std::isfinite(src[x]) ? palette[index(src[x])] : nan_colour;
    }

    const cv::Size disp = display_size(values.nx, values.ny);
    const cv::Mat shown = to_display(colour, disp);

    // Colour-bar ticks first: their labels set the right margin.
    const int bar_h = std::max(disp.height, 240);
    std::vector<Tick> ticks = fig.log10_scale ? log_ticks(lo, hi, 7) : linear_ticks(lo, hi, 6);
    int label_w = 0;
    for (const Tick& t : ticks) label_w = std::max(label_w, text_size(t.label, kTickScale).width);
    const int value_label_w = text_size(fig.value_label, kLabelScale).width;

    const int margin = 24, top = fig.title.empty() ? 50 : 80, bar_w = 22, bar_gap = 22;
    const int right_w = std::max(bar_w + 10 + label_w, value_label_w / 2 + bar_w / 2) + margin;
    const int title_w = text_size(fig.title, kTitleScale, 2).width;
    const int width = std::max(margin + disp.width + bar_gap + right_w, title_w + 2 * margin);
    const int height = top + std::max(disp.height, bar_h) + margin;
    cv::Mat img = blank_canvas(width, height);

    const cv::Rect map_rect(margin, top, disp.width, disp.height);
    shown.copyTo(img(map_rect));
    cv::rectangle(img, cv::Rect(map_rect.x - 1, map_rect.y - 1, map_rect.width + 2, map_rect.height + 2), kInk, 1);
    if (!fig.title.empty())
        put_text(img, fig.title, std::max(title_w / 2 + 4, map_rect.x + map_rect.width / 2), 34, kTitleScale, kInk,
                 Align::Center, 2);
    draw_scale_bar(img, map_rect, fig.pixel_size_x_m * values.nx / disp.width);

    // Colour bar: high values at the top.
    cv::Mat ramp(bar_h, 1, CV_8UC1);
    for (int r = 0; r < bar_h; ++r)
        ramp.at<std::uint8_t>(r, 0) = (std::uint8_t)std::lround(255.0 * (bar_h - 1 - r) / std::max(1, bar_h - 1));
    cv::Mat ramp_bgr;
    cv::resize(apply_colormap(ramp, fig.colormap), ramp_bgr, cv::Size(bar_w, bar_h), 0, 0, cv::INTER_NEAREST);
    const cv::Rect bar_rect(map_rect.x + map_rect.width + bar_gap, top, bar_w, bar_h);
    ramp_bgr.copyTo(img(bar_rect));
    cv::rectangle(img, cv::Rect(bar_rect.x - 1, bar_rect.y - 1, bar_w + 2, bar_h + 2), kInk, 1);
    for (const Tick& t : ticks) {
        const int y = (int)std::lround(bar_rect.y + bar_h - 1 - (t.pos - lo) / (hi - lo) * (bar_h - 1));
        if (y < bar_rect.y - 1 || y > bar_rect.y + bar_h) continue;
        cv::line(img, {bar_rect.x + bar_w, y}, {bar_rect.x + bar_w + 5, y}, kInk, 1, cv::LINE_AA);
        put_text(img, t.label, bar_rect.x + bar_w + 9, y + 6, kTickScale, kInk);
    }
    if (!fig.value_label.empty())
        put_text(img, fig.value_label, std::max(bar_rect.x + bar_w / 2, value_label_w / 2),
                 top - 12, kLabelScale, kInk, Align::Center);
    write_png(path, img, Content::Map);
}

void save_mask_overlay_png(const std::string& path, const Image<float>& height_m,
                           const Image<std::uint8_t>& mask, double pixel_size_x_m) {
    check_image(height_m, path, "height map");
    if (mask.nx != height_m.nx || mask.ny != height_m.ny || mask.px.size() != height_m.px.size())
        throw DataError("cannot draw figure " + path + ": mask is " + std::to_string(mask.nx) + " x " +
                        std::to_string(mask.ny) + ", height map " + std::to_string(height_m.nx) + " x " +
                        std::to_string(height_m.ny));
    const int nx = height_m.nx, ny = height_m.ny;

    struct Reason {
        std::uint8_t bit;
        const char* label;
        cv::Scalar colour;  // BGR
        double alpha;
    };
    const Reason reasons[] = {
        {kMaskTiltOverCutoff, "tilt over cutoff", {40, 40, 220}, 0.6},
        {kMaskPhaseNotRepulsive, "phase not repulsive", {0, 150, 255}, 0.6},
        {kMaskDf2NotPositive, "df2 not positive", {200, 40, 200}, 0.6},
        {kMaskNonFinite, "non-finite input", {220, 90, 30}, 0.6},
        {kMaskUnlabelled, "unlabelled (hatched)", {230, 230, 60}, 0.0},  // hatch, drawn on the display image
    };
    static_assert(sizeof reasons / sizeof reasons[0] == kMaskBitCount, "one entry per mask bit");

    // Grey topography, 1-99 % stretch.
    double lo = 0.0, hi = 1.0;
    if (!percentile_pair(height_m.px, false, 1.0, 99.0, lo, hi)) {
        lo = 0.0;
        hi = 1.0;
    }
    if (!(hi > lo)) hi = lo + 1.0;
    // Grey by height (non-finite: darker), then each reason's colour blended in; pixels with no
    // reason to blend (the most) take their grey from a step table rather than the formula.
    auto grey = [lo, hi](double h) {
        return std::isfinite(h) ? 40.0 + 190.0 * std::clamp((h - lo) / (hi - lo), 0.0, 1.0) : 20.0;
    };
    const ByteSteps grey_byte([&grey](float h) { return (int)cv::saturate_cast<std::uint8_t>(grey(h)); });
    const std::uint8_t nonfinite_grey = cv::saturate_cast<std::uint8_t>(grey(std::numeric_limits<double>::quiet_NaN()));
    std::uint8_t blended_bits = 0;  // reasons that change a pixel's colour (the hatch is drawn later)
    for (const Reason& r : reasons)
        if (r.alpha != 0.0) blended_bits |= r.bit;
    long long pixels_with_mask[256] = {};
    cv::Mat base(ny, nx, CV_8UC3);
    for (int y = 0; y < ny; ++y) {
        const float* h = &height_m.at(0, y);
        const std::uint8_t* m = &mask.at(0, y);
        cv::Vec3b* out = base.ptr<cv::Vec3b>(y);
        for (int x = 0; x < nx; ++x) {
            if (m[x]) ++pixels_with_mask[m[x]];  // unmasked ones: the rest
            if (!(m[x] & blended_bits)) {
                const std::uint8_t g = std::isfinite(h[x]) ? (std::uint8_t)grey_byte(h[x]) : nonfinite_grey;
                out[x] = cv::Vec3b(g, g, g);
                continue;
            }
            const double g = grey(h[x]);
            cv::Vec3d c(g, g, g);
            for (const Reason& r : reasons) {
                if (!(m[x] & r.bit)) continue;
                for (int k = 0; k < 3; ++k) c[k] = (1.0 - r.alpha) * c[k] + r.alpha * r.colour[k];
            }
            out[x] = cv::Vec3b(cv::saturate_cast<std::uint8_t>(c[0]), cv::saturate_cast<std::uint8_t>(c[1]),
                               cv::saturate_cast<std::uint8_t>(c[2]));
        }
    }
    pixels_with_mask[0] = (long long)nx * ny;
    for (int v = 1; v < 256; ++v) pixels_with_mask[0] -= pixels_with_mask[v];
    long long counts[kMaskBitCount] = {0, 0, 0, 0, 0};
    long long n_valid = 0;
    for (int v = 0; v < 256; ++v) {
        for (int b = 0; b < kMaskBitCount; ++b)
            if (v & reasons[b].bit) counts[b] += pixels_with_mask[v];
        if (!(v & kMaskInvalid)) n_valid += pixels_with_mask[v];
    }
    const cv::Size disp = display_size(nx, ny);
    cv::Mat shown = to_display(base, disp);
    // Diagonal hatch over unlabelled pixels, in display space so its spacing is constant.
    std::uint8_t hatched[3][256];
    for (int k = 0; k < 3; ++k)
        for (int v = 0; v < 256; ++v) hatched[k][v] = (std::uint8_t)std::lround(0.25 * v + 0.75 * reasons[4].colour[k]);
    std::vector<int> source_x(disp.width);
    for (int X = 0; X < disp.width; ++X) source_x[X] = std::min(nx - 1, (int)((long long)X * nx / disp.width));
    for (int Y = 0; Y < disp.height; ++Y) {
        const int y = std::min(ny - 1, (int)((long long)Y * ny / disp.height));
        const std::uint8_t* m = &mask.at(0, y);
        cv::Vec3b* row = shown.ptr<cv::Vec3b>(Y);
        for (int X0 = -(Y % 8); X0 < disp.width; X0 += 8) {  // (X + Y) % 8 is 0 or 1
            for (int X = std::max(X0, 0); X < X0 + 2 && X < disp.width; ++X) {
                if (!(m[source_x[X]] & kMaskUnlabelled)) continue;
                cv::Vec3b& p = row[X];
                for (int k = 0; k < 3; ++k) p[k] = hatched[k][p[k]];
            }
        }
    }

    // Legend lines: swatch, reason, count and share.
    const double total = (double)nx * ny;
    auto share = [&](long long n) {
        const double pct = 100.0 * n / total;
        return std::to_string(n) + " px (" + (n > 0 && pct < 0.05 ? std::string("<0.1") : format_fixed(pct, 1)) + " %)";
    };
    std::vector<std::string> texts;
    for (int b = 0; b < kMaskBitCount; ++b) texts.push_back(std::string(reasons[b].label) + ": " + share(counts[b]));
    const std::string valid_text = "valid modulus: " + share(n_valid);
    int legend_w = text_size(valid_text, kTickScale).width;
    for (const std::string& t : texts) legend_w = std::max(legend_w, text_size(t, kTickScale).width);
    const int swatch = 18, margin = 24, top = 70, row_h = 30;
    const int legend_x = margin + disp.width + 28;
    const int width = legend_x + swatch + 10 + legend_w + margin;
    const int legend_h = 40 + row_h * (kMaskBitCount + 1);
    const int height = top + std::max(disp.height, legend_h) + margin;
    cv::Mat img = blank_canvas(width, height);
    const cv::Rect map_rect(margin, top, disp.width, disp.height);
    shown.copyTo(img(map_rect));
    cv::rectangle(img, cv::Rect(map_rect.x - 1, map_rect.y - 1, map_rect.width + 2, map_rect.height + 2), kInk, 1);
    put_text(img, "Masked pixels by reason", map_rect.x + map_rect.width / 2, 38, kTitleScale, kInk, Align::Center, 2);
    draw_scale_bar(img, map_rect, pixel_size_x_m * nx / disp.width);

    put_text(img, "Mask reason", legend_x, top + 16, kLabelScale, kInk);
    int y = top + 40;
    for (int b = 0; b < kMaskBitCount; ++b) {
        const cv::Rect sw(legend_x, y, swatch, swatch);
        if (b == 4) {  // the same hatch as on the map
            cv::rectangle(img, sw, cv::Scalar(150, 150, 150), cv::FILLED);
            for (int r = 0; r < swatch; ++r)
                for (int c = 0; c < swatch; ++c) {
                    if ((c + r) % 8 >= 2) continue;
                    cv::Vec3b& p = img.at<cv::Vec3b>(sw.y + r, sw.x + c);
                    for (int k = 0; k < 3; ++k)
                        p[k] = (std::uint8_t)std::lround(0.25 * p[k] + 0.75 * reasons[b].colour[k]);
                }
        } else {
            cv::rectangle(img, sw, reasons[b].colour, cv::FILLED);
        }
        cv::rectangle(img, sw, kInk, 1);
        put_text(img, texts[b], legend_x + swatch + 10, y + swatch - 3, kTickScale, kInk);
        y += row_h;
    }
    put_text(img, valid_text, legend_x, y + swatch - 3, kTickScale, kInk);
    write_png(path, img, Content::Plot);
}

void save_region_histogram_png(const std::string& path, const RegionStats& region, const std::string& title) {
    const HistSpec& h = region.hist;
    const bool log_axis = h.log10_axis != 0;
    const std::vector<double> counts = hist_range_ok(h) ? region_counts(region) : std::vector<double>{};
    const FitResult& fit = region.gaussian.fit;
    const bool curve = fit_drawable(fit);

    // x range: the histogram's, else around the fit, else a placeholder.
    double x0 = 0.0, x1 = log_axis ? 3.0 : 1.0;
    if (hist_range_ok(h)) {
        x0 = h.lo;
        x1 = h.hi;
    } else if (curve) {
        x0 = fit.center - 4.0 * fit.sigma;
        x1 = fit.center + 4.0 * fit.sigma;
    }
    PlotData data;
    data.bars = counts;
    const double w = hist_range_ok(h) ? hist_bin_width(h) : 0.0;  // counts exist only with a valid range
    for (std::size_t b = 0; b <= counts.size(); ++b) data.edges.push_back(x0 + (double)b * w);

    const int width = 900, height = 600;
    Axes ax;
    ax.area = cv::Rect(100, 60, width - 100 - 30, height - 60 - 80);
    ax.x0 = x0;
    ax.x1 = x1;

    // The curve sampled twice per pixel column.
    if (curve) {
        data.curves.emplace_back();
        const int n = 2 * ax.area.width;
        for (int i = 0; i <= n; ++i) {
            const double x = x0 + (x1 - x0) * i / n;
            const double t = (x - fit.center) / fit.sigma;
            data.curves[0].emplace_back(x, fit.amplitude * std::exp(-0.5 * t * t) + fit.offset);
        }
    }

    std::vector<LegendLine> legend;
    if (std::none_of(counts.begin(), counts.end(), [](double c) { return c > 0.0; }))
        legend.push_back({"no counts", kMutedInk, 0});
    if (curve) {
        const GaussianSummary& g = region.gaussian;
        legend.push_back({"Gaussian fit", kInk, 1});
        legend.push_back({"centre " + centre_text(g), kInk, 0});
        legend.push_back({"FWHM " + format_fixed(g.fwhm_gpa, decimals_for_spread(g.sigma_gpa)) + " GPa", kInk, 0});
        legend.push_back({"R2 = " + format_fixed(fit.r2, 3), kInk, 0});  // Hershey fonts draw ^ as ~
        legend.push_back({std::string("fit ") + fit_state_name(fit.state), kInk, 0});
    } else {
        legend.push_back({std::string("no fit: ") + fit_state_name(fit.state), kMutedInk, 0});
    }
    if (region.pixels.n_valid > 0) legend.push_back({"n = " + std::to_string(region.pixels.n_valid) + " px", kInk, 0});
    double ystep = 1.0;
    const cv::Rect legend_rect = place_legend_and_y_range(ax, data, legend, &ystep);

    cv::Mat img = blank_canvas(width, height);
    draw_bars(img, ax, data.edges, data.bars, cv::Scalar(225, 190, 150), cv::Scalar(170, 120, 70));
    for (const auto& c : data.curves) {
        std::vector<cv::Point2d> pts;
        for (const cv::Point2d& p : c) pts.emplace_back(ax.px(p.x), std::max(ax.py(p.y), (double)ax.area.y));
        draw_curve(img, pts, kInk, 2);
    }
    std::vector<Tick> xticks = log_axis ? log_ticks(x0, x1, 8) : linear_ticks(x0, x1, 7);
    std::vector<Tick> yticks;
    for (double v : ticks_with_step(0.0, ax.y1, ystep)) yticks.push_back({v, format_tick(v, ystep)});
    draw_axes(img, ax, xticks, yticks, log_axis ? "Modulus (GPa, log scale)" : "Modulus (GPa)", "Pixels");
    put_text(img, title, ax.area.x + ax.area.width / 2, 36, kTitleScale, kInk, Align::Center, 2);
    draw_legend(img, legend_rect, legend);
    write_png(path, img, Content::Plot);
}

void save_histogram_overview_png(const std::string& path, const StatisticsResult& stats, const std::string& title) {
    const RegionStats& whole = stats.whole_map;
    const HistSpec& wh = whole.hist;
    const bool whole_ok = hist_range_ok(wh);
    const std::vector<double> wcounts = whole_ok ? region_counts(whole) : std::vector<double>{};
    auto drawable = [](const RegionStats& r) {
        const double wr = hist_bin_width(r.hist);
        return fit_drawable(r.gaussian.fit) && wr > 0.0 && std::isfinite(wr);
    };

    // Log x when the whole map is binned on log10, or when fitted centres span over a decade.
    double cmin = std::numeric_limits<double>::infinity(), cmax = 0.0;
    for (const RegionStats& r : stats.regions) {
        if (!drawable(r) || !(r.gaussian.center_gpa > 0.0)) continue;
        cmin = std::min(cmin, r.gaussian.center_gpa);
        cmax = std::max(cmax, r.gaussian.center_gpa);
    }
    const bool log_plot = wh.log10_axis != 0 || (cmax > 0.0 && cmax / cmin > 10.0);

    // Where a region's fit puts its pixels, in GPa (a: low end, b: high end, always > 0 on
    // a log plot).
    auto region_span_gpa = [](const RegionStats& r, double& a, double& b) {
        const FitResult& f = r.gaussian.fit;
        if (r.hist.log10_axis) {
            a = std::pow(10.0, f.center - 3.5 * f.sigma);
            b = std::pow(10.0, f.center + 3.5 * f.sigma);
        } else {
            a = std::max(f.center - 3.5 * f.sigma, f.center / 10.0);
            b = f.center + 3.5 * f.sigma;
        }
    };

    // Display bins on the plot axis (log10 GPa or GPa) and the whole-map pixels in them.
    PlotData data;
    double x0 = 0.0, x1 = 1.0;
    if (!log_plot || wh.log10_axis) {
        if (whole_ok) {
            x0 = wh.lo;
            x1 = wh.hi;
        } else {
            double a = std::numeric_limits<double>::infinity(), b = -a;
            for (const RegionStats& r : stats.regions) {
                if (!drawable(r)) continue;
                double ra, rb;
                region_span_gpa(r, ra, rb);
                a = std::min(a, log_plot ? std::log10(ra) : ra);
                b = std::max(b, log_plot ? std::log10(rb) : rb);
            }
            if (b > a && std::isfinite(a) && std::isfinite(b)) {
                x0 = a;
                x1 = b;
            } else if (log_plot) {
                x0 = -1.0;
                x1 = 3.0;
            }
        }
        const double w = whole_ok ? hist_bin_width(wh) : 0.0;
        for (std::size_t b = 0; b <= wcounts.size(); ++b) data.edges.push_back(x0 + (double)b * w);
        data.bars = wcounts;
    } else {
        // Linear whole-map bins re-binned onto log bins, each linear bin's pixels spread
        // evenly over its GPa width; the axis starts where the regions' fits or the lowest
        // 0.2 % of the whole map's pixels start, whichever is lower.
        double ulo = std::numeric_limits<double>::infinity(), uhi = -ulo;
        for (const RegionStats& r : stats.regions) {
            if (!drawable(r)) continue;
            double a, b;
            region_span_gpa(r, a, b);
            if (!(a > 0.0) || !(b > a)) continue;
            ulo = std::min(ulo, std::log10(a));
            uhi = std::max(uhi, std::log10(b));
        }
        const double w = hist_bin_width(wh);
        double total = 0.0, seen = 0.0;
        for (double c : wcounts) total += c;
        for (std::size_t b = 0; b < wcounts.size(); ++b) {
            seen += wcounts[b];
            const double ea = wh.lo + b * w, eb = ea + w;
            if (!(wcounts[b] > 0.0) || eb <= 0.0) continue;
            if (seen >= 0.002 * total) ulo = std::min(ulo, std::log10(std::max(ea, eb / 4.0)));
            uhi = std::max(uhi, std::log10(eb));
        }
        if (!(uhi > ulo) || !std::isfinite(ulo) || !std::isfinite(uhi)) {
            ulo = -1.0;
            uhi = 3.0;
        }
        ulo = std::max(ulo, uhi - 6.0);
        const double pad = 0.03 * (uhi - ulo);
        x0 = ulo - pad;
        x1 = uhi + pad;
        const int nb = 120;
        for (int b = 0; b <= nb; ++b) data.edges.push_back(x0 + (x1 - x0) * b / nb);
        data.bars.assign(nb, 0.0);
        for (std::size_t b = 0; b < wcounts.size(); ++b) {
            if (!(wcounts[b] > 0.0)) continue;
            const double ea = wh.lo + b * w, eb = ea + w;
            for (int k = 0; k < nb; ++k) {
                const double overlap =
                    std::min(eb, std::pow(10.0, data.edges[k + 1])) - std::max(ea, std::pow(10.0, data.edges[k]));
                if (overlap > 0.0) data.bars[k] += wcounts[b] * overlap / w;
            }
        }
    }
    const double display_bin = data.edges.size() >= 2 ? data.edges[1] - data.edges[0] : (x1 - x0) / 100.0;

    // The figure grows taller only when many regions need legend rows.
    const int width = 1000;
    const int height = std::max(640, 60 + 80 + kLegendRow * ((int)stats.regions.size() + 1) + 120);
    Axes ax;
    ax.area = cv::Rect(100, 60, width - 100 - 30, height - 60 - 80);
    ax.x0 = x0;
    ax.x1 = x1;

    // Each region's Gaussian as pixels per display bin: its fit amplitude is pixels per region
    // bin, so amplitude * exp(...) / region bin width is a density on the region's axis, which
    // the change of variables carries to the plot's axis before multiplying by the display bin.
    std::vector<int> curve_of(stats.regions.size(), -1);
    const int n = 2 * ax.area.width;
    for (std::size_t i = 0; i < stats.regions.size(); ++i) {
        const RegionStats& r = stats.regions[i];
        if (!drawable(r)) continue;
        const FitResult& f = r.gaussian.fit;
        const double wr = hist_bin_width(r.hist);
        curve_of[i] = (int)data.curves.size();
        std::vector<cv::Point2d>& curve = data.curves.emplace_back();
        for (int k = 0; k <= n; ++k) {
            const double t = x0 + (x1 - x0) * k / n;  // plot axis coordinate
            const double gpa = log_plot ? std::pow(10.0, t) : t;
            double u, jacobian;  // region axis value, d(region axis) / d(plot axis)
            if (r.hist.log10_axis) {
                if (!(gpa > 0.0)) {
                    curve.emplace_back(t, 0.0);
                    continue;
                }
                u = std::log10(gpa);
                jacobian = log_plot ? 1.0 : 1.0 / (gpa * kLn10);
            } else {
                u = gpa;
                jacobian = log_plot ? gpa * kLn10 : 1.0;
            }
            const double z = (u - f.center) / f.sigma;
            curve.emplace_back(t, f.amplitude * std::exp(-0.5 * z * z) * jacobian * display_bin / wr);
        }
    }

    const cv::Scalar bar_grey(200, 200, 200);
    std::vector<LegendLine> legend;
    legend.push_back({"whole map", bar_grey, 2});
    for (std::size_t i = 0; i < stats.regions.size(); ++i) {
        const RegionStats& r = stats.regions[i];
        if (curve_of[i] < 0)
            legend.push_back({region_display_name(r.info) + ": no fit (" + fit_state_name(r.gaussian.fit.state) + ")",
                              kMutedInk, 0});
        else
            legend.push_back({region_display_name(r.info) + ": " + centre_text(r.gaussian), region_colour(i), 1});
    }
    double ystep = 1.0;
    const cv::Rect legend_rect = place_legend_and_y_range(ax, data, legend, &ystep);

    cv::Mat img = blank_canvas(width, height);
    draw_bars(img, ax, data.edges, data.bars, bar_grey, cv::Scalar(150, 150, 150));
    for (std::size_t i = 0; i < stats.regions.size(); ++i) {
        if (curve_of[i] < 0) continue;
        std::vector<cv::Point2d> pts;
        for (const cv::Point2d& p : data.curves[curve_of[i]])
            pts.emplace_back(ax.px(p.x), std::max(ax.py(p.y), (double)ax.area.y));
        draw_curve(img, pts, region_colour(i), 2);
    }
    std::vector<Tick> xticks = log_plot ? log_ticks(x0, x1, 8) : linear_ticks(x0, x1, 7);
    std::vector<Tick> yticks;
    for (double v : ticks_with_step(0.0, ax.y1, ystep)) yticks.push_back({v, format_tick(v, ystep)});
    draw_axes(img, ax, xticks, yticks, log_plot ? "Modulus (GPa, log scale)" : "Modulus (GPa)", "Pixels per bin");
    put_text(img, title, ax.area.x + ax.area.width / 2, 36, kTitleScale, kInk, Align::Center, 2);
    draw_legend(img, legend_rect, legend);
    write_png(path, img, Content::Plot);
}

// ---- calibration plots ------------------------------------------------------------------

void save_error_bar_plot_png(const std::string& path, const ErrorBarPlot& p) {
    const int width = 900, height = 600;
    Axes ax;
    ax.area = cv::Rect(100, 60, width - 100 - 30, height - 60 - 80);
    ax.x0 = p.x0;
    ax.x1 = p.x1 > p.x0 ? p.x1 : p.x0 + 1.0;

    // y range: every point with its bar and every curve inside the x range, padded.
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    auto take = [&](double v) {
        if (std::isfinite(v)) {
            lo = std::min(lo, v);
            hi = std::max(hi, v);
        }
    };
    for (std::size_t i = 0; i < p.y.size(); ++i) {
        const double e = i < p.err.size() && std::isfinite(p.err[i]) ? p.err[i] : 0.0;
        take(p.y[i] - e);
        take(p.y[i] + e);
    }
    for (const auto& c : p.curves)
        for (std::size_t i = 0; i < c.y.size(); ++i)
            if (c.x[i] >= ax.x0 && c.x[i] <= ax.x1) take(c.y[i]);
    if (!(hi > lo)) {
        lo = std::isfinite(lo) ? lo - 0.5 : 0.0;
        hi = lo + 1.0;
    }
    const double pad = 0.06 * (hi - lo);
    double ystep = 1.0;
    const std::vector<double> yt = nice_ticks(lo - pad, hi + pad, 6, &ystep);
    ax.y0 = ystep * std::floor((lo - pad) / ystep + 1e-9);
    ax.y1 = ystep * std::ceil((hi + pad) / ystep - 1e-9);

    cv::Mat img = blank_canvas(width, height);
    // Clip drawing to the plot area: curves may leave the y range.
    auto clip_y = [&](double y) { return std::clamp(y, (double)ax.area.y, (double)(ax.area.y + ax.area.height)); };
    if (std::isfinite(p.vline_x) && p.vline_x > ax.x0 && p.vline_x < ax.x1) {
        const int x = (int)std::lround(ax.px(p.vline_x));
        for (int y = ax.area.y; y < ax.area.y + ax.area.height; y += 10)
            cv::line(img, {x, y}, {x, std::min(y + 5, ax.area.y + ax.area.height)}, kMutedInk, 1, cv::LINE_AA);
        put_text(img, p.vline_label, x + 6, ax.area.y + ax.area.height - 10, kTickScale, kMutedInk);
    }
    std::vector<LegendLine> legend;
    for (const auto& c : p.curves) {
        std::vector<cv::Point2d> pts;
        for (std::size_t i = 0; i < c.x.size() && i < c.y.size(); ++i) {
            const double py = ax.py(c.y[i]);
            const bool inside = py >= ax.area.y && py <= ax.area.y + ax.area.height;
            pts.emplace_back(ax.px(c.x[i]), inside ? py : NAN);
        }
        draw_curve(img, pts, region_colour((std::size_t)c.colour), 2);
        legend.push_back({c.label, region_colour((std::size_t)c.colour), 1});
    }
    for (std::size_t i = 0; i < p.x.size() && i < p.y.size(); ++i) {
        if (!std::isfinite(p.x[i]) || !std::isfinite(p.y[i])) continue;
        const int x = (int)std::lround(ax.px(p.x[i]));
        const double e = i < p.err.size() && std::isfinite(p.err[i]) ? p.err[i] : 0.0;
        const int ya = (int)std::lround(clip_y(ax.py(p.y[i] - e))), yb = (int)std::lround(clip_y(ax.py(p.y[i] + e)));
        cv::line(img, {x, ya}, {x, yb}, kInk, 1, cv::LINE_AA);
        cv::line(img, {x - 4, ya}, {x + 4, ya}, kInk, 1, cv::LINE_AA);
        cv::line(img, {x - 4, yb}, {x + 4, yb}, kInk, 1, cv::LINE_AA);
        cv::circle(img, {x, (int)std::lround(clip_y(ax.py(p.y[i])))}, 4, kInk, cv::FILLED, cv::LINE_AA);
    }
    if (!p.points_label.empty()) legend.insert(legend.begin(), {p.points_label, kInk, 2});

    std::vector<Tick> yticks;
    for (double v : yt)
        if (v >= ax.y0 - 1e-12 && v <= ax.y1 + 1e-12) yticks.push_back({v, format_tick(v, ystep)});
    draw_axes(img, ax, linear_ticks(ax.x0, ax.x1, 8), yticks, p.x_label, p.y_label);
    put_text(img, p.title, ax.area.x + ax.area.width / 2, 36, kTitleScale, kInk, Align::Center, 2);
    const cv::Size size = legend_size(legend);
    draw_legend(img, legend_box(ax.area, size, false), legend);
    write_png(path, img, Content::Plot);
}

}  // namespace amfm
