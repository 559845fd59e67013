// Plots: a region's histogram with its fitted Gaussian, all regions' Gaussians over the
// whole-map histogram (the paper's Fig. 2c), and the error-bar plot of the calibrations. The
// drawing kit is plot_kit.hpp and plot_axes.hpp.
#include "host/report/figures.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "amfm/kernels/gauss_fit.hpp"
#include "amfm/kernels/histogram.hpp"
#include "host/report/plot_axes.hpp"
#include "host/report/plot_format.hpp"

namespace amfm {
namespace {

using namespace plot;

const double kLn10 = 2.302585092994045684;

// A plot's size and its plot area, in points (6 x 4 inches).
constexpr double kPlotWidth = 432, kPlotHeight = 288;
const Rect kPlotArea{48, 29, kPlotWidth - 48 - 14, kPlotHeight - 29 - 38};

// ---- regions and their fits ------------------------------------------------------------------

std::string region_display_name(const RegionInfo& info) {
    std::string s = info.name.empty() ? std::to_string(info.label) : info.name;
    if (!info.class_name.empty() && info.class_name != "unclassified") s += " (" + info.class_name + ")";
    return s;
}

// A fit with a presented centre (the region's quality is ok) and a curve to draw.
bool fit_drawable(const GaussianSummary& g) {
    const FitResult& f = g.fit;
    return std::isfinite(g.center_gpa) && f.state == FitState::Converged && std::isfinite(f.amplitude) && f.amplitude > 0.0 &&
           std::isfinite(f.center) && std::isfinite(f.sigma) && f.sigma > 0.0 && std::isfinite(f.offset);
}

// Why a region shows no centre: its quality, or the fit state when the fit alone failed.
std::string no_centre_reason(const RegionStats& r) {
    return r.quality == RegionQuality::FitFailed ? fit_state_name(r.gaussian.fit.state) : region_quality_name(r.quality);
}

std::string centre_text(const GaussianSummary& g) {
    return format_value_uncertainty(g.center_gpa, g.sigma_gpa, "GPa");
}

// Counts of a region's histogram, as many as both the spec and the vector hold.
std::vector<double> region_counts(const RegionStats& r) {
    const std::size_t n = std::min(r.counts.size(), (std::size_t)std::max(0, r.hist.nbins));
    return std::vector<double>(r.counts.begin(), r.counts.begin() + (std::ptrdiff_t)n);
}

bool hist_range_ok(const HistSpec& h) {
    return std::isfinite(h.lo) && std::isfinite(h.hi) && h.hi > h.lo && h.nbins >= 1;
}

// ---- the histogram overview ------------------------------------------------------------------

// A region whose fitted Gaussian can be drawn on the overview.
bool region_drawable(const RegionStats& r) {
    const double wr = hist_bin_width(r.hist);
    return fit_drawable(r.gaussian) && wr > 0.0 && std::isfinite(wr);
}

// Log x when the whole map is binned on log10, or when fitted centres span over a decade.
bool overview_on_log_axis(const StatisticsResult& stats) {
    double cmin = std::numeric_limits<double>::infinity(), cmax = 0.0;
    for (const RegionStats& r : stats.regions) {
        if (!region_drawable(r) || !(r.gaussian.center_gpa > 0.0)) continue;
        cmin = std::min(cmin, r.gaussian.center_gpa);
        cmax = std::max(cmax, r.gaussian.center_gpa);
    }
    return stats.whole_map.hist.log10_axis != 0 || (cmax > 0.0 && cmax / cmin > 10.0);
}

// Where a region's fit puts its pixels, in GPa (a: low end, b: high end, always > 0 on a log
// plot).
void region_span_gpa(const RegionStats& r, double& a, double& b) {
    const FitResult& f = r.gaussian.fit;
    if (r.hist.log10_axis) {
        a = std::pow(10.0, f.center - 3.5 * f.sigma);
        b = std::pow(10.0, f.center + 3.5 * f.sigma);
    } else {
        a = std::max(f.center - 3.5 * f.sigma, f.center / 10.0);
        b = f.center + 3.5 * f.sigma;
    }
}

// The whole map's own bins as the plot's, its range the plot's x range [x0, x1]; without a
// valid whole-map histogram, the range spanned by the regions' fits.
PlotData whole_map_on_its_bins(const StatisticsResult& stats, bool log_plot, double& x0, double& x1) {
    const HistSpec& wh = stats.whole_map.hist;
    const bool whole_ok = hist_range_ok(wh);
    const std::vector<double> wcounts = whole_ok ? region_counts(stats.whole_map) : std::vector<double>{};
    if (whole_ok) {
        x0 = wh.lo;
        x1 = wh.hi;
    } else {
        double a = std::numeric_limits<double>::infinity(), b = -a;
        for (const RegionStats& r : stats.regions) {
            if (!region_drawable(r)) continue;
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
    PlotData data;
    const double w = whole_ok ? hist_bin_width(wh) : 0.0;
    for (std::size_t b = 0; b <= wcounts.size(); ++b) data.edges.push_back(x0 + (double)b * w);
    data.bars = wcounts;
    return data;
}

// Linear whole-map bins re-binned onto log bins, each linear bin's pixels spread evenly over
// its GPa width; the axis starts where the regions' fits or the lowest 0.2 % of the whole
// map's pixels start, whichever is lower. Sets the plot's x range [x0, x1] (log10 GPa).
PlotData whole_map_on_log_bins(const StatisticsResult& stats, double& x0, double& x1) {
    const HistSpec& wh = stats.whole_map.hist;
    const std::vector<double> wcounts = hist_range_ok(wh) ? region_counts(stats.whole_map) : std::vector<double>{};
    double ulo = std::numeric_limits<double>::infinity(), uhi = -ulo;
    for (const RegionStats& r : stats.regions) {
        if (!region_drawable(r)) continue;
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
    PlotData data;
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
    return data;
}

// Each drawable region's Gaussian as pixels per display bin, sampled twice per pixel column
// and appended to data.curves; returns each region's curve index (-1: none). Its fit amplitude
// is pixels per region bin, so amplitude * exp(...) / region bin width is a density on the
// region's axis, which the change of variables carries to the plot's axis before multiplying
// by the display bin.
std::vector<int> add_region_curves(PlotData& data, const StatisticsResult& stats, const Axes& ax, bool log_plot,
                                   double display_bin) {
    std::vector<int> curve_of(stats.regions.size(), -1);
    const double x0 = ax.x0, x1 = ax.x1;
    const int n = (int)(4 * ax.area.w);
    for (std::size_t i = 0; i < stats.regions.size(); ++i) {
        const RegionStats& r = stats.regions[i];
        if (!region_drawable(r)) continue;
        const FitResult& f = r.gaussian.fit;
        const double wr = hist_bin_width(r.hist);
        curve_of[i] = (int)data.curves.size();
        std::vector<Point>& curve = data.curves.emplace_back();
        for (int k = 0; k <= n; ++k) {
            const double t = x0 + (x1 - x0) * k / n;  // plot axis coordinate
            const double gpa = log_plot ? std::pow(10.0, t) : t;
            double u, jacobian;  // region axis value, d(region axis) / d(plot axis)
            if (r.hist.log10_axis) {
                if (!(gpa > 0.0)) {
                    curve.push_back({t, 0.0});
                    continue;
                }
                u = std::log10(gpa);
                jacobian = log_plot ? 1.0 : 1.0 / (gpa * kLn10);
            } else {
                u = gpa;
                jacobian = log_plot ? gpa * kLn10 : 1.0;
            }
            const double z = (u - f.center) / f.sigma;
            curve.push_back({t, f.amplitude * std::exp(-0.5 * z * z) * jacobian * display_bin / wr});
        }
    }
    return curve_of;
}

// Axes with ticks on a modulus axis, the title and the legend, then the PNG: how every histogram
// figure ends.
void finish_modulus_plot(const std::string& stem, Figure& fig, const Axes& ax, bool log_axis, double x0, double x1,
                         double ystep, const char* y_label, const std::string& title, const Rect& legend_rect,
                         const std::vector<LegendLine>& legend, const FigureOptions& out) {
    std::vector<Tick> xticks = log_axis ? log_ticks(x0, x1, 8) : linear_ticks(x0, x1, 7);
    std::vector<Tick> yticks;
    for (double v : ticks_with_step(0.0, ax.y1, ystep)) yticks.push_back({v, format_tick(v, ystep)});
    draw_axes(fig, ax, xticks, yticks, log_axis ? "E (GPa, log scale)" : "E (GPa)", y_label);
    draw_title(fig, title, ax.area.x + ax.area.w / 2, 17);
    draw_legend(fig, legend_rect, legend);
    fig.save(stem, out);
}

// The overview's lower panel: the same bars and curves on a log count axis, so that a small
// region's Gaussian shows next to a peak a hundred times higher.
constexpr double kLogPanelHeight = 150;

void draw_log_count_panel(Figure& fig, const Axes& top, const PlotData& data, const std::vector<int>& curve_of,
                          bool log_x, const Rgb& bar_grey) {
    Axes ax = top;
    ax.area = Rect{top.area.x, top.area.bottom() + 48, top.area.w, kLogPanelHeight - 48};
    const double floor_count = 0.5;  // below one pixel: the panel's bottom
    ax.y0 = std::log10(floor_count);
    ax.y1 = std::log10(std::max(10.0, 1.3 * data.max_between(-1e300, 1e300)));
    std::vector<double> log_bars;
    for (double c : data.bars) log_bars.push_back(c >= 1.0 ? std::log10(c) - ax.y0 : 0.0);
    Axes bars_ax = ax;  // bars rise from the panel's bottom
    bars_ax.y1 -= ax.y0;
    bars_ax.y0 = 0.0;
    draw_bars(fig, bars_ax, data.edges, log_bars, bar_grey, rgb_hex(0x969696));
    for (std::size_t i = 0; i < curve_of.size(); ++i) {
        if (curve_of[i] < 0) continue;
        std::vector<Point> pts;
        for (const Point& p : data.curves[curve_of[i]])
            pts.push_back({ax.px(p.x), p.y >= floor_count ? ax.py(std::log10(p.y)) : NAN});
        fig.curve(pts, Stroke{categorical_colour(i), 1.3});
    }
    std::vector<Tick> yticks;
    for (const Tick& t : log_ticks(0.0, ax.y1, 5)) yticks.push_back(t);
    draw_axes(fig, ax, log_x ? log_ticks(ax.x0, ax.x1, 8) : linear_ticks(ax.x0, ax.x1, 7), yticks,
              log_x ? "E (GPa, log scale)" : "E (GPa)", "Pixels (log)");
}

}  // namespace

// ================================================================================================

void save_region_histogram_figure(const std::string& stem, const RegionStats& region, const std::string& title,
                                  const FigureOptions& out) {
    const HistSpec& h = region.hist;
    const bool log_axis = h.log10_axis != 0;
    const std::vector<double> counts = hist_range_ok(h) ? region_counts(region) : std::vector<double>{};
    const FitResult& fit = region.gaussian.fit;
    const bool curve = fit_drawable(region.gaussian);

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

    Axes ax;
    ax.area = kPlotArea;
    ax.x0 = x0;
    ax.x1 = x1;

    // The curve sampled four times per point.
    if (curve) {
        data.curves.emplace_back();
        const int n = (int)(4 * ax.area.w);
        for (int i = 0; i <= n; ++i) {
            const double x = x0 + (x1 - x0) * i / n;
            const double t = (x - fit.center) / fit.sigma;
            data.curves[0].push_back({x, fit.amplitude * std::exp(-0.5 * t * t) + fit.offset});
        }
    }

    std::vector<LegendLine> legend;
    if (std::none_of(counts.begin(), counts.end(), [](double c) { return c > 0.0; }))
        legend.push_back({"no counts", kMutedInk, 0});
    if (curve) {
        const GaussianSummary& g = region.gaussian;
        legend.push_back({"Gaussian fit", kInk, 1});
        legend.push_back({"centre " + centre_text(g), kInk, 0});
        legend.push_back({"FWHM " + format_value_uncertainty(g.fwhm_gpa, NAN, "GPa"), kInk, 0});
        legend.push_back({"R² = " + format_fixed(fit.r2, 3), kInk, 0});
        legend.push_back({std::string("fit ") + fit_state_name(fit.state), kInk, 0});
    } else {
        legend.push_back({std::string("no centre: ") + no_centre_reason(region), kMutedInk, 0});
    }
    if (region.pixels.n_valid > 0) legend.push_back({"n = " + std::to_string(region.pixels.n_valid) + " px", kInk, 0});
    double ystep = 1.0;
    const Rect legend_rect = place_legend_and_y_range(ax, data, legend, &ystep);

    Figure fig(kPlotWidth, kPlotHeight);
    draw_bars(fig, ax, data.edges, data.bars, rgb_hex(0x9cc3e6), rgb_hex(0x3a6ea5));
    for (const auto& c : data.curves) {
        std::vector<Point> pts;
        for (const Point& p : c) pts.push_back({ax.px(p.x), std::max(ax.py(p.y), ax.area.y)});
        fig.curve(pts, Stroke{kInk, 1.3});
    }
    finish_modulus_plot(stem, fig, ax, log_axis, x0, x1, ystep, "Pixels", title, legend_rect, legend, out);
}

void save_histogram_overview_figure(const std::string& stem, const StatisticsResult& stats, const std::string& title,
                                    const FigureOptions& out) {
    const bool log_plot = overview_on_log_axis(stats);
    double x0 = 0.0, x1 = 1.0;
    PlotData data = log_plot && !stats.whole_map.hist.log10_axis ? whole_map_on_log_bins(stats, x0, x1)
                                                                 : whole_map_on_its_bins(stats, log_plot, x0, x1);
    const double display_bin = data.edges.size() >= 2 ? data.edges[1] - data.edges[0] : (x1 - x0) / 100.0;

    // The figure grows taller only when many regions need legend rows.
    const double width = 480;
    const double height = std::max(307.0, 29 + 38 + kLegendRow * (stats.regions.size() + 1) + 58);
    Axes ax;
    ax.area = Rect{48, 29, width - 48 - 14, height - 29 - 38};
    ax.x0 = x0;
    ax.x1 = x1;
    const std::vector<int> curve_of = add_region_curves(data, stats, ax, log_plot, display_bin);

    const Rgb bar_grey = rgb_hex(0xc8c8c8);
    std::vector<LegendLine> legend;
    legend.push_back({"whole map", bar_grey, 2});
    for (std::size_t i = 0; i < stats.regions.size(); ++i) {
        const RegionStats& r = stats.regions[i];
        if (curve_of[i] < 0)
            legend.push_back({region_display_name(r.info) + ": no centre (" + no_centre_reason(r) + ")",
                              kMutedInk, 0});
        else
            legend.push_back({region_display_name(r.info) + ": " + centre_text(r.gaussian), categorical_colour(i), 1});
    }
    double ystep = 1.0;
    const Rect legend_rect = place_legend_and_y_range(ax, data, legend, &ystep);

    Figure fig(width, height + kLogPanelHeight);
    draw_bars(fig, ax, data.edges, data.bars, bar_grey, rgb_hex(0x969696));
    for (std::size_t i = 0; i < stats.regions.size(); ++i) {
        if (curve_of[i] < 0) continue;
        std::vector<Point> pts;
        for (const Point& p : data.curves[curve_of[i]])
            pts.push_back({ax.px(p.x), std::max(ax.py(p.y), ax.area.y)});
        fig.curve(pts, Stroke{categorical_colour(i), 1.3});
    }
    draw_log_count_panel(fig, ax, data, curve_of, log_plot, bar_grey);
    finish_modulus_plot(stem, fig, ax, log_plot, x0, x1, ystep, "Pixels per bin", title, legend_rect, legend, out);
}

// ---- calibration plots ------------------------------------------------------------------

void save_error_bar_plot(const std::string& stem, const ErrorBarPlot& p, const FigureOptions& out) {
    Axes ax;
    ax.area = kPlotArea;
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

    Figure fig(kPlotWidth, kPlotHeight);
    if (std::isfinite(p.vline_x) && p.vline_x > ax.x0 && p.vline_x < ax.x1) {
        const double x = ax.px(p.vline_x);
        fig.line({x, ax.area.y}, {x, ax.area.bottom()}, Stroke{kMutedInk, 0.8, 3.0});
        fig.text(p.vline_label, {x + 3, ax.area.bottom() - 5}, {kTickPt, kMutedInk});
    }
    std::vector<LegendLine> legend;
    fig.clip(ax.area);  // curves may leave the y range
    for (const auto& c : p.curves) {
        std::vector<Point> pts;
        for (std::size_t i = 0; i < c.x.size() && i < c.y.size(); ++i) pts.push_back({ax.px(c.x[i]), ax.py(c.y[i])});
        fig.curve(pts, Stroke{categorical_colour((std::size_t)c.colour), 1.3});
        legend.push_back({c.label, categorical_colour((std::size_t)c.colour), 1});
    }
    fig.unclip();
    for (std::size_t i = 0; i < p.x.size() && i < p.y.size(); ++i)
        if (std::isfinite(p.x[i]) && std::isfinite(p.y[i]))
            draw_error_bar(fig, ax, p.x[i], p.y[i], i < p.err.size() ? p.err[i] : 0.0, kInk);
    if (!p.points_label.empty()) legend.insert(legend.begin(), {p.points_label, kInk, 3});

    std::vector<Tick> yticks;
    for (double v : yt)
        if (v >= ax.y0 - 1e-12 && v <= ax.y1 + 1e-12) yticks.push_back({v, format_tick(v, ystep)});
    draw_axes(fig, ax, linear_ticks(ax.x0, ax.x1, 8), yticks, p.x_label, p.y_label);
    draw_title(fig, p.title, ax.area.x + ax.area.w / 2, 17);
    draw_legend(fig, legend_box(ax.area, legend_size(legend), false), legend);
    fig.save(stem, out);
}

}  // namespace amfm
