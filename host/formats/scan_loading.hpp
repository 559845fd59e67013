// The pieces every scan reader uses: file hashes, channels to canonical units, the size rule,
// and the regions (label image, ImageJ ROIs, masks) with their provenance.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "host/model/channels.hpp"
#include "host/model/image.hpp"
#include "host/model/scan.hpp"

namespace amfm {

// A file's SHA-256, from `cache` when given (and filled on a miss).
std::string cached_sha256(const std::string& path, std::map<std::string, std::string>* cache);

// How a channel's raw values become canonical units: raw * factor - offset (factor: scale * unit
// factor; offset: f2 for an absolute df2), computed in double so that e.g. an absolute 1.71 MHz
// keeps its sub-Hz shift.
struct ChannelScale {
    double factor = 1.0, offset = 0.0;
};
ChannelScale channel_scale(const ScanConfig& cfg, const ChannelRole& role);

// One channel in canonical units by channel_scale.
Image<float> to_canonical_units(const Image<double>& raw, const ScanConfig& cfg, const ChannelRole& role);

// DataError naming `file` and the height channel unless `nx` x `ny` is the scan's size.
void check_scan_size(int nx, int ny, const std::string& file, const Scan& s);

// The label image cfg.regions.labels_file (its page, or its only page).
Image<std::uint16_t> read_labels(const ScanConfig& cfg);

// Sets s.labels to `labels` (size-checked) and records the file in s.inputs.
void attach_labels(Scan& s, Image<std::uint16_t>&& labels, std::map<std::string, std::string>* hashes);

// Hand-drawn regions (ImageJ ROIs or masks), when the configuration names any, as s.labels,
// their files recorded in s.inputs.
void attach_hand_drawn_regions(Scan& s, std::map<std::string, std::string>* hashes);

}  // namespace amfm
