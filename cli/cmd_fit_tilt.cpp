// amfm fit-tilt SPHERE [--modulus 70GPa] [--order 4] [--max-angle 45] --out DIR: the tilt
// correction Kc(theta) from a scan of silica spheres (the paper's Fig. 6), as a
// `tilt_correction:` YAML block, the binned data (CSV) and the plot.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "amfm/kernels/backend.hpp"
#include "amfm/kernels/error.hpp"
#include "command.hpp"
#include "host/calibration/calibration.hpp"
#include "host/formats/open_scan.hpp"
#include "host/model/config.hpp"
#include "host/model/file_io.hpp"
#include "host/model/scan.hpp"
#include "host/model/table_format.hpp"
#include "host/report/calibration_figures.hpp"

namespace amfm_cli {
namespace {

namespace fs = std::filesystem;

struct Options {
    std::string sphere_scan, out_dir, modulus = "70GPa";
    std::vector<std::string> extra_configs, sets;
    std::string direction;  // --direction: .ibw only
    amfm::TiltFitOptions fit;
    double min_height_m = -1.0;  // < 0: automatic
    bool no_figure = false;
};

std::string bins_csv(const amfm::TiltFitResult& r) {
    std::string s = "tilt_lo_deg,tilt_hi_deg,pixels,mean_tilt_deg,mean_ratio,sd_ratio,se_ratio,in_fit\n";
    auto field = [](double v) {
        if (!std::isfinite(v)) return std::string();
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.8g", v);
        return std::string(buf);
    };
    for (const amfm::TiltBin& b : r.bins)
        s += field(b.lo_deg) + "," + field(b.hi_deg) + "," + std::to_string(b.count) + "," + field(b.mean_tilt_deg) +
             "," + field(b.mean_ratio) + "," + field(b.sd_ratio) + "," + field(b.se_ratio) + "," +
             (b.lo_deg < r.polynomial.max_angle_deg ? "1" : "0") + "\n";
    return s;
}

int run(Options o, const Context& ctx) {
    o.fit.nominal_modulus_pa = amfm::parse_modulus_pa(o.modulus, "--modulus");
    if (o.min_height_m >= 0.0) o.fit.min_height_above_film_m = o.min_height_m;
    amfm::OpenScanOptions reading;
    reading.extra_yaml = o.extra_configs;
    reading.overrides = o.sets;
    if (!o.direction.empty()) reading.direction = amfm::parse_scan_direction(o.direction, "--direction");
    progress(ctx, "loading " + o.sphere_scan);
    const amfm::Scan scan = amfm::read_scan(o.sphere_scan, reading);
    auto backend = amfm::make_cpu_backend();
    const amfm::TiltFitResult r = amfm::fit_tilt_calibration(scan, o.fit, *backend);
    for (const std::string& w : r.warnings) std::cerr << "amfm: warning: " << w << std::endl;

    std::error_code ec;
    fs::create_directories(o.out_dir, ec);
    if (ec || !fs::is_directory(o.out_dir)) throw amfm::DataError(o.out_dir + ": cannot create folder");
    const fs::path dir(o.out_dir);
    amfm::write_file_atomic(dir / "tilt_bins.csv", bins_csv(r));
    if (!o.no_figure)
        amfm::save_tilt_fit_figure((dir / "fig_tilt_calibration").string(), r,
                                   "Tilt calibration: " + fs::path(o.sphere_scan).parent_path().filename().string(), {});
    amfm::write_file_atomic(dir / "tilt_correction.yaml", amfm::tilt_correction_yaml_block(r, o.sphere_scan, amfm::utc_now_iso()));

    std::printf("pixels %lld: film %lld, invalid %lld, sliding (> %.0f deg) %lld, binned %lld, fitted (<= %.0f deg) %lld\n",
                r.n_pixels, r.n_film, r.n_invalid, r.options.slide_angle_deg, r.n_sliding, r.n_binned,
                r.polynomial.max_angle_deg, r.n_fitted);
    std::printf("polynomial Kc =");
    for (int i = 0; i < r.polynomial.n_coefficients; ++i) std::printf(" %+.6g t^%d", r.polynomial.coefficients[i], i);
    std::printf("   (rms residual %.4f)\n", r.rms_residual_polynomial);
    std::printf("cos model  Kc = (cos t)^%.3f   (rms residual %.4f)\n", r.cos_exponent, r.rms_residual_cos);
    progress(ctx, "wrote " + o.out_dir + "/tilt_correction.yaml (use: amfm process SCAN.yaml --config " + o.out_dir +
                      "/tilt_correction.yaml)");
    return kExitOk;
}

}  // namespace

Runner add_fit_tilt_command(CLI::App& app) {
    auto o = std::make_shared<Options>();
    auto* cmd = app.add_subcommand("fit-tilt", "Tilt correction Kc(theta) from a scan of silica spheres (Fig. 6)");
    cmd->add_option("sphere_scan", o->sphere_scan,
                    "Scan YAML or Asylum .ibw of the sphere sample (with the calibrated tip radius)")
        ->required()
        ->check(CLI::ExistingFile);
    cmd->add_option("-o,--out", o->out_dir, "Output folder: tilt_correction.yaml, tilt_bins.csv, figure")->required();
    cmd->add_option("--config", o->extra_configs,
                    "YAML merged over the scan file (e.g. calibrate-tip's tip: block); repeatable, later files win")
        ->check(CLI::ExistingFile)
        ->allow_extra_args(false);
    cmd->add_option("--set", o->sets, "Override any YAML key: --set tip.radius=9e-9 (repeatable)")->allow_extra_args(false);
    cmd->add_option("--direction", o->direction, ".ibw input: channels of this scan direction (default retrace)")
        ->check(CLI::IsMember({"trace", "retrace"}));
    cmd->add_option("--modulus", o->modulus, "Nominal modulus of the spheres (default 70GPa, silica)");
    cmd->add_option("--order", o->fit.order, "Polynomial order (default 4)")->check(CLI::Range(1, 7));
    cmd->add_option("--max-angle", o->fit.max_angle_deg, "Fit cutoff in degrees (default 45)")
        ->check(CLI::Range(1.0, 89.0));
    cmd->add_option("--slide-angle", o->fit.slide_angle_deg, "Tilt above which the tip slides (default 70)")
        ->check(CLI::Range(1.0, 89.9));
    cmd->add_option("--bin-width", o->fit.bin_width_deg, "Tilt bin width in degrees (default 2.5)")
        ->check(CLI::PositiveNumber);
    cmd->add_option("--min-height", o->min_height_m,
                    "Sphere pixels: this many metres above the film (default: a quarter of the height range)");
    cmd->add_flag("--no-figure", o->no_figure, "Skip fig_tilt_calibration.png and .pdf");
    return [o](const Context& ctx) { return run(*o, ctx); };
}

}  // namespace amfm_cli
