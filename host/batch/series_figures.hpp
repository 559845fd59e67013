// The figures of a series, drawn with the plotting kit (host/report/plot_kit.hpp) from plain
// data: what is plotted (the pooling, the error-bar kind, N) is decided in series_report.cpp,
// how it is drawn here. Also the series' common colour range for the scans' modulus maps.
#pragma once

#include <limits>
#include <string>
#include <vector>

#include "host/batch/series.hpp"
#include "host/report/plot_kit.hpp"

namespace amfm {

// ---- Fig. 3a: modulus vs cycle number ----------------------------------------------------------

// One class at one cycle number: its value with an error bar and N, and the per-facet values
// drawn beside it.
struct CycleValue {
    int cycle = 0;
    double value_gpa = std::numeric_limits<double>::quiet_NaN();
    double error_gpa = std::numeric_limits<double>::quiet_NaN();  // half-length of the bar; NaN: none
    long long n = 0;
    std::vector<double> facets_gpa;
};

struct ClassTrend {
    std::string class_name;
    std::vector<CycleValue> points;  // ascending cycle numbers
};

struct ModulusVsCycle {
    std::vector<int> cycles;  // the series' cycle numbers, ascending: one evenly spaced x position each
    std::vector<ClassTrend> classes;
    std::string value_kind = "mean of valid pixels";   // what a point is
    std::string error_kind = "± SD of valid pixels";   // what its bar is
    std::string n_kind = "valid pixels";               // what N counts
    std::string facet_kind = "facet Gaussian centres";  // the small open points
};

// Cycle numbers on a categorical axis (0, 5, 30, 60, 200 evenly spaced and labelled as such);
// values that fall into two groups far apart (pristine crystal ~30x the cycled one) go into two
// stacked panels with a broken y axis; the legend names the error-bar kind; a table under the
// axis gives N per class and cycle.
void save_modulus_vs_cycle_figure(const std::string& stem, const ModulusVsCycle& data, const plot::FigureOptions& out);

// Where save_modulus_vs_cycle_figure splits the y axis: the lower panel shows values up to
// `below`, the upper one from `above`; none when the values form one group (tests).
struct AxisBreak {
    bool broken = false;
    double below = 0.0, above = 0.0;
};
AxisBreak modulus_axis_break(const ModulusVsCycle& data);

// ---- per-class distributions by cycle --------------------------------------------------------

struct CycleDistributions {
    std::string class_name;
    bool log_axis = false;      // edges in log10 GPa, densities per decade
    std::vector<double> edges;  // bin edges in axis units
    struct Curve {
        int cycle = 0;
        long long n = 0;
        std::vector<double> density;  // one per bin
    };
    std::vector<Curve> curves;  // ascending cycle numbers
};

// Each cycle's density as a step line, coloured along viridis in cycle order, N in the legend.
void save_cycle_distributions_figure(const std::string& stem, const CycleDistributions& data,
                                     const plot::FigureOptions& out);

// ---- the scans' modulus maps on one colour range ------------------------------------------------

// The 1st and 99th percentiles of every valid pixel of the series (the classes' quantile
// sketches pooled, weighted by their pixel counts); false when no scan has valid pixels.
bool series_modulus_range(const std::vector<EntrySummary>& entries, double& lo_gpa, double& hi_gpa);

// Redraws scans/<id>/fig_modulus of every processed scan on [lo_gpa, hi_gpa], from its
// modulus_gpa.tif and in the formats, dpi and colour map its regions.json records; scans
// without figures or maps, or with a fixed outputs.range, keep theirs.
void redraw_scan_modulus_maps(const std::vector<EntrySummary>& entries, const std::string& out_dir, double lo_gpa,
                              double hi_gpa);

// The series figures' formats and dpi: those of the first processed scan that writes figures
// (PNG at 150 dpi when none does, so that report.html has its figures).
plot::FigureOptions series_figure_options(const std::vector<EntrySummary>& entries, const std::string& out_dir);

}  // namespace amfm
