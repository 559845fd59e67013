// amfm calibrate-tip REF --reference polystyrene|fused-silica|3GPa [--after REF2]:
// the tip's contact radius from a flat reference of known modulus, as a `tip:` YAML block.
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

namespace amfm_cli {
namespace {

struct Options {
    std::string ref_scan, after_scan, reference, sample_modulus, out_file;
    std::vector<std::string> extra_configs, sets;  // --config, --set: for both scans
    std::string direction;                         // --direction: .ibw only
    bool force = false;
};

std::string nm(double m) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3f nm", m * 1e9);
    return buf;
}

amfm::TipCalibrationResult calibrate(const std::string& path, const Options& o, const amfm::ReferenceSample& ref,
                                     amfm::Backend& backend, const Context& ctx) {
    amfm::OpenScanOptions reading;
    reading.extra_yaml = o.extra_configs;
    reading.overrides = o.sets;
    if (!o.direction.empty()) reading.direction = amfm::parse_scan_direction(o.direction, "--direction");
    progress(ctx, "loading " + path);
    const amfm::Scan scan = amfm::read_scan(path, reading);
    const amfm::TipCalibrationResult r = amfm::calibrate_tip(scan, ref, backend);
    progress(ctx, path + ": R = " + nm(r.radius_m) + " (" + r.estimator + "), pixel spread " + nm(r.spread_m) +
                      ", standard error " + nm(r.standard_error_m) + ", " + std::to_string(r.n_valid) + " of " +
                      std::to_string(r.n_pixels) + " pixels valid");
    return r;
}

// "1GPa:2GPa" or "2GPa" (one value: lo = hi).
void parse_range(const std::string& text, double* lo, double* hi) {
    const auto colon = text.find(':');
    *lo = amfm::parse_modulus_pa(text.substr(0, colon), "--sample-modulus");
    *hi = colon == std::string::npos ? *lo : amfm::parse_modulus_pa(text.substr(colon + 1), "--sample-modulus");
    if (*hi < *lo) throw amfm::ConfigError("--sample-modulus: the range " + text + " runs backwards");
}

int run(const Options& o, const Context& ctx) {
    const amfm::ReferenceSample ref = amfm::parse_reference(o.reference);
    if (!o.sample_modulus.empty()) {
        double lo = 0.0, hi = 0.0;
        parse_range(o.sample_modulus, &lo, &hi);
        const std::string w = amfm::reference_range_warning(ref, lo, hi);
        if (!w.empty()) std::cerr << "amfm: warning: " << w << std::endl;
    }
    auto backend = amfm::make_cpu_backend();
    const amfm::TipCalibrationResult before = calibrate(o.ref_scan, o, ref, *backend, ctx);
    double radius_m = before.radius_m, uncertainty_m = before.standard_error_m;
    if (!o.after_scan.empty()) {
        const amfm::TipCalibrationResult after = calibrate(o.after_scan, o, ref, *backend, ctx);
        amfm::check_same_cantilever(before.cantilever, o.ref_scan, after.cantilever, o.after_scan);
        const amfm::TipDrift d = amfm::compare_tip_calibrations(before, after);
        char line[200];
        std::snprintf(line, sizeof line, "before %s, after %s: change %.1f %% (limit %.0f %%): %s", nm(d.before_m).c_str(),
                      nm(d.after_m).c_str(), d.relative_change * 100.0, amfm::kTipDriftLimit * 100.0,
                      d.accepted ? "accepted" : "REJECTED");
        progress(ctx, line);
        radius_m = d.radius_m;
        uncertainty_m = d.uncertainty_m;
        if (!d.accepted) {
            // The paper discards measurements whose tip changed by 10 % or more between the two
            // reference scans; --force writes the block anyway (the uncertainty shows the drift).
            std::cerr << "amfm: tip radius changed by " << (int)(d.relative_change * 100.0 + 0.5)
                      << " % between " << o.ref_scan << " and " << o.after_scan
                      << " (>= 10 %: the tip wore or picked up material; the sample scan between them is not "
                         "calibrated)"
                      << (o.force ? "; --force: writing the block anyway" : "") << std::endl;
            if (!o.force) return kExitData;
        }
    }
    const std::string block = amfm::tip_yaml_block(before, radius_m, uncertainty_m, amfm::utc_now_iso());
    if (o.out_file.empty()) {
        std::cout << block;
    } else {
        amfm::write_file_atomic(o.out_file, block);
        progress(ctx, "wrote " + o.out_file + " (use: amfm process SCAN.yaml --config " + o.out_file + ")");
    }
    return kExitOk;
}

}  // namespace

Runner add_calibrate_tip_command(CLI::App& app) {
    auto o = std::make_shared<Options>();
    auto* cmd = app.add_subcommand("calibrate-tip",
                                   "Tip contact radius from a flat reference of known modulus -> tip: YAML block");
    cmd->add_option("reference_scan", o->ref_scan, "Scan YAML or Asylum .ibw of the reference sample")
        ->required()
        ->check(CLI::ExistingFile);
    cmd->add_option("--reference", o->reference,
                    "polystyrene (3 GPa) | fused-silica (73 GPa) | a modulus, e.g. 3GPa")
        ->required();
    cmd->add_option("--after", o->after_scan,
                    "Reference scan taken after the sample: fail unless R changed by < 10 % (the paper's rule)")
        ->check(CLI::ExistingFile);
    cmd->add_option("--config", o->extra_configs,
                    "YAML merged over each reference scan (e.g. the cantilever of an .ibw); repeatable, later files win")
        ->check(CLI::ExistingFile)
        ->allow_extra_args(false);
    cmd->add_option("--set", o->sets, "Override any YAML key of the reference scans (repeatable)")
        ->allow_extra_args(false);
    cmd->add_option("--direction", o->direction, ".ibw input: channels of this scan direction (default retrace)")
        ->check(CLI::IsMember({"trace", "retrace"}));
    cmd->add_flag("--force", o->force, "With --after: write the block even when R changed by >= 10 %");
    cmd->add_option("--sample-modulus", o->sample_modulus,
                    "Expected sample modulus or range (e.g. 1GPa:2GPa): warn when the reference is far from it");
    cmd->add_option("-o,--out", o->out_file, "Write the tip: block to this file (default: stdout)");
    return [o](const Context& ctx) { return run(*o, ctx); };
}

}  // namespace amfm_cli
