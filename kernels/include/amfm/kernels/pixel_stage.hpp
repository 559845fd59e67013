// The fused per-pixel stage: slope -> tilt -> apparent modulus -> Kc correction -> mask bits.
// One function, called by the CPU loop and the CUDA kernel alike.
#pragma once

#include <cmath>
#include <cstdint>

#include "amfm/kernels/hd.hpp"
#include "amfm/kernels/mask.hpp"
#include "amfm/kernels/physics.hpp"
#include "amfm/kernels/tilt.hpp"
#include "amfm/kernels/tilt_correction.hpp"

namespace amfm {

// Channels in canonical units, row-major, nx * ny each. amplitude1_m and region may be null.
struct PixelInputs {
    const float* height_m = nullptr;
    const float* phase1_deg = nullptr;
    const float* df2_hz = nullptr;       // frequency shift (absolute frequencies already minus f2)
    const float* amplitude1_m = nullptr;  // per-pixel first-mode amplitude; null: setpoint
    const std::int32_t* region = nullptr;  // dense region index, -1 = unlabelled; null: no labels
};

struct PixelOutputs {
    float* tilt_deg = nullptr;
    float* modulus_gpa = nullptr;  // tilt-corrected; NaN where (mask & kMaskInvalid) != 0
    std::uint8_t* mask = nullptr;
};

struct PixelParams {
    int nx = 0, ny = 0;
    double dx_m = 0.0, dy_m = 0.0;  // physical pixel pitch
    TiltMethod tilt_method = TiltMethod::CentralDifference;
    int window_half = 1;  // local plane: window is (2*half+1)^2
    ModulusModel model{};
    TiltCorrection correction{};
};

template <class Z>
AMFM_HD Slope pixel_slope(const Z& z, const PixelParams& p, int x, int y) {
    return p.tilt_method == TiltMethod::LocalPlane
               ? slope_local_plane(z, p.nx, p.ny, x, y, p.dx_m, p.dy_m, p.window_half)
               : slope_central(z, p.nx, p.ny, x, y, p.dx_m, p.dy_m);
}

// Everything after the slope, for pixel i. Split out so a kernel with its own slope code
// path (shared-memory tile) still shares the physics.
AMFM_HD void pixel_finish(const PixelInputs& in, const PixelParams& p, const PixelOutputs& out,
                          long long i, const Slope& s) {
    std::uint8_t m = 0;
    const double phase = in.phase1_deg[i];
    const double df2 = in.df2_hz[i];
    const double a1 = in.amplitude1_m ? (double)in.amplitude1_m[i] : p.model.a1_set_m;
    double tilt = NAN;
    if (s.ok) tilt = tilt_deg_from_slope(s.gx, s.gy);
    if (!s.ok || !isfinite(phase) || !isfinite(df2) || !isfinite(a1) || !(a1 > 0.0)) m |= kMaskNonFinite;
    if (isfinite(tilt) && tilt > p.correction.max_angle_deg) m |= kMaskTiltOverCutoff;
    if (isfinite(phase) && !(cos_deg(phase) > 0.0)) m |= kMaskPhaseNotRepulsive;
    if (isfinite(df2) && !(df2 > 0.0)) m |= kMaskDf2NotPositive;
    if (in.region && in.region[i] < 0) m |= kMaskUnlabelled;

    float modulus = NAN;
    if (!(m & kMaskInvalid)) {
        const double apparent = amfm_modulus_pa(p.model, phase, df2, a1);
        const double kc = kc_factor(p.correction, tilt);
        const double e = apparent / kc * 1e-9;
        if (isfinite(e) && kc > 0.0) {
            modulus = (float)e;
        } else {
            m |= kMaskNonFinite;
        }
    }
    out.tilt_deg[i] = (float)tilt;
    out.modulus_gpa[i] = modulus;
    out.mask[i] = m;
}

// Row-major accessor over a plain array.
struct RowMajorHeights {
    const float* z;
    int nx;
    AMFM_HD float operator()(int x, int y) const { return z[(long long)y * nx + x]; }
};

AMFM_HD void pixel_stage_at(const PixelInputs& in, const PixelParams& p, const PixelOutputs& out,
                            int x, int y) {
    const RowMajorHeights z{in.height_m, p.nx};
    pixel_finish(in, p, out, (long long)y * p.nx + x, pixel_slope(z, p, x, y));
}

}  // namespace amfm
