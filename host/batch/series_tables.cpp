// Pooling, comparisons and the series tables (rules in series_tables.hpp).
#include "host/batch/series_tables.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "host/model/table_format.hpp"
#include "host/report/stats_table.hpp"
#include "host/model/text.hpp"

namespace amfm {
using nlohmann::json;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Exact pooled mean and sample SD of the union of the scans' pixels.
void pool(PooledClass& p, const ClassSummary& c) {
    const long long n_valid = c.stats.pixels.n_valid;
    const double mean_gpa = c.stats.pixels.mean_gpa, sd = std::isfinite(c.stats.pixels.sd_gpa) ? c.stats.pixels.sd_gpa : 0.0;
    if (n_valid <= 0 || !std::isfinite(mean_gpa)) return;
    if (p.n == 0) {
        p.n = n_valid;
        p.mean = mean_gpa;
        p.sd = n_valid > 1 ? sd : kNaN;
    } else {
        const long long n = p.n + n_valid;
        const double mean = (p.mean * (double)p.n + mean_gpa * (double)n_valid) / (double)n;
        const double ss_a = (p.n > 1 ? p.sd * p.sd * (double)(p.n - 1) : 0.0) +
                            (double)p.n * (p.mean - mean) * (p.mean - mean);
        const double ss_b = (double)(n_valid - 1) * sd * sd + (double)n_valid * (mean_gpa - mean) * (mean_gpa - mean);
        p.n = n;
        p.mean = mean;
        p.sd = std::sqrt((ss_a + ss_b) / (double)(n - 1));
    }
    ++p.n_scans;
    p.scan_means_gpa.push_back(mean_gpa);
    if (!c.sketch.quantiles.empty()) p.sketches.push_back(&c.sketch);
}

}  // namespace

SeriesTables build_tables(const std::vector<EntrySummary>& entries) {
    SeriesTables t;
    std::map<std::pair<int, std::string>, std::vector<double>> systematic_rels;  // facets' relative systematics
    std::set<int> cycles;
    std::set<std::string> classes;
    for (const auto& e : entries) {
        if (e.status != "ok") continue;
        cycles.insert(e.cycle);
        for (const auto& c : e.classes) {
            classes.insert(c.stats.class_name);
            PooledClass& p = t.pooled[{e.cycle, c.stats.class_name}];
            p.cycle = e.cycle;
            p.class_name = c.stats.class_name;
            pool(p, c);
        }
        for (const StatsRow& r : e.regions) {
            PooledClass& p = t.pooled[{e.cycle, r.class_name}];
            ++p.n_regions;
            if (r.quality != RegionQuality::Ok) ++p.n_regions_not_ok;
            if (r.quality == RegionQuality::Ok && std::isfinite(r.gaussian.center_gpa)) {
                p.facet_centers_gpa.push_back(r.gaussian.center_gpa);
                if (std::isfinite(r.uncertainty.systematic_gpa))
                    systematic_rels[{e.cycle, r.class_name}].push_back(r.uncertainty.systematic_gpa / r.gaussian.center_gpa);
            }
        }
    }
    for (auto& [key, p] : t.pooled) {
        p.facets = summarize_sample(p.facet_centers_gpa);
        p.scans = summarize_sample(p.scan_means_gpa);
        p.systematic_rel = summarize_sample(systematic_rels[key]).mean;
    }
    t.cycles.assign(cycles.begin(), cycles.end());
    t.classes.assign(classes.begin(), classes.end());
    return t;
}

SampleSummary class_values(const PooledClass& p, ErrorBars kind) {
    if (kind == ErrorBars::Scans) return p.scans;
    if (kind == ErrorBars::Facets) return p.facets;
    SampleSummary s;
    s.n = p.n;
    s.mean = p.mean;
    s.sd = p.sd;
    s.sem = p.n > 0 ? p.sd / std::sqrt((double)p.n) : kNaN;
    return s;
}

ErrorBars resolve_error_bars(ErrorBars requested, const SeriesTables& t) {
    if (requested != ErrorBars::Auto) return requested;
    for (const auto& [key, p] : t.pooled)
        if (p.scans.n >= 2) return ErrorBars::Scans;
    return ErrorBars::Facets;
}

std::vector<CyclePoint> figure_points(const SeriesTables& t, ErrorBars resolved) {
    std::vector<CyclePoint> points;
    for (const auto& cls : t.classes)
        for (int cycle : t.cycles)
            if (const PooledClass* p = t.find(cycle, cls)) {
                const SampleSummary v = class_values(*p, resolved);
                if (std::isfinite(v.mean)) points.push_back({cycle, cls, v});
            }
    return points;
}


namespace {

// The test at the replicate level both groups allow (SeriesComparison), and the pixel-level extras.
// `diff_b_minus_a`: false for class gaps, whose diff is a - b.
void test_groups(SeriesComparison& c, bool diff_b_minus_a) {
    const PooledClass &a = *c.a, &b = *c.b;
    c.level = a.scans.n >= 2 && b.scans.n >= 2     ? ErrorBars::Scans
              : a.facets.n >= 2 && b.facets.n >= 2 ? ErrorBars::Facets
                                                   : ErrorBars::Auto;
    if (c.level != ErrorBars::Auto) {
        c.values_a = class_values(a, c.level);
        c.values_b = class_values(b, c.level);
    }
    const SampleSummary pa = class_values(a, ErrorBars::Pixels), pb = class_values(b, ErrorBars::Pixels);
    c.welch = diff_b_minus_a ? welch_test(c.values_a, c.values_b) : welch_test(c.values_b, c.values_a);
    c.pixel_welch = diff_b_minus_a ? welch_test(pa, pb) : welch_test(pb, pa);
    c.ks = ks_test(a.sketches, b.sketches);
}

}  // namespace

const char* comparison_level_name(const SeriesComparison& c) {
    return c.level == ErrorBars::Auto ? "none" : error_bars_name(c.level);
}

std::vector<SeriesComparison> build_comparisons(const SeriesTables& t) {
    std::vector<SeriesComparison> out;
    for (const auto& cls : t.classes) {
        const PooledClass* prev = nullptr;
        for (int cycle : t.cycles) {
            const PooledClass* cur = t.find(cycle, cls);
            if (!cur) continue;
            if (prev) {
                SeriesComparison c;
                c.kind = "cycle_step";
                c.class_a = c.class_b = cls;
                c.cycle_a = prev->cycle;
                c.cycle_b = cycle;
                c.a = prev;
                c.b = cur;
                test_groups(c, true);
                out.push_back(c);
            }
            prev = cur;
        }
    }
    for (int cycle : t.cycles)
        for (std::size_t i = 0; i < t.classes.size(); ++i)
            for (std::size_t j = i + 1; j < t.classes.size(); ++j) {
                const PooledClass *a = t.find(cycle, t.classes[i]), *b = t.find(cycle, t.classes[j]);
                if (!a || !b) continue;
                SeriesComparison c;
                c.kind = "class_gap";
                c.class_a = t.classes[i];
                c.class_b = t.classes[j];
                c.cycle_a = c.cycle_b = cycle;
                c.a = a;
                c.b = b;
                test_groups(c, false);
                out.push_back(c);
            }
    return out;
}

std::vector<const EntrySummary*> by_cycle(const std::vector<EntrySummary>& entries) {
    std::vector<const EntrySummary*> v;
    for (const auto& e : entries) v.push_back(&e);
    std::stable_sort(v.begin(), v.end(), [](auto* a, auto* b) { return a->cycle < b->cycle; });
    return v;
}

const Table<SeriesRow>& series_csv_table() {
    static const Table<SeriesRow> t = [] {
        Table<SeriesRow> cols = stats_cols<SeriesRow>({"kind"});
        cols.push_back({"cycle", [](const SeriesRow& r) { return count_cell(r.cycle); }, "", {}});
        cols.push_back({"scan", [](const SeriesRow& r) { return text_cell(r.scan); }, "", {}});
        for (auto& c : stats_cols<SeriesRow>({"class", "region", "label"})) cols.push_back(c);
        cols.push_back({"n_scans", [](const SeriesRow& r) { return count_cell(r.n_scans); }, "", {}});
        for (auto& c : stats_cols<SeriesRow>({"n_valid", "mean_gpa", "sd_gpa", "center_gpa", "sigma_gpa", "fwhm_gpa"}))
            cols.push_back(c);
        cols.push_back(stats_col<SeriesRow>("fit_state", "fit"));
        cols.push_back(stats_col<SeriesRow>("quality"));
        // Added later, so at the end. Table 1's other kinds: across facets, across scans.
        cols.push_back(stats_col<SeriesRow>("n_fitted_regions", "n_facets"));
        cols.push_back(stats_col<SeriesRow>("region_center_mean_gpa", "facet_mean_gpa"));
        cols.push_back(stats_col<SeriesRow>("region_center_sd_gpa", "facet_sd_gpa"));
        const auto class_number = [](double SampleSummary::*field) {
            return [field](const SeriesRow& r) { return r.stats.kind == "class" ? number_cell(r.scans.*field) : Cell{}; };
        };
        cols.push_back({"scan_mean_gpa", class_number(&SampleSummary::mean), "", {}});
        cols.push_back({"scan_sd_gpa", class_number(&SampleSummary::sd), "", {}});
        cols.push_back({"scan_sem_gpa", class_number(&SampleSummary::sem), "", {}});
        cols.push_back({"systematic_rel", [](const SeriesRow& r) {
                            return r.stats.kind == "class" ? number_cell(r.systematic_rel) : Cell{};
                        }, "", {}});
        for (auto& c : stats_cols<SeriesRow>({"center_se_gpa", "systematic_gpa", "combined_gpa"})) cols.push_back(c);
        return cols;
    }();
    return t;
}

namespace {

// Table 1's rows: each class pooled over the scans of each cycle number.
std::vector<SeriesRow> class_rows(const SeriesTables& t) {
    std::vector<SeriesRow> rows;
    for (int cy : t.cycles)
        for (const auto& c : t.classes)
            if (const PooledClass* p = t.find(cy, c)) {
                SeriesRow r{cy, "", p->n_scans, {}, p->scans, p->systematic_rel};
                r.stats.kind = "class";
                r.stats.name = r.stats.class_name = c;
                r.stats.pixels.n_valid = p->n;
                r.stats.pixels.mean_gpa = p->mean;
                r.stats.pixels.sd_gpa = p->sd;
                r.stats.n_fitted_regions = (int)p->facets.n;
                r.stats.region_center_mean_gpa = p->facets.mean;
                r.stats.region_center_sd_gpa = p->facets.sd;
                rows.push_back(std::move(r));
            }
    return rows;
}

// Every region of every processed scan, by cycle.
std::vector<SeriesRow> region_rows(const std::vector<EntrySummary>& entries) {
    std::vector<SeriesRow> rows;
    for (const auto* e : by_cycle(entries))
        if (e->status == "ok")
            for (const StatsRow& r : e->regions) rows.push_back({e->cycle, e->id, 1, r, {}, StatsRow::kUndefined});
    return rows;
}

}  // namespace

std::string series_csv(const std::vector<EntrySummary>& entries) {
    std::vector<SeriesRow> rows = class_rows(build_tables(entries));
    for (SeriesRow& r : region_rows(entries)) rows.push_back(std::move(r));
    return csv_table(series_csv_table(), rows);
}

std::string series_comparisons_csv(const std::vector<EntrySummary>& entries) {
    const SeriesTables t = build_tables(entries);
    std::ostringstream s;
    s << "kind,class_a,class_b,cycle_a,cycle_b,level,n_a,n_b,mean_a_gpa,mean_b_gpa,diff_gpa,ci95_lo_gpa,ci95_hi_gpa,"
         "welch_t,welch_df,welch_p,pixel_n_a,pixel_n_b,pixel_mean_a_gpa,pixel_mean_b_gpa,pixel_diff_gpa,"
         "pixel_ci95_lo_gpa,pixel_ci95_hi_gpa,pixel_welch_t,pixel_welch_df,pixel_welch_p,ks_d,ks_p\n";
    auto welch_fields = [](const WelchResult& w) {
        return csv_number(w.diff) + "," + csv_number(w.ci_lo) + "," + csv_number(w.ci_hi) + "," + csv_number(w.t) +
               "," + csv_number(w.df) + "," + csv_number(w.p_two_sided);
    };
    for (const auto& c : build_comparisons(t)) {
        s << c.kind << "," << csv_text(c.class_a) << "," << csv_text(c.class_b) << "," << c.cycle_a << ","
          << c.cycle_b << "," << comparison_level_name(c) << "," << c.values_a.n << "," << c.values_b.n << ","
          << csv_number(c.values_a.mean) << "," << csv_number(c.values_b.mean) << "," << welch_fields(c.welch) << ","
          << c.a->n << "," << c.b->n << "," << csv_number(c.a->mean) << "," << csv_number(c.b->mean) << ","
          << welch_fields(c.pixel_welch) << "," << csv_number(c.ks.d) << "," << csv_number(c.ks.p) << "\n";
    }
    return s.str();
}

std::string series_json(const SeriesSpec& spec, const std::vector<EntrySummary>& entries) {
    const SeriesTables t = build_tables(entries);
    json scans = json::array(), table1 = json::array(), regions = json::array(), steps = json::array(),
         gaps = json::array();
    for (const auto& e : entries)
        scans.push_back({{"id", e.id}, {"scan", e.scan}, {"cycle", e.cycle}, {"sample", e.sample},
                         {"notes", e.notes}, {"status", e.status}, {"reason", e.reason},
                         {"input_hash", e.input_hash}, {"nx", e.nx}, {"ny", e.ny}});
    const Table<SeriesRow> table1_columns =
        table_columns(series_csv_table(), {"cycle", "class", "n_scans", "n_valid", "mean_gpa", "sd_gpa", "n_facets",
                                           "facet_mean_gpa", "facet_sd_gpa", "scan_mean_gpa", "scan_sd_gpa",
                                           "scan_sem_gpa", "systematic_rel"});
    for (const SeriesRow& r : class_rows(t)) table1.push_back(json_object(table1_columns, r));
    const ErrorBars bars = resolve_error_bars(spec.error_bars, t);
    json points = json::array();
    for (const CyclePoint& p : figure_points(t, bars))
        points.push_back({{"cycle", p.cycle}, {"class", p.class_name}, {"mean_gpa", json_number(p.values.mean)},
                          {"sd_gpa", json_number(p.values.sd)}, {"n", p.values.n}});
    const json fig3a = {{"error_bars", error_bars_name(bars)}, {"points", points}};
    Table<SeriesRow> region_columns = table_columns(
        series_csv_table(), {"cycle", "scan", "label", "region", "class", "n_valid", "mean_gpa", "sd_gpa",
                             "center_gpa", "sigma_gpa", "fwhm_gpa", "fit", "quality", "center_se_gpa",
                             "systematic_gpa", "combined_gpa"});
    for (const SeriesRow& r : region_rows(entries)) regions.push_back(json_object(region_columns, r));
    // n, the difference with its CI and Welch's t of one level's test.
    auto test_json = [](long long n_a, long long n_b, const WelchResult& w) {
        return json{{"n_a", n_a}, {"n_b", n_b}, {"diff_gpa", json_number(w.diff)},
                    {"ci95_gpa", {json_number(w.ci_lo), json_number(w.ci_hi)}},
                    {"welch", {{"t", json_number(w.t)}, {"df", json_number(w.df)}, {"p", json_number(w.p_two_sided)}}}};
    };
    for (const auto& c : build_comparisons(t)) {
        json j = test_json(c.values_a.n, c.values_b.n, c.welch);
        j["level"] = comparison_level_name(c);
        j["pixels"] = test_json(c.a->n, c.b->n, c.pixel_welch);
        j["ks"] = {{"d", json_number(c.ks.d)}, {"p", json_number(c.ks.p)}};
        if (c.kind == "cycle_step") {
            j["class"] = c.class_a;
            j["cycle_from"] = c.cycle_a;
            j["cycle_to"] = c.cycle_b;
            steps.push_back(j);
        } else {
            j["cycle"] = c.cycle_a;
            j["classes"] = {c.class_a, c.class_b};
            gaps.push_back(j);
        }
    }
    const json doc = {{"format", "amfm series"},
                      {"format_version", 1},
                      {"amfm_version", AMFM_VERSION},
                      {"name", spec.name},
                      {"series_file", spec.source},
                      {"units", "GPa"},
                      {"scans", scans},
                      {"table1", table1},
                      {"fig3a", fig3a},
                      {"regions", regions},
                      {"cycle_steps", steps},
                      {"class_gaps", gaps},
                      {"notes", {{"cycle_steps", "diff = later - earlier cycle, Welch 95 % CI on the level's values "
                                                 "(scans: one mean per scan; facets: region centres), KS distance"},
                                 {"table1", "pixels: pooled valid pixels; facet_*: the ok regions' Gaussian centres; "
                                            "scan_*: one class mean per scan (SEM = SD / sqrt(n_scans))"},
                                 {"class_gaps", "diff = first class - second class (sorted names)"},
                                 {"pixels", kSeriesPixelCaveat}}}};
    return json_text(doc, 2) + "\n";
}


}  // namespace amfm
