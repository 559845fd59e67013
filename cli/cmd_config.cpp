// amfm config: the commented scan YAML template.
#include <iostream>
#include <memory>

#include "amfm/kernels/error.hpp"
#include "command.hpp"
#include "host/model/config.hpp"
#include "host/model/file_io.hpp"

namespace amfm_cli {

Runner add_config_command(CLI::App& app) {
    auto out = std::make_shared<std::string>();
    auto* cmd = app.add_subcommand("config", "Print a commented scan YAML with every key and its default");
    cmd->add_option("-o,--out", *out, "Write to this file instead of stdout");
    return [out](const Context&) {
        if (out->empty()) {
            std::cout << amfm::default_config_yaml();
            return kExitOk;
        }
        amfm::write_file_atomic(*out, amfm::default_config_yaml());
        return kExitOk;
    };
}

}  // namespace amfm_cli
