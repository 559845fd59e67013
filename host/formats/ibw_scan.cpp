// Asylum AM-FM .ibw files as amfm Scans (rules in ibw_scan.hpp).
#include "host/formats/ibw_scan.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <memory>

#include "amfm/kernels/error.hpp"
#include "host/formats/channel_file_scan.hpp"
#include "host/model/channels.hpp"

namespace amfm {

namespace fs = std::filesystem;

namespace {

int recognise_ibw(const std::string& path, const std::string& head) {
    if (looks_like_ibw(reinterpret_cast<const std::uint8_t*>(head.data()), head.size())) return 100;
    std::string ext = fs::path(path).extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return (char)std::tolower(c); });
    return ext == ".ibw" ? 50 : 0;
}

}  // namespace

const ScanReader kIbwScanReader = {"Asylum .ibw", ".ibw", true, recognise_ibw, load_ibw_scan, describe_ibw};

OpenedScan load_ibw_scan(const std::string& path, const OpenScanOptions& opt) {
    auto wave = std::make_shared<const IbwWave>(read_ibw(path));
    const std::vector<IbwChannel> channels = ibw_image_channels(*wave, path);
    ChannelFile file;
    file.path = path;
    file.input_role = "ibw";
    file.kind = "an .ibw";
    file.values_from = "the wave note";
    file.sample = wave->name;
    for (const IbwChannel& c : channels) file.channels.push_back({c.name, c.unit, c.layer});
    file.parameters = amfm_note_parameters(WaveNote(wave->note), *wave);
    const ScanDirection dir = opt.direction.value_or(ScanDirection::Retrace);
    file.pick = [channels, dir, path](const std::string& role) { return pick_amfm_channel(channels, role, dir, path); };
    file.read = [wave](int layer) { return ibw_layer(*wave, layer); };
    OpenedScan result = open_channel_file(std::move(file), opt);
    result.reader = &kIbwScanReader;
    return result;
}

namespace {

void appendf(std::string& out, const char* format, ...) {
    va_list args, copy;
    va_start(args, format);
    va_copy(copy, args);
    const int n = std::vsnprintf(nullptr, 0, format, copy);
    va_end(copy);
    if (n > 0) {
        std::string line((std::size_t)n + 1, '\0');
        std::vsnprintf(&line[0], line.size(), format, args);
        out.append(line.data(), (std::size_t)n);
    }
    va_end(args);
}

std::string g(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6g", v);
    return buf;
}

void describe_channels(std::string& out, const IbwWave& w, const std::vector<IbwChannel>& channels) {
    appendf(out, "channels    %-24s %-5s %14s %14s\n", "name", "unit", "min", "max");
    for (const IbwChannel& c : channels) {
        const Image<double> img = ibw_layer(w, c.layer);
        double lo = std::numeric_limits<double>::infinity(), hi = -lo;
        for (double v : img.px)
            if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
        appendf(out, "            %-24s %-5s %14s %14s\n", c.name.c_str(), c.unit.c_str(), g(lo).c_str(), g(hi).c_str());
    }
}

}  // namespace

std::string describe_ibw(const std::string& path, ScanDirection direction) {
    const IbwWave w = read_ibw(path);
    const std::vector<IbwChannel> channels = ibw_image_channels(w, path);  // first: a non-image says so alone
    std::string out;
    appendf(out, "file        %s\n", path.c_str());
    appendf(out, "wave        %s (Igor binary wave v%d, %s-endian)\n", w.name.c_str(), w.version,
            w.big_endian ? "big" : "little");
    std::string dims;
    for (int d = 0; d < w.n_dims(); ++d) dims += (d ? " x " : "") + std::to_string(w.dims[(std::size_t)d]);
    appendf(out, "points      %s\n", dims.c_str());
    const WaveNote note(w.note);
    appendf(out, "note        %zu key: value lines\n", note.entries().size());
    describe_channels(out, w, channels);
    out += describe_channel_choice(
        [&](const std::string& role) { return pick_amfm_channel(channels, role, direction, path); }, direction);
    out += describe_file_parameters(amfm_note_parameters(note, w), "the note");
    return out;
}

}  // namespace amfm
