// The white height noise of a topography, estimated from the data, and the local-plane window
// it calls for (automatic regions, segmentation.hpp).
#pragma once

#include <cstdint>
#include <vector>

#include "host/model/image.hpp"

namespace amfm {

// RMS of the white height noise (m): the median absolute third difference along the rows,
// z[x-1] - 3 z[x] + 3 z[x+1] - z[x+2], scaled to a Gaussian sigma (1.4826 MAD / sqrt(20)).
// The third difference cancels every plane and parabola, and so tilt, slow curvature and
// scan-line offsets; the median ignores the few stencils across an edge or a ridge. `where`
// (optional, same size, non-zero = use) restricts the stencils to pixels whose four samples all lie
// inside it. Scans above 2^18 pixels use every k-th row (k = pixels / 2^18). 0 when no stencil
// has four finite samples.
double estimate_height_noise_m(const Image<float>& height_m, const std::vector<std::uint8_t>& where = {});

// Half width h of the smallest local-plane window (2h+1)^2, h in [1, max_half], whose slope noise
// for white height noise noise_m keeps the normal's scatter (one sigma, degrees) below
// scatter_deg: sigma_slope = noise / (pitch sqrt((2h+1) sum_{k=-h..h} k^2)) on the finer axis (the
// larger slope noise).
int noise_adapted_half_window(double noise_m, double dx_m, double dy_m, double scatter_deg, int max_half);

// The normal scatter (one sigma, degrees) of a (2h+1)^2 local-plane fit for white noise noise_m.
double normal_scatter_deg(double noise_m, double dx_m, double dy_m, int half);

}  // namespace amfm
