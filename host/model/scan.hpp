// One AM-FM scan in canonical units, as the pipeline consumes it.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "host/model/config.hpp"
#include "host/model/image.hpp"

namespace amfm {

struct InputFile {
    std::string role;    // "height", "phase1", "df2", "amplitude1", "labels", "regions" (ROIs/masks), "config"
    std::string path;
    std::string sha256;  // hex digest of the file's bytes
};

// The scan size a channel file's own calibration claims (its resolution tags), checked against
// scan_size (sanity.hpp); file empty: no channel file claims one.
struct FileScanSize {
    std::string file;
    double x_m = 0.0, y_m = 0.0;
};

struct Scan {
    ScanConfig config;
    Image<float> height_m;
    Image<float> phase1_deg;
    Image<float> df2_hz;        // frequency shift (absolute frequencies already minus f2)
    Image<float> amplitude1_m;  // empty when the setpoint is used
    Image<std::uint16_t> labels;  // empty when no label image is given
    std::vector<InputFile> inputs;
    // What an instrument file says about itself (a file read by Gwyddion: its metadata), for regions.json.
    std::map<std::string, std::string> file_metadata;
    FileScanSize file_scan_size;  // the first channel file that claims one

    int nx() const { return height_m.nx; }
    int ny() const { return height_m.ny; }
    double pixel_size_x_m() const { return config.scan_size_x_m / nx(); }
    double pixel_size_y_m() const { return config.scan_size_y_m / ny(); }
};

}  // namespace amfm
