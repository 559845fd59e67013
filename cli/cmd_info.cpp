// amfm info [FILE]: what this build offers, or what an instrument file holds.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <limits>
#include <memory>
#include <string>

#include "amfm/kernels/backend.hpp"
#include "amfm/kernels/error.hpp"
#include "command.hpp"
#include "host/formats/ibw.hpp"
#include "host/formats/ibw_scan.hpp"

namespace amfm_cli {
namespace {

struct Options {
    std::string file;
    std::string direction = "retrace";
};

std::string g(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6g", v);
    return buf;
}

// Channels with unit and value range, the AM-FM channel choice, every note parameter with its
// source (or why it cannot be used) and any warning.
void print_ibw(const std::string& path, amfm::ScanDirection dir) {
    const amfm::IbwWave w = amfm::read_ibw(path);
    const auto channels = amfm::ibw_image_channels(w, path);  // before printing: a non-image says so alone
    std::printf("file        %s\n", path.c_str());
    std::printf("wave        %s (Igor binary wave v%d, %s-endian)\n", w.name.c_str(), w.version,
                w.big_endian ? "big" : "little");
    std::string dims;
    for (int d = 0; d < w.n_dims(); ++d) dims += (d ? " x " : "") + std::to_string(w.dims[(std::size_t)d]);
    std::printf("points      %s\n", dims.c_str());
    const amfm::WaveNote note(w.note);
    std::printf("note        %zu key: value lines\n", note.entries().size());
    std::printf("channels    %-24s %-5s %14s %14s\n", "name", "unit", "min", "max");
    for (const amfm::IbwChannel& c : channels) {
        const amfm::Image<double> img = amfm::ibw_layer(w, c.layer);
        double lo = std::numeric_limits<double>::infinity(), hi = -lo;
        for (double v : img.px)
            if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
        std::printf("            %-24s %-5s %14s %14s\n", c.name.c_str(), c.unit.c_str(), g(lo).c_str(), g(hi).c_str());
    }
    std::printf("AM-FM channels (%s):\n", dir == amfm::ScanDirection::Retrace ? "retrace" : "trace");
    for (const char* role : {"height", "phase1", "df2", "amplitude1"}) {
        std::string name;
        try {
            name = amfm::pick_amfm_channel(channels, role, dir, path);
            if (name.empty()) name = "- (optional; the setpoint is used)";
        } catch (const amfm::DataError&) {
            name = "MISSING (name one with --set channels." + std::string(role) + ".channel=NAME)";
        }
        std::printf("  %-11s %s\n", role, name.c_str());
    }
    std::printf("AM-FM parameters:\n");
    for (const amfm::NoteParameter& p : amfm::amfm_note_parameters(note, w)) {
        if (p.usable())
            std::printf("  %-19s %-12s from %s%s   [%s]\n", p.key.c_str(), g(p.value).c_str(), p.source.c_str(),
                        p.warning.empty() ? "" : ("; CHECK: " + p.warning).c_str(), p.description.c_str());
        else if (p.key == "cantilever.k2")
            std::printf("  %-19s %-12s not in the note: k2 = k1 (f2/f1)^2   [%s]\n", p.key.c_str(), "derived",
                        p.description.c_str());
        else
            std::printf("  %-19s %-12s %s   [%s]\n", p.key.c_str(), "NOT SET", p.problem.c_str(), p.description.c_str());
    }
}

}  // namespace

Runner add_info_command(CLI::App& app) {
    auto o = std::make_shared<Options>();
    auto* cmd = app.add_subcommand("info", "Show the built backends and the GPU found, or what a scan file holds");
    cmd->add_option("file", o->file, "An Asylum .ibw file: channels, size, scan size, AM-FM parameters and sources")
        ->check(CLI::ExistingFile);
    cmd->add_option("--direction", o->direction, "Channels of this scan direction (default retrace)")
        ->check(CLI::IsMember({"trace", "retrace"}));
    return [o](const Context&) {
        if (o->file.empty()) {
            std::cout << versions_text() << "\nCPU: " << amfm::make_cpu_backend()->device_description() << "\n";
            return kExitOk;
        }
        if (!amfm::is_ibw_path(o->file))
            throw amfm::DataError(o->file + ": amfm info reads Igor binary waves (.ibw); scan YAMLs go to amfm process");
        print_ibw(o->file, o->direction == "trace" ? amfm::ScanDirection::Trace : amfm::ScanDirection::Retrace);
        return kExitOk;
    };
}

}  // namespace amfm_cli
