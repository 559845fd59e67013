// The systematic uncertainty that the calibration inputs (tip radius, k1) put on every modulus.
#pragma once

#include "host/model/config.hpp"

namespace amfm {

// Relative systematic uncertainty of every modulus in a scan from the calibration inputs.
// E is proportional to 1/R. At fixed R, E is proportional to k1^(-1/2) k2^(3/2): k1^1 when
// k2 = k1 (f2/f1)^2 is derived, k1^(-1/2) when k2 is given. When R itself was calibrated on a
// reference with this cantilever (tip.cantilever recorded), an error in k1 scales the
// reference's R the same way and cancels from the sample's modulus: only R's term remains.
struct SystematicUncertainty {
    double radius_rel = 0.0;  // sigma_R / R
    double k1_rel = 0.0;      // sigma_k1 / k1 (0: not given or cancelled)
    double k1_exponent = 0.0; // d ln E / d ln k1 at fixed R
    double total_rel = 0.0;   // quadrature sum
};
SystematicUncertainty modulus_systematic_uncertainty(const ScanConfig& cfg);

}  // namespace amfm
