// The scan YAML reader: channel files to canonical units (m, deg, Hz), label image, file hashes.
#include "host/formats/scan_yaml.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <future>
#include <vector>

#include "amfm/kernels/error.hpp"
#include "host/formats/scan_loading.hpp"
#include "host/formats/tiff_io.hpp"
#include "host/model/channels.hpp"

namespace amfm {

namespace {

// A YAML has no magic bytes: the name says it.
int recognise_scan_yaml(const std::string& path, const std::string&) {
    std::string ext = std::filesystem::path(path).extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return (char)std::tolower(c); });
    return ext == ".yaml" || ext == ".yml" ? 50 : 0;
}

OpenedScan open_scan_yaml(const std::string& path, const OpenScanOptions& options) {
    OpenedScan opened;
    opened.config = load_scan_config_merged(path, options.extra_yaml, options.overrides);
    return opened;
}

// One channel file (or page) in canonical units, what the file held (`info`), and the file's
// SHA-256 when `sha256` is given (taken from the bytes the decoder reads).
Image<float> load_channel(const ScanConfig& cfg, const ChannelRole& role, TiffInfo& info, std::string* sha256) {
    const ChannelSpec& spec = cfg.*role.spec;
    if (spec.file.empty()) throw DataError(std::string("channel ") + role.name + ": no file given");
    const std::string key = std::string("channels.") + role.name;
    Image<float> channel;
    try {
        // Straight into float in canonical units: no double image of the channel on the way.
        const ChannelScale scale = channel_scale(cfg, role);
        channel =
            read_tiff_scaled(spec.file, scale.factor, scale.offset, &info, spec.page < 0 ? 0 : spec.page, sha256);
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
    return channel;
}

}  // namespace

const ScanReader kScanYamlReader = {"scan YAML", ".yaml, .yml", false, recognise_scan_yaml, open_scan_yaml, nullptr};

Scan load_scan(const ScanConfig& cfg, std::map<std::string, std::string>* hashes, bool concurrent) {
    if (cfg.stack.enabled)
        throw ConfigError(cfg.source + ": stack: a stack of scans is processed page by page with "
                          "`amfm process` (one results folder per page); this command takes a single scan");
    Scan s;
    s.config = cfg;
    std::error_code ec;
    if (std::filesystem::is_regular_file(cfg.source, ec))
        s.inputs.push_back({"config", cfg.source, cached_sha256(cfg.source, hashes)});
    for (const std::string& f : cfg.merged_files) s.inputs.push_back({"config", f, cached_sha256(f, hashes)});

    // The channel and label files are independent: decoded concurrently (when asked), then
    // checked, hashed and recorded in a fixed order, so errors and inputs come out as a
    // one-by-one load gives them.
    const auto policy = concurrent ? std::launch::async : std::launch::deferred;
    std::vector<const ChannelRole*> roles;
    for (const ChannelRole& role : kChannelRoles)
        if (channel_given(cfg, role)) roles.push_back(&role);
    // A file not hashed yet is hashed while it is read (each task fills its own string; the cache
    // is filled below, on this thread).
    std::vector<std::future<Image<float>>> decoded;
    std::vector<std::string> read_hash(roles.size());
    std::vector<TiffInfo> infos(roles.size());
    for (std::size_t k = 0; k < roles.size(); ++k) {
        const std::string& file = (cfg.*roles[k]->spec).file;
        std::string* sha256 = hashes && hashes->count(file) ? nullptr : &read_hash[k];
        decoded.push_back(std::async(policy, [&cfg, role = roles[k], info = &infos[k], sha256] {
            return load_channel(cfg, *role, *info, sha256);
        }));
    }
    std::future<Image<std::uint16_t>> labels;
    if (!cfg.regions.labels_file.empty()) labels = std::async(policy, [&cfg] { return read_labels(cfg); });
    for (std::size_t k = 0; k < roles.size(); ++k) {
        const ChannelSpec& spec = cfg.*roles[k]->spec;
        Image<float>& image = s.*roles[k]->image;
        image = decoded[k].get();
        if (k > 0) check_scan_size(image.nx, image.ny, spec.file, s);
        const TiffInfo& info = infos[k];
        if (s.file_scan_size.file.empty() && info.pixel_size_x_m > 0.0)
            s.file_scan_size = {spec.file, info.pixel_size_x_m * image.nx, info.pixel_size_y_m * image.ny};
        std::string sha256 = read_hash[k];
        if (sha256.empty()) sha256 = cached_sha256(spec.file, hashes);
        else if (hashes) hashes->emplace(spec.file, sha256);
        s.inputs.push_back({roles[k]->name, spec.file, sha256});
    }
    if (labels.valid()) attach_labels(s, labels.get(), hashes);
    attach_hand_drawn_regions(s, hashes);
    return s;
}

}  // namespace amfm
