// results.gwy: a processed scan's maps for Gwyddion.
#pragma once

#include <string>

#include "host/method/pipeline.hpp"
#include "host/model/scan.hpp"
#include "host/report/outputs.hpp"

namespace amfm {

// A processed scan's maps as one .gwy (results.gwy): /0 "Modulus (tilt-corrected)" in Pa
// (masked where undefined), /1 "Tilt" in deg, /2 "Mask reason bits", /3 "Topography (levelled)"
// in m (the height as processing.level left it); metadata: amfm version,
// command line, sample, backend, every cantilever parameter and the tip radius.
void write_scan_gwy(const std::string& path, const Scan& scan, const ScanResult& result, const RunInfo& run);

}  // namespace amfm
