// A series' numbers, computed from the scans' series_entry.json summaries alone: each class
// pooled per cycle number (Table 1), comparisons between consecutive cycles and between classes,
// and the tables series.csv, series_comparisons.csv and series.json (series_report.cpp draws the
// figures and report.html from the same pooling).
#pragma once

#include <limits>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "host/batch/series.hpp"
#include "host/method/stats_tests.hpp"

namespace amfm {

// One class over the scans of one cycle number, three ways (Table 1): its pooled pixels; its
// facets, the Gaussian centres of its `ok` regions in every scan (the paper's spread "across
// different crystal facets"); its scans, each scan's class mean over its valid pixels, one
// independent value per replicate.
struct PooledClass {
    int cycle = 0;
    std::string class_name;
    int n_scans = 0;
    long long n = 0;  // pooled valid pixels, their mean and sample SD
    double mean = std::numeric_limits<double>::quiet_NaN(), sd = std::numeric_limits<double>::quiet_NaN();
    int n_regions = 0, n_regions_not_ok = 0;  // the class's regions in those scans; those without a centre
    std::vector<const QuantileSketch*> sketches;
    std::vector<double> facet_centers_gpa, scan_means_gpa;
    SampleSummary facets, scans;  // of facet_centers_gpa and scan_means_gpa
    // Mean of the facets' systematic_gpa / center_gpa: the calibration's relative uncertainty
    // shared by every mean of the class (NaN when no facet has one).
    double systematic_rel = std::numeric_limits<double>::quiet_NaN();
};

// A class's values of one kind (not Auto): its n, mean, SD and SEM (pixels: SD / sqrt(pixels)).
SampleSummary class_values(const PooledClass& p, ErrorBars kind);

struct SeriesTables {
    std::vector<int> cycles;           // ascending
    std::vector<std::string> classes;  // sorted
    std::map<std::pair<int, std::string>, PooledClass> pooled;

    const PooledClass* find(int cycle, const std::string& cls) const {
        const auto it = pooled.find({cycle, cls});
        return it == pooled.end() || it->second.n == 0 ? nullptr : &it->second;
    }
};

SeriesTables build_tables(const std::vector<EntrySummary>& entries);

// The error bars Fig. 3a shows: `requested`, or for Auto scans when some class of some cycle has
// two or more scans, else facets.
ErrorBars resolve_error_bars(ErrorBars requested, const SeriesTables& t);

// Fig. 3a's points: each class and cycle's mean, its SD of the chosen kind and that kind's N.
struct CyclePoint {
    int cycle = 0;
    std::string class_name;
    SampleSummary values;
};
std::vector<CyclePoint> figure_points(const SeriesTables& t, ErrorBars resolved);

// A comparison tests independent values: the replicate scans' class means where both groups
// have two or more scans, else the facets' centres where both have two or more facets, else
// nothing ("none"). The pooled-pixel Welch test and the KS distance are kept as labelled extras.
struct SeriesComparison {
    std::string kind;  // "cycle_step": class between cycle_a and cycle_b; "class_gap": class - class_b at cycle_a
    std::string class_a, class_b;
    int cycle_a = 0, cycle_b = 0;
    const PooledClass *a = nullptr, *b = nullptr;
    ErrorBars level = ErrorBars::Auto;  // Scans, Facets, or Auto for none
    SampleSummary values_a, values_b;   // at that level
    WelchResult welch;                  // at that level (NaN for none)
    WelchResult pixel_welch;            // every valid pixel as a sample (kSeriesPixelCaveat)
    KsResult ks;
};

// diff = b - a for cycle steps; for gaps diff = class_a - class_b (so "LNMO - b/c").
std::vector<SeriesComparison> build_comparisons(const SeriesTables& t);
const char* comparison_level_name(const SeriesComparison& c);  // "scans", "facets" or "none"

// Entries sorted for the tables: by cycle, then by their order in the series file.
std::vector<const EntrySummary*> by_cycle(const std::vector<EntrySummary>& entries);

inline constexpr const char* kSeriesPixelCaveat =
    "The pixel-level tests (pixel_* columns, KS) treat every valid pixel as an independent sample. Neighbouring pixels are correlated "
    "(tip size, smoothing), so confidence intervals are too narrow and p-values too small by a "
    "factor that grows with the correlation length; read them as a ranking of effect sizes, and "
    "the differences in GPa as the result. KS statistics come from 400-level quantile sketches "
    "(resolution 0.0025).";

}  // namespace amfm
