// The series figures on the plotting kit, and the series' common colour range for the scans'
// modulus maps (see series_figures.hpp).
#include "host/batch/series_figures.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "amfm/kernels/error.hpp"
#include "host/formats/tiff_io.hpp"
#include "host/method/stats_tests.hpp"
#include "host/model/file_io.hpp"
#include "host/report/figures.hpp"
#include "host/report/outputs.hpp"
#include "host/report/plot_axes.hpp"
#include "host/report/plot_format.hpp"

namespace amfm {
namespace fs = std::filesystem;
using namespace plot;

namespace {

// A linear y range from lo to hi widened to whole tick steps, with its ticks.
std::vector<Tick> nice_y_range(double lo, double hi, int target, Axes& ax) {
    if (!(hi > lo)) hi = lo + 1.0;
    double step = 1.0;
    nice_ticks(lo, hi, target, &step);
    ax.y0 = step * std::floor(lo / step + 1e-9);
    ax.y1 = step * std::ceil(hi / step - 1e-9);
    std::vector<Tick> ticks;
    for (double v : ticks_with_step(ax.y0, ax.y1, step)) ticks.push_back({v, format_tick(v, step)});
    return ticks;
}

// The value intervals Fig. 3a draws: each point with its bar, each facet value.
std::vector<std::pair<double, double>> drawn_intervals(const ModulusVsCycle& d) {
    std::vector<std::pair<double, double>> iv;
    for (const ClassTrend& c : d.classes)
        for (const CycleValue& p : c.points) {
            if (std::isfinite(p.value_gpa)) {
                const double e = std::isfinite(p.error_gpa) ? std::fabs(p.error_gpa) : 0.0;
                iv.push_back({p.value_gpa - e, p.value_gpa + e});
            }
            for (double f : p.facets_gpa)
                if (std::isfinite(f)) iv.push_back({f, f});
        }
    std::sort(iv.begin(), iv.end());
    return iv;
}

constexpr double kBreakRatio = 4.0;  // an empty stretch this many times the values below it

// Fig. 3a's geometry in points.
constexpr double kTop = 30, kPlotHeight = 230, kPanelGap = 12, kUpperShare = 0.36, kRow = 12.5;

double x_position(const ModulusVsCycle& d, int cycle) {
    return (double)(std::lower_bound(d.cycles.begin(), d.cycles.end(), cycle) - d.cycles.begin());
}

// The class offsets on the categorical axis, so bars of the classes at one cycle stand apart.
double class_offset(std::size_t k, std::size_t n_classes) {
    const double spacing = std::min(0.22, 0.6 / std::max<std::size_t>(1, n_classes));
    return ((double)k - 0.5 * ((double)n_classes - 1.0)) * spacing;
}

bool in_panel(const Axes& ax, double v) { return v >= ax.y0 - 1e-9 * std::fabs(ax.y1) && v <= ax.y1 * (1 + 1e-9); }

// Lines between consecutive cycles, then facets, bars and points, each in the panel holding it.
void draw_trends(Figure& fig, const ModulusVsCycle& d, const std::vector<Axes>& panels) {
    auto panel_of = [&](double v) -> const Axes* {
        for (const Axes& ax : panels)
            if (in_panel(ax, v)) return &ax;
        return nullptr;
    };
    const std::size_t nc = d.classes.size();
    for (std::size_t k = 0; k < nc; ++k) {
        const Rgb colour = categorical_colour(k);
        const std::vector<CycleValue>& pts = d.classes[k].points;
        for (std::size_t i = 1; i < pts.size(); ++i) {
            const Axes* a = panel_of(pts[i - 1].value_gpa);
            if (!a || a != panel_of(pts[i].value_gpa)) continue;  // no line across the break
            const double xa = x_position(d, pts[i - 1].cycle) + class_offset(k, nc);
            const double xb = x_position(d, pts[i].cycle) + class_offset(k, nc);
            fig.line({a->px(xa), a->py(pts[i - 1].value_gpa)}, {a->px(xb), a->py(pts[i].value_gpa)}, Stroke{colour, 0.9});
        }
    }
    for (std::size_t k = 0; k < nc; ++k) {
        const Rgb colour = categorical_colour(k);
        for (const CycleValue& p : d.classes[k].points) {
            const double x = x_position(d, p.cycle) + class_offset(k, nc);
            for (double f : p.facets_gpa)
                if (const Axes* a = panel_of(f)) draw_open_point(fig, {a->px(x + 0.07), a->py(f)}, 1.9, colour);
            if (const Axes* a = panel_of(p.value_gpa)) {
                draw_error_bar(fig, *a, x, p.value_gpa, p.error_gpa, colour);
                fig.circle({a->px(x), a->py(p.value_gpa)}, 3.0, colour);
            }
        }
    }
}

// "//" across the y axis at the facing edges of the two panels.
void draw_break_marks(Figure& fig, const Axes& upper, const Axes& lower) {
    const Stroke s{kInk, 0.8};
    for (double y : {upper.area.bottom(), lower.area.y}) fig.line({lower.area.x - 4, y + 2}, {lower.area.x + 4, y - 2}, s);
}

// The cycle numbers as x tick labels, every one where they fit.
std::vector<Tick> cycle_ticks(const ModulusVsCycle& d, const Axes& ax) {
    double widest = 0;
    for (int c : d.cycles) widest = std::max(widest, measure_text(std::to_string(c), kTickPt).width);
    const double spacing = d.cycles.size() > 1 ? ax.px(1) - ax.px(0) : ax.area.w;
    const std::size_t every = std::max<std::size_t>(1, (std::size_t)std::ceil((widest + 4) / std::max(1.0, spacing)));
    std::vector<Tick> ticks;
    for (std::size_t i = 0; i < d.cycles.size(); i += every) ticks.push_back({(double)i, std::to_string(d.cycles[i])});
    return ticks;
}

// Under the axis: N per class (rows) and cycle (the columns of the x positions).
void draw_n_table(Figure& fig, const ModulusVsCycle& d, const Axes& ax, double top) {
    fig.text("N (" + d.n_kind + ") per class and cycle", {ax.area.x, top}, {kTickPt, kMutedInk});
    const double spacing = d.cycles.size() > 1 ? ax.px(1) - ax.px(0) : ax.area.w;
    bool short_form = false;
    for (const ClassTrend& c : d.classes)
        for (const CycleValue& p : c.points) short_form = short_form || measure_text(format_count(p.n), kTickPt).width + 6 > spacing;
    for (std::size_t k = 0; k < d.classes.size(); ++k) {
        const double y = top + kRow * (double)(k + 1);
        fig.rect({ax.area.x - 12, y - 7, 7, 7}, categorical_colour(k), std::nullopt);
        fig.text(d.classes[k].class_name, {ax.area.x - 16, y}, {kTickPt, kInk, Align::Right});
        for (const CycleValue& p : d.classes[k].points)
            fig.text(format_count(p.n, short_form), {ax.px(x_position(d, p.cycle)), y}, {kTickPt, kInk, Align::Center});
    }
}

}  // namespace

// ================================================================================================

AxisBreak modulus_axis_break(const ModulusVsCycle& data) {
    AxisBreak b;
    const auto iv = drawn_intervals(data);
    double reach = -std::numeric_limits<double>::infinity(), best = kBreakRatio;
    for (std::size_t i = 0; i < iv.size(); ++i) {
        if (i > 0 && reach > 0.0 && iv[i].first / reach > best) {
            best = iv[i].first / reach;
            b = {true, reach, iv[i].first};
        }
        reach = std::max(reach, iv[i].second);
    }
    return b;
}

void save_modulus_vs_cycle_figure(const std::string& stem, const ModulusVsCycle& d, const FigureOptions& out) {
    std::vector<LegendLine> legend;
    for (std::size_t k = 0; k < d.classes.size(); ++k) legend.push_back({d.classes[k].class_name, categorical_colour(k), 3});
    legend.push_back({"points: " + d.value_kind, kInk, 0});
    legend.push_back({"error bars: " + d.error_kind, kInk, 0});
    legend.push_back({d.facet_kind, kMutedInk, 4});
    const Point legend_wh = legend_size(legend);
    double label_w = 40;
    for (const ClassTrend& c : d.classes) label_w = std::max(label_w, measure_text(c.class_name, kTickPt).width + 20);
    const double left = std::max(56.0, label_w), width = std::max(540.0, left + 280 + legend_wh.x + 20);
    const Rect area{left, kTop, width - left - legend_wh.x - 24, kPlotHeight};
    const double height = area.bottom() + 50 + kRow * (double)(d.classes.size() + 1);

    const auto iv = drawn_intervals(d);
    double lo = iv.empty() ? 0.0 : iv.front().first, hi = 1.0;
    for (const auto& [a, b] : iv) hi = std::max(hi, b);
    lo = std::min(0.0, lo);  // moduli from zero: bars compare by length
    const AxisBreak br = modulus_axis_break(d);
    Axes base;
    base.x0 = -0.6;
    base.x1 = (double)std::max<std::size_t>(1, d.cycles.size()) - 0.4;
    std::vector<Axes> panels;
    std::vector<std::vector<Tick>> yticks;
    if (br.broken) {
        Axes upper = base, lower = base;
        const double upper_h = kUpperShare * (area.h - kPanelGap);
        upper.area = {area.x, area.y, area.w, upper_h};
        lower.area = {area.x, area.y + upper_h + kPanelGap, area.w, area.h - upper_h - kPanelGap};
        const double pad = std::max(0.1 * (hi - br.above), 0.05 * br.above);
        yticks.push_back(nice_y_range(std::max(0.0, br.above - pad), hi + pad, 3, upper));
        yticks.push_back(nice_y_range(lo, br.below * 1.08, 5, lower));
        panels = {upper, lower};
    } else {
        Axes one = base;
        one.area = area;
        yticks.push_back(nice_y_range(lo, hi * 1.08, 6, one));
        panels = {one};
    }
    Figure fig(width, height);
    draw_trends(fig, d, panels);
    const Axes& bottom = panels.back();
    for (std::size_t i = 0; i + 1 < panels.size(); ++i) draw_axes(fig, panels[i], {}, yticks[i], "", "");
    draw_axes(fig, bottom, cycle_ticks(d, bottom), yticks.back(), "Cycle number (categorical axis, evenly spaced)", "");
    if (br.broken) draw_break_marks(fig, panels[0], panels[1]);
    TextStyle vertical{kLabelPt, kInk, Align::Center};
    vertical.vertical = true;
    fig.text(br.broken ? "E (GPa, broken axis)" : "E (GPa)", {kLabelPt + 2, area.y + area.h / 2}, vertical);
    draw_title(fig, "Modulus vs cycle number", area.x + area.w / 2, 18);
    draw_legend(fig, {area.right() + 16, area.y, legend_wh.x, legend_wh.y}, legend);
    draw_n_table(fig, d, bottom, area.bottom() + 48);
    fig.save(stem, out);
}

void save_cycle_distributions_figure(const std::string& stem, const CycleDistributions& d, const FigureOptions& out) {
    std::vector<LegendLine> legend;
    const auto& viridis = colormap_table(Colormap::Viridis);
    const std::size_t n = d.curves.size();
    auto colour = [&](std::size_t i) { return rgb_hex(viridis[n > 1 ? (int)std::lround(215.0 * i / (n - 1)) : 0]); };
    for (std::size_t i = 0; i < n; ++i)
        legend.push_back({"cycle " + std::to_string(d.curves[i].cycle) + " (N = " + format_count(d.curves[i].n) + ")",
                          colour(i), 1});
    const Point legend_wh = legend_size(legend);
    const double width = std::max(480.0, 330 + legend_wh.x + 24);
    Axes ax;
    ax.area = {52, kTop, width - 52 - legend_wh.x - 24, 220};
    ax.x0 = d.edges.empty() ? 0.0 : d.edges.front();
    ax.x1 = d.edges.size() < 2 ? 1.0 : d.edges.back();
    double top = 0.0;
    for (const auto& c : d.curves)
        for (double v : c.density)
            if (std::isfinite(v)) top = std::max(top, v);
    const std::vector<Tick> yticks = nice_y_range(0.0, top > 0.0 ? 1.08 * top : 1.0, 5, ax);

    Figure fig(width, ax.area.bottom() + 44);
    fig.clip(ax.area);
    for (std::size_t i = 0; i < n; ++i) {
        std::vector<Point> steps;
        const auto& dens = d.curves[i].density;
        for (std::size_t b = 0; b < dens.size() && b + 1 < d.edges.size(); ++b) {
            steps.push_back({ax.px(d.edges[b]), ax.py(dens[b])});
            steps.push_back({ax.px(d.edges[b + 1]), ax.py(dens[b])});
        }
        fig.curve(steps, Stroke{colour(i), 1.3});
    }
    fig.unclip();
    draw_axes(fig, ax, d.log_axis ? log_ticks(ax.x0, ax.x1, 8) : linear_ticks(ax.x0, ax.x1, 7), yticks,
              d.log_axis ? "E (GPa, log scale)" : "E (GPa)", d.log_axis ? "Density (1/decade)" : "Density (1/GPa)");
    draw_title(fig, "Class " + d.class_name + ": pixel modulus by cycle", ax.area.x + ax.area.w / 2, 18);
    draw_legend(fig, {ax.area.right() + 16, ax.area.y, legend_wh.x, legend_wh.y}, legend);
    fig.save(stem, out);
}

// ---- the common colour range ---------------------------------------------------------------------

bool series_modulus_range(const std::vector<EntrySummary>& entries, double& lo_gpa, double& hi_gpa) {
    std::vector<const QuantileSketch*> parts;
    double vmin = std::numeric_limits<double>::infinity(), vmax = -vmin;
    for (const EntrySummary& e : entries) {
        if (e.status != "ok") continue;
        for (const ClassSummary& c : e.classes)
            if (c.sketch.n > 0 && !c.sketch.quantiles.empty()) {
                parts.push_back(&c.sketch);
                vmin = std::min(vmin, c.sketch.quantiles.front());
                vmax = std::max(vmax, c.sketch.quantiles.back());
            }
    }
    if (parts.empty() || !std::isfinite(vmin) || !std::isfinite(vmax)) return false;
    auto quantile = [&](double p) {  // bisection on the pooled CDF
        double a = vmin, b = vmax;
        for (int i = 0; i < 100 && b - a > 1e-9 * std::max(1.0, std::fabs(b)); ++i) {
            const double m = 0.5 * (a + b);
            (mixture_cdf(parts, m) < p ? a : b) = m;
        }
        return 0.5 * (a + b);
    };
    lo_gpa = quantile(0.01);
    hi_gpa = quantile(0.99);
    return hi_gpa > lo_gpa && lo_gpa > 0.0;  // the maps' colour scale is on log10 E
}

namespace {

// What a scan's regions.json records of its figure settings.
struct ScanFigureSettings {
    OutputsConfig outputs;
    std::string sample;
    double pixel_size_x_m = 0.0;
};

bool read_figure_settings(const fs::path& scan_dir, ScanFigureSettings& s) {
    const fs::path file = scan_dir / "regions.json";
    std::error_code ec;
    if (!fs::is_regular_file(file, ec)) return false;
    try {
        const nlohmann::json doc = nlohmann::json::parse(read_file(file));
        const nlohmann::json& o = doc.at("parameters").at("outputs");
        s.outputs.figures.clear();
        if (o.at("figures").is_array())
            for (const auto& f : o.at("figures")) s.outputs.figures.push_back(f.get<std::string>());
        s.outputs.maps = o.at("maps").get<bool>();
        s.outputs.dpi = o.at("dpi").get<double>();
        s.outputs.colormap = o.at("colormap").get<std::string>();
        s.outputs.fixed_range = o.at("range").is_array();
        s.sample = doc.at("scan").at("sample").get<std::string>();
        s.pixel_size_x_m = doc.at("scan").at("pixel_size_x_m").get<double>();
    } catch (const nlohmann::json::exception& e) {
        throw DataError(file.string() + ": cannot read its figure settings (" + e.what() + ")");
    }
    return true;
}

}  // namespace

void redraw_scan_modulus_maps(const std::vector<EntrySummary>& entries, const std::string& out_dir, double lo_gpa,
                              double hi_gpa) {
    auto redraw = [&](const EntrySummary& e) {
        const fs::path dir = fs::path(out_dir) / "scans" / e.id;
        ScanFigureSettings s;
        std::error_code ec;
        if (e.status != "ok" || !read_figure_settings(dir, s) || s.outputs.figures.empty() || s.outputs.fixed_range ||
            !fs::is_regular_file(dir / "modulus_gpa.tif", ec))
            return;
        const Image<float> modulus = read_tiff_float((dir / "modulus_gpa.tif").string());
        // The title as write_scan_outputs gives it.
        const MapFigure fig{"Corrected modulus – " + (s.sample.empty() ? std::string("scan") : s.sample), "E (GPa)",
                            true, lo_gpa, hi_gpa, s.pixel_size_x_m, map_colormap(s.outputs)};
        save_map_figure((dir / "fig_modulus").string(), modulus, fig, figure_options(s.outputs));
    };
    // The scans share nothing: several at a time, one map each in memory.
    std::vector<std::function<void()>> jobs;
    for (const EntrySummary& e : entries) jobs.push_back([&redraw, &e] { redraw(e); });
    run_concurrently(jobs);
}

FigureOptions series_figure_options(const std::vector<EntrySummary>& entries, const std::string& out_dir) {
    for (const EntrySummary& e : entries) {
        ScanFigureSettings s;
        if (e.status == "ok" && read_figure_settings(fs::path(out_dir) / "scans" / e.id, s) && !s.outputs.figures.empty())
            return figure_options(s.outputs);
    }
    FigureOptions png;
    png.formats = {FigureFormat::Png};
    return png;
}

}  // namespace amfm
