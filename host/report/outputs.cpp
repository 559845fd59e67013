// The results folder of one processed scan.
#include "host/report/outputs.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <exception>
#include <filesystem>
#include <functional>
#include <future>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>
#include <vector>

#include "amfm/kernels/error.hpp"
#include "host/formats/gsf.hpp"
#include "host/formats/gwy.hpp"
#include "host/formats/tiff_io.hpp"
#include "host/model/file_io.hpp"
#include "host/model/output_folder.hpp"
#include "host/model/table_format.hpp"
#include "host/model/text.hpp"
#include "host/report/figures.hpp"
#include "host/report/results_gwy.hpp"
#include "host/report/segmentation_outputs.hpp"
#include "host/report/stats_table.hpp"

namespace amfm {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// A YAML scalar as the JSON type it reads as.
json yaml_to_json(const YAML::Node& n) {
    switch (n.Type()) {
        case YAML::NodeType::Map: {
            json j = json::object();
            for (const auto& kv : n) j[kv.first.as<std::string>()] = yaml_to_json(kv.second);
            return j;
        }
        case YAML::NodeType::Sequence: {
            json j = json::array();
            for (const auto& e : n) j.push_back(yaml_to_json(e));
            return j;
        }
        case YAML::NodeType::Scalar: {
            const std::string s = n.Scalar();
            if (s == "true" || s == "false") return s == "true";
            if (n.Tag() != "!") {  // unquoted: maybe a number
                char* end = nullptr;
                const double d = std::strtod(s.c_str(), &end);
                if (!s.empty() && end && *end == '\0') return json_number(d);
            }
            return s;
        }
        default:
            return nullptr;
    }
}

// The centre's uncertainty budget term by term (systematic_gpa is their systematic sum).
constexpr const char* kUncertaintyTerms[] = {"center_se_gpa",          "sigma_se_gpa",          "systematic_radius_gpa",
                                             "systematic_k1_gpa",      "systematic_kc_tilt_gpa", "systematic_kc_fit_gpa",
                                             "combined_gpa"};

// regions.json nests a row's columns in groups, named as that file names them.
const Table<StatsRow>& pixels_json_table() {
    static const Table<StatsRow> t =
        stats_cols<StatsRow>({"n_pixels", "n_valid", "valid_fraction", "mean_gpa", "sd_gpa", "median_gpa", "p05_gpa",
                              "p95_gpa", "indentation_median_nm"});
    return t;
}

const Table<StatsRow>& gaussian_json_table() {
    static const Table<StatsRow> t = [] {
        Table<StatsRow> g = stats_cols<StatsRow>({"center_gpa", "sigma_gpa", "fwhm_gpa", "systematic_gpa", "amplitude", "r2",
                                                  "quality"});
        // systematic_gpa comes from R, k1 and the Kc curve: the same for every pixel of the
        // region, so it shifts the whole distribution and is not part of sigma.
        for (const char* n : kUncertaintyTerms) g.push_back(stats_col<StatsRow>(n));
        for (const auto& [header, name] : {std::pair<const char*, const char*>{"offset", "fit_offset"},
                                           {"chi2", "fit_chi2"}, {"iterations", "fit_iterations"}, {"state", "fit_state"},
                                           {"fit_center", "fit_center"}, {"fit_sigma", "fit_sigma"}})
            g.push_back(stats_col<StatsRow>(name, header));
        return g;
    }();
    return t;
}

const Table<StatsRow>& histogram_json_table() {
    static const Table<StatsRow> t = {stats_col<StatsRow>("hist_axis", "axis"), stats_col<StatsRow>("hist_lo", "lo"),
                                      stats_col<StatsRow>("hist_hi", "hi"), stats_col<StatsRow>("hist_bins", "bins")};
    return t;
}

const Table<StatsRow>& region_json_table() {
    static const Table<StatsRow> t = [] {
        // The map object carries its label (0) too, where regions.csv leaves the map's empty.
        Table<StatsRow> r = {{"label", [](const StatsRow& row) { return count_cell(row.label); }, "", {}}};
        for (const auto& c : stats_cols<StatsRow>({"name", "class", "n_pixels", "n_valid"})) r.push_back(c);
        return r;
    }();
    return t;
}

const Table<StatsRow>& class_json_table() {
    static const Table<StatsRow> t =
        stats_cols<StatsRow>({"class", "n_fitted_regions", "region_center_mean_gpa", "region_center_sd_gpa"});
    return t;
}

json pixel_stats_json(const StatsRow& row) {
    json j = json_object(pixels_json_table(), row);
    json masked = json::object();
    for (int b = 0; b < kMaskBitCount; ++b) masked[mask_bit_name(b)] = row.pixels.masked[b];
    j["masked"] = masked;
    json lost = json::object();  // shares of the pixels, by the reason each is lost to
    for (int b = 0; b < kMaskBitCount; ++b)
        if ((1u << b) & kMaskOutOfRegion)
            lost[mask_bit_name(b)] = json_cell(stats_column(std::string("lost_") + mask_bit_name(b) + "_fraction").value(row));
    j["lost_fraction"] = lost;
    return j;
}

json region_json(const StatsRow& row, const RegionStats& stats, double cutoff_deg) {
    const std::vector<std::uint32_t>& counts = stats.counts;
    json j = json_object(region_json_table(), row);
    const std::string warning = region_quality_warning(stats, cutoff_deg);
    j["warning"] = warning.empty() ? json(nullptr) : json(warning);
    j["gaussian"] = json_object(gaussian_json_table(), row);
    j["pixels"] = pixel_stats_json(row);
    j["histogram"] = json_object(histogram_json_table(), row);
    j["histogram"]["counts"] = counts;
    return j;
}

std::string safe_file_part(const std::string& s) {
    std::string o;
    for (char c : s) o += std::isalnum((unsigned char)c) || c == '-' || c == '_' ? c : '_';
    return o.empty() ? "region" : o;
}

}  // namespace

void run_concurrently(const std::vector<std::function<void()>>& jobs) {
    const std::size_t threads = std::min<std::size_t>({jobs.size(), 4, std::max(1u, std::thread::hardware_concurrency())});
    std::atomic<std::size_t> next{0};
    std::mutex error_mutex;
    std::exception_ptr error;
    auto worker = [&] {
        for (std::size_t i; (i = next++) < jobs.size();) {
            try {
                jobs[i]();
            } catch (...) {
                const std::lock_guard<std::mutex> lock(error_mutex);
                if (!error) error = std::current_exception();
            }
        }
    };
    std::vector<std::future<void>> helpers;
    for (std::size_t t = 1; t < threads; ++t) helpers.push_back(std::async(std::launch::async, worker));
    worker();
    for (auto& h : helpers) h.get();
    if (error) std::rethrow_exception(error);
}

namespace {

template <class T>
GsfField gsf_field(const char* title, const char* unit_z, const Image<T>& img, double scale, const Scan& scan) {
    GsfField f;
    f.title = title;
    f.unit_z = unit_z;
    f.xreal = scan.pixel_size_x_m() * img.nx;
    f.yreal = scan.pixel_size_y_m() * img.ny;
    f.data = Image<float>(img.nx, img.ny);
    for (std::size_t i = 0; i < img.size(); ++i) f.data.px[i] = (float)(scale * (double)img.px[i]);
    return f;
}

// The maps as TIFFs (Fiji: pixel size and value unit) and as Gwyddion Simple Fields (Gwyddion:
// physical size, unit and title). The .gsf modulus is in Pa, as in results.gwy: Gwyddion reads
// "GPa" as Pa without scaling the values, so a plain SI unit is the one that survives.
void write_maps(const fs::path& dir, const Scan& scan, const ScanResult& result) {
    const double px = scan.pixel_size_x_m(), py = scan.pixel_size_y_m();
    auto calibration = [&](const std::string& description, const std::string& value_unit) {
        TiffCalibration cal;
        cal.pixel_size_x_m = px;
        cal.pixel_size_y_m = py;
        cal.description = description;
        cal.value_unit = value_unit;
        return cal;
    };
    const std::string mask_bits = "1 tilt>cutoff, 2 cos(phi1)<=0, 4 df2<=0, 8 non-finite input, 16 unlabelled";
    write_tiff((dir / "modulus_gpa.tif").string(), result.modulus_gpa,
               calibration("tilt-corrected AM-FM modulus, GPa, NaN where masked", "GPa"));
    write_tiff((dir / "indentation_nm.tif").string(), result.indentation_nm,
               calibration("flat-punch indentation depth, nm, NaN where masked", "nm"));
    write_tiff((dir / "tilt_deg.tif").string(), result.tilt_deg, calibration("local surface tilt, degrees", "deg"));
    write_tiff((dir / "mask.tif").string(), result.mask, calibration("mask reason bits: " + mask_bits, ""));
    if (result.segmented) write_labels_tiff((dir / "labels.tif").string(), result.segmentation, px, py);

    write_gsf((dir / "modulus_gpa.gsf").string(),
              gsf_field("Modulus (tilt-corrected)", "Pa", result.modulus_gpa, 1.0e9, scan));
    write_gsf((dir / "tilt_deg.gsf").string(), gsf_field("Tilt", "deg", result.tilt_deg, 1.0, scan));
    GsfField mask = gsf_field("Mask reason bits", "", result.mask, 1.0, scan);
    mask.meta["MaskBits"] = mask_bits;
    write_gsf((dir / "mask.gsf").string(), mask);
}

}  // namespace

const Table<StatsRow>& regions_csv_table() {
    static const Table<StatsRow> t = [] {
        constexpr int kFirstMaskBits = 5;  // the reason bits regions.csv had from the start
        std::vector<std::string> names = {"kind", "label", "name", "class", "n_pixels", "n_valid"};
        for (int b = 0; b < kFirstMaskBits; ++b) names.push_back(std::string("masked_") + mask_bit_name(b));
        for (const char* n : {"mean_gpa", "sd_gpa", "median_gpa", "p05_gpa", "p95_gpa", "center_gpa", "sigma_gpa",
                              "fwhm_gpa", "amplitude", "r2", "fit_state", "fit_iterations", "hist_axis", "hist_lo",
                              "hist_hi", "hist_bins", "normal_tilt_deg", "normal_azimuth_deg", "area_um2",
                              "systematic_gpa"})
            names.push_back(n);
        // Added later, so at the end: the columns scripts know keep their places.
        names.push_back("quality");
        names.push_back("valid_fraction");
        for (int b = 0; b < kMaskBitCount; ++b)
            if ((1u << b) & kMaskOutOfRegion) names.push_back(std::string("lost_") + mask_bit_name(b) + "_fraction");
        names.push_back("indentation_median_nm");
        for (int b = kFirstMaskBits; b < kMaskBitCount; ++b) names.push_back(std::string("masked_") + mask_bit_name(b));
        for (const char* n : kUncertaintyTerms) names.push_back(n);
        return stats_cols<StatsRow>(names);
    }();
    return t;
}

std::string regions_csv(const ScanResult& result) { return csv_table(regions_csv_table(), scan_rows(result)); }

std::string regions_json(const Scan& scan, const ScanResult& result, const RunInfo& run) {
    // scan_rows: the regions, the classes, then the map, in the order of result.stats.
    const std::vector<StatsRow> rows = scan_rows(result);
    const std::size_t n_regions = result.stats.regions.size();
    const double cutoff_deg = scan.config.tilt_correction.max_angle_deg;
    json regions = json::array();
    for (std::size_t i = 0; i < n_regions; ++i) regions.push_back(region_json(rows[i], result.stats.regions[i], cutoff_deg));
    json classes = json::array();
    for (std::size_t i = 0; i < result.stats.classes.size(); ++i) {
        const StatsRow& row = rows[n_regions + i];
        json j = pixel_stats_json(row);
        j.update(json_object(class_json_table(), row));
        j["labels"] = result.stats.classes[i].labels;
        classes.push_back(j);
    }
    json inputs = json::array();
    for (const InputFile& f : scan.inputs)
        inputs.push_back({{"role", f.role}, {"path", f.path}, {"sha256", f.sha256}});
    const ScanConfig& cfg = scan.config;
    json doc;
    doc["amfm"] = {{"version", run.version}, {"command", run.command_line}, {"created", utc_now_iso()}};
    doc["run"] = {{"backend", result.backend_name},
                  {"device", result.backend_device},
                  {"seconds_pixel_stage", result.seconds_pixel_stage},
                  {"seconds_statistics", result.seconds_statistics}};
    doc["scan"] = {{"source", cfg.source},
                   {"sample", cfg.sample},
                   {"cycle", cfg.cycle >= 0 ? json(cfg.cycle) : json(nullptr)},
                   {"nx", scan.nx()},
                   {"ny", scan.ny()},
                   {"pixel_size_x_m", scan.pixel_size_x_m()},
                   {"pixel_size_y_m", scan.pixel_size_y_m()},
                   {"inputs", inputs}};
    if (!scan.file_metadata.empty()) doc["scan"]["file_metadata"] = scan.file_metadata;
    doc["parameters"] = yaml_to_json(YAML::Load(config_to_yaml(cfg)));
    doc["mask_bits"] = json::object();
    for (int b = 0; b < kMaskBitCount; ++b) doc["mask_bits"][mask_bit_name(b)] = 1 << b;
    doc["regions"] = regions;
    doc["classes"] = classes;
    doc["map"] = region_json(rows.back(), result.stats.whole_map, cutoff_deg);
    const ScanUncertainty& u = result.uncertainty;
    doc["systematic_uncertainty_rel"] = json_number(u.calibration.total_rel > 0.0 ? u.calibration.total_rel : NAN);
    doc["tilt_noise"] = {{"height_noise_nm", json_number(u.height_noise_m * 1e9)},
                         {"tilt_noise_deg", json_number(u.tilt_noise_deg)}};
    doc["warnings"] = json::array();  // the sanity checks' and the regions' (quality not ok)
    for (const SanityWarning& w : result.warnings) doc["warnings"].push_back({{"code", w.code}, {"message", w.message}});
    if (result.segmented) doc["segmentation"] = segmentation_json(result.segmentation, cfg.regions.automatic);
    return json_text(doc, 2) + "\n";
}

void write_scan_files(const Scan& scan, const ScanResult& result, const fs::path& dir, const RunInfo& run) {
    const OutputsConfig& want = scan.config.outputs;
    const double px = scan.pixel_size_x_m();
    if (want.maps) write_maps(dir, scan, result);
    write_file_atomic(dir / "regions.csv", regions_csv(result));
    write_file_atomic(dir / "regions.json", regions_json(scan, result, run));
    if (want.gwy) write_scan_gwy((dir / "results.gwy").string(), scan, result, run);
    if (want.figures.empty()) return;
    const std::string name = scan.config.sample.empty() ? std::string("scan") : utf8_text(scan.config.sample);
    auto at = [&](const std::string& file) { return (dir / file).string(); };
    const plot::FigureOptions out_fig = figure_options(want);
    MapFigure modulus{"Corrected modulus – " + name, "E (GPa)", true, 0.0, 0.0, px, map_colormap(want)};
    if (want.fixed_range) modulus.lo = want.range_lo_gpa, modulus.hi = want.range_hi_gpa;
    std::vector<std::function<void()>> figures;
    figures.push_back([&] { save_map_figure(at("fig_modulus"), result.modulus_gpa, modulus, out_fig); });
    figures.push_back([&] {
        save_map_figure(at("fig_tilt"), result.tilt_deg,
                        MapFigure{"Local tilt – " + name, "θ (°)", false, 0.0, 90.0, px, plot::Colormap::Inferno},
                        out_fig);
    });
    if (!result.indentation_nm.px.empty())
        figures.push_back([&] {
            save_map_figure(at("fig_indentation"), result.indentation_nm,
                            MapFigure{"Indentation depth – " + name, "δ (nm)", false, 0.0, 0.0, px,
                                      plot::Colormap::Viridis},
                            out_fig);
        });
    figures.push_back(
        [&] { save_mask_overlay_figure(at("fig_mask"), result.height_leveled_m, result.mask, px, out_fig); });
    if (result.segmented) {
        figures.push_back([&] {
            save_regions_overlay_figure(at("fig_regions"), result.height_leveled_m, result.regions,
                                        "Automatic regions – " + name, px, out_fig);
        });
        figures.push_back([&] {
            save_normals_figure(at("fig_normals"), result.height_leveled_m, result.segmentation, result.regions, px,
                                scan.pixel_size_y_m(), "Surface normals – " + name, out_fig);
        });
    }
    figures.push_back([&] {
        save_histogram_overview_figure(at("fig_histograms"), result.stats, "Modulus distributions – " + name, out_fig);
    });
    for (const RegionStats& r : result.stats.regions)
        figures.push_back([&] {
            save_region_histogram_figure(at("hist_" + std::to_string(r.info.label) + "_" + safe_file_part(r.info.name)),
                                         r, utf8_text("Region " + r.info.name + " (" + r.info.class_name + ")"), out_fig);
        });
    run_concurrently(figures);
}

void write_scan_outputs(const Scan& scan, const ScanResult& result, const std::string& out_dir,
                        const RunInfo& run) {
    try {
        StagedFolder folder(out_dir);
        write_scan_files(scan, result, folder.path(), run);
        folder.commit();
    } catch (const fs::filesystem_error& e) {
        throw DataError(out_dir + ": " + e.what());
    }
}

}  // namespace amfm
