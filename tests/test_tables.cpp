// The statistics row schema: every table writer's columns come from it, the series entry file
// reads back what it wrote, and scripts/csv_columns.py (demo.sh) finds regions.csv columns by name.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <set>
#include <stdexcept>
#include <string>
#include <sys/wait.h>
#include <vector>

#include "host/batch/series.hpp"
#include "host/batch/stack.hpp"
#include "host/report/outputs.hpp"
#include "host/report/stats_table.hpp"
#include "test_util.hpp"

using namespace amfm;
using amfm_test::TempDir;

namespace {

// Two regions (one fitted, one with an undefined fit), a class, the map.
ScanResult small_result() {
    ScanResult r;
    RegionStats a;
    a.info = RegionInfo{1, "facet, A", "LNMO"};
    a.pixels.n_pixels = 100;
    a.pixels.n_valid = 90;
    a.pixels.mean_gpa = 120.5;
    a.pixels.sd_gpa = 7.25;
    a.gaussian.center_gpa = 121.0;
    a.gaussian.sigma_gpa = 6.5;
    a.gaussian.fwhm_gpa = 15.3;
    a.gaussian.fit.state = FitState::Converged;
    a.hist.nbins = 40;
    RegionStats b = a;
    b.info = RegionInfo{2, "binder", "b/c"};
    b.gaussian.center_gpa = b.gaussian.sigma_gpa = NAN;
    b.gaussian.fit.state = FitState::TooFewPoints;
    r.stats.regions = {a, b};
    ClassStats c;
    c.class_name = "LNMO";
    c.labels = {1};
    c.pixels = a.pixels;
    r.stats.classes = {c};
    r.stats.whole_map = a;
    r.stats.whole_map.info = RegionInfo{0, "map", "all"};
    return r;
}

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n') + 1); }

// Every column is a schema column (or one of the table's own, named in `own`).
template <class Row>
void expect_from_schema(const Table<Row>& t, const std::set<std::string>& own) {
    for (const Column<Row>& c : t) {
        SCOPED_TRACE(c.header);
        if (c.schema_name.empty()) {
            EXPECT_TRUE(own.count(c.header));
        } else {
            EXPECT_NO_THROW(stats_column(c.schema_name));
        }
    }
}

// Runs a command, returning its standard output and exit status.
std::pair<std::string, int> run(const std::string& command) {
    std::string out;
    FILE* p = popen(command.c_str(), "r");
    if (!p) return {"", -1};
    char buf[256];
    while (std::fgets(buf, sizeof buf, p)) out += buf;
    const int status = pclose(p);
    return {out, WIFEXITED(status) ? WEXITSTATUS(status) : -1};
}

}  // namespace

TEST(Tables, SchemaNamesAreUniqueAndCarryTheirUnits) {
    std::set<std::string> names;
    for (const StatsColumn& c : stats_schema()) {
        SCOPED_TRACE(c.name);
        EXPECT_TRUE(names.insert(c.name).second);
        auto ends = [&](const std::string& suffix) {
            return c.name.size() > suffix.size() && c.name.compare(c.name.size() - suffix.size(), suffix.size(), suffix) == 0;
        };
        EXPECT_EQ(ends("_gpa"), c.unit == "GPa");
        EXPECT_EQ(ends("_deg"), c.unit == "deg");
        EXPECT_EQ(ends("_um2"), c.unit == "um^2");
    }
    EXPECT_THROW(stats_column("no_such_column"), std::logic_error);
}

TEST(Tables, EveryWriterHeaderComesFromTheSchema) {
    expect_from_schema(regions_csv_table(), {});
    expect_from_schema(stack_csv_table(), {"page"});
    expect_from_schema(series_csv_table(), {"cycle", "scan", "n_scans", "scan_mean_gpa", "scan_sd_gpa", "scan_sem_gpa", "systematic_rel"});
    expect_from_schema(entry_class_table(), {});
    expect_from_schema(entry_region_table(), {});

    const ScanResult r = small_result();
    EXPECT_EQ(first_line(regions_csv(r)), csv_header(regions_csv_table()));
    EXPECT_EQ(stack_csv({}), csv_header(stack_csv_table()));
    EXPECT_EQ(series_csv({}), csv_header(series_csv_table()));
    // The headers existing files and scripts know.
    EXPECT_EQ(csv_header(regions_csv_table()),
              "kind,label,name,class,n_pixels,n_valid,masked_tilt_over_cutoff,masked_phase_not_repulsive,"
              "masked_df2_not_positive,masked_non_finite_input,masked_unlabelled,mean_gpa,sd_gpa,median_gpa,p05_gpa,p95_gpa,center_gpa,sigma_gpa,fwhm_gpa,amplitude,"
              "r2,fit_state,fit_iterations,hist_axis,hist_lo,hist_hi,hist_bins,normal_tilt_deg,normal_azimuth_deg,"
              "area_um2,systematic_gpa,quality,valid_fraction,lost_tilt_over_cutoff_fraction,"
              "lost_phase_not_repulsive_fraction,lost_df2_not_positive_fraction,lost_non_finite_input_fraction,"
              "lost_edge_fraction,indentation_median_nm,masked_edge,center_se_gpa,sigma_se_gpa,systematic_radius_gpa,"
              "systematic_k1_gpa,systematic_kc_tilt_gpa,systematic_kc_fit_gpa,combined_gpa\n");
    EXPECT_EQ(csv_header(stack_csv_table()),
              "page,kind,label,region,class,pixels,valid,gaussian_center_gpa,gaussian_sigma_gpa,fit_state,mean_gpa,"
              "sd_gpa,quality,valid_fraction\n");
    EXPECT_EQ(csv_header(series_csv_table()),
              "kind,cycle,scan,class,region,label,n_scans,n_valid,mean_gpa,sd_gpa,center_gpa,sigma_gpa,fwhm_gpa,fit,"
              "quality,n_facets,facet_mean_gpa,facet_sd_gpa,scan_mean_gpa,scan_sd_gpa,scan_sem_gpa,systematic_rel,"
              "center_se_gpa,systematic_gpa,combined_gpa\n");
}

TEST(Tables, RowsShowOnlyWhatTheyHave) {
    const std::vector<StatsRow> rows = scan_rows(small_result());
    ASSERT_EQ(rows.size(), 4u);
    const Table<StatsRow> t =
        table_columns(regions_csv_table(), {"kind", "label", "name", "center_gpa", "fit_state", "mean_gpa"});
    EXPECT_EQ(csv_line(t, rows[0]), "region,1,\"facet, A\",121,converged,120.5\n");
    EXPECT_EQ(csv_line(t, rows[1]), "region,2,binder,,too_few_points,120.5\n");  // undefined centre: empty
    EXPECT_EQ(csv_line(t, rows[2]), "class,,LNMO,,,120.5\n");                   // classes are not fitted
    EXPECT_EQ(csv_line(t, rows[3]), "map,,map,121,converged,120.5\n");
    EXPECT_TRUE(json_object(t, rows[1]).at("center_gpa").is_null());
}

TEST(Tables, SeriesEntryReadsBackWhatItWrote) {
    const ScanResult r = small_result();
    EntrySummary s;
    s.id = "c0";
    s.status = "ok";
    for (const RegionStats& reg : r.stats.regions) s.regions.push_back(region_row(reg));
    s.classes.push_back({class_row(r.stats.classes[0]), {}});
    TempDir dir;
    std::ofstream(dir.file("series_entry.json")) << entry_summary_json(s);
    const EntrySummary back = read_entry_summary(dir.file("series_entry.json"));
    ASSERT_EQ(back.regions.size(), 2u);
    ASSERT_EQ(back.classes.size(), 1u);
    for (std::size_t i = 0; i < 2; ++i)
        EXPECT_EQ(csv_line(entry_region_table(), back.regions[i]), csv_line(entry_region_table(), s.regions[i]));
    EXPECT_EQ(csv_line(entry_class_table(), back.classes[0].stats), csv_line(entry_class_table(), s.classes[0].stats));
    EXPECT_EQ(entry_summary_json(back), entry_summary_json(s));
}

TEST(Tables, DemoFindsRegionsCsvColumnsByName) {
    TempDir dir;
    std::ofstream(dir.file("regions.csv")) << regions_csv(small_result());
    const std::string script = (amfm_test::source_dir() / "scripts" / "csv_columns.py").string();
    const auto [regions, rc] = run("python3 " + script + " " + dir.file("regions.csv") +
                                   " region name class n_valid center_gpa sigma_gpa fit_state");
    EXPECT_EQ(rc, 0);
    EXPECT_EQ(regions, "facet, A\tLNMO\t90\t121\t6.5\tconverged\nbinder\tb/c\t90\t\t\ttoo_few_points\n");
    const auto [classes, rc_class] =
        run("python3 " + script + " " + dir.file("regions.csv") + " class name n_valid mean_gpa sd_gpa");
    EXPECT_EQ(rc_class, 0);
    EXPECT_EQ(classes, "LNMO\t90\t120.5\t7.25\n");
    EXPECT_EQ(run("python3 " + script + " " + dir.file("regions.csv") + " region no_such_column 2>/dev/null").second, 2);
}
