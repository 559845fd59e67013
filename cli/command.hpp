// The amfm subcommands. Each lives in cli/cmd_<name>.cpp: it adds its CLI11 subcommand to the
// app and returns what to run when the user chose it. main.cpp maps exceptions to exit codes.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>

namespace amfm_cli {

// Exit codes (documented in README and --help).
constexpr int kExitOk = 0;
constexpr int kExitInternal = 1;
constexpr int kExitUsage = 2;    // bad command line or configuration
constexpr int kExitData = 3;     // input data that cannot be used
constexpr int kExitBackend = 4;  // requested backend unavailable
constexpr int kExitBusy = 5;     // the output folder is being written by another run

struct Context {
    bool quiet = false;
    std::string command_line;  // as typed, for the run metadata
};

using Runner = std::function<int(const Context&)>;

// Progress on stderr unless --quiet.
void progress(const Context& ctx, const std::string& message);

// "auto | cpu | cuda" line for --version and info.
std::string versions_text();

// A remaining time as progress lines show it: "42 s", "3 min 05 s", "2 h 10 min".
std::string duration_text(double seconds);

Runner add_process_command(CLI::App& app);
Runner add_config_command(CLI::App& app);
Runner add_simulate_command(CLI::App& app);
Runner add_info_command(CLI::App& app);
Runner add_series_command(CLI::App& app);  // cycle-number series
Runner add_merge_command(CLI::App& app);   // combine series shards
Runner add_status_command(CLI::App& app);  // shards of a series on SLURM or by hand
Runner add_calibrate_tip_command(CLI::App& app);  // tip radius from a reference
Runner add_fit_tilt_command(CLI::App& app);       // Kc(theta) from a sphere scan

}  // namespace amfm_cli
