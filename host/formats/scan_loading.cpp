// Loading pieces shared by the scan readers (scan_loading.hpp).
#include "host/formats/scan_loading.hpp"

#include <algorithm>

#include "amfm/kernels/error.hpp"
#include "host/formats/roi_io.hpp"
#include "host/formats/tiff_io.hpp"
#include "host/model/hash.hpp"

namespace amfm {

namespace {

std::string size_text(int nx, int ny) { return std::to_string(nx) + "x" + std::to_string(ny); }

}  // namespace

std::string cached_sha256(const std::string& path, std::map<std::string, std::string>* cache) {
    if (!cache) return sha256_file(path);
    auto it = cache->find(path);
    if (it == cache->end()) it = cache->emplace(path, sha256_file(path)).first;
    return it->second;
}

ChannelScale channel_scale(const ScanConfig& cfg, const ChannelRole& role) {
    const ChannelSpec& spec = cfg.*role.spec;
    // Only df2 can be absolute.
    return {spec.scale * channel_unit_factor(role.name, spec.unit), spec.absolute ? cfg.cantilever.f2_hz : 0.0};
}

Image<float> to_canonical_units(const Image<double>& raw, const ScanConfig& cfg, const ChannelRole& role) {
    const ChannelScale scale = channel_scale(cfg, role);
    Image<float> out(raw.nx, raw.ny);
    for (std::size_t i = 0; i < raw.size(); ++i) out.px[i] = (float)(raw.px[i] * scale.factor - scale.offset);
    return out;
}

void check_scan_size(int nx, int ny, const std::string& file, const Scan& s) {
    if (nx != s.nx() || ny != s.ny())
        throw DataError(file + ": size " + size_text(nx, ny) + " does not match the height channel " +
                        s.config.height.file + " (" + size_text(s.nx(), s.ny()) + ")");
}

Image<std::uint16_t> read_labels(const ScanConfig& cfg) {
    TiffInfo info;
    Image<std::uint16_t> labels = read_label_image(cfg.regions.labels_file, &info, std::max(0, cfg.regions.labels_page));
    // As for channels: the first page of several is not silently taken for the whole file.
    if (cfg.regions.labels_page < 0 && info.pages > 1)
        throw ConfigError(cfg.source + ": regions.labels: " + cfg.regions.labels_file + " holds " +
                          std::to_string(info.pages) + " pages; one label image per page goes with "
                          "stack: {pages: all} (page k labels scan k)");
    return labels;
}

void attach_labels(Scan& s, Image<std::uint16_t>&& labels, std::map<std::string, std::string>* hashes) {
    const std::string& file = s.config.regions.labels_file;
    check_scan_size(labels.nx, labels.ny, file, s);
    s.labels = std::move(labels);
    s.inputs.push_back({"labels", file, cached_sha256(file, hashes)});
}

void attach_hand_drawn_regions(Scan& s, std::map<std::string, std::string>* hashes) {
    const RegionsConfig& regions = s.config.regions;
    if (regions.rois_file.empty() && regions.mask_files.empty()) return;
    s.labels = hand_drawn_labels(regions, s.nx(), s.ny());
    for (const std::string& f : hand_drawn_files(regions)) s.inputs.push_back({"regions", f, cached_sha256(f, hashes)});
}

}  // namespace amfm
