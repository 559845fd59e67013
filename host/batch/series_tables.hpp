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

// One class over the scans of one cycle number.
struct PooledClass {
    int cycle = 0;
    std::string class_name;
    int n_scans = 0;
    long long n = 0;
    double mean = std::numeric_limits<double>::quiet_NaN(), sd = std::numeric_limits<double>::quiet_NaN();
    int n_regions = 0, n_regions_not_ok = 0;  // the class's regions in those scans; those without a centre
    std::vector<const QuantileSketch*> sketches;
};

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

struct SeriesComparison {
    std::string kind;  // "cycle_step": class between cycle_a and cycle_b; "class_gap": class - class_b at cycle_a
    std::string class_a, class_b;
    int cycle_a = 0, cycle_b = 0;
    const PooledClass *a = nullptr, *b = nullptr;
    WelchResult welch;
    KsResult ks;
};

// diff = b - a for cycle steps; for gaps diff = class_a - class_b (so "LNMO - b/c").
std::vector<SeriesComparison> build_comparisons(const SeriesTables& t);

// Entries sorted for the tables: by cycle, then by their order in the series file.
std::vector<const EntrySummary*> by_cycle(const std::vector<EntrySummary>& entries);

inline constexpr const char* kSeriesPixelCaveat =
    "Tests treat every valid pixel as an independent sample. Neighbouring pixels are correlated "
    "(tip size, smoothing), so confidence intervals are too narrow and p-values too small by a "
    "factor that grows with the correlation length; read them as a ranking of effect sizes, and "
    "the differences in GPa as the result. KS statistics come from 400-level quantile sketches "
    "(resolution 0.0025).";

}  // namespace amfm
