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

}  // namespace amfm
