// amfm simulate: deterministic synthetic AM-FM scans with ground truth.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "command.hpp"
#include "host/calibration/calibration.hpp"
#include "host/sim/simulate.hpp"
#include "host/sim/simulate_calibration.hpp"
#include "host/sim/simulate_ibw.hpp"

namespace amfm_cli {
namespace {

struct Options {
    std::string out_dir;
    std::vector<int> cycles;
    bool paper_series = false;
    int size = 256, rows = 0;  // rows 0: size
    double scan_size_m = 8.0e-6;
    std::uint64_t seed = 1;
    bool no_tilt_artefact = false, stiff_crystals = false;
    amfm::SimulationSpec realism;  // noise levels and imperfections, bound to their options
    std::string format = "tiff";
    // Calibration scans: --calibration reference | sphere-field.
    std::string calibration, reference = "polystyrene";
    double tip_radius_m = 10.0e-9, kc_true_exponent = 2.5;
};

// A flat reference film or a sphere field with truth.json (simulate_calibration.hpp).
int run_calibration(const Options& o, const Context& ctx) {
    if (o.calibration == "reference") {
        amfm::ReferenceScanSpec spec;
        const amfm::ReferenceSample ref = amfm::parse_reference(o.reference);
        spec.reference = ref.name;
        spec.modulus_pa = ref.modulus_pa;
        spec.seed = o.seed;
        spec.tip_radius_m = o.tip_radius_m;
        progress(ctx, "simulating a flat " + ref.name + " reference -> " + o.out_dir);
        amfm::write_calibration_scan(amfm::simulate_reference_scan(spec), o.out_dir);
    } else {
        amfm::SphereFieldSpec spec;
        spec.seed = o.seed;
        spec.tip_radius_m = o.tip_radius_m;
        spec.kc_true.cos_exponent = o.kc_true_exponent;
        progress(ctx, "simulating silica spheres on a film -> " + o.out_dir);
        amfm::write_calibration_scan(amfm::simulate_sphere_field(spec), o.out_dir);
    }
    return kExitOk;
}

int run(const Options& o, const Context& ctx) {
    if (!o.calibration.empty()) return run_calibration(o, ctx);
    std::vector<int> cycles = o.cycles;
    if (o.paper_series) cycles = {0, 5, 30, 60, 200};
    if (cycles.empty()) cycles = {0};
    const bool nested = cycles.size() > 1;
    for (int cycle : cycles) {
        amfm::SimulationSpec spec = o.realism;
        spec.nx = o.size;
        spec.ny = o.rows > 0 ? o.rows : o.size;
        spec.scan_size_m = o.scan_size_m;
        spec.seed = o.seed * 1000003ull + (std::uint64_t)cycle;
        spec.cycle = cycle;
        spec.sample = cycle == 0 ? "simulated LNMO electrode, pristine"
                                 : "simulated LNMO electrode, " + std::to_string(cycle) + " cycles";
        spec.regions = o.stiff_crystals ? amfm::stiff_region_truths() : amfm::paper_region_truths(cycle);
        spec.apply_tilt_artefact = !o.no_tilt_artefact;
        char name[32];
        std::snprintf(name, sizeof name, "cycle_%03d", cycle);
        const std::string dir = nested ? (std::filesystem::path(o.out_dir) / name).string() : o.out_dir;
        progress(ctx, "simulating " + spec.sample + " -> " + dir);
        const amfm::SimulatedScan sim = amfm::simulate_scan(spec);
        amfm::write_simulated_scan(sim, dir);
        if (o.format == "ibw") amfm::write_simulated_ibw(sim, dir);
    }
    return kExitOk;
}

}  // namespace

// The realistic-scan options (SimulationSpec's noise and imperfection fields; defaults: the spec's).
void add_realism_options(CLI::App* cmd, Options& o) {
    amfm::SimulationSpec& r = o.realism;
    cmd->add_option("--rows", o.rows, "Scan lines (default: --size)")->check(CLI::Range(16, 8192));
    cmd->add_option("--scan-size-y", r.scan_size_y_m, "Scan height in metres (default: square pixels)")
        ->check(CLI::PositiveNumber);
    cmd->add_option("--height-noise", r.height_noise_m, "White height noise, m RMS")->capture_default_str();
    cmd->add_option("--height-noise-1f", r.height_noise_1f_m, "1/f height noise along the raster, m RMS")
        ->capture_default_str();
    cmd->add_option("--line-offset", r.line_offset_m, "Height offset per scan line, m RMS")->capture_default_str();
    cmd->add_option("--tip-convolution", r.tip_convolution_radius_m,
                    "Round edges as a tip of this apex radius (m) images them; 0: off")
        ->capture_default_str();
    cmd->add_option("--phase-noise", r.phase_noise_deg, "White phase1 noise, deg RMS")->capture_default_str();
    cmd->add_option("--df2-noise", r.df2_noise_rel, "Relative white df2 noise, RMS")->capture_default_str();
    cmd->add_option("--dropouts", r.dropout_fraction, "Fraction of pixels NaN in every channel")
        ->capture_default_str();
    cmd->add_option("--lost-lines", r.lost_lines, "Scan lines NaN in every channel")->capture_default_str();
    cmd->add_option("--extra-crystals", r.extra_crystals, "Further unlabelled crystals at seeded places")
        ->capture_default_str();
    cmd->add_flag("--stiff-crystals", o.stiff_crystals,
                  "Facets I-IV at 100, 115, 130, 150 GPa beside b/c at 2 GPa (SD 0.1), whatever the cycle");
    cmd->add_flag("--truth-maps", r.write_truth_maps,
                  "Also write the per-pixel truth: truth_regions.tif, truth_planes.tif, truth_tilt_deg.tif, "
                  "truth_modulus_gpa.tif");
}

Runner add_simulate_command(CLI::App& app) {
    auto o = std::make_shared<Options>();
    auto* cmd = app.add_subcommand("simulate", "Write deterministic synthetic AM-FM scans with ground truth");
    cmd->add_option("-o,--out", o->out_dir, "Output folder (one sub-folder per cycle when several)")->required();
    cmd->add_option("--cycle", o->cycles, "Cycle number(s): 0, 5, 30, 60, 200 (the paper's values)");
    cmd->add_flag("--paper-series", o->paper_series, "All five cycle numbers, one folder each");
    cmd->add_option("--size", o->size, "Pixels per side")->check(CLI::Range(16, 8192));
    cmd->add_option("--scan-size", o->scan_size_m, "Scan edge in metres")->check(CLI::PositiveNumber);
    cmd->add_option("--seed", o->seed, "Random seed");
    cmd->add_flag("--no-tilt-artefact", o->no_tilt_artefact, "Leave E_apparent = E_true (no Kc)");
    add_realism_options(cmd, *o);
    cmd->add_option("--format", o->format,
                    "tiff: channel TIFFs + scan.yaml; ibw: also scan.ibw (Asylum-style AM-FM wave with the "
                    "cantilever in its note) + ibw_extra.yaml")
        ->check(CLI::IsMember({"tiff", "ibw"}));
    cmd->add_option("--calibration", o->calibration,
                    "A calibration scan instead: reference (flat film of known modulus) | sphere-field "
                    "(silica spheres, r = 1.5 um, on a film)")
        ->check(CLI::IsMember({"reference", "sphere-field"}));
    cmd->add_option("--reference", o->reference,
                    "--calibration reference: polystyrene | fused-silica | a modulus (e.g. 3GPa)");
    cmd->add_option("--tip-radius", o->tip_radius_m, "--calibration: the true contact radius, m (default 10e-9)")
        ->check(CLI::PositiveNumber);
    cmd->add_option("--kc-exponent", o->kc_true_exponent,
                    "--calibration sphere-field: true Kc = (cos theta)^n (default 2.5)")
        ->check(CLI::PositiveNumber);
    return [o](const Context& ctx) { return run(*o, ctx); };
}

}  // namespace amfm_cli
