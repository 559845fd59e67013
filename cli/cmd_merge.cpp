// amfm merge SHARD_DIR... --out DIR: combine `amfm series --shard i/n` folders into the
// outputs a single run writes (same tables, byte for byte).
#include <memory>
#include <string>
#include <vector>

#include "command.hpp"
#include "host/batch/series.hpp"
#include "host/model/output_folder.hpp"

namespace amfm_cli {
namespace {

struct Options {
    std::vector<std::string> shard_dirs;
    std::string out_dir;
};

int run(const Options& o, const Context& ctx) {
    const amfm::OutputLock lock(o.out_dir);
    progress(ctx, "merging " + std::to_string(o.shard_dirs.size()) + " shard folder(s) into " + o.out_dir);
    const amfm::SeriesOutcome out = amfm::merge_series(o.shard_dirs, o.out_dir);
    progress(ctx, std::to_string(out.n_ok) + " ok, " + std::to_string(out.n_failed) + " failed, " +
                      std::to_string(out.n_missing) + " missing; report: " + o.out_dir + "/report.html");
    return out.n_failed || out.n_missing ? kExitData : kExitOk;
}

}  // namespace

Runner add_merge_command(CLI::App& app) {
    auto o = std::make_shared<Options>();
    auto* cmd = app.add_subcommand("merge", "Combine `amfm series --shard` output folders into one series result");
    cmd->add_option("shards", o->shard_dirs, "Shard output folders of the same series")
        ->required()
        ->check(CLI::ExistingDirectory);
    cmd->add_option("-o,--out", o->out_dir, "Merged results folder (may be one of the shard folders)")->required();
    return [o](const Context& ctx) { return run(*o, ctx); };
}

}  // namespace amfm_cli
