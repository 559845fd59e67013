// One scan through the whole method: level -> per-pixel stage -> statistics.
#pragma once

#include <string>

#include "amfm/host/regions.hpp"
#include "amfm/host/scan.hpp"
#include "amfm/host/segmentation.hpp"
#include "amfm/host/statistics.hpp"
#include "amfm/kernels/backend.hpp"

namespace amfm {

struct ScanResult {
    Image<float> height_leveled_m;
    Image<float> tilt_deg;
    Image<float> modulus_gpa;
    Image<std::uint8_t> mask;
    RegionMap regions;
    bool segmented = false;     // regions.auto: the regions come from `segmentation`
    Segmentation segmentation;
    StatisticsResult stats;
    // Relative systematic uncertainty of every modulus from the tip radius's (and k1's)
    // calibration uncertainty; 0 when none is given.
    double systematic_rel = 0.0;
    std::string backend_name, backend_device;
    double seconds_pixel_stage = 0.0, seconds_statistics = 0.0;
};

// The per-pixel parameters for a scan's configuration (shared by process and bench).
PixelParams make_pixel_params(const ScanConfig& cfg, int nx, int ny);

ScanResult process_scan(const Scan& scan, Backend& backend);

}  // namespace amfm
