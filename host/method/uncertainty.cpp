// Systematic uncertainty of the modulus from the calibration inputs (see uncertainty.hpp).
#include "host/method/uncertainty.hpp"

#include <cmath>

namespace amfm {

SystematicUncertainty modulus_systematic_uncertainty(const ScanConfig& cfg) {
    SystematicUncertainty u;
    u.radius_rel = cfg.tip_calibration.radius_uncertainty_m / cfg.tip_radius_m;
    u.k1_exponent = cfg.cantilever.k2_n_per_m > 0.0 ? -0.5 : 1.0;
    const bool r_calibrated_with_this_k1 = cfg.tip_calibration.k1_n_per_m > 0.0;
    u.k1_rel = r_calibrated_with_this_k1 ? 0.0 : cfg.k1_uncertainty_n_per_m / cfg.cantilever.k1_n_per_m;
    u.total_rel = std::hypot(u.radius_rel, u.k1_exponent * u.k1_rel);
    return u;
}

}  // namespace amfm
