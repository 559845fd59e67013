// Tilt correction Kc(theta): the ratio apparent / real modulus on a surface tilted by theta.
// Corrected E = E_apparent / Kc(theta); pixels with theta above the cutoff are masked.
#pragma once

#include <cmath>

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

AMFM_HD double kc_factor(const TiltCorrection& tc, double tilt_deg) {
    switch (tc.model) {
        case KcModel::Polynomial: {
            double acc = 0.0;
            for (int i = tc.n_coefficients - 1; i >= 0; --i) acc = acc * tilt_deg + tc.coefficients[i];
            return acc;
        }
        case KcModel::CosPower:
            return pow(cos(tilt_deg / kDegPerRad), tc.cos_exponent);
        case KcModel::None:
        default:
            return 1.0;
    }
}

}  // namespace amfm
