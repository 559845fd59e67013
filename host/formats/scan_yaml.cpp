// Loading one scan: channel files to canonical units (m, deg, Hz), label image, file hashes.
#include "host/formats/scan_yaml.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <memory>
#include <vector>

#include "amfm/kernels/error.hpp"
#include "host/formats/roi_io.hpp"
#include "host/formats/tiff_io.hpp"
#include "host/model/channels.hpp"
#include "host/model/hash.hpp"

namespace amfm {

namespace {

std::string size_text(int nx, int ny) { return std::to_string(nx) + "x" + std::to_string(ny); }

// A file's SHA-256, from `cache` when given: a stack's files are hashed once, not once per page.
std::string file_hash(const std::string& path, std::map<std::string, std::string>* cache) {
    if (!cache) return sha256_file(path);
    auto it = cache->find(path);
    if (it == cache->end()) it = cache->emplace(path, sha256_file(path)).first;
    return it->second;
}

// One channel in canonical units: raw * scale * unit factor (- f2 for absolute frequencies),
// computed in double so that e.g. an absolute 1.71 MHz keeps its sub-Hz shift.
Image<float> load_channel(const ScanConfig& cfg, const char* role, const ChannelSpec& spec, double offset) {
    if (spec.file.empty()) throw DataError(std::string("channel ") + role + ": no file given");
    const std::string key = std::string("channels.") + role;
    TiffInfo info;
    Image<double> raw;
    try {
        raw = read_tiff_double(spec.file, &info, spec.page < 0 ? 0 : spec.page);
    } catch (const DataError& e) {
        // A page past the end is the YAML's mistake: name the key as well as the file.
        if (spec.page >= 0 && std::string(e.what()).find("requested but the file holds") != std::string::npos)
            throw ConfigError(cfg.source + ": " + key + ".page: " + e.what());
        throw;
    }
    // Taking page 0 of a multi-page file silently would process the wrong channel or scan.
    if (spec.page < 0 && info.pages > 1)
        throw ConfigError(cfg.source + ": " + key + ": " + spec.file + " holds " + std::to_string(info.pages) +
                          " pages; name one with " + key + ".page: N (one channel per page) or process them all "
                          "with stack: {pages: all} (one scan per page)");
    const double factor = spec.scale * channel_unit_factor(role, spec.unit);
    Image<float> out(raw.nx, raw.ny);
    for (std::size_t i = 0; i < raw.size(); ++i) out.px[i] = (float)(raw.px[i] * factor - offset);
    return out;
}

Image<std::uint16_t> load_labels(const ScanConfig& cfg) {
    TiffInfo info;
    Image<std::uint16_t> labels = read_label_image(cfg.regions.labels_file, &info, std::max(0, cfg.regions.labels_page));
    // As for channels: the first page of several is not silently taken for the whole file.
    if (cfg.regions.labels_page < 0 && info.pages > 1)
        throw ConfigError(cfg.source + ": regions.labels: " + cfg.regions.labels_file + " holds " +
                          std::to_string(info.pages) + " pages; one label image per page goes with "
                          "stack: {pages: all} (page k labels scan k)");
    return labels;
}

template <class T>
void check_size(const Image<T>& img, const std::string& file, const Scan& s) {
    if (img.nx != s.nx() || img.ny != s.ny())
        throw DataError(file + ": size " + size_text(img.nx, img.ny) + " does not match the height channel " +
                        s.config.height.file + " (" + size_text(s.nx(), s.ny()) + ")");
}

}  // namespace

Scan load_scan(const ScanConfig& cfg, std::map<std::string, std::string>* hashes, bool concurrent) {
    if (cfg.stack.enabled)
        throw ConfigError(cfg.source + ": stack: a stack of scans is processed page by page with "
                          "`amfm process` (one results folder per page); this command takes a single scan");
    Scan s;
    s.config = cfg;
    std::error_code ec;
    if (std::filesystem::is_regular_file(cfg.source, ec))
        s.inputs.push_back({"config", cfg.source, file_hash(cfg.source, hashes)});
    for (const std::string& f : cfg.merged_files) s.inputs.push_back({"config", f, file_hash(f, hashes)});

    // The channel and label files are independent: decoded concurrently (when asked), then
    // checked, hashed and recorded in a fixed order, so errors and inputs come out as a
    // one-by-one load gives them.
    const auto policy = concurrent ? std::launch::async : std::launch::deferred;
    struct Channel {
        const char* role;
        const ChannelSpec* spec;
        double offset;
        Image<float>* dst;
    };
    std::vector<Channel> channels = {{"height", &cfg.height, 0.0, &s.height_m},
                                     {"phase1", &cfg.phase1, 0.0, &s.phase1_deg},
                                     {"df2", &cfg.df2, cfg.df2.absolute ? cfg.cantilever.f2_hz : 0.0, &s.df2_hz}};
    if (!cfg.amplitude1.file.empty()) channels.push_back({"amplitude1", &cfg.amplitude1, 0.0, &s.amplitude1_m});
    std::vector<std::future<Image<float>>> decoded;
    for (const Channel& c : channels)
        decoded.push_back(std::async(policy, [&cfg, c] { return load_channel(cfg, c.role, *c.spec, c.offset); }));
    std::future<Image<std::uint16_t>> labels;
    if (!cfg.regions.labels_file.empty()) labels = std::async(policy, [&cfg] { return load_labels(cfg); });
    for (std::size_t k = 0; k < channels.size(); ++k) {
        *channels[k].dst = decoded[k].get();
        if (k > 0) check_size(*channels[k].dst, channels[k].spec->file, s);
        s.inputs.push_back({channels[k].role, channels[k].spec->file, file_hash(channels[k].spec->file, hashes)});
    }
    if (labels.valid()) {
        s.labels = labels.get();
        check_size(s.labels, cfg.regions.labels_file, s);
        s.inputs.push_back({"labels", cfg.regions.labels_file, file_hash(cfg.regions.labels_file, hashes)});
    }
    if (!cfg.regions.rois_file.empty() || !cfg.regions.mask_files.empty()) {  // ImageJ ROIs or masks
        s.labels = hand_drawn_labels(cfg.regions, s.nx(), s.ny());
        for (const std::string& f : hand_drawn_files(cfg.regions)) s.inputs.push_back({"regions", f, file_hash(f, hashes)});
    }
    return s;
}

}  // namespace amfm
