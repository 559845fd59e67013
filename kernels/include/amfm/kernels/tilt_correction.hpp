// Tilt correction Kc(theta): the ratio apparent / real modulus on a surface tilted by theta.
// Corrected E = E_apparent / Kc(theta); pixels with theta above the cutoff are masked.
#pragma once

#include <cmath>

#include "amfm/kernels/fastmath.hpp"
#include "amfm/kernels/hd.hpp"
#include "amfm/kernels/physics.hpp"

namespace amfm {

enum class KcModel : int {
    None = 0,        // Kc = 1: no correction (the cutoff mask still applies)
    Polynomial = 1,  // Kc = sum c_i theta^i, theta in degrees (the paper's calibration)
    CosPower = 2,    // Kc = (cos theta)^n, the geometric model (n = 2.5 in the paper)
};

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

// Kc for a model fixed at compile time: the CPU loop is instantiated per model, so the
// polynomial path contains no libm call and vectorises. The polynomial always runs over all
// kMaxKcCoefficients terms (a fixed trip count); terms past n_coefficients add exact zeros.
template <KcModel M>
AMFM_HD double kc_factor_for(const TiltCorrection& tc, double tilt_deg) {
    if constexpr (M == KcModel::Polynomial) {
        double acc = 0.0;
        for (int i = kMaxKcCoefficients - 1; i >= 0; --i)
            acc = acc * tilt_deg + (i < tc.n_coefficients ? tc.coefficients[i] : 0.0);
        return acc;
    } else if constexpr (M == KcModel::CosPower) {
        return pow(cos_deg(tilt_deg), tc.cos_exponent);
    } else {
        return 1.0;
    }
}

AMFM_HD double kc_factor(const TiltCorrection& tc, double tilt_deg) {
    switch (tc.model) {
        case KcModel::Polynomial: return kc_factor_for<KcModel::Polynomial>(tc, tilt_deg);
        case KcModel::CosPower: return kc_factor_for<KcModel::CosPower>(tc, tilt_deg);
        case KcModel::None:
        default: return kc_factor_for<KcModel::None>(tc, tilt_deg);
    }
}

}  // namespace amfm
