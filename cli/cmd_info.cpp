// amfm info [FILE]: what this build offers, or what an instrument file holds.
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include "amfm/kernels/backend.hpp"
#include "amfm/kernels/error.hpp"
#include "command.hpp"
#include "host/formats/open_scan.hpp"

namespace amfm_cli {
namespace {

struct Options {
    std::string file;
    std::string direction = "retrace";
};

}  // namespace

Runner add_info_command(CLI::App& app) {
    auto o = std::make_shared<Options>();
    auto* cmd = app.add_subcommand("info", "Show the built backends and the GPU found, or what a scan file holds");
    cmd->add_option("file", o->file,
                    "A scan file (Asylum .ibw, or any format Gwyddion reads): channels with units, size, the AM-FM "
                    "channel choice and parameters found, and those missing")
        ->check(CLI::ExistingFile);
    cmd->add_option("--direction", o->direction, "Channels of this scan direction (default retrace)")
        ->check(CLI::IsMember({"trace", "retrace"}));
    return [o](const Context&) {
        if (o->file.empty()) {
            std::cout << versions_text() << "\nCPU: " << amfm::make_cpu_backend()->device_description() << "\n";
            return kExitOk;
        }
        const amfm::ScanReader& reader = amfm::scan_reader_for(o->file);
        if (!reader.describe)
            throw amfm::DataError(o->file + ": amfm info describes instrument files; a " + std::string(reader.name) +
                                  " goes to amfm process");
        std::fputs(reader.describe(o->file, amfm::parse_scan_direction(o->direction, "--direction")).c_str(), stdout);
        return kExitOk;
    };
}

}  // namespace amfm_cli
