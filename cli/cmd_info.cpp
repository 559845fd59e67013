// amfm info: what this build offers.
#include <iostream>

#include "amfm/kernels/backend.hpp"
#include "command.hpp"

namespace amfm_cli {

Runner add_info_command(CLI::App& app) {
    app.add_subcommand("info", "Show the built backends and the GPU found");
    return [](const Context&) {
        std::cout << versions_text() << "\nCPU: " << amfm::make_cpu_backend()->device_description() << "\n";
        return kExitOk;
    };
}

}  // namespace amfm_cli
