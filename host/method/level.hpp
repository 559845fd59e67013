// Height levelling before the tilt stage (for scanner artefacts only: levelling changes the
// real tilt of a sample's facets, so the default is none).
#pragma once

#include <cstdint>
#include <vector>

#include "host/model/config.hpp"
#include "host/model/image.hpp"

namespace amfm {

// Which pixels a levelling is fitted on: all finite ones (`use` empty) or those with use[i] != 0.
// The fit is then subtracted from every finite pixel.
using LevelReference = std::vector<std::uint8_t>;

// Subtracts the least-squares plane through the reference pixels.
void level_plane(Image<float>& height_m, const LevelReference& use = {});

// Shifts every row so that the median of its reference pixels is zero: removes the line-to-line
// offsets of the slow scan axis without touching slopes along the fast axis. A row without a
// reference pixel takes the median of all its finite pixels.
void level_rows_median(Image<float>& height_m, const LevelReference& use = {});

// The reference area of cfg.level_labels in a label image (empty when no labels are named).
// DataError naming the labels when none of their pixels is in the image.
LevelReference level_reference(const ScanConfig& cfg, const Image<std::uint16_t>& labels);

void apply_leveling(Leveling method, Image<float>& height_m, const LevelReference& use = {});

}  // namespace amfm
