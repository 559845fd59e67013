// The uncertainty budget of every region's Gaussian centre: statistical terms (the fit's
// covariance) and systematic terms (the tip radius, k1, the Kc curve), each alone and combined.
#pragma once

#include <cstdint>
#include <limits>
#include <vector>

#include "host/method/regions.hpp"
#include "host/method/statistics.hpp"
#include "host/model/config.hpp"
#include "host/model/image.hpp"

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

// One Gaussian centre's budget, GPa (one sigma each). Undefined (NaN) where the centre is not
// presented, or where a term's input is not given (R's or k1's uncertainty, the Kc fit's covariance).
struct UncertaintyBudget {
    static constexpr double kUndefined = std::numeric_limits<double>::quiet_NaN();
    // Statistical: from the covariance of the histogram fit's parameters, Poisson counts per bin
    // (pixels taken as independent: neighbours correlate, so these are lower bounds).
    double center_se_gpa = kUndefined;
    double sigma_se_gpa = kUndefined;
    // Systematic: shift every pixel of the region the same way, so they do not average out.
    double radius_gpa = kUndefined;   // sigma_R / R x centre
    double k1_gpa = kUndefined;       // |d ln E / d ln k1| sigma_k1 / k1 x centre; 0 when R's calibration cancels it
    double kc_tilt_gpa = kUndefined;  // tilt noise x |dKc/dtheta| / Kc at the region's median tilt x centre
    double kc_fit_gpa = kUndefined;   // sqrt(v^T C v) / Kc at that tilt x centre, C the Kc fit's covariance
    double systematic_gpa = kUndefined;  // quadrature sum of the systematic terms that are defined
    double combined_gpa = kUndefined;    // quadrature sum of center_se_gpa and systematic_gpa
};

struct ScanUncertainty {
    SystematicUncertainty calibration;
    double height_noise_m = 0.0;  // white height noise of the levelled topography (height_noise.hpp)
    double tilt_noise_deg = 0.0;  // one sigma of a pixel's tilt from that noise and the slope stencil
    std::vector<UncertaintyBudget> regions;  // as StatisticsResult::regions
    UncertaintyBudget whole_map;
};

// One sigma of a pixel's tilt (degrees) for white height noise `noise_m`: central differences
// sigma_slope = noise / (sqrt(2) pitch), the local plane normal_scatter_deg; on the finer axis.
double tilt_noise_deg(double noise_m, double dx_m, double dy_m, TiltMethod method, int window);

// Standard errors (axis units) of the fitted centre and sigma of a region's histogram: the
// covariance of the unweighted least-squares fit at its minimum when each bin's count is Poisson
// around the fitted model; NaN when the fit has no centre or more parameters than bins.
// `fit_offset`: whether the offset was a fitted parameter.
struct FitStandardErrors {
    double center = std::numeric_limits<double>::quiet_NaN();
    double sigma = std::numeric_limits<double>::quiet_NaN();
    double center_sigma_covariance = std::numeric_limits<double>::quiet_NaN();
};
FitStandardErrors fit_standard_errors(const RegionStats& r, bool fit_offset);

// |dKc/dtheta| / Kc at `tilt_deg` (1/deg), for any Kc model (central difference, 1e-3 deg).
double kc_log_slope_per_deg(const TiltCorrection& tc, double tilt_deg);

// Relative standard error of Kc at `tilt_deg` from the polynomial fit's coefficient covariance
// (tilt_correction.covariance); NaN when none is recorded or the model is not the polynomial.
double kc_fit_relative_error(const TiltCorrection& tc, const std::vector<double>& covariance, double tilt_deg);

// The budget of one region (or the whole map) whose valid pixels have median tilt `tilt_deg`.
UncertaintyBudget region_uncertainty(const RegionStats& r, const ScanConfig& cfg, const SystematicUncertainty& cal,
                                     double tilt_noise_deg, double tilt_deg);

// Every region's budget and the whole map's. The tilt noise comes from the levelled height's
// white noise; a region's tilt is the median over its valid pixels (the whole map: every valid pixel).
ScanUncertainty scan_uncertainty(const ScanConfig& cfg, const StatisticsResult& stats, const RegionMap& regions,
                                 const Image<float>& height_leveled_m, const Image<float>& tilt_deg,
                                 const Image<std::uint8_t>& mask);

}  // namespace amfm
