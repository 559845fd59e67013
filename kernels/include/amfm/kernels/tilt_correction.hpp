// Tilt correction Kc(theta): the ratio apparent / real modulus on a surface tilted by theta.
// Corrected E = E_apparent / Kc(theta); pixels with theta above the cutoff are masked.
#pragma once

#include <cmath>

#include "amfm/kernels/fastmath.hpp"
#include "amfm/kernels/hd.hpp"
#include "amfm/kernels/physics.hpp"

namespace amfm {

// The Kc models. Adding one takes an enumerator, its config name in kKcModelNames, a case in
// with_kc_model and its branch in kc_factor_for: every backend and the config follow from those.
enum class KcModel : int {
    None = 0,        // Kc = 1: no correction (the cutoff mask still applies)
    Polynomial = 1,  // Kc = sum c_i theta^i, theta in degrees (the paper's calibration)
    CosPower = 2,    // Kc = (cos theta)^n, the geometric model (n = 2.5 in the paper)
};

struct KcModelName {
    KcModel model;
    const char* name;  // as written in the scan YAML (tilt_correction.model)
};
inline constexpr KcModelName kKcModelNames[] = {
    {KcModel::Polynomial, "polynomial"}, {KcModel::CosPower, "cos"}, {KcModel::None, "none"}};

// A Kc model as a compile-time value: `decltype(tag)::value` inside the callback.
template <KcModel M>
struct KcModelTag {
    static constexpr KcModel value = M;
};

// Calls f(KcModelTag<m>{}) so that per-pixel code is instantiated once per model (the CPU loop
// then has no libm call on the polynomial path and vectorises; the GPU gets one kernel each).
// The one switch over KcModel that the backends use. Host-only callbacks (the CUDA launcher)
// are fine: the pragma tells nvcc not to check them against the __device__ side, as Thrust does.
#ifdef __CUDACC__
#pragma nv_exec_check_disable
#endif
template <class F>
AMFM_HD decltype(auto) with_kc_model(KcModel m, F&& f) {
    switch (m) {
        case KcModel::Polynomial: return f(KcModelTag<KcModel::Polynomial>{});
        case KcModel::CosPower: return f(KcModelTag<KcModel::CosPower>{});
        case KcModel::None:
        default: return f(KcModelTag<KcModel::None>{});
    }
}

constexpr int kMaxKcCoefficients = 8;

struct TiltCorrection {
    KcModel model = KcModel::Polynomial;
    int n_coefficients = 5;
    // The paper's polynomial fit (Experimental section, "Tilt angle calibration").
    double coefficients[kMaxKcCoefficients] = {1.00031, 0.00161, -1.43861e-4, -2.55867e-5,
                                               4.53632e-7, 0.0, 0.0, 0.0};
    double cos_exponent = 2.5;
    double max_angle_deg = 45.0;
};

// Horner over all kMaxKcCoefficients terms of `coefficients`, zero past the model's count (a fixed
// trip count and no per-term select: kc_padded_coefficients makes the array once per scan).
AMFM_HD double kc_polynomial(const double (&coefficients)[kMaxKcCoefficients], double tilt_deg) {
    double acc = 0.0;
    for (int i = kMaxKcCoefficients - 1; i >= 0; --i) acc = mul_add(acc, tilt_deg, coefficients[i]);
    return acc;
}

// The polynomial's coefficients with the terms past n_coefficients set to exact zeros.
struct KcCoefficients {
    double c[kMaxKcCoefficients];
};
AMFM_HD KcCoefficients kc_padded_coefficients(const TiltCorrection& tc) {
    KcCoefficients k;
    for (int i = 0; i < kMaxKcCoefficients; ++i) k.c[i] = i < tc.n_coefficients ? tc.coefficients[i] : 0.0;
    return k;
}

// Kc for a model fixed at compile time, with the polynomial's coefficients already padded: the CPU
// loop is instantiated per model, so the polynomial path contains no libm call and vectorises.
template <KcModel M>
AMFM_HD double kc_factor_padded(const TiltCorrection& tc, const KcCoefficients& padded, double tilt_deg) {
    if constexpr (M == KcModel::Polynomial) {
        return kc_polynomial(padded.c, tilt_deg);
    } else if constexpr (M == KcModel::CosPower) {
        return pow(cos_deg(tilt_deg), tc.cos_exponent);
    } else {
        return 1.0;
    }
}

template <KcModel M>
AMFM_HD double kc_factor_for(const TiltCorrection& tc, double tilt_deg) {
    return kc_factor_padded<M>(tc, kc_padded_coefficients(tc), tilt_deg);
}

AMFM_HD double kc_factor(const TiltCorrection& tc, double tilt_deg) {
    return with_kc_model(tc.model, [&](auto tag) { return kc_factor_for<decltype(tag)::value>(tc, tilt_deg); });
}

}  // namespace amfm
