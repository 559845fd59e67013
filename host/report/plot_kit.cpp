// The drawing kit of the PNG figures (see plot_kit.hpp).
#include "host/report/plot_kit.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include <opencv2/imgcodecs.hpp>

#include "amfm/kernels/error.hpp"
#include "host/model/file_io.hpp"

namespace amfm::plot {
namespace {

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

// A single value with up to ~3 significant digits, no trailing zeros (log-axis labels).
std::string format_compact(double v) {
    if (!std::isfinite(v)) return "nan";
    if (v == 0.0) return "0";
    const double a = std::fabs(v);
    if (a >= 1e5 || a < 1e-3) return format_scientific(v, 2);
    const int e = (int)std::floor(std::log10(a));
    return trim_zeros(format_fixed(v, std::max(0, 2 - e)));
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

constexpr int kLegendKey = 28, kLegendPad = 10, kLegendInset = 8;

}  // namespace

// ---- numbers -----------------------------------------------------------------------------

std::string format_fixed(double v, int decimals) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", std::clamp(decimals, 0, 9), v);
    std::string s = buf;
    if (s == "-0" || s.find_first_not_of("-0.") == std::string::npos) {
        if (!s.empty() && s[0] == '-') s.erase(0, 1);  // no "-0.0"
    }
    return s;
}

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

// ---- text and canvas -----------------------------------------------------------------------

cv::Size text_size(const std::string& s, double scale, int thickness, int* baseline) {
    int b = 0;
    cv::Size sz = cv::getTextSize(s, kFont, scale, thickness, &b);
    if (baseline) *baseline = b;
    return sz;
}

void put_text(cv::Mat& img, const std::string& s, int x, int y, double scale, const cv::Scalar& colour,
              Align align, int thickness) {
    const cv::Size sz = text_size(s, scale, thickness);
    if (align == Align::Center) x -= sz.width / 2;
    if (align == Align::Right) x -= sz.width;
    cv::putText(img, s, cv::Point(x, y), kFont, scale, colour, thickness, cv::LINE_AA);
}

cv::Mat blank_canvas(int w, int h) { return cv::Mat(h, w, CV_8UC3, kWhite); }

cv::Scalar region_colour(std::size_t i) {
    static const cv::Scalar palette[] = {
        {180, 119, 31}, {14, 127, 255}, {44, 160, 44}, {40, 39, 214}, {189, 103, 148},
        {75, 86, 140},  {194, 119, 227}, {34, 189, 188}, {207, 190, 23}, {127, 127, 127}};
    return palette[i % (sizeof palette / sizeof palette[0])];
}

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

// OpenCV's default PNG settings (no parameters: SUB filter, zlib level 1, run-length matching
// only) are the fastest of its settings for the colour maps, whose pixels vary from one to the
// next; plots (mostly flat colour) and the grey mask overlay come out a quarter to a half
// smaller, and no slower, with zlib's ordinary matching. Setting IMWRITE_PNG_COMPRESSION is
// slower at every level, 0 included: it also turns on libpng's adaptive filter choice.
// Encoded in memory and written in one go: faster than cv::imwrite's many small writes.
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

// ---- plots -----------------------------------------------------------------------------

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

double PlotData::max_between(double xa, double xb) const {
    double m = 0.0;
    for (std::size_t b = 0; b < bars.size(); ++b)
        if (edges[b] < xb && edges[b + 1] > xa && std::isfinite(bars[b])) m = std::max(m, bars[b]);
    for (const auto& c : curves)
        for (const cv::Point2d& p : c)
            if (p.x >= xa && p.x <= xb && std::isfinite(p.y)) m = std::max(m, p.y);
    return m;
}

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

}  // namespace amfm::plot
