// amfm: the command-line program. Parsing, progress and exit codes only; the work is in host/.
#include <cmath>
#include <cstdio>
#include <iostream>
#include <vector>

#include "amfm/kernels/backend.hpp"
#include "amfm/kernels/error.hpp"
#include "command.hpp"
#include "host/formats/gwyapp.hpp"
#include "host/model/output_folder.hpp"

namespace amfm_cli {

void progress(const Context& ctx, const std::string& message) {
    if (!ctx.quiet) std::cerr << "amfm: " << message << std::endl;
}

std::string versions_text() {
    std::string s = std::string("amfm ") + AMFM_VERSION + "\nbackends: cpu";
    if (amfm::cuda_backend_compiled())
        s += ", cuda (" + amfm::cuda_device_summary() + ")";
    else
        s += " (built without CUDA)";
    s += amfm::gwyapp_built() ? "\nformats: scan YAML, Asylum .ibw, every format Gwyddion's file modules read (libgwyapp)"
                              : "\nformats: scan YAML, Asylum .ibw (built without Gwyddion's file modules)";
    return s;
}

std::string duration_text(double s) {
    char buf[32];
    if (s < 60) std::snprintf(buf, sizeof buf, "%.0f s", std::ceil(s));
    else if (s < 3600) std::snprintf(buf, sizeof buf, "%d min %02d s", (int)s / 60, (int)s % 60);
    else std::snprintf(buf, sizeof buf, "%d h %02d min", (int)s / 3600, ((int)s % 3600) / 60);
    return buf;
}

}  // namespace amfm_cli

namespace {

const char* kDescription =
    "amfm " AMFM_VERSION " - tilt-corrected elastic-modulus maps and facet-resolved modulus\n"
    "statistics from bimodal AM-FM scanning-force-microscopy scans.\n\n"
    "Examples:\n"
    "  amfm simulate --paper-series --out sample_maps      # synthetic cycle series 0..200\n"
    "  amfm process sample_maps/cycle_000/scan.yaml --out results/cycle_000\n"
    "  amfm process scan.yaml --out res --tip-radius 8e-9 --kc cos --set histogram.axis=log10\n"
    "  amfm config > scan.yaml                              # commented template of every key\n\n"
    "Exit codes: 0 ok, 2 usage/configuration error, 3 bad input data, 4 backend unavailable,\n"
    "5 output folder in use by another run, 130/143 interrupted (SIGINT/SIGTERM), 1 internal error.";

}  // namespace

int main(int argc, char** argv) {
    using namespace amfm_cli;
    // Before any thread starts: an interruption removes what is half-written and exits 130/143.
    amfm::handle_interruptions();
    CLI::App app{kDescription, "amfm"};
    app.require_subcommand(0, 1);
    app.fallthrough();  // -q and --version also after the subcommand
    app.set_version_flag("--version", versions_text());
    Context ctx;
    app.add_flag("-q,--quiet", ctx.quiet, "Only errors and warnings on stderr");

    const std::vector<std::pair<CLI::App*, Runner>> commands = [&] {
        std::vector<std::pair<CLI::App*, Runner>> c;
        for (auto add : {add_process_command, add_config_command, add_simulate_command, add_info_command,
                          add_series_command, add_merge_command, add_status_command, add_calibrate_tip_command,
                          add_fit_tilt_command}) {
            Runner run = add(app);
            c.emplace_back(app.get_subcommands({}).back(), std::move(run));
        }
        return c;
    }();

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
    for (int i = 0; i < argc; ++i) ctx.command_line += (i ? " " : "") + std::string(argv[i]);

    try {
        for (const auto& [sub, run] : commands)
            if (sub->parsed()) return run(ctx);
        std::cout << app.help();
        return kExitUsage;
    } catch (const amfm::ConfigError& e) {
        std::cerr << "amfm: configuration error: " << e.what() << std::endl;
        return kExitUsage;
    } catch (const amfm::OutputFolderBusy& e) {
        std::cerr << "amfm: " << e.what() << std::endl;
        return kExitBusy;
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
