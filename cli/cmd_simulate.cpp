// amfm simulate: deterministic synthetic AM-FM scans with ground truth.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "amfm/host/simulate.hpp"
#include "command.hpp"

namespace amfm_cli {
namespace {

struct Options {
    std::string out_dir;
    std::vector<int> cycles;
    bool paper_series = false;
    int size = 256;
    double scan_size_m = 8.0e-6;
    std::uint64_t seed = 1;
    bool no_tilt_artefact = false;
};

int run(const Options& o, const Context& ctx) {
    std::vector<int> cycles = o.cycles;
    if (o.paper_series) cycles = {0, 5, 30, 60, 200};
    if (cycles.empty()) cycles = {0};
    const bool nested = cycles.size() > 1;
    for (int cycle : cycles) {
        amfm::SimulationSpec spec;
        spec.nx = spec.ny = o.size;
        spec.scan_size_m = o.scan_size_m;
        spec.seed = o.seed * 1000003ull + (std::uint64_t)cycle;
        spec.cycle = cycle;
        spec.sample = cycle == 0 ? "simulated LNMO electrode, pristine"
                                 : "simulated LNMO electrode, " + std::to_string(cycle) + " cycles";
        spec.regions = amfm::paper_region_truths(cycle);
        spec.apply_tilt_artefact = !o.no_tilt_artefact;
        char name[32];
        std::snprintf(name, sizeof name, "cycle_%03d", cycle);
        const std::string dir = nested ? (std::filesystem::path(o.out_dir) / name).string() : o.out_dir;
        progress(ctx, "simulating " + spec.sample + " -> " + dir);
        amfm::write_simulated_scan(amfm::simulate_scan(spec), dir);
    }
    return kExitOk;
}

}  // namespace

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
    return [o](const Context& ctx) { return run(*o, ctx); };
}

}  // namespace amfm_cli
