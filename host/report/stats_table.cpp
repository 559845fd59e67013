// The statistics row schema (rules in stats_table.hpp).
#include "host/report/stats_table.hpp"

#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <utility>

#include "host/model/table_format.hpp"

namespace amfm {
using nlohmann::json;

Cell count_cell(long long v) {
    Cell c;
    c.kind = Cell::Kind::Count;
    c.count = v;
    return c;
}

Cell number_cell(double v) {
    Cell c;
    c.kind = Cell::Kind::Number;
    c.number = v;
    return c;
}

Cell text_cell(std::string v) {
    Cell c;
    c.kind = Cell::Kind::Text;
    c.text = std::move(v);
    return c;
}

std::string csv_cell(const Cell& c) {
    switch (c.kind) {
        case Cell::Kind::Count: return std::to_string(c.count);
        case Cell::Kind::Number: return csv_number(c.number);
        case Cell::Kind::Text: return csv_text(c.text);
        case Cell::Kind::Empty: break;
    }
    return "";
}

json json_cell(const Cell& c) {
    switch (c.kind) {
        case Cell::Kind::Count: return c.count;
        case Cell::Kind::Number: return json_number(c.number);
        case Cell::Kind::Text: return c.text;
        case Cell::Kind::Empty: break;
    }
    return nullptr;
}

std::string console_cell(const Cell& c) {
    if (c.kind == Cell::Kind::Count) return std::to_string(c.count);
    if (c.kind != Cell::Kind::Number) return c.text;  // as written, unquoted
    if (!std::isfinite(c.number)) return "-";
    char buf[32];
    std::snprintf(buf, sizeof buf, c.number >= 100 ? "%.1f" : c.number >= 1 ? "%.2f" : "%.3f", c.number);
    return buf;
}

std::string console_pad(const std::string& text, int width) {
    const std::size_t w = (std::size_t)std::abs(width);
    if (text.size() >= w) return text;
    return width < 0 ? text + std::string(w - text.size(), ' ') : std::string(w - text.size(), ' ') + text;
}

std::string console_gaussian(const StatsRow& r) {
    if (!r.has_fit) return "";
    if (!std::isfinite(r.gaussian.center_gpa)) return "-";
    return console_cell(stats_column("center_gpa").value(r)) + " +- " + console_cell(stats_column("sigma_gpa").value(r));
}

StatsRow region_row(const RegionStats& r, const UncertaintyBudget& u) {
    StatsRow row;
    row.kind = "region";
    row.label = r.info.label;
    row.name = r.info.name;
    row.class_name = r.info.class_name;
    row.pixels = r.pixels;
    row.has_fit = true;
    row.hist = r.hist;
    row.gaussian = r.gaussian;
    row.quality = r.quality;
    row.uncertainty = u;
    return row;
}

StatsRow class_row(const ClassStats& c) {
    StatsRow row;
    row.kind = "class";
    row.name = row.class_name = c.class_name;
    row.pixels = c.pixels;
    row.n_fitted_regions = c.n_fitted_regions;
    row.region_center_mean_gpa = c.region_center_mean_gpa;
    row.region_center_sd_gpa = c.region_center_sd_gpa;
    return row;
}

StatsRow map_row(const RegionStats& whole_map, const UncertaintyBudget& u) {
    StatsRow row = region_row(whole_map, u);
    row.kind = "map";
    return row;
}

std::vector<StatsRow> scan_rows(const ScanResult& result) {
    std::vector<StatsRow> rows;
    // A result assembled without the indentation (tests) leaves the column undefined.
    auto median_nm = [](const std::vector<double>& medians, std::size_t i) {
        return i < medians.size() ? medians[i] : StatsRow::kUndefined;
    };
    const IndentationStats& indentation = result.indentation;
    const std::vector<UncertaintyBudget>& budgets = result.uncertainty.regions;
    for (const RegionStats& r : result.stats.regions) {
        const std::size_t i = rows.size();
        rows.push_back(region_row(r, i < budgets.size() ? budgets[i] : UncertaintyBudget{}));
        rows.back().indentation_median_nm = median_nm(indentation.region_median_nm, rows.size() - 1);
        if (!result.segmented) continue;
        for (const FacetInfo& f : result.segmentation.facets)
            if (f.label == r.info.label) {
                rows.back().normal_tilt_deg = f.tilt_deg;
                rows.back().normal_azimuth_deg = f.azimuth_deg;
                rows.back().area_um2 = f.area_um2;
                break;
            }
    }
    for (std::size_t c = 0; c < result.stats.classes.size(); ++c) {
        rows.push_back(class_row(result.stats.classes[c]));
        rows.back().indentation_median_nm = median_nm(indentation.class_median_nm, c);
    }
    rows.push_back(map_row(result.stats.whole_map, result.uncertainty.whole_map));
    rows.back().indentation_median_nm = indentation.map_median_nm;
    return rows;
}

namespace {

Cell cell_of(int v) { return count_cell(v); }
Cell cell_of(long long v) { return count_cell(v); }
Cell cell_of(double v) { return number_cell(v); }
Cell cell_of(const std::string& v) { return text_cell(v); }

void assign(int& v, const json& j) { v = j.get<int>(); }
void assign(long long& v, const json& j) { v = j.get<long long>(); }
void assign(double& v, const json& j) { v = j.is_null() ? StatsRow::kUndefined : j.get<double>(); }
void assign(std::string& v, const json& j) { v = j.get<std::string>(); }

// A column showing one member of the row (and reading it back); `field` maps a row to it.
template <class Field>
StatsColumn member(std::string name, std::string unit, Field field) {
    StatsColumn c{std::move(name), std::move(unit), {}, {}};
    c.value = [field](const StatsRow& r) { return cell_of(field(r)); };
    c.read = [field](StatsRow& r, const json& j) { assign(field(r), j); };
    return c;
}

StatsColumn derived(std::string name, std::string unit, std::function<Cell(const StatsRow&)> value) {
    return {std::move(name), std::move(unit), std::move(value), {}};
}

// Shown on rows with a histogram and Gaussian fit (regions, the map); empty on classes.
StatsColumn fit_only(StatsColumn c) {
    c.value = [get = std::move(c.value)](const StatsRow& r) { return r.has_fit ? get(r) : Cell{}; };
    return c;
}

// A fit parameter, defined only where the fit gave a centre.
StatsColumn fit_parameter(std::string name, std::string unit, double FitResult::*param) {
    return fit_only(derived(std::move(name), std::move(unit), [param](const StatsRow& r) {
        return number_cell(std::isfinite(r.gaussian.center_gpa) ? r.gaussian.fit.*param : StatsRow::kUndefined);
    }));
}

FitState parse_fit_state(const std::string& name) {
    for (FitState s : {FitState::Converged, FitState::MaxIterations, FitState::Singular, FitState::TooFewPoints})
        if (name == fit_state_name(s)) return s;
    throw std::invalid_argument("unknown fit state '" + name + "'");
}

StatsColumn quality_column() {
    StatsColumn c =
        fit_only(derived("quality", "", [](const StatsRow& r) { return text_cell(region_quality_name(r.quality)); }));
    // Series entries written before the state existed have none: their regions were reported as ok.
    c.read = [](StatsRow& r, const json& j) {
        r.quality = j.is_null() ? RegionQuality::Ok : parse_region_quality(j.get<std::string>());
    };
    return c;
}

// The fit's own centre or sigma (histogram axis units) wherever the fit gave numbers, also for a
// row whose centre is not presented.
StatsColumn raw_fit_parameter(std::string name, double FitResult::*param) {
    return fit_only(derived(std::move(name), "hist_axis", [param](const StatsRow& r) {
        const FitState s = r.gaussian.fit.state;
        const bool fitted = s == FitState::Converged || s == FitState::MaxIterations;
        return number_cell(fitted ? r.gaussian.fit.*param : StatsRow::kUndefined);
    }));
}

// Shares of the row's pixels (undefined for a row without pixels): valid, and lost to each reason.
void add_share_columns(std::vector<StatsColumn>& s) {
    auto share = [](long long part, long long whole) { return whole > 0 ? (double)part / whole : StatsRow::kUndefined; };
    s.push_back(derived("valid_fraction", "fraction", [share](const StatsRow& r) {
        return number_cell(share(r.pixels.n_valid, r.pixels.n_pixels));
    }));
    for (int b = 0; b < kMaskBitCount; ++b) {
        if (!((1u << b) & kMaskOutOfRegion)) continue;
        s.push_back(derived(std::string("lost_") + mask_bit_name(b) + "_fraction", "fraction", [b, share](const StatsRow& r) {
            return number_cell(share(r.pixels.lost[b], r.pixels.n_pixels));
        }));
    }
}

StatsColumn fit_state_column() {
    StatsColumn c = fit_only(
        derived("fit_state", "", [](const StatsRow& r) { return text_cell(fit_state_name(r.gaussian.fit.state)); }));
    c.read = [](StatsRow& r, const json& j) { r.gaussian.fit.state = parse_fit_state(j.get<std::string>()); };
    return c;
}

// The identification columns: what the row is, which region or class.
void add_identity_columns(std::vector<StatsColumn>& s) {
    s.push_back(derived("kind", "", [](const StatsRow& r) { return text_cell(r.kind); }));
    StatsColumn label = derived("label", "", [](const StatsRow& r) {
        return r.kind == "region" ? count_cell(r.label) : Cell{};
    });
    label.read = member("label", "", [](auto& r) -> auto& { return r.label; }).read;
    s.push_back(label);
    s.push_back(member("name", "", [](auto& r) -> auto& { return r.name; }));
    s.push_back(member("class", "", [](auto& r) -> auto& { return r.class_name; }));
}

void add_pixel_columns(std::vector<StatsColumn>& s) {
    s.push_back(member("n_pixels", "pixels", [](auto& r) -> auto& { return r.pixels.n_pixels; }));
    s.push_back(member("n_valid", "pixels", [](auto& r) -> auto& { return r.pixels.n_valid; }));
    for (int b = 0; b < kMaskBitCount; ++b)
        s.push_back(member(std::string("masked_") + mask_bit_name(b), "pixels",
                           [b](auto& r) -> auto& { return r.pixels.masked[b]; }));
    add_share_columns(s);
    s.push_back(member("mean_gpa", "GPa", [](auto& r) -> auto& { return r.pixels.mean_gpa; }));
    s.push_back(member("sd_gpa", "GPa", [](auto& r) -> auto& { return r.pixels.sd_gpa; }));
    s.push_back(member("median_gpa", "GPa", [](auto& r) -> auto& { return r.pixels.median_gpa; }));
    s.push_back(member("p05_gpa", "GPa", [](auto& r) -> auto& { return r.pixels.p05_gpa; }));
    s.push_back(member("p95_gpa", "GPa", [](auto& r) -> auto& { return r.pixels.p95_gpa; }));
}

void add_fit_columns(std::vector<StatsColumn>& s) {
    s.push_back(fit_only(member("center_gpa", "GPa", [](auto& r) -> auto& { return r.gaussian.center_gpa; })));
    s.push_back(fit_only(member("sigma_gpa", "GPa", [](auto& r) -> auto& { return r.gaussian.sigma_gpa; })));
    s.push_back(fit_only(member("fwhm_gpa", "GPa", [](auto& r) -> auto& { return r.gaussian.fwhm_gpa; })));
    s.push_back(fit_parameter("amplitude", "counts", &FitResult::amplitude));
    s.push_back(fit_parameter("r2", "", &FitResult::r2));
    s.push_back(fit_state_column());
    s.push_back(quality_column());
    s.push_back(fit_only(member("fit_iterations", "", [](auto& r) -> auto& { return r.gaussian.fit.iterations; })));
    s.push_back(fit_only(derived("hist_axis", "", [](const StatsRow& r) {
        return text_cell(r.hist.log10_axis ? "log10_gpa" : "gpa");
    })));
    s.push_back(fit_only(member("hist_lo", "hist_axis", [](auto& r) -> auto& { return r.hist.lo; })));
    s.push_back(fit_only(member("hist_hi", "hist_axis", [](auto& r) -> auto& { return r.hist.hi; })));
    s.push_back(fit_only(member("hist_bins", "", [](auto& r) -> auto& { return r.hist.nbins; })));
}

// The centre's uncertainty budget beside systematic_gpa (their sum in quadrature): each term alone.
void add_uncertainty_columns(std::vector<StatsColumn>& s) {
    s.push_back(member("center_se_gpa", "GPa", [](auto& r) -> auto& { return r.uncertainty.center_se_gpa; }));
    s.push_back(member("sigma_se_gpa", "GPa", [](auto& r) -> auto& { return r.uncertainty.sigma_se_gpa; }));
    s.push_back(member("systematic_radius_gpa", "GPa", [](auto& r) -> auto& { return r.uncertainty.radius_gpa; }));
    s.push_back(member("systematic_k1_gpa", "GPa", [](auto& r) -> auto& { return r.uncertainty.k1_gpa; }));
    s.push_back(member("systematic_kc_tilt_gpa", "GPa", [](auto& r) -> auto& { return r.uncertainty.kc_tilt_gpa; }));
    s.push_back(member("systematic_kc_fit_gpa", "GPa", [](auto& r) -> auto& { return r.uncertainty.kc_fit_gpa; }));
    s.push_back(member("combined_gpa", "GPa", [](auto& r) -> auto& { return r.uncertainty.combined_gpa; }));
}

std::vector<StatsColumn> make_schema() {
    std::vector<StatsColumn> s;
    add_identity_columns(s);
    add_pixel_columns(s);
    add_fit_columns(s);
    s.push_back(member("normal_tilt_deg", "deg", [](auto& r) -> auto& { return r.normal_tilt_deg; }));
    s.push_back(member("normal_azimuth_deg", "deg", [](auto& r) -> auto& { return r.normal_azimuth_deg; }));
    s.push_back(member("area_um2", "um^2", [](auto& r) -> auto& { return r.area_um2; }));
    s.push_back(member("systematic_gpa", "GPa", [](auto& r) -> auto& { return r.uncertainty.systematic_gpa; }));
    s.push_back(member("indentation_median_nm", "nm", [](auto& r) -> auto& { return r.indentation_median_nm; }));
    add_uncertainty_columns(s);
    // Not in regions.csv: the region name alone (empty on other rows), the rest of the fit, the
    // spread of a class's region centres.
    s.push_back(derived("region", "", [](const StatsRow& r) { return r.kind == "region" ? text_cell(r.name) : Cell{}; }));
    s.push_back(fit_parameter("fit_offset", "counts", &FitResult::offset));
    s.push_back(raw_fit_parameter("fit_center", &FitResult::center));
    s.push_back(raw_fit_parameter("fit_sigma", &FitResult::sigma));
    s.push_back(fit_only(member("fit_chi2", "counts^2", [](auto& r) -> auto& { return r.gaussian.fit.chi2; })));
    s.push_back(member("n_fitted_regions", "", [](auto& r) -> auto& { return r.n_fitted_regions; }));
    s.push_back(member("region_center_mean_gpa", "GPa", [](auto& r) -> auto& { return r.region_center_mean_gpa; }));
    s.push_back(member("region_center_sd_gpa", "GPa", [](auto& r) -> auto& { return r.region_center_sd_gpa; }));
    return s;
}

}  // namespace

const std::vector<StatsColumn>& stats_schema() {
    static const std::vector<StatsColumn> schema = make_schema();
    return schema;
}

const StatsColumn& stats_column(const std::string& name) {
    for (const StatsColumn& c : stats_schema())
        if (c.name == name) return c;
    throw std::logic_error("statistics table column '" + name + "' is not in the schema");
}

void read_json_object(const Table<StatsRow>& t, const json& j, StatsRow& row) {
    static const json null_value;
    for (const Column<StatsRow>& c : t) {
        if (!c.read) throw std::logic_error("statistics table column '" + c.header + "' cannot be read back");
        const auto it = j.find(c.header);
        c.read(row, it == j.end() ? null_value : *it);
    }
}

}  // namespace amfm
