// Ticks, axes, bars, legends, colour bars and scale bars (see plot_axes.hpp).
#include "host/report/plot_axes.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "host/report/plot_format.hpp"

namespace amfm::plot {
namespace {

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

constexpr double kTickLen = 3.5, kLegendKey = 15, kLegendPad = 5, kLegendInset = 4;
const Stroke kAxisStroke{kInk, 0.8};

}  // namespace

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
            const int score = std::abs((int)ticks_with_step(lo, hi, step).size() - target);
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

// Decades when the axis spans several, 1-2-5 inside decades for one to three, plain 1-2-5
// steps for less.
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
            if (u >= ulo - eps && u <= uhi + eps) ones_twos_fives.push_back({u, format_compact(f * std::pow(10.0, d))});
        }
    }
    if (ones_twos_fives.size() >= 4 && (int)ones_twos_fives.size() <= max_ticks + 2) return ones_twos_fives;
    if (decades >= 2) {
        for (int d = dlo; d <= dhi; ++d) out.push_back({(double)d, format_compact(std::pow(10.0, d))});
        return out;
    }
    double step = 1.0;
    for (double v : nice_ticks(std::pow(10.0, ulo), std::pow(10.0, uhi), 5, &step))
        if (v > 0.0) out.push_back({std::log10(v), format_tick(v, step)});
    return out;
}

// ---- plots -----------------------------------------------------------------------------

void draw_axes(Figure& fig, const Axes& ax, const std::vector<Tick>& xticks, const std::vector<Tick>& yticks,
               const std::string& xlabel, const std::string& ylabel) {
    const Rect& a = ax.area;
    const double tick_asc = measure_text("0", kTickPt).ascent;
    double widest = 0.0;
    for (const Tick& t : yticks) {
        const double y = ax.py(t.pos);
        if (y < a.y - 0.5 || y > a.bottom() + 0.5) continue;
        fig.line({a.x - kTickLen, y}, {a.x, y}, kAxisStroke);
        fig.text(t.label, {a.x - kTickLen - 2.5, y + tick_asc * 0.4}, {kTickPt, kInk, Align::Right});
        widest = std::max(widest, measure_text(t.label, kTickPt).width);
    }
    for (const Tick& t : xticks) {
        const double x = ax.px(t.pos);
        if (x < a.x - 0.5 || x > a.right() + 0.5) continue;
        fig.line({x, a.bottom()}, {x, a.bottom() + kTickLen}, kAxisStroke);
        fig.text(t.label, {x, a.bottom() + kTickLen + 2 + tick_asc}, {kTickPt, kInk, Align::Center});
    }
    fig.path({{a.x, a.y}, {a.x, a.bottom()}, {a.right(), a.bottom()}}, false, std::nullopt, kAxisStroke);
    fig.text(xlabel, {a.x + a.w / 2, a.bottom() + kTickLen + 2 + tick_asc + 6 + measure_text(xlabel, kLabelPt).ascent},
             {kLabelPt, kInk, Align::Center});
    TextStyle vertical{kLabelPt, kInk, Align::Center};
    vertical.vertical = true;
    fig.text(ylabel, {std::max(kLabelPt, a.x - kTickLen - 2.5 - widest - 6), a.y + a.h / 2}, vertical);
}

void draw_title(Figure& fig, const std::string& title, double centre_x, double baseline_y) {
    TextStyle s{kTitlePt, kInk, Align::Center};
    s.bold = true;
    fig.text(title, {centre_x, baseline_y}, s);
}

void draw_bars(Figure& fig, const Axes& ax, const std::vector<double>& edges, const std::vector<double>& counts,
               const Rgb& fill, const Rgb& outline) {
    const int n = (int)counts.size();
    const double pt_per_bin = n > 0 ? std::fabs(ax.px(edges[1]) - ax.px(edges[0])) : 0.0;
    const std::optional<Stroke> edge = pt_per_bin >= 2.5 ? std::optional<Stroke>(Stroke{outline, 0.4}) : std::nullopt;
    for (int b = 0; b < n; ++b) {
        if (!(counts[b] > 0.0)) continue;
        const double xa = std::max(ax.px(edges[b]), ax.area.x), xb = std::min(ax.px(edges[b + 1]), ax.area.right());
        if (!(xb > xa)) continue;
        const double top = std::max(ax.py(counts[b]), ax.area.y);
        fig.rect({xa, top, xb - xa, ax.area.bottom() - top}, fill, edge);
    }
}

void draw_error_bar(Figure& fig, const Axes& ax, double x, double y, double err, const Rgb& colour) {
    const double top = ax.area.y, bottom = ax.area.bottom();
    const double px = ax.px(x), py = std::clamp(ax.py(y), top, bottom);
    if (std::isfinite(err) && err > 0.0) {
        const double ya = std::clamp(ax.py(y - err), top, bottom), yb = std::clamp(ax.py(y + err), top, bottom);
        const Stroke s{colour, 0.8};
        fig.line({px, ya}, {px, yb}, s);
        fig.line({px - 2.2, ya}, {px + 2.2, ya}, s);
        fig.line({px - 2.2, yb}, {px + 2.2, yb}, s);
    }
    fig.circle({px, py}, 2.2, colour);
}

void draw_open_point(Figure& fig, Point centre, double radius_pt, const Rgb& colour) {
    std::vector<Point> ring;
    for (int k = 0; k < 16; ++k)
        ring.push_back({centre.x + radius_pt * std::cos(k * M_PI / 8), centre.y + radius_pt * std::sin(k * M_PI / 8)});
    fig.path(std::move(ring), true, kWhite, Stroke{colour, 0.7});
}

Point legend_size(const std::vector<LegendLine>& lines) {
    if (lines.empty()) return {0, 0};
    double text_w = 0;
    bool any_key = false;
    for (const LegendLine& l : lines) {
        text_w = std::max(text_w, measure_text(l.text, kTickPt).width);
        any_key = any_key || l.key != 0;
    }
    return {kLegendPad * 2 + text_w + (any_key ? kLegendKey + 4 : 0), kLegendPad * 2 + kLegendRow * lines.size() - 3};
}

Rect legend_box(const Rect& plot, const Point& size, bool left) {
    const double x = left ? plot.x + kLegendInset + 6 : plot.right() - size.x - kLegendInset;
    return {std::max(x, plot.x + kLegendInset), plot.y + kLegendInset, size.x, size.y};
}

void draw_legend(Figure& fig, const Rect& box, const std::vector<LegendLine>& lines) {
    if (lines.empty()) return;
    bool any_key = false;
    for (const LegendLine& l : lines) any_key = any_key || l.key != 0;
    fig.rect(box, kWhite, Stroke{kGridInk, 0.5}, 0.85);  // translucent white panel
    const double asc = measure_text("0", kTickPt).ascent;
    double y = box.y + kLegendPad + asc;
    for (const LegendLine& l : lines) {
        double x = box.x + kLegendPad;
        if (any_key) {
            const double mid = y - asc * 0.35;
            if (l.key == 1) fig.line({x, mid}, {x + kLegendKey, mid}, Stroke{l.colour, 1.5});
            if (l.key == 2) fig.rect({x, y - asc, kLegendKey, asc}, l.colour, std::nullopt);
            if (l.key == 3) {
                fig.line({x + kLegendKey / 2, mid - 4}, {x + kLegendKey / 2, mid + 4}, Stroke{l.colour, 0.8});
                fig.circle({x + kLegendKey / 2, mid}, 2.2, l.colour);
            }
            if (l.key == 4) draw_open_point(fig, {x + kLegendKey / 2, mid}, 2.0, l.colour);
            x += kLegendKey + 4;
        }
        fig.text(l.text, {x, y}, {kTickPt, l.key == 0 ? l.colour : kInk});
        y += kLegendRow;
    }
}

double PlotData::max_between(double xa, double xb) const {
    double m = 0.0;
    for (std::size_t b = 0; b < bars.size(); ++b)
        if (edges[b] < xb && edges[b + 1] > xa && std::isfinite(bars[b])) m = std::max(m, bars[b]);
    for (const auto& c : curves)
        for (const Point& p : c)
            if (p.x >= xa && p.x <= xb && std::isfinite(p.y)) m = std::max(m, p.y);
    return m;
}

Rect place_legend_and_y_range(Axes& ax, const PlotData& data, const std::vector<LegendLine>& legend, double* ystep) {
    const double inf = std::numeric_limits<double>::infinity();
    const double ymax_all = data.max_between(-inf, inf);
    double top = ymax_all > 0.0 ? ymax_all * 1.08 : 5.0;  // an empty plot still gets a few ticks
    Rect box;
    if (!legend.empty()) {
        const Point size = legend_size(legend);
        const double free_frac = 1.0 - (size.y + 2.0 * kLegendInset) / ax.area.h;
        double best_top = inf;
        for (bool left : {false, true}) {
            const Rect b = legend_box(ax.area, size, left);
            auto axis_x = [&](double p) { return ax.x0 + (p - ax.area.x) / ax.area.w * (ax.x1 - ax.x0); };
            const double under = data.max_between(axis_x(b.x - 2), axis_x(b.right() + 2));
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

// ---- maps ------------------------------------------------------------------------------

double colour_bar_label_width(const std::vector<Tick>& ticks) {
    double w = 0.0;
    for (const Tick& t : ticks) w = std::max(w, measure_text(t.label, kTickPt).width);
    return kTickLen + 2.5 + w;
}

void draw_colour_bar(Figure& fig, const Rect& bar, Colormap map, double lo, double hi, const std::vector<Tick>& ticks,
                     const std::string& value_label) {
    auto ramp = std::make_shared<Raster>();
    ramp->nx = 1;
    ramp->ny = 256;
    const auto& table = colormap_table(map);
    for (int i = 0; i < 256; ++i) ramp->rgb.push_back(table[255 - i]);
    fig.image(ramp, bar);
    fig.rect(bar, std::nullopt, kAxisStroke);
    const double asc = measure_text("0", kTickPt).ascent;
    for (const Tick& t : ticks) {
        const double y = bar.bottom() - (t.pos - lo) / (hi - lo) * bar.h;
        if (y < bar.y - 0.5 || y > bar.bottom() + 0.5) continue;
        fig.line({bar.right(), y}, {bar.right() + kTickLen, y}, kAxisStroke);
        fig.text(t.label, {bar.right() + kTickLen + 2.5, y + asc * 0.4}, {kTickPt});
    }
    fig.text(value_label, {bar.x + bar.w / 2, bar.y - 6}, {kLabelPt, kInk, Align::Center});
}

double draw_scale_bar(Figure& fig, const Rect& map, double metres_per_pt, double snap_pt) {
    if (!(metres_per_pt > 0.0) || !std::isfinite(metres_per_pt) || !(snap_pt > 0.0)) return 0.0;
    const double len_m = nice_length(0.2 * metres_per_pt * map.w);
    const double len_pt = len_m / metres_per_pt;
    if (len_pt < 8 || len_pt > map.w - 20) return 0.0;
    auto snap = [snap_pt](double v) { return std::round(v / snap_pt) * snap_pt; };
    const double margin = snap(std::max(6.0, map.w / 30)), bar_h = snap(std::max(3.0, map.h / 90));
    const Rect bar{map.x + margin, map.bottom() - margin - bar_h, len_pt, bar_h};
    fig.rect({bar.x - snap_pt, bar.y - snap_pt, bar.w + 2 * snap_pt, bar.h + 2 * snap_pt}, kBlack, std::nullopt);
    fig.rect(bar, kWhite, std::nullopt);
    TextStyle s{kLabelPt, kBlack, Align::Center};
    s.halo = true;
    fig.text(length_label(len_m), {bar.x + len_pt / 2, bar.y - 4}, s);
    return len_m;
}

}  // namespace amfm::plot
