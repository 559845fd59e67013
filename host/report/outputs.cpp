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

#include <unistd.h>

#include "amfm/kernels/error.hpp"
#include "host/formats/gwy.hpp"
#include "host/formats/tiff_io.hpp"
#include "host/model/file_io.hpp"
#include "host/model/table_format.hpp"
#include "host/report/figures.hpp"
#include "host/report/results_gwy.hpp"
#include "host/report/segmentation_outputs.hpp"

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

json pixel_stats_json(const PixelStats& p) {
    json masked = json::object();
    for (int b = 0; b < kMaskBitCount; ++b) masked[mask_bit_name(b)] = p.masked[b];
    return {{"n_pixels", p.n_pixels}, {"n_valid", p.n_valid},     {"masked", masked},
            {"mean_gpa", json_number(p.mean_gpa)}, {"sd_gpa", json_number(p.sd_gpa)},
            {"median_gpa", json_number(p.median_gpa)}, {"p05_gpa", json_number(p.p05_gpa)},
            {"p95_gpa", json_number(p.p95_gpa)}};
}

json region_json(const RegionStats& r, double systematic_rel) {
    const FitResult& f = r.gaussian.fit;
    json hist = {{"axis", r.hist.log10_axis ? "log10_gpa" : "gpa"},
                 {"lo", r.hist.lo},
                 {"hi", r.hist.hi},
                 {"bins", r.hist.nbins},
                 {"counts", r.counts}};
    const bool fitted = std::isfinite(r.gaussian.center_gpa);
    json gauss = {{"center_gpa", json_number(r.gaussian.center_gpa)},
                  {"sigma_gpa", json_number(r.gaussian.sigma_gpa)},
                  {"fwhm_gpa", json_number(r.gaussian.fwhm_gpa)},
                  // From the calibration uncertainty of R (and k1): the same for every pixel, so
                  // it shifts the whole distribution and is not part of sigma.
                  {"systematic_gpa", json_number(systematic_rel > 0.0 ? r.gaussian.center_gpa * systematic_rel : NAN)},
                  {"amplitude", json_number(fitted ? f.amplitude : NAN)},
                  {"offset", json_number(fitted ? f.offset : NAN)},
                  {"r2", json_number(fitted ? f.r2 : NAN)},
                  {"chi2", json_number(f.chi2)},
                  {"iterations", f.iterations},
                  {"state", fit_state_name(f.state)}};
    return {{"label", r.info.label}, {"name", r.info.name}, {"class", r.info.class_name},
            {"n_pixels", r.pixels.n_pixels}, {"n_valid", r.pixels.n_valid},
            {"gaussian", gauss}, {"pixels", pixel_stats_json(r.pixels)}, {"histogram", hist}};
}

std::string safe_file_part(const std::string& s) {
    std::string o;
    for (char c : s) o += std::isalnum((unsigned char)c) || c == '-' || c == '_' ? c : '_';
    return o.empty() ? "region" : o;
}

// Runs independent jobs on up to four threads (this one included), each taking the next job:
// the figures share no state, and drawing plus PNG encoding is most of a results folder's cost.
// The first exception is rethrown once every thread is done.
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

}  // namespace

std::string regions_csv(const ScanResult& result) {
    std::ostringstream s;
    s << "kind,label,name,class,n_pixels,n_valid";
    for (int b = 0; b < kMaskBitCount; ++b) s << ",masked_" << mask_bit_name(b);
    s << ",mean_gpa,sd_gpa,median_gpa,p05_gpa,p95_gpa,center_gpa,sigma_gpa,fwhm_gpa,amplitude,r2,"
         "fit_state,fit_iterations,hist_axis,hist_lo,hist_hi,hist_bins,normal_tilt_deg,normal_azimuth_deg,"
         "area_um2,systematic_gpa\n";
    // Automatic facets: their mean normal and area (empty for other rows).
    auto facet_of = [&](const std::string& label) -> const FacetInfo* {
        if (!result.segmented) return nullptr;
        for (const FacetInfo& f : result.segmentation.facets)
            if (std::to_string(f.label) == label) return &f;
        return nullptr;
    };
    auto row = [&](const std::string& kind, const std::string& label, const std::string& name,
                   const std::string& cls, const PixelStats& p, const RegionStats* r) {
        s << kind << ',' << label << ',' << csv_text(name) << ',' << csv_text(cls) << ',' << p.n_pixels
          << ',' << p.n_valid;
        for (int b = 0; b < kMaskBitCount; ++b) s << ',' << p.masked[b];
        s << ',' << csv_number(p.mean_gpa) << ',' << csv_number(p.sd_gpa) << ','
          << csv_number(p.median_gpa) << ',' << csv_number(p.p05_gpa) << ',' << csv_number(p.p95_gpa);
        if (r) {
            const bool fitted = std::isfinite(r->gaussian.center_gpa);
            s << ',' << csv_number(r->gaussian.center_gpa) << ',' << csv_number(r->gaussian.sigma_gpa)
              << ',' << csv_number(r->gaussian.fwhm_gpa) << ','
              << csv_number(fitted ? r->gaussian.fit.amplitude : NAN) << ','
              << csv_number(fitted ? r->gaussian.fit.r2 : NAN) << ',' << fit_state_name(r->gaussian.fit.state)
              << ',' << r->gaussian.fit.iterations << ',' << (r->hist.log10_axis ? "log10_gpa" : "gpa")
              << ',' << csv_number(r->hist.lo) << ',' << csv_number(r->hist.hi) << ',' << r->hist.nbins;
        } else {
            s << ",,,,,,,,,,,";
        }
        if (const FacetInfo* f = kind == "region" ? facet_of(label) : nullptr)
            s << ',' << csv_number(f->tilt_deg) << ',' << csv_number(f->azimuth_deg) << ',' << csv_number(f->area_um2);
        else
            s << ",,,";
        s << ',' << csv_number(r && result.systematic_rel > 0.0 ? r->gaussian.center_gpa * result.systematic_rel : NAN);
        s << '\n';
    };
    for (const RegionStats& r : result.stats.regions)
        row("region", std::to_string(r.info.label), r.info.name, r.info.class_name, r.pixels, &r);
    for (const ClassStats& c : result.stats.classes) row("class", "", c.class_name, c.class_name, c.pixels, nullptr);
    row("map", "", "map", "all", result.stats.whole_map.pixels, &result.stats.whole_map);
    return s.str();
}

std::string regions_json(const Scan& scan, const ScanResult& result, const RunInfo& run) {
    json regions = json::array();
    for (const RegionStats& r : result.stats.regions) regions.push_back(region_json(r, result.systematic_rel));
    json classes = json::array();
    for (const ClassStats& c : result.stats.classes) {
        json j = pixel_stats_json(c.pixels);
        j["class"] = c.class_name;
        j["labels"] = c.labels;
        j["n_fitted_regions"] = c.n_fitted_regions;
        j["region_center_mean_gpa"] = json_number(c.region_center_mean_gpa);
        j["region_center_sd_gpa"] = json_number(c.region_center_sd_gpa);
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
    doc["parameters"] = yaml_to_json(YAML::Load(config_to_yaml(cfg)));
    doc["mask_bits"] = json::object();
    for (int b = 0; b < kMaskBitCount; ++b) doc["mask_bits"][mask_bit_name(b)] = 1 << b;
    doc["regions"] = regions;
    doc["classes"] = classes;
    doc["map"] = region_json(result.stats.whole_map, result.systematic_rel);
    doc["systematic_uncertainty_rel"] = json_number(result.systematic_rel > 0.0 ? result.systematic_rel : NAN);
    if (result.segmented) doc["segmentation"] = segmentation_json(result.segmentation, cfg.regions.automatic);
    return doc.dump(2) + "\n";
}

void write_scan_outputs(const Scan& scan, const ScanResult& result, const std::string& out_dir,
                        const RunInfo& run) {
    const OutputsConfig& want = scan.config.outputs;
    const fs::path out(out_dir);
    const fs::path staging = out.parent_path() / (out.filename().string() + ".partial-" + std::to_string(getpid()));
    std::error_code ec;
    fs::remove_all(staging, ec);
    if (!fs::create_directories(staging, ec) && ec)
        throw DataError(out_dir + ": cannot create output folder (" + ec.message() + ")");
    try {
        const double px = scan.pixel_size_x_m(), py = scan.pixel_size_y_m();
        if (want.maps) {
            write_tiff((staging / "modulus_gpa.tif").string(), result.modulus_gpa,
                       TiffCalibration{px, py, "tilt-corrected AM-FM modulus, GPa, NaN where masked"});
            write_tiff((staging / "tilt_deg.tif").string(), result.tilt_deg,
                       TiffCalibration{px, py, "local surface tilt, degrees"});
            write_tiff((staging / "mask.tif").string(), result.mask,
                       TiffCalibration{px, py, "mask reason bits: 1 tilt>cutoff, 2 cos(phi1)<=0, 4 df2<=0, "
                                               "8 non-finite input, 16 unlabelled"});
            if (result.segmented)
                write_labels_tiff((staging / "labels.tif").string(), result.segmentation, px, py);
        }
        write_file_atomic(staging / "regions.csv", regions_csv(result));
        write_file_atomic(staging / "regions.json", regions_json(scan, result, run));
        if (want.gwy) write_scan_gwy((staging / "results.gwy").string(), scan, result, run);
        if (want.figures) {
            const std::string name = scan.config.sample.empty() ? std::string("scan") : scan.config.sample;
            auto at = [&](const std::string& file) { return (staging / file).string(); };
            std::vector<std::function<void()>> figures;
            figures.push_back([&] {
                save_map_png(at("fig_modulus.png"), result.modulus_gpa,
                             MapFigure{"Corrected modulus - " + name, "E (GPa)", true, 0.0, 0.0, px, 0});
            });
            figures.push_back([&] {
                save_map_png(at("fig_tilt.png"), result.tilt_deg,
                             MapFigure{"Local tilt - " + name, "tilt (deg)", false, 0.0, 90.0, px, 1});
            });
            figures.push_back([&] { save_mask_overlay_png(at("fig_mask.png"), result.height_leveled_m, result.mask, px); });
            if (result.segmented)
                figures.push_back([&] {
                    save_regions_overlay_png(at("fig_regions.png"), result.height_leveled_m, result.regions,
                                             "Automatic regions - " + name);
                });
            figures.push_back([&] {
                save_histogram_overview_png(at("fig_histograms.png"), result.stats, "Modulus distributions - " + name);
            });
            for (const RegionStats& r : result.stats.regions)
                figures.push_back([&] {
                    save_region_histogram_png(
                        at("hist_" + std::to_string(r.info.label) + "_" + safe_file_part(r.info.name) + ".png"), r,
                        "Region " + r.info.name + " (" + r.info.class_name + ")");
                });
            run_concurrently(figures);
        }
        fs::create_directories(out);
        for (const auto& entry : fs::directory_iterator(staging))
            fs::rename(entry.path(), out / entry.path().filename());
        fs::remove_all(staging);
    } catch (const fs::filesystem_error& e) {
        fs::remove_all(staging, ec);
        throw DataError(out_dir + ": " + e.what());
    } catch (...) {
        fs::remove_all(staging, ec);
        throw;
    }
}

}  // namespace amfm
