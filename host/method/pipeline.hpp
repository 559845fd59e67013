// One scan through the whole method: level -> per-pixel stage -> statistics.
#pragma once

#include <string>

#include "amfm/kernels/backend.hpp"
#include "host/method/indentation.hpp"
#include "host/method/regions.hpp"
#include "host/method/sanity.hpp"
#include "host/method/segmentation.hpp"
#include "host/method/statistics.hpp"
#include "host/method/uncertainty.hpp"
#include "host/model/scan.hpp"

namespace amfm {

struct ScanResult {
    Image<float> height_leveled_m;
    Image<float> tilt_deg;
    Image<float> modulus_gpa;
    Image<std::uint8_t> mask;
    Image<float> indentation_nm;  // flat-punch indentation depth, NaN where the modulus is masked
    RegionMap regions;
    bool segmented = false;     // regions.auto: the regions come from `segmentation`
    Segmentation segmentation;
    StatisticsResult stats;
    IndentationStats indentation;  // median indentation per region, class and map
    ScanUncertainty uncertainty;  // every region's uncertainty budget (uncertainty.hpp)
    std::vector<SanityWarning> warnings;  // the sanity checks' findings (sanity.hpp); empty for a clean scan
    std::string backend_name, backend_device;
    double seconds_pixel_stage = 0.0, seconds_statistics = 0.0;
};

// The per-pixel parameters for a scan's configuration (shared by process and bench).
PixelParams make_pixel_params(const ScanConfig& cfg, int nx, int ny);

struct ProcessOptions {
    bool keep_class_values = false;  // ClassStats::values_gpa filled (a series' quantile sketches)
};

// DataError (require_valid_pixels) when every pixel is masked: nothing meaningful to report.
ScanResult process_scan(const Scan& scan, Backend& backend, const ProcessOptions& options = {});

// process_scan for a caller done with the scan's heights: where levelling is off (processing.level:
// none) the height channel moves into ScanResult::height_leveled_m instead of being copied, and
// scan.height_m is left without pixels (its nx, ny stay).
ScanResult process_scan_taking_height(Scan& scan, Backend& backend, const ProcessOptions& options = {});

}  // namespace amfm
