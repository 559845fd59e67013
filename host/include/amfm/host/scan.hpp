// One AM-FM scan in canonical units, as the pipeline consumes it.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "amfm/host/config.hpp"
#include "amfm/host/image.hpp"

namespace amfm {

struct InputFile {
    std::string role;    // "height", "phase1", "df2", "amplitude1", "labels", "regions" (ROIs/masks), "config"
    std::string path;
    std::string sha256;  // hex digest of the file's bytes
};

struct Scan {
    ScanConfig config;
    Image<float> height_m;
    Image<float> phase1_deg;
    Image<float> df2_hz;        // frequency shift (absolute frequencies already minus f2)
    Image<float> amplitude1_m;  // empty when the setpoint is used
    Image<std::uint16_t> labels;  // empty when no label image is given
    std::vector<InputFile> inputs;

    int nx() const { return height_m.nx; }
    int ny() const { return height_m.ny; }
    double pixel_size_x_m() const { return config.scan_size_x_m / nx(); }
    double pixel_size_y_m() const { return config.scan_size_y_m / ny(); }
};

// Factor from a channel's file unit to the canonical unit (m, deg, Hz); ConfigError naming
// the channel for a unit it cannot have.
double channel_unit_factor(const std::string& channel, const std::string& unit);

// Reads every channel (TIFF; `page` of a multi-page file) and the label image, converts to
// canonical units, hashes the files, and checks that all sizes agree (DataError naming both
// files otherwise). A multi-page channel file without `page`, a page past the end, or a
// `stack:` configuration (stack.hpp processes those page by page) is a ConfigError.
// `hashes` (path -> SHA-256), when given, is used and filled so that a stack's files are
// hashed once. `concurrent`: the files are decoded on a thread each (faster when cores are
// idle; a loop that already overlaps reading with other stages passes whether it has cores to
// spare, see stage_threads_have_spare_cores).
Scan load_scan(const ScanConfig& cfg, std::map<std::string, std::string>* hashes = nullptr, bool concurrent = true);

// SHA-256 of a file's bytes as lowercase hex.
std::string sha256_file(const std::string& path);

}  // namespace amfm
