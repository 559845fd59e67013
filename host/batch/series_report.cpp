// A series' figures (Fig. 3a, per-class histograms by cycle) and its self-contained report.html
// (Table 1 per class and cycle, comparisons, region Gaussians), drawn from the pooling of
// series_tables.hpp; write_series_outputs writes them with the tables. Everything here is
// computed from the scans' series_entry.json files, so it is the same whichever way the scans
// were processed.
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iomanip>
#include <limits>
#include <map>
#include <sstream>

#include "amfm/kernels/error.hpp"
#include "host/batch/series.hpp"
#include "host/batch/series_tables.hpp"
#include "host/model/file_io.hpp"
#include "host/model/table_format.hpp"

namespace amfm {
namespace fs = std::filesystem;

namespace {

// ---- figures ----------------------------------------------------------------------------------

const cv::Scalar kWhite(255, 255, 255), kInk(30, 30, 30), kGrid(220, 220, 220);

cv::Scalar palette(std::size_t i) {  // BGR, colour-blind friendly (Okabe-Ito)
    static const cv::Scalar c[] = {{178, 114, 0},  {0, 94, 213},  {115, 158, 0}, {167, 121, 204},
                                   {233, 180, 86}, {66, 228, 240}, {0, 159, 230}, {0, 0, 0}};
    return c[i % 8];
}

std::string fmt(double v, int decimals) {
    if (!std::isfinite(v)) return "-";
    std::ostringstream s;
    s << std::fixed << std::setprecision(decimals) << v;
    return s.str();
}

std::vector<double> nice_ticks(double lo, double hi, int target) {
    const double span = hi - lo;
    if (!(span > 0)) return {lo};
    const double raw = span / target, mag = std::pow(10.0, std::floor(std::log10(raw)));
    double step = mag;
    for (double m : {1.0, 2.0, 2.5, 5.0, 10.0})
        if (m * mag >= raw) {
            step = m * mag;
            break;
        }
    std::vector<double> t;
    for (double v = std::ceil(lo / step) * step; v <= hi + 1e-9 * step; v += step) t.push_back(std::fabs(v) < 1e-12 * step ? 0.0 : v);
    return t;
}

int tick_decimals(const std::vector<double>& ticks) {
    if (ticks.size() < 2) return 2;
    const double step = ticks[1] - ticks[0];
    return std::clamp((int)std::ceil(-std::log10(step) + 1e-9), 0, 4);
}

void text(cv::Mat& img, const std::string& s, int x, int y, double scale = 0.45, const cv::Scalar& c = kInk) {
    cv::putText(img, s, {x, y}, cv::FONT_HERSHEY_SIMPLEX, scale, c, 1, cv::LINE_AA);
}

int text_width(const std::string& s, double scale = 0.45) {
    int base = 0;
    return cv::getTextSize(s, cv::FONT_HERSHEY_SIMPLEX, scale, 1, &base).width;
}

struct Axes {
    cv::Rect plot;
    double x0, x1, y0, y1;
    bool log_y = false;  // y0, y1 are then the values, the axis is log10
    int px(double x) const { return plot.x + (int)std::lround((x - x0) / (x1 - x0) * plot.width); }
    int py(double y) const {
        const double f = log_y ? (std::log10(y) - std::log10(y0)) / (std::log10(y1) - std::log10(y0)) : (y - y0) / (y1 - y0);
        return plot.y + plot.height - (int)std::lround(f * plot.height);
    }
};

// Frame, y ticks with grid, y label; x ticks are drawn by the caller (cycle numbers or GPa).
void draw_frame(cv::Mat& img, const Axes& ax, const std::string& title, const std::string& ylabel,
                const std::string& xlabel) {
    std::vector<double> yt;
    int dec = 0;
    if (ax.log_y) {  // 1, 2, 5 per decade
        for (int e = (int)std::floor(std::log10(ax.y0)); e <= (int)std::ceil(std::log10(ax.y1)); ++e)
            for (double m : {1.0, 2.0, 5.0})
                if (const double v = m * std::pow(10.0, e); v >= ax.y0 && v <= ax.y1) yt.push_back(v);
        dec = -1;  // per tick: decimals only below 1
    } else {
        yt = nice_ticks(ax.y0, ax.y1, 6);
        dec = tick_decimals(yt);
    }
    for (double v : yt) {
        const int y = ax.py(v);
        cv::line(img, {ax.plot.x, y}, {ax.plot.x + ax.plot.width, y}, kGrid, 1);
        const std::string s = fmt(v, dec >= 0 ? dec : v < 1 ? 1 : 0);
        text(img, s, ax.plot.x - 8 - text_width(s), y + 5);
    }
    cv::rectangle(img, ax.plot, kInk, 1);
    text(img, title, ax.plot.x, 24, 0.6);
    text(img, xlabel, ax.plot.x + ax.plot.width / 2 - text_width(xlabel) / 2, img.rows - 12);
    cv::Mat label(24, text_width(ylabel) + 4, CV_8UC3, kWhite);
    text(label, ylabel, 2, 17);
    cv::rotate(label, label, cv::ROTATE_90_COUNTERCLOCKWISE);
    const int top = std::max(0, ax.plot.y + ax.plot.height / 2 - label.rows / 2);
    if (top + label.rows <= img.rows) label.copyTo(img(cv::Rect(4, top, label.cols, label.rows)));
}

void draw_legend(cv::Mat& img, const Axes& ax, const std::vector<std::pair<std::string, cv::Scalar>>& items) {
    int w = 0;
    for (const auto& it : items) w = std::max(w, text_width(it.first));
    const int x = ax.plot.x + ax.plot.width - w - 40, y0 = ax.plot.y + 10;
    cv::rectangle(img, cv::Rect(x - 6, y0 - 4, w + 40, 20 * (int)items.size() + 6), kWhite, cv::FILLED);
    cv::rectangle(img, cv::Rect(x - 6, y0 - 4, w + 40, 20 * (int)items.size() + 6), kGrid, 1);
    for (std::size_t i = 0; i < items.size(); ++i) {
        const int y = y0 + 10 + 20 * (int)i;
        cv::line(img, {x, y}, {x + 22, y}, items[i].second, 2, cv::LINE_AA);
        text(img, items[i].first, x + 28, y + 5);
    }
}

std::vector<unsigned char> png_bytes(const cv::Mat& img) {
    std::vector<unsigned char> buf;
    if (!cv::imencode(".png", img, buf)) throw DataError("PNG encoding failed");
    return buf;
}

// Over what Fig. 3a's SDs are taken, for its title and caption.
std::string error_bars_text(ErrorBars bars) {
    switch (bars) {
        case ErrorBars::Scans: return "across scans";
        case ErrorBars::Facets: return "across facets";
        default: return "of the pixels";
    }
}

// Fig. 3a: class mean +- SD (of the resolved kind, its N beside each point) against cycle
// number, x on log10(1 + cycle) so 0..200 all show.
cv::Mat figure_modulus_vs_cycle(const SeriesTables& t, ErrorBars bars) {
    cv::Mat img(480, 760, CV_8UC3, kWhite);
    std::map<std::pair<int, std::string>, SampleSummary> values;
    for (const auto& [key, pooled] : t.pooled) values[key] = class_values(pooled, bars);
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    for (const auto& [key, p] : values) {
        if (!std::isfinite(p.mean)) continue;
        const double sd = std::isfinite(p.sd) ? p.sd : 0.0;
        lo = std::min(lo, p.mean - sd);
        hi = std::max(hi, p.mean + sd);
    }
    if (!std::isfinite(lo)) lo = 0, hi = 1;
    // Moduli spanning more than a decade (pristine crystal vs cycled interphase) go on a log axis.
    double lo_pos = std::numeric_limits<double>::infinity();
    for (const auto& [key, p] : values)
        if (p.mean > 0) lo_pos = std::min(lo_pos, p.mean - (std::isfinite(p.sd) && p.sd < p.mean ? p.sd : 0.5 * p.mean));
    const bool log_y = std::isfinite(lo_pos) && lo_pos > 0 && hi / lo_pos > 20.0;
    if (log_y) {
        lo = lo_pos / 1.3;
        hi = hi * 1.5;
    } else {
        lo = std::max(0.0, lo - 0.1 * (hi - lo));
        hi = hi + 0.15 * (hi - lo) + 1e-9;
    }
    const double xmax = std::log10(1.0 + (t.cycles.empty() ? 1 : std::max(1, t.cycles.back())));
    Axes ax{cv::Rect(80, 40, 650, 380), -0.06 * xmax, 1.06 * xmax, lo, hi, log_y};
    draw_frame(img, ax, "Modulus vs cycle (mean +- SD " + error_bars_text(bars) + ", N at each point)",
               log_y ? "E (GPa, log scale)" : "E (GPa)",
               "cycle number (log scale of 1 + cycle)");
    for (int c : t.cycles) {
        const int x = ax.px(std::log10(1.0 + c));
        cv::line(img, {x, ax.plot.y + ax.plot.height}, {x, ax.plot.y + ax.plot.height + 5}, kInk, 1);
        const std::string s = std::to_string(c);
        text(img, s, x - text_width(s) / 2, ax.plot.y + ax.plot.height + 20);
    }
    std::vector<std::pair<std::string, cv::Scalar>> legend;
    for (std::size_t k = 0; k < t.classes.size(); ++k) {
        const cv::Scalar col = palette(k);
        const int dx = (int)k * 4 - (int)t.classes.size() * 2;  // small offset so error bars do not hide each other
        cv::Point prev(-1, -1);
        for (int c : t.cycles) {
            const auto it = values.find({c, t.classes[k]});
            if (it == values.end() || !std::isfinite(it->second.mean)) continue;
            const SampleSummary* p = &it->second;
            const cv::Point pt(ax.px(std::log10(1.0 + c)) + dx, ax.py(p->mean));
            if (std::isfinite(p->sd)) {
                const int ya = ax.py(std::max(p->mean - p->sd, ax.y0)), yb = ax.py(p->mean + p->sd);
                cv::line(img, {pt.x, ya}, {pt.x, yb}, col, 1, cv::LINE_AA);
                cv::line(img, {pt.x - 5, ya}, {pt.x + 5, ya}, col, 1, cv::LINE_AA);
                cv::line(img, {pt.x - 5, yb}, {pt.x + 5, yb}, col, 1, cv::LINE_AA);
            }
            if (prev.x >= 0) cv::line(img, prev, pt, col, 2, cv::LINE_AA);
            cv::circle(img, pt, 5, col, cv::FILLED, cv::LINE_AA);
            text(img, "N=" + std::to_string(p->n), pt.x + 7, pt.y - 6, 0.35, col);
            prev = pt;
        }
        legend.push_back({t.classes[k], col});
    }
    draw_legend(img, ax, legend);
    return img;
}

// One class: the pixel-modulus density of every cycle, from the pooled quantile sketches.
cv::Mat figure_class_histograms(const SeriesTables& t, const std::string& cls) {
    cv::Mat img(480, 760, CV_8UC3, kWhite);
    std::vector<const PooledClass*> groups;
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    for (int c : t.cycles)
        if (const PooledClass* p = t.find(c, cls); p && !p->sketches.empty()) {
            groups.push_back(p);
            for (const auto* s : p->sketches) {  // 0.5 % and 99.5 % levels of each scan
                const auto& q = s->quantiles;
                lo = std::min(lo, q[q.size() / 200]);
                hi = std::max(hi, q[q.size() - 1 - q.size() / 200]);
            }
        }
    if (groups.empty() || !(hi > lo)) lo = 0, hi = 1;
    // Pristine crystal (~130 GPa) and cycled interphase (~3 GPa) in one class span decades: then
    // bin and draw on log10 E, with the density per decade, so every cycle's peak is visible.
    const bool log_x = lo > 0.0 && hi > 20.0 * lo;
    const double a0 = log_x ? std::log10(lo) : lo, a1 = log_x ? std::log10(hi) : hi;
    auto value_at = [&](double a) { return log_x ? std::pow(10.0, a) : a; };
    constexpr int kBins = 80;
    const double w = (a1 - a0) / kBins;
    std::vector<std::vector<double>> dens;
    double ymax = 0.0;
    for (const PooledClass* p : groups) {
        std::vector<double> d(kBins);
        for (int b = 0; b < kBins; ++b) {
            d[b] = (mixture_cdf(p->sketches, value_at(a0 + (b + 1) * w)) - mixture_cdf(p->sketches, value_at(a0 + b * w))) / w;
            ymax = std::max(ymax, d[b]);
        }
        dens.push_back(std::move(d));
    }
    Axes ax{cv::Rect(80, 40, 650, 380), a0, a1, 0.0, ymax > 0 ? ymax * 1.12 : 1.0};
    draw_frame(img, ax, "Class " + cls + ": pixel modulus distribution per cycle",
               log_x ? "density (1/decade)" : "density (1/GPa)", log_x ? "E (GPa, log scale)" : "E (GPa)");
    std::vector<double> xt;
    int dec = 0;
    if (log_x) {  // 1, 2, 5 per decade
        for (int e = (int)std::floor(a0); e <= (int)std::ceil(a1); ++e)
            for (double m : {1.0, 2.0, 5.0})
                if (const double v = m * std::pow(10.0, e); v >= lo && v <= hi) xt.push_back(v);
    } else {
        xt = nice_ticks(lo, hi, 8);
        dec = tick_decimals(xt);
    }
    for (double v : xt) {
        const int x = ax.px(log_x ? std::log10(v) : v);
        cv::line(img, {x, ax.plot.y + ax.plot.height}, {x, ax.plot.y + ax.plot.height + 5}, kInk, 1);
        const std::string s = fmt(v, log_x ? (v < 1 ? 1 : 0) : dec);
        text(img, s, x - text_width(s) / 2, ax.plot.y + ax.plot.height + 20);
    }
    std::vector<std::pair<std::string, cv::Scalar>> legend;
    for (std::size_t g = 0; g < groups.size(); ++g) {
        std::vector<cv::Point> pts;
        for (int b = 0; b < kBins; ++b) {
            pts.emplace_back(ax.px(a0 + b * w), ax.py(dens[g][b]));
            pts.emplace_back(ax.px(a0 + (b + 1) * w), ax.py(dens[g][b]));
        }
        cv::polylines(img, pts, false, palette(g), 2, cv::LINE_AA);
        legend.push_back({"cycle " + std::to_string(groups[g]->cycle) + " (n=" + std::to_string(groups[g]->n) + ")",
                          palette(g)});
    }
    draw_legend(img, ax, legend);
    return img;
}

std::string safe_file_part(const std::string& s) {
    std::string out;
    for (char c : s) out += std::isalnum((unsigned char)c) ? c : '_';
    return out.empty() ? "class" : out;
}

std::string base64(const std::vector<unsigned char>& in) {
    static const char* tbl = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((in.size() + 2) / 3 * 4);
    for (std::size_t i = 0; i < in.size(); i += 3) {
        const unsigned v = (unsigned)in[i] << 16 | (i + 1 < in.size() ? (unsigned)in[i + 1] << 8 : 0u) |
                           (i + 2 < in.size() ? (unsigned)in[i + 2] : 0u);
        out += tbl[(v >> 18) & 63];
        out += tbl[(v >> 12) & 63];
        out += i + 1 < in.size() ? tbl[(v >> 6) & 63] : '=';
        out += i + 2 < in.size() ? tbl[v & 63] : '=';
    }
    return out;
}

std::string html_escape(const std::string& s) {
    std::string out;
    for (char c : s) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            default: out += c;
        }
    }
    return out;
}

struct Figure {
    std::string file, caption;
    std::vector<unsigned char> png;
};

std::vector<Figure> series_figures(const SeriesTables& t, ErrorBars requested) {
    std::vector<Figure> figs;
    const ErrorBars bars = resolve_error_bars(requested, t);
    figs.push_back({"fig_modulus_vs_cycle.png",
                    "Modulus vs cycle number per class, mean +- SD " + error_bars_text(bars) +
                        ", each point labelled with its N (the paper's Fig. 3a).",
                    png_bytes(figure_modulus_vs_cycle(t, bars))});
    for (const auto& cls : t.classes)
        figs.push_back({"fig_hist_" + safe_file_part(cls) + ".png",
                        "Class " + cls + ": pixel modulus distribution of each cycle number (density).",
                        png_bytes(figure_class_histograms(t, cls))});
    return figs;
}

int count_status(const std::vector<EntrySummary>& entries, const std::string& status) {
    return (int)std::count_if(entries.begin(), entries.end(), [&](const EntrySummary& e) { return e.status == status; });
}

void html_scans(std::ostringstream& h, const SeriesSpec& spec, const std::vector<EntrySummary>& entries) {
    const std::string title = spec.name.empty() ? "amfm series" : spec.name;
    h << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" << html_escape(title)
      << "</title>\n<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}"
         "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}"
         "th{background:#f0f0f0}td.t{text-align:left}.failed{color:#b00}.missing{color:#b60}"
         "figure{display:inline-block;margin:0.5em}figcaption{font-size:90%;max-width:760px}"
         "img.scan{width:360px}</style></head><body>\n";
    h << "<h1>" << html_escape(title) << "</h1>\n<p>amfm " << AMFM_VERSION << ", series file <code>"
      << html_escape(spec.source) << "</code>: " << entries.size() << " scans, " << count_status(entries, "ok")
      << " processed, " << count_status(entries, "failed") << " failed, "
      << entries.size() - count_status(entries, "ok") - count_status(entries, "failed")
      << " missing. Moduli in GPa, tilt-corrected.</p>\n";

    h << "<h2>Scans</h2>\n<table><tr><th>id</th><th>cycle</th><th>sample</th><th>notes</th><th>pixels</th>"
         "<th>status</th></tr>\n";
    for (const auto* e : by_cycle(entries)) {
        h << "<tr><td class=t id=\"scan-" << html_escape(e->id) << "\">" << html_escape(e->id) << "</td><td>"
          << e->cycle << "</td><td class=t>" << html_escape(e->sample) << "</td><td class=t>"
          << html_escape(e->notes) << "</td><td>" << (e->nx ? std::to_string(e->nx) + " x " + std::to_string(e->ny) : "")
          << "</td><td class=\"t " << e->status << "\">" << e->status
          << (e->reason.empty() ? "" : ": " + html_escape(e->reason)) << "</td></tr>\n";
    }
    h << "</table>\n";
}

// The scans' sanity warnings (none: no section).
void html_warnings(std::ostringstream& h, const std::vector<EntrySummary>& entries) {
    std::ostringstream items;
    for (const auto* e : by_cycle(entries))
        for (const std::string& w : e->warnings)
            items << "<li><a href=\"#scan-" << html_escape(e->id) << "\">" << html_escape(e->id) << "</a>: "
                  << html_escape(w) << "</li>\n";
    if (!items.str().empty())
        h << "<h2 class=failed>Warnings</h2>\n<p>Sanity checks that failed: the values of these scans are doubtful."
             "</p>\n<ul>\n" << items.str() << "</ul>\n";
}

// A summary as "mean &plusmn; SD" (mean alone without an SD, nothing without a mean).
std::string mean_sd(const SampleSummary& v) {
    if (!std::isfinite(v.mean)) return "";
    return fmt(v.mean, 2) + (std::isfinite(v.sd) ? " &plusmn; " + fmt(v.sd, 2) : "");
}

void html_table1(std::ostringstream& h, const SeriesTables& t) {
    h << "<h2>Table 1: modulus per class and cycle number</h2>\n<p>Three ways (GPa): the valid pixels of all "
         "scans of that cycle number pooled (mean &plusmn; SD, N = pixels); across facets, the Gaussian centres of "
         "the class's ok regions (mean &plusmn; SD, N = facets: the paper's definition); across scans, one class "
         "mean per scan (mean &plusmn; SD and SEM, N = scans: replicates). Regions whose quality is not ok (no "
         "centre) are counted under the pixels. Systematic: the calibration's relative uncertainty (R, k1, Kc), "
         "shared by every mean of the row.</p>\n<table><tr><th>cycle</th><th>class</th><th>pixels</th><th>N</th>"
         "<th>facets</th><th>N</th><th>scans</th><th>SEM</th><th>N</th><th>systematic</th></tr>\n";
    for (int cy : t.cycles)
        for (const auto& c : t.classes) {
            const PooledClass* p = t.find(cy, c);
            if (!p) continue;
            const bool flagged = p->n_regions_not_ok > 0;
            h << "<tr><td>" << cy << "</td><td class=t>" << html_escape(c) << "</td><td>"
              << mean_sd(class_values(*p, ErrorBars::Pixels))
              << (flagged ? "<br><small>" + std::to_string(p->n_regions_not_ok) + " of " +
                                std::to_string(p->n_regions) + " regions not ok</small>"
                          : "")
              << "</td><td>" << p->n << "</td><td>" << mean_sd(p->facets) << "</td><td>" << p->facets.n
              << "</td><td>" << mean_sd(p->scans) << "</td><td>" << fmt(p->scans.sem, 2) << "</td><td>"
              << p->scans.n << "</td><td>"
              << (std::isfinite(p->systematic_rel) ? fmt(100.0 * p->systematic_rel, 1) + " %" : "") << "</td></tr>\n";
        }
    h << "</table>\n";
}

void html_comparisons(std::ostringstream& h, const std::vector<SeriesComparison>& comps) {
    h << "<h2>Changes between consecutive cycle numbers</h2>\n<p>Difference of class means (later - earlier) "
         "with its 95 % confidence interval (Welch) on independent values: one mean per scan where both cycles "
         "have replicates, else the facets' centres (level, N per cycle). As a labelled extra, the same on "
         "pooled pixels, and the Kolmogorov-Smirnov distance between the two pixel distributions.</p>\n"
         "<table><tr><th>class</th><th>from</th><th>to</th><th>level</th><th>N</th><th>&Delta; (GPa)</th>"
         "<th>95 % CI</th><th>Welch p</th><th>pixels: &Delta; (GPa)</th><th>pixels: Welch p</th><th>KS D</th>"
         "<th>KS p</th></tr>\n";
    for (const auto& c : comps) {
        if (c.kind != "cycle_step") continue;
        h << "<tr><td class=t>" << html_escape(c.class_a) << "</td><td>" << c.cycle_a << "</td><td>" << c.cycle_b
          << "</td><td class=t>" << comparison_level_name(c) << "</td><td>" << c.values_a.n << ", " << c.values_b.n
          << "</td><td>" << fmt(c.welch.diff, 3) << "</td><td>[" << fmt(c.welch.ci_lo, 3) << ", "
          << fmt(c.welch.ci_hi, 3) << "]</td><td>" << csv_number(c.welch.p_two_sided) << "</td><td>"
          << fmt(c.pixel_welch.diff, 3) << "</td><td>" << csv_number(c.pixel_welch.p_two_sided) << "</td><td>"
          << fmt(c.ks.d, 3) << "</td><td>" << csv_number(c.ks.p) << "</td></tr>\n";
    }
    h << "</table>\n";

    h << "<h2>Gap between classes per cycle number</h2>\n<table><tr><th>cycle</th><th>classes</th><th>level</th>"
         "<th>gap (GPa)</th><th>95 % CI</th><th>pixels: gap (GPa)</th><th>KS D</th></tr>\n";
    for (const auto& c : comps) {
        if (c.kind != "class_gap") continue;
        h << "<tr><td>" << c.cycle_a << "</td><td class=t>" << html_escape(c.class_a) << " - "
          << html_escape(c.class_b) << "</td><td class=t>" << comparison_level_name(c) << "</td><td>"
          << fmt(c.welch.diff, 3) << "</td><td>[" << fmt(c.welch.ci_lo, 3) << ", " << fmt(c.welch.ci_hi, 3)
          << "]</td><td>" << fmt(c.pixel_welch.diff, 3) << "</td><td>" << fmt(c.ks.d, 3) << "</td></tr>\n";
    }
    h << "</table>\n<p><small>" << kSeriesPixelCaveat << "</small></p>\n";
}

void html_regions(std::ostringstream& h, const std::vector<EntrySummary>& entries) {
    h << "<h2>Regions: Gaussian centre &plusmn; &sigma;</h2>\n<p>Uncertainty of the centre (GPa): statistical (the "
         "fit's standard error), systematic (R, k1, Kc; regions.csv has each term) and both in quadrature.</p>\n"
         "<table><tr><th>cycle</th><th>scan</th><th>region</th><th>class</th><th>valid pixels</th>"
         "<th>centre &plusmn; &sigma; (GPa)</th><th>statistical</th><th>systematic</th><th>combined</th>"
         "<th>fit</th><th>quality</th></tr>\n";
    for (const auto* e : by_cycle(entries))
        for (const StatsRow& r : e->regions)
            h << "<tr><td>" << e->cycle << "</td><td class=t>" << html_escape(e->id) << "</td><td class=t>"
              << html_escape(r.name) << "</td><td class=t>" << html_escape(r.class_name) << "</td><td>"
              << r.pixels.n_valid << "</td><td>" << fmt(r.gaussian.center_gpa, 2) << " &plusmn; "
              << fmt(r.gaussian.sigma_gpa, 2) << "</td><td>" << fmt(r.uncertainty.center_se_gpa, 3) << "</td><td>"
              << fmt(r.uncertainty.systematic_gpa, 3) << "</td><td>" << fmt(r.uncertainty.combined_gpa, 3)
              << "</td><td class=t>" << fit_state_name(r.gaussian.fit.state)
              << "</td><td class=t>" << region_quality_name(r.quality) << "</td></tr>\n";
    h << "</table>\n";
}

// Each scan's own maps; embedded for a modest series, linked beyond (the report stays small).
void html_scan_maps(std::ostringstream& h, const std::vector<EntrySummary>& entries, const fs::path& out_dir) {
    constexpr int kMaxEmbeddedScans = 40;
    const bool embed = count_status(entries, "ok") <= kMaxEmbeddedScans;
    h << "<h2>Scans: corrected modulus and region histograms</h2>\n";
    for (const auto* e : by_cycle(entries)) {
        if (e->status != "ok") continue;
        h << "<h3>" << html_escape(e->id) << " (cycle " << e->cycle << ")</h3>\n";
        for (const char* name : {"fig_modulus.png", "fig_histograms.png"}) {
            const fs::path rel = fs::path("scans") / e->id / name;
            std::error_code ec;
            if (!fs::is_regular_file(out_dir / rel, ec)) continue;
            if (embed) {
                const std::string bytes = read_file(out_dir / rel);
                h << "<img class=scan alt=\"" << html_escape(rel.generic_string()) << "\" src=\"data:image/png;base64,"
                  << base64(std::vector<unsigned char>(bytes.begin(), bytes.end())) << "\">\n";
            } else {
                h << "<a href=\"" << html_escape(rel.generic_string()) << "\">" << name << "</a>\n";
            }
        }
    }
}

std::string html_report(const SeriesSpec& spec, const std::vector<EntrySummary>& entries, const SeriesTables& t,
                        const std::vector<SeriesComparison>& comps, const std::vector<Figure>& figs,
                        const fs::path& out_dir) {
    std::ostringstream h;
    html_scans(h, spec, entries);
    html_warnings(h, entries);
    html_table1(h, t);
    html_comparisons(h, comps);
    h << "<h2>Figures</h2>\n";
    for (const auto& f : figs)
        h << "<figure><img alt=\"" << html_escape(f.file) << "\" src=\"data:image/png;base64," << base64(f.png)
          << "\"><figcaption>" << html_escape(f.caption) << " (" << f.file << ")</figcaption></figure>\n";
    html_regions(h, entries);
    html_scan_maps(h, entries, out_dir);
    h << "</body></html>\n";
    return h.str();
}

std::vector<EntrySummary> read_entries(const SeriesSpec& spec, const fs::path& out_dir) {
    std::vector<EntrySummary> entries;
    for (const auto& e : spec.entries) {
        const fs::path file = out_dir / "scans" / e.id / "series_entry.json";
        std::error_code ec;
        EntrySummary s;
        if (fs::is_regular_file(file, ec)) {
            s = read_entry_summary(file.string());
        } else {
            s.status = "missing";
            s.reason = "not processed (no scans/" + e.id + "/series_entry.json)";
        }
        set_entry_metadata(s, e);
        entries.push_back(std::move(s));
    }
    return entries;
}

}  // namespace

std::string series_report_html(const SeriesSpec& spec, const std::vector<EntrySummary>& entries,
                               const std::string& out_dir) {
    const SeriesTables t = build_tables(entries);
    return html_report(spec, entries, t, build_comparisons(t), series_figures(t, spec.error_bars), out_dir);
}

SeriesOutcome write_series_outputs(const SeriesSpec& spec, const std::string& out_dir) {
    const fs::path out(out_dir);
    fs::create_directories(out);
    const std::vector<EntrySummary> entries = read_entries(spec, out);
    SeriesOutcome o;
    for (const auto& e : entries) (e.status == "ok" ? o.n_ok : e.status == "failed" ? o.n_failed : o.n_missing)++;
    for (const auto& e : entries)
        for (const std::string& w : e.warnings) o.warnings.push_back(e.id + ": " + w);
    const SeriesTables t = build_tables(entries);
    const auto comps = build_comparisons(t);
    const auto figs = series_figures(t, spec.error_bars);
    write_file_atomic(out / "series.csv", series_csv(entries));
    write_file_atomic(out / "series_comparisons.csv", series_comparisons_csv(entries));
    write_file_atomic(out / "series.json", series_json(spec, entries));
    for (const auto& f : figs) write_file_atomic(out / f.file, std::string_view((const char*)f.png.data(), f.png.size()));
    write_file_atomic(out / "report.html", html_report(spec, entries, t, comps, figs, out));
    return o;
}

}  // namespace amfm