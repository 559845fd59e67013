// The fused per-pixel stage: slope -> tilt -> apparent modulus -> Kc correction -> mask bits.
// One definition, called by the CPU loop and the CUDA kernel alike.
#pragma once

#include <cmath>
#include <cstdint>

#include "amfm/kernels/fastmath.hpp"
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

// What the stage derives from PixelParams once per scan, so that no pixel divides by a per-scan
// constant or selects its Kc terms. make_pixel_constants is the one place it is computed: both
// backends call it on the host and pass the result by value to every pixel. Each value is the
// expression the per-pixel code evaluated before, so the results are bit for bit the same.
struct PixelConstants {
    double inv_dx_per_m = 0.0, inv_dy_per_m = 0.0;  // 1 / pitch
    double punch_prefactor_per_m = 0.0;             // (pi / R) sqrt(1/6)
    double first_mode_scale_set_n_per_m = 0.0;      // k1/Q1 * A1free / A1set (no per-pixel amplitude)
    KcCoefficients kc{};                            // zero past n_coefficients
};

AMFM_HD PixelConstants make_pixel_constants(const PixelParams& p) {
    PixelConstants c;
    c.inv_dx_per_m = 1.0 / p.dx_m;
    c.inv_dy_per_m = 1.0 / p.dy_m;
    c.punch_prefactor_per_m = punch_prefactor(p.model.contact_radius_m);
    c.first_mode_scale_set_n_per_m = p.model.k1_over_q1_a1free / p.model.a1_set_m;
    c.kc = kc_padded_coefficients(p.correction);
    return c;
}

template <class Z>
AMFM_HD Slope pixel_slope(const Z& z, const PixelParams& p, const PixelConstants& c, int x, int y) {
    return p.tilt_method == TiltMethod::LocalPlane
               ? slope_local_plane(z, p.nx, p.ny, x, y, p.dx_m, p.dy_m, p.window_half)
               : slope_central_inv_pitch(z, p.nx, p.ny, x, y, c.inv_dx_per_m, c.inv_dy_per_m);
}

// What the stage computes for one pixel.
struct PixelResult {
    double tilt_deg;
    double modulus_gpa;  // NaN where (mask & kMaskInvalid) != 0
    unsigned long long mask;  // 64-bit like the doubles, so the CPU loop vectorises at one width
};

// Everything after the slope (gx, gy; NaN: no slope), on plain values; first_mode_scale is
// k1/Q1 * A1free / a1 (PixelConstants' value when a1 is the setpoint). Straight-line code with
// selects, no early exits and no libm call for the polynomial Kc, so that the CPU loop
// vectorises; the Kc model is a template parameter for the same reason.
template <KcModel M>
AMFM_HD PixelResult pixel_physics(const PixelParams& p, const PixelConstants& c, double gx, double gy,
                                  double phase, double df2, double a1, double first_mode_scale, bool unlabelled) {
    const double tilt = tilt_deg_from_slope(gx, gy);  // NaN without a slope
    const double cos_phase = cos_deg(phase);

    // Conditions combined with bitwise operators rather than && and ||: GCC if-converts and
    // vectorises this form.
    const bool has_slope = isfinite(gx) & isfinite(gy);
    const bool finite_inputs = has_slope & isfinite(phase) & isfinite(df2) & isfinite(a1) & (a1 > 0.0);
    unsigned long long m = 0;
    m |= finite_inputs ? 0ull : (unsigned long long)kMaskNonFinite;
    m |= (tilt > p.correction.max_angle_deg) ? (unsigned long long)kMaskTiltOverCutoff : 0ull;
    m |= (isfinite(phase) & !(cos_phase > 0.0)) ? (unsigned long long)kMaskPhaseNotRepulsive : 0ull;
    m |= (isfinite(df2) & !(df2 > 0.0)) ? (unsigned long long)kMaskDf2NotPositive : 0ull;
    m |= unlabelled ? (unsigned long long)kMaskUnlabelled : 0ull;

    const double kc = kc_factor_padded<M>(p.correction, c.kc, tilt);
    const double e_apparent_pa = amfm_modulus_hoisted_pa(c.punch_prefactor_per_m, p.model.two_k2_over_f2,
                                                         first_mode_scale, cos_phase, df2);
    const double e_gpa = e_apparent_pa / kc * 1e-9;
    // A Kc curve that reaches 0 or below inside the cutoff leaves no defined modulus.
    const bool defined = isfinite(e_gpa) & (kc > 0.0);
    m |= ((m & kMaskInvalid) == 0 && !defined) ? (unsigned long long)kMaskNonFinite : 0ull;
    return PixelResult{tilt, (m & kMaskInvalid) ? (double)NAN : e_gpa, m};
}

// pixel_physics for pixel i of the arrays.
template <KcModel M>
AMFM_HD void pixel_finish_for(const PixelInputs& in, const PixelParams& p, const PixelConstants& c,
                              const PixelOutputs& out, long long i, double gx, double gy) {
    const double a1 = in.amplitude1_m ? (double)in.amplitude1_m[i] : p.model.a1_set_m;
    const double scale = in.amplitude1_m ? p.model.k1_over_q1_a1free / a1 : c.first_mode_scale_set_n_per_m;
    const bool unlabelled = in.region && in.region[i] < 0;
    const PixelResult r = pixel_physics<M>(p, c, gx, gy, in.phase1_deg[i], in.df2_hz[i], a1, scale, unlabelled);
    out.tilt_deg[i] = (float)r.tilt_deg;
    out.modulus_gpa[i] = (float)r.modulus_gpa;
    out.mask[i] = (std::uint8_t)r.mask;
}

// Row-major accessor over a plain array.
struct RowMajorHeights {
    const float* z;
    int nx;
    AMFM_HD float operator()(int x, int y) const { return z[(long long)y * nx + x]; }
};

// One pixel on its own (the serial reference the tests compare the backends with).
AMFM_HD void pixel_stage_at(const PixelInputs& in, const PixelParams& p, const PixelOutputs& out,
                            int x, int y) {
    const RowMajorHeights z{in.height_m, p.nx};
    const PixelConstants c = make_pixel_constants(p);
    const Slope s = pixel_slope(z, p, c, x, y);
    with_kc_model(p.correction.model, [&](auto tag) {
        pixel_finish_for<decltype(tag)::value>(in, p, c, out, (long long)y * p.nx + x, s.gx, s.gy);
    });
}

}  // namespace amfm
