// What a series' figures show (Fig. 3a, per-class histograms by cycle; drawn by
// series_figures.cpp) and its report.html (Table 1 per class and cycle, comparisons, region
// Gaussians, links to the figures), from the pooling of series_tables.hpp;
// write_series_outputs writes them with the tables. Everything here is
// computed from the scans' series_entry.json files, so it is the same whichever way the scans
// were processed.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iomanip>
#include <limits>
#include <map>
#include <sstream>

#include "amfm/kernels/error.hpp"
#include "host/batch/series.hpp"
#include "host/batch/series_figures.hpp"
#include "host/batch/series_tables.hpp"
#include "host/model/file_io.hpp"
#include "host/model/table_format.hpp"
#include "host/report/plot_kit.hpp"

namespace amfm {
namespace fs = std::filesystem;

namespace {

std::string fmt(double v, int decimals) {
    if (!std::isfinite(v)) return "-";
    std::ostringstream s;
    s << std::fixed << std::setprecision(decimals) << v;
    return s.str();
}

// ---- what the figures show ------------------------------------------------------------------

// Fig. 3a: each class's mean and SD of a cycle number's values of the resolved error-bar kind
// (the scans' class means, the facets' Gaussian centres or the valid pixels), N those values, and
// beside it the Gaussian centres of the class's regions in those scans.
ModulusVsCycle modulus_vs_cycle_data(const SeriesTables& t, const std::vector<EntrySummary>& entries,
                                     ErrorBars requested) {
    ModulusVsCycle d;
    d.cycles = t.cycles;
    const ErrorBars bars = resolve_error_bars(requested, t);
    if (bars == ErrorBars::Scans)
        d.value_kind = "mean of the scans' class means", d.error_kind = "± SD across scans", d.n_kind = "scans";
    else if (bars == ErrorBars::Facets)
        d.value_kind = "mean of the facets' Gaussian centres", d.error_kind = "± SD across facets", d.n_kind = "facets";
    for (const std::string& cls : t.classes) {
        ClassTrend trend{cls, {}};
        for (int c : t.cycles) {
            const PooledClass* p = t.find(c, cls);
            if (!p) continue;
            const SampleSummary values = class_values(*p, bars);
            CycleValue v{c, values.mean, values.sd, values.n, {}};
            for (const EntrySummary& e : entries)
                if (e.status == "ok" && e.cycle == c)
                    for (const StatsRow& r : e.regions)
                        if (r.class_name == cls && std::isfinite(r.gaussian.center_gpa))
                            v.facets_gpa.push_back(r.gaussian.center_gpa);
            trend.points.push_back(std::move(v));
        }
        d.classes.push_back(std::move(trend));
    }
    return d;
}

// One class: the pixel-modulus density of every cycle, from the pooled quantile sketches.
CycleDistributions class_distributions(const SeriesTables& t, const std::string& cls) {
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
    // bin on log10 E, with the density per decade, so every cycle's peak is visible.
    CycleDistributions d;
    d.class_name = cls;
    d.log_axis = lo > 0.0 && hi > 20.0 * lo;
    const double u0 = d.log_axis ? std::log10(lo) : lo, u1 = d.log_axis ? std::log10(hi) : hi;
    // Room for the tails beyond the 0.5 % levels, never below zero on a linear axis.
    const double a1 = u1 + 0.04 * (u1 - u0);
    const double a0 = d.log_axis || lo < 0.0 ? u0 - 0.04 * (u1 - u0) : std::max(0.0, u0 - 0.04 * (u1 - u0));
    auto value_at = [&](double a) { return d.log_axis ? std::pow(10.0, a) : a; };
    constexpr int kBins = 80;
    const double w = (a1 - a0) / kBins;
    for (int b = 0; b <= kBins; ++b) d.edges.push_back(a0 + b * w);
    for (const PooledClass* p : groups) {
        CycleDistributions::Curve c{p->cycle, p->n, {}};
        for (int b = 0; b < kBins; ++b)
            c.density.push_back((mixture_cdf(p->sketches, value_at(d.edges[b + 1])) -
                                 mixture_cdf(p->sketches, value_at(d.edges[b]))) / w);
        d.curves.push_back(std::move(c));
    }
    return d;
}

std::string safe_file_part(const std::string& s) {
    std::string out;
    for (char c : s) out += std::isalnum((unsigned char)c) ? c : '_';
    return out.empty() ? "class" : out;
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

// A series figure: its file name without extension (in the output folder) and its caption.
struct SeriesFigure {
    std::string stem, caption;
};

std::string class_figure_stem(const std::string& cls) { return "fig_hist_" + safe_file_part(cls); }

std::vector<SeriesFigure> series_figure_list(const SeriesTables& t, const ModulusVsCycle& trend) {
    std::vector<SeriesFigure> figs;
    figs.push_back({"fig_modulus_vs_cycle", "Modulus vs cycle number per class (the paper's Fig. 3a). Points: " +
                                                trend.value_kind + "; error bars: " + trend.error_kind + "; open points: " +
                                                trend.facet_kind + "; N (" + trend.n_kind + ") under the axis."});
    for (const auto& cls : t.classes)
        figs.push_back({class_figure_stem(cls), "Class " + cls + ": pixel modulus distribution of each cycle number (density)."});
    return figs;
}

void write_series_figures(const SeriesTables& t, const ModulusVsCycle& trend, const fs::path& out,
                          const plot::FigureOptions& options) {
    save_modulus_vs_cycle_figure((out / "fig_modulus_vs_cycle").string(), trend, options);
    for (const auto& cls : t.classes)
        save_cycle_distributions_figure((out / class_figure_stem(cls)).string(), class_distributions(t, cls), options);
}

// A figure in the report: the PNG (else the SVG) at `rel_stem` under out_dir, linked, or embedded
// as a data: URI when self-contained; links to its other formats (not when embedded). Empty when none
// was written.
std::string html_figure_image(const fs::path& out_dir, const std::string& rel_stem, const std::string& img_class,
                              bool self_contained, std::string* other_formats = nullptr) {
    std::string img, others;
    for (const auto& [ext, mime] : {std::pair<const char*, const char*>{"png", "image/png"}, {"svg", "image/svg+xml"},
                                    {"pdf", ""}}) {
        const std::string rel = rel_stem + "." + ext;
        std::error_code ec;
        if (!fs::is_regular_file(out_dir / rel, ec)) continue;
        if (img.empty() && *mime) {
            const std::string src = self_contained ? std::string("data:") + mime + ";base64," + plot::base64(read_file(out_dir / rel))
                                                   : html_escape(rel);
            img = "<img" + (img_class.empty() ? "" : " class=" + img_class) + " alt=\"" + html_escape(rel) + "\" src=\"" +
                  src + "\">";
        } else {
            others += std::string(others.empty() ? "" : ", ") + "<a href=\"" + html_escape(rel) + "\">" + ext + "</a>";
        }
    }
    if (self_contained && !img.empty()) others.clear();  // the mailed file travels without them
    if (other_formats) *other_formats = others;
    return img.empty() && !others.empty() ? others : img;
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
         "figure{display:inline-block;margin:0.5em}figure img{max-width:100%}figcaption{font-size:90%;max-width:760px}"
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

// Each scan's own maps, linked (embedded when self-contained).
void html_scan_maps(std::ostringstream& h, const std::vector<EntrySummary>& entries, const fs::path& out_dir,
                    bool self_contained) {
    h << "<h2>Scans: corrected modulus and region histograms</h2>\n<p>The modulus maps share one colour range "
         "(the series' 1st-99th percentiles, unless <code>outputs.range</code> sets it), so scans compare by eye.</p>\n";
    for (const auto* e : by_cycle(entries)) {
        if (e->status != "ok") continue;
        h << "<h3>" << html_escape(e->id) << " (cycle " << e->cycle << ")</h3>\n";
        for (const char* name : {"fig_modulus", "fig_histograms"})
            h << html_figure_image(out_dir, "scans/" + e->id + "/" + name, "scan", self_contained) << "\n";
    }
}

std::string html_report(const SeriesSpec& spec, const std::vector<EntrySummary>& entries, const SeriesTables& t,
                        const std::vector<SeriesComparison>& comps, const std::vector<SeriesFigure>& figs,
                        const fs::path& out_dir, bool self_contained) {
    std::ostringstream h;
    html_scans(h, spec, entries);
    html_warnings(h, entries);
    html_table1(h, t);
    html_comparisons(h, comps);
    h << "<h2>Figures</h2>\n";
    for (const auto& f : figs) {
        std::string others;
        const std::string img = html_figure_image(out_dir, f.stem, "", self_contained, &others);
        h << "<figure>" << img << "<figcaption>" << html_escape(f.caption)
          << (others.empty() ? "" : " Also as " + others + ".") << "</figcaption></figure>\n";
    }
    html_regions(h, entries);
    html_scan_maps(h, entries, out_dir, self_contained);
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
                               const std::string& out_dir, bool self_contained) {
    const SeriesTables t = build_tables(entries);
    const ModulusVsCycle trend = modulus_vs_cycle_data(t, entries, spec.error_bars);
    return html_report(spec, entries, t, build_comparisons(t), series_figure_list(t, trend),
                       out_dir, self_contained);
}

SeriesOutcome write_series_outputs(const SeriesSpec& spec, const std::string& out_dir, bool self_contained) {
    const fs::path out(out_dir);
    fs::create_directories(out);
    const std::vector<EntrySummary> entries = read_entries(spec, out);
    SeriesOutcome o;
    for (const auto& e : entries) (e.status == "ok" ? o.n_ok : e.status == "failed" ? o.n_failed : o.n_missing)++;
    for (const auto& e : entries)
        for (const std::string& w : e.warnings) o.warnings.push_back(e.id + ": " + w);
    const SeriesTables t = build_tables(entries);
    const auto comps = build_comparisons(t);
    const ModulusVsCycle trend = modulus_vs_cycle_data(t, entries, spec.error_bars);
    write_file_atomic(out / "series.csv", series_csv(entries));
    write_file_atomic(out / "series_comparisons.csv", series_comparisons_csv(entries));
    write_file_atomic(out / "series.json", series_json(spec, entries));
    write_series_figures(t, trend, out, series_figure_options(entries, out_dir));
    double lo_gpa = 0.0, hi_gpa = 0.0;
    if (series_modulus_range(entries, lo_gpa, hi_gpa)) redraw_scan_modulus_maps(entries, out_dir, lo_gpa, hi_gpa);
    write_file_atomic(out / "report.html",
                      html_report(spec, entries, t, comps, series_figure_list(t, trend), out, self_contained));
    return o;
}

}  // namespace amfm
