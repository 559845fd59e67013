// Regions: the label image mapped to dense region indices, with names and classes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "host/model/config.hpp"
#include "host/model/image.hpp"

namespace amfm {

struct RegionInfo {
    int label = 0;          // value in the label image (1..65535)
    std::string name;       // from YAML, or the label number
    std::string class_name;  // from YAML, or "unclassified"
};

struct RegionMap {
    std::vector<RegionInfo> regions;  // sorted by label
    Image<std::int32_t> index;        // per pixel: position in `regions`, or -1 (label 0)
    bool from_labels = false;         // false: no label image, the whole map is region "map"
};

// Every label present in the image plus every label named in the YAML (a named label with no
// pixels is reported with zero pixels). Without a label image: one region covering the map.
RegionMap build_region_map(const Image<std::uint16_t>& labels, const RegionsConfig& cfg, int nx, int ny);

// The pixels a slope estimate reads: central differences the four +-1 neighbours, the local
// plane its (2 window_half + 1)^2 window; margin_px widens either by that many pixels each way.
struct SlopeStencil {
    TiltMethod method = TiltMethod::CentralDifference;
    int window_half = 1;  // local plane only
    int margin_px = 0;
};
SlopeStencil slope_stencil(const ScanConfig& cfg);

// Sets kMaskEdge on every region pixel whose stencil reaches a pixel of another region or of none
// (label 0): its slope blends two surfaces. The map's borders clip the stencil, as the slope does.
// Without a label image (one region covering the map) no pixel is an edge.
void mark_region_edges(const RegionMap& regions, const SlopeStencil& stencil, Image<std::uint8_t>& mask);

}  // namespace amfm
