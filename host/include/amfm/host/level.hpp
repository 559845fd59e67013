// Height levelling before the tilt stage (for scanner artefacts only: levelling changes the
// real tilt of a sample's facets, so the default is none).
#pragma once

#include "amfm/host/config.hpp"
#include "amfm/host/image.hpp"

namespace amfm {

// Subtracts the least-squares plane through all finite pixels.
void level_plane(Image<float>& height_m);

// Shifts every row so that its median (over finite pixels) is zero: removes the line-to-line
// offsets of the slow scan axis without touching slopes along the fast axis.
void level_rows_median(Image<float>& height_m);

void apply_leveling(Leveling method, Image<float>& height_m);

}  // namespace amfm
