// The CPU backend's per-pixel stage (Backend::pixel_stage), in its own translation unit.
#pragma once

#include "amfm/kernels/pixel_stage.hpp"

namespace amfm {

void cpu_pixel_stage(const PixelInputs& in, const PixelParams& p, const PixelOutputs& out);

}  // namespace amfm
