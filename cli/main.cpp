// amfm: the command-line program. Parsing, progress and exit codes only; the work is in host/.
#include <CLI/CLI.hpp>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "amfm/host/config.hpp"
#include "amfm/host/outputs.hpp"
#include "amfm/host/pipeline.hpp"
#include "amfm/host/scan.hpp"
#include "amfm/host/simulate.hpp"
#include "amfm/kernels/backend.hpp"
#include "amfm/kernels/error.hpp"

namespace {

// Exit codes (documented in README and --help).
constexpr int kExitOk = 0;
constexpr int kExitInternal = 1;
constexpr int kExitUsage = 2;    // bad command line or configuration
constexpr int kExitData = 3;     // input data that cannot be used
constexpr int kExitBackend = 4;  // requested backend unavailable

const char* kDescription =
    "amfm " AMFM_VERSION " - tilt-corrected elastic-modulus maps and facet-resolved modulus\n"
    "statistics from bimodal AM-FM scanning-force-microscopy scans.\n\n"
    "Examples:\n"
    "  amfm simulate --paper-series --out sample_maps      # synthetic cycle series 0..200\n"
    "  amfm process sample_maps/cycle_000/scan.yaml --out results/cycle_000\n"
    "  amfm process scan.yaml --out res --tip-radius 8e-9 --kc cos --set histogram.axis=log10\n"
    "  amfm config > scan.yaml                              # commented template of every key\n\n"
    "Exit codes: 0 ok, 2 usage/configuration error, 3 bad input data, 4 backend unavailable,\n"
    "1 internal error.";

std::string versions_text() {
    std::ostringstream s;
    s << "amfm " << AMFM_VERSION << "\nbackends: cpu";
    if (amfm::cuda_backend_compiled())
        s << ", cuda (" << amfm::cuda_device_summary() << ")";
    else
        s << " (built without CUDA)";
    return s.str();
}

bool quiet = false;
void progress(const std::string& msg) {
    if (!quiet) std::cerr << "amfm: " << msg << std::endl;
}

std::string format_gpa(double v) {
    if (!std::isfinite(v)) return "-";
    char buf[32];
    std::snprintf(buf, sizeof buf, v >= 100 ? "%.1f" : v >= 1 ? "%.2f" : "%.3f", v);
    return buf;
}

void print_summary(const amfm::ScanResult& r) {
    std::printf("%-6s %-10s %-8s %9s %9s  %-22s %s\n", "label", "region", "class", "pixels", "valid",
                "gaussian (GPa)", "fit");
    for (const auto& reg : r.stats.regions) {
        const std::string g = format_gpa(reg.gaussian.center_gpa) + " +- " + format_gpa(reg.gaussian.sigma_gpa);
        std::printf("%-6d %-10s %-8s %9lld %9lld  %-22s %s\n", reg.info.label, reg.info.name.c_str(),
                    reg.info.class_name.c_str(), reg.pixels.n_pixels, reg.pixels.n_valid, g.c_str(),
                    amfm::fit_state_name(reg.gaussian.fit.state));
    }
    for (const auto& c : r.stats.classes)
        std::printf("class %-12s mean %s +- %s GPa (SD over %lld valid pixels)\n", c.class_name.c_str(),
                    format_gpa(c.pixels.mean_gpa).c_str(), format_gpa(c.pixels.sd_gpa).c_str(),
                    c.pixels.n_valid);
}

struct ProcessOptions {
    std::string scan_yaml, out_dir, backend;
    std::vector<std::string> sets;
    bool no_figures = false;
};

int run_process(const ProcessOptions& o, const std::string& command_line) {
    const amfm::ScanConfig cfg = amfm::load_scan_config(o.scan_yaml, o.sets);
    const std::string backend_text = o.backend.empty() ? cfg.backend : o.backend;
    auto backend = amfm::make_backend(amfm::parse_backend_kind(backend_text));
    progress("loading " + o.scan_yaml);
    const amfm::Scan scan = amfm::load_scan(cfg);
    progress("processing " + std::to_string(scan.nx()) + " x " + std::to_string(scan.ny()) + " pixels on " +
             backend->device_description());
    const amfm::ScanResult result = amfm::process_scan(scan, *backend);
    progress("per-pixel stage " + std::to_string(result.seconds_pixel_stage * 1e3) + " ms, statistics " +
             std::to_string(result.seconds_statistics * 1e3) + " ms; writing " + o.out_dir);
    amfm::write_scan_outputs(scan, result, o.out_dir, amfm::RunInfo{AMFM_VERSION, command_line}, !o.no_figures);
    if (!quiet) print_summary(result);
    progress("done: " + o.out_dir);
    return kExitOk;
}

struct SimulateOptions {
    std::string out_dir;
    std::vector<int> cycles;
    bool paper_series = false;
    int size = 256;
    double scan_size_m = 8.0e-6;
    std::uint64_t seed = 1;
    bool no_tilt_artefact = false;
};

int run_simulate(const SimulateOptions& o) {
    std::vector<int> cycles = o.cycles;
    if (o.paper_series) cycles = {0, 5, 30, 60, 200};
    if (cycles.empty()) cycles = {0};
    const bool nested = cycles.size() > 1 || o.paper_series;
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
        progress("simulating " + spec.sample + " -> " + dir);
        amfm::write_simulated_scan(amfm::simulate_scan(spec), dir);
    }
    return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{kDescription, "amfm"};
    app.require_subcommand(0, 1);
    app.fallthrough();  // -q and --version also after the subcommand
    app.set_version_flag("--version", versions_text());
    app.add_flag("-q,--quiet", quiet, "Only errors on stderr");

    ProcessOptions po;
    auto* process = app.add_subcommand("process", "Process one scan: maps, region statistics, figures");
    process->add_option("scan", po.scan_yaml, "Scan YAML (see `amfm config`)")->required()->check(CLI::ExistingFile);
    process->add_option("-o,--out", po.out_dir, "Results folder (created; written atomically)")->required();
    process->add_option("--backend", po.backend, "auto | cpu | cuda (default: the YAML's, else auto)")
        ->check(CLI::IsMember({"auto", "cpu", "cuda"}));
    process->add_option("--set", po.sets, "Override any YAML key: --set histogram.axis=log10 (repeatable)");
    process->add_flag("--no-figures", po.no_figures, "Skip the PNG figures");
    struct Named {
        const char* flag;
        const char* key;
        const char* help;
    };
    static const Named named[] = {
        {"--tip-radius", "tip.radius", "Contact radius R in metres"},
        {"--max-angle", "tilt_correction.max_angle_deg", "Tilt cutoff in degrees (default 45)"},
        {"--kc", "tilt_correction.model", "Tilt correction: polynomial | cos | none"},
        {"--tilt-method", "processing.tilt_method", "central | plane"},
        {"--tilt-window", "processing.tilt_window", "Local-plane window edge in pixels (odd)"},
        {"--level", "processing.level", "Height levelling: none | plane | rows"},
        {"--bins", "histogram.bins", "Histogram bins per region, or auto"},
        {"--axis", "histogram.axis", "Histogram axis: linear | log10"},
    };
    static std::string named_values[sizeof named / sizeof named[0]];
    for (std::size_t i = 0; i < sizeof named / sizeof named[0]; ++i)
        process->add_option(named[i].flag, named_values[i], std::string(named[i].help) + " [" + named[i].key + "]");

    std::string config_out;
    auto* config = app.add_subcommand("config", "Print a commented scan YAML with every key and its default");
    config->add_option("-o,--out", config_out, "Write to this file instead of stdout");

    SimulateOptions so;
    auto* simulate = app.add_subcommand("simulate", "Write deterministic synthetic AM-FM scans with ground truth");
    simulate->add_option("-o,--out", so.out_dir, "Output folder")->required();
    simulate->add_option("--cycle", so.cycles, "Cycle number(s): 0, 5, 30, 60, 200 (the paper's values)");
    simulate->add_flag("--paper-series", so.paper_series, "All five cycle numbers, one folder each");
    simulate->add_option("--size", so.size, "Pixels per side")->check(CLI::Range(16, 8192));
    simulate->add_option("--scan-size", so.scan_size_m, "Scan edge in metres")->check(CLI::PositiveNumber);
    simulate->add_option("--seed", so.seed, "Random seed");
    simulate->add_flag("--no-tilt-artefact", so.no_tilt_artefact, "Leave E_apparent = E_true (no Kc)");

    auto* info = app.add_subcommand("info", "Show the built backends and the GPU found");

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        std::cerr << "amfm: " << e.what() << " (see amfm --help)" << std::endl;
        return kExitUsage;
    }

    std::string command_line;
    for (int i = 0; i < argc; ++i) command_line += (i ? " " : "") + std::string(argv[i]);

    try {
        if (*process) {
            for (std::size_t i = 0; i < sizeof named / sizeof named[0]; ++i)
                if (!named_values[i].empty()) po.sets.push_back(std::string(named[i].key) + "=" + named_values[i]);
            return run_process(po, command_line);
        }
        if (*config) {
            if (config_out.empty()) {
                std::cout << amfm::default_config_yaml();
            } else {
                std::ofstream f(config_out);
                f << amfm::default_config_yaml();
                if (!f) throw amfm::DataError(config_out + ": cannot write");
            }
            return kExitOk;
        }
        if (*simulate) return run_simulate(so);
        if (*info) {
            std::cout << versions_text() << "\nCPU: " << amfm::make_cpu_backend()->device_description() << "\n";
            return kExitOk;
        }
        std::cout << app.help();
        return kExitUsage;
    } catch (const amfm::ConfigError& e) {
        std::cerr << "amfm: configuration error: " << e.what() << std::endl;
        return kExitUsage;
    } catch (const amfm::DataError& e) {
        std::cerr << "amfm: input error: " << e.what() << std::endl;
        return kExitData;
    } catch (const amfm::BackendUnavailable& e) {
        std::cerr << "amfm: " << e.what() << std::endl;
        return kExitBackend;
    } catch (const std::exception& e) {
        std::cerr << "amfm: internal error: " << e.what() << std::endl;
        return kExitInternal;
    }
}
