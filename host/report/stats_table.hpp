// One schema for every statistics table. A region, a class or the whole map is one StatsRow; the
// schema lists the columns such a row can show (name, unit, value, number format), and every
// table (regions.csv/json, stack.csv, the series tables, the console summaries) is a list of
// schema columns, under their schema name or the header an existing file format gives them,
// plus columns of its own (page, cycle, scan). A quantity is so computed and formatted in one place.
#pragma once

#include <functional>
#include <limits>
#include <stdexcept>
#include <nlohmann/json.hpp>
#include <string>
#include <type_traits>
#include <vector>

#include "host/method/pipeline.hpp"
#include "host/method/statistics.hpp"
#include "host/method/uncertainty.hpp"

namespace amfm {

// One table cell: nothing (an empty CSV field, JSON null), a count, a number (undefined when not
// finite: empty field / null, never "nan") or text.
struct Cell {
    enum class Kind { Empty, Count, Number, Text };
    Kind kind = Kind::Empty;
    long long count = 0;
    double number = 0.0;
    std::string text;
};
Cell count_cell(long long v);
Cell number_cell(double v);
Cell text_cell(std::string v);

std::string csv_cell(const Cell& c);  // as table_format.hpp writes numbers and text
nlohmann::json json_cell(const Cell& c);
// Console text is unquoted; numbers are moduli in GPa: 1 decimal from 100, 2 from 1, else 3;
// "-" when undefined.
std::string console_cell(const Cell& c);

// The statistics of one table row: a region, a class or the whole map.
struct StatsRow {
    static constexpr double kUndefined = std::numeric_limits<double>::quiet_NaN();
    std::string kind;        // "region", "class" or "map"
    int label = 0;           // the region's label (0 for the map)
    std::string name;        // the region's name; the class name for a class, "map" for the map
    std::string class_name;  // "all" for the map
    PixelStats pixels;
    bool has_fit = false;  // regions and the map: a histogram and its Gaussian fit; classes neither
    HistSpec hist;
    GaussianSummary gaussian;
    RegionQuality quality = RegionQuality::Ok;  // rows with a fit: whether the centre is presented
    UncertaintyBudget uncertainty;  // of the Gaussian centre: statistical and systematic terms (uncertainty.hpp)
    double indentation_median_nm = kUndefined;  // of the valid pixels (scan_rows; indentation.hpp)
    double normal_tilt_deg = kUndefined, normal_azimuth_deg = kUndefined, area_um2 = kUndefined;  // automatic facets
    int n_fitted_regions = 0;  // classes: the spread of their regions' Gaussian centres
    double region_center_mean_gpa = kUndefined, region_center_sd_gpa = kUndefined;
};

// `u`: the centre's uncertainty budget (ScanResult::uncertainty; none: every term undefined).
StatsRow region_row(const RegionStats& r, const UncertaintyBudget& u = {});
StatsRow class_row(const ClassStats& c);
StatsRow map_row(const RegionStats& whole_map, const UncertaintyBudget& u = {});
// A processed scan's rows in table order: its regions (with their facet geometry when the
// regions are automatic facets), its classes, then the whole map; each with its median indentation.
std::vector<StatsRow> scan_rows(const ScanResult& result);

struct StatsColumn {
    std::string name;  // as regions.csv heads it
    std::string unit;  // "GPa", "deg", "um^2", "pixels", "counts", ...; "" for labels and text
    std::function<Cell(const StatsRow&)> value;
    std::function<void(StatsRow&, const nlohmann::json&)> read;  // from a JSON value written by json_cell
};
// Every column, in regions.csv order, then those regions.csv does not show.
const std::vector<StatsColumn>& stats_schema();
const StatsColumn& stats_column(const std::string& name);  // std::logic_error for a name not in the schema

// A table column: a schema column (`schema_name` set) or one of the table's own.
template <class Row>
struct Column {
    std::string header;
    std::function<Cell(const Row&)> value;
    std::string schema_name;                              // "" for the table's own columns
    std::function<void(Row&, const nlohmann::json&)> read;  // schema columns of StatsRow tables
};
template <class Row>
using Table = std::vector<Column<Row>>;

// A table's rows are StatsRows, or hold one as `stats` beside their own fields.
inline const StatsRow& stats_of(const StatsRow& r) { return r; }
template <class Row>
const StatsRow& stats_of(const Row& r) {
    return r.stats;
}

// The schema column `name`, headed `header` (default: its schema name).
template <class Row>
Column<Row> stats_col(const std::string& name, const std::string& header = "") {
    const StatsColumn& c = stats_column(name);
    Column<Row> col{header.empty() ? c.name : header, [get = c.value](const Row& r) { return get(stats_of(r)); },
                    c.name, {}};
    if constexpr (std::is_same_v<Row, StatsRow>) col.read = c.read;
    return col;
}

// Schema columns under their schema names.
template <class Row>
Table<Row> stats_cols(const std::vector<std::string>& names) {
    Table<Row> t;
    for (const std::string& n : names) t.push_back(stats_col<Row>(n));
    return t;
}

// The columns of `t` headed `headers`, in that order (std::logic_error for a header not in `t`):
// a JSON view of a CSV table.
template <class Row>
Table<Row> table_columns(const Table<Row>& t, const std::vector<std::string>& headers) {
    Table<Row> out;
    for (const std::string& h : headers) {
        auto it = t.begin();
        while (it != t.end() && it->header != h) ++it;
        if (it == t.end()) throw std::logic_error("table column '" + h + "' is not in the table");
        out.push_back(*it);
    }
    return out;
}

template <class Row>
std::string csv_header(const Table<Row>& t) {
    std::string s;
    for (const Column<Row>& c : t) s += (s.empty() ? "" : ",") + c.header;
    return s + "\n";
}

template <class Row>
std::string csv_line(const Table<Row>& t, const Row& r) {
    std::string s;
    for (std::size_t i = 0; i < t.size(); ++i) s += (i ? "," : "") + csv_cell(t[i].value(r));
    return s + "\n";
}

template <class Row>
std::string csv_table(const Table<Row>& t, const std::vector<Row>& rows) {
    std::string s = csv_header(t);
    for (const Row& r : rows) s += csv_line(t, r);
    return s;
}

template <class Row>
nlohmann::json json_object(const Table<Row>& t, const Row& r) {
    nlohmann::json j = nlohmann::json::object();
    for (const Column<Row>& c : t) j[c.header] = json_cell(c.value(r));
    return j;
}

// The inverse of json_object for a StatsRow table: nlohmann::json::exception when a key is
// missing or of the wrong type (a missing or null number reads as undefined),
// std::invalid_argument for an unknown fit state.
void read_json_object(const Table<StatsRow>& t, const nlohmann::json& j, StatsRow& row);

// A console table column, printf-like: `width` < 0 left-aligns, `gap` spaces go before it.
template <class Row>
struct ConsoleColumn {
    std::string header;
    int width = 0, gap = 1;
    std::function<std::string(const Row&)> text;
};

std::string console_pad(const std::string& text, int width);

template <class Row>
std::string console_header(const std::vector<ConsoleColumn<Row>>& t) {
    std::string s;
    for (std::size_t i = 0; i < t.size(); ++i) s += std::string(i ? t[i].gap : 0, ' ') + console_pad(t[i].header, t[i].width);
    return s + "\n";
}

template <class Row>
std::string console_line(const std::vector<ConsoleColumn<Row>>& t, const Row& r) {
    std::string s;
    for (std::size_t i = 0; i < t.size(); ++i) s += std::string(i ? t[i].gap : 0, ' ') + console_pad(t[i].text(r), t[i].width);
    return s + "\n";
}

// "centre +- sigma" of a row's Gaussian for the console; "" for rows without a fit, "-" for rows
// whose centre is not presented (a failed fit, a region that is not `ok`).
std::string console_gaussian(const StatsRow& r);

}  // namespace amfm
