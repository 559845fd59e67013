// The two calibrations of the Experimental section that every modulus depends on:
//  * the tip's contact radius R from a flat reference of known modulus ("Amplitude
//    modulation-frequency modulation mode"), with the paper's before/after 10 % acceptance rule;
//  * the tilt correction Kc(theta) from a scan of silica spheres ("Tilt angle calibration").
// Both write YAML blocks (`tip:`, `tilt_correction:`) that `amfm process --config` merges over a
// scan YAML;.
#pragma once

#include <string>
#include <vector>

#include "amfm/kernels/backend.hpp"
#include "host/method/statistics.hpp"
#include "host/model/config.hpp"
#include "host/model/image.hpp"
#include "host/model/scan.hpp"

namespace amfm {

// ---- reference samples and moduli ------------------------------------------------------------

struct ReferenceSample {
    std::string name;  // "polystyrene", "fused-silica", or the modulus as typed
    double modulus_pa = 0.0;
};

// "3GPa", "500 MPa", "73e9" (Pa), "70 GPa"; ConfigError naming `what` otherwise.
double parse_modulus_pa(const std::string& text, const std::string& what);

// "polystyrene" (3 GPa) and "fused-silica" (73 GPa), the paper's references, or a modulus.
ReferenceSample parse_reference(const std::string& text);

// A warning (empty when none) when the reference is more than a factor kReferenceRangeFactor
// away from the sample's expected modulus range [lo, hi]: the paper's advice is to calibrate on
// a reference close to the sample (b/c at 1-2 GPa on polystyrene, not fused silica).
constexpr double kReferenceRangeFactor = 3.0;
std::string reference_range_warning(const ReferenceSample& ref, double sample_lo_pa, double sample_hi_pa);

// ---- tip radius --------------------------------------------------------------------------------

constexpr long long kMinReferencePixels = 100;  // fewer valid pixels: no calibration
constexpr double kTipDriftLimit = 0.10;         // the paper's acceptance rule, |R2 - R1| / R1 < 10 %

// Per-pixel contact radius (m) that makes the reference read `reference_modulus_pa`; NaN where
// the equation is undefined (cos Phi1 <= 0, df2 <= 0, non-finite input).
Image<float> contact_radius_map_m(const Scan& scan, double reference_modulus_pa);

struct TipCalibrationResult {
    ReferenceSample reference;
    std::string source;      // the reference scan's YAML
    Cantilever cantilever;   // the cantilever it was measured with
    double radius_m = 0.0;   // Gaussian centre of the R histogram (median when the fit failed)
    double spread_m = 0.0;   // Gaussian sigma: the pixel-to-pixel spread
    double standard_error_m = 0.0;  // spread / sqrt(valid pixels)
    long long n_pixels = 0, n_valid = 0;
    std::string estimator;   // "gaussian centre" or "median (fit <state>)"
    RegionStats histogram;   // the R histogram (axis in nm) and its fit
};

// Solves for R on every pixel and takes the robust centre on `backend` (the statistics'
// histogram + Gaussian fit). DataError when fewer than kMinReferencePixels pixels are valid.
TipCalibrationResult calibrate_tip(const Scan& scan, const ReferenceSample& reference, Backend& backend);

// ConfigError naming both files when k1, f1 or f2 differ by more than 2 %: a radius does not
// carry over to another cantilever.
void check_same_cantilever(const Cantilever& a, const std::string& a_source, const Cantilever& b,
                           const std::string& b_source);

struct TipDrift {
    double before_m = 0.0, after_m = 0.0;
    double relative_change = 0.0;  // |after - before| / before
    bool accepted = false;         // relative_change < kTipDriftLimit
    double radius_m = 0.0;         // mean of both
    double uncertainty_m = 0.0;    // max(half the difference, the combined standard error)
};
TipDrift compare_tip_calibrations(const TipCalibrationResult& before, const TipCalibrationResult& after);

// The `tip:` block for `process --config` (radius, uncertainty, reference, date, source, and
// the cantilever it belongs to). `date_iso` e.g. "2025-01-31T12:00:00Z".
std::string tip_yaml_block(const TipCalibrationResult& cal, double radius_m, double uncertainty_m,
                           const std::string& date_iso);

// ---- tilt correction ---------------------------------------------------------------------------

struct TiltFitOptions {
    double nominal_modulus_pa = 70.0e9;  // silica spheres
    int order = 4;                        // polynomial order (the paper: 4)
    double max_angle_deg = 45.0;          // fit cutoff (the paper: 45)
    double bin_width_deg = 2.5;
    double slide_angle_deg = 70.0;        // above: the tip slides, contact undefined (excluded)
    // Sphere pixels are those higher than the film by this much; NaN: a quarter of the height
    // range (sphere tops are >= one radius above the film wherever the tip can reach them).
    double min_height_above_film_m = NAN;
    int min_bin_pixels = 5;               // bins with fewer pixels are not counted as covered
};

struct TiltBin {
    double lo_deg = 0.0, hi_deg = 0.0;
    long long count = 0;
    double mean_tilt_deg = NAN, mean_ratio = NAN, sd_ratio = NAN, se_ratio = NAN;
};

struct TiltFitResult {
    TiltFitOptions options;
    std::vector<TiltBin> bins;           // 0 .. slide angle
    TiltCorrection polynomial;           // model polynomial, fitted coefficients, cutoff
    double cos_exponent = NAN;           // n of Kc = (cos theta)^n, fitted over the same pixels
    std::vector<double> covariance;      // the polynomial's coefficients' covariance, row by row (polynomial_covariance)
    double rms_residual_polynomial = NAN, rms_residual_cos = NAN;
    long long n_pixels = 0;              // all pixels of the scan
    long long n_film = 0;                // below the height threshold (not sphere)
    long long n_invalid = 0;             // sphere pixels with no modulus (mask bits 2-8)
    long long n_sliding = 0;             // sphere pixels above the slide angle
    long long n_binned = 0;              // sphere pixels in the bins (0 .. slide angle)
    long long n_fitted = 0;              // of those, up to the cutoff: the fit's pixels
    double film_height_m = NAN, threshold_height_m = NAN;
    double max_fitted_tilt_deg = NAN;
    std::vector<std::string> warnings;
};

// Least squares polynomial y = sum c_i x^i of `order` (Eigen, column-pivoting QR on x / x_scale
// for conditioning). Coefficients in x's units.
std::vector<double> fit_polynomial(const std::vector<double>& x, const std::vector<double>& y, int order,
                                   double x_scale);

// Covariance of fit_polynomial's coefficients (x's units; m x m row by row, m = coefficients):
// s^2 (A^T A)^-1 with s^2 = sum of squared residuals / (n - m), every point taken as independent
// (neighbouring pixels correlate: a lower bound). DataError for n <= m points.
std::vector<double> polynomial_covariance(const std::vector<double>& x, const std::vector<double>& y,
                                          const std::vector<double>& coefficients, double x_scale);

// n minimising sum (ratio - cos(theta)^n)^2 (Gauss-Newton from the log-linear estimate).
double fit_cos_exponent(const std::vector<double>& tilt_deg, const std::vector<double>& ratio);

// Tilt and apparent modulus of every pixel through the scan's own pipeline (no correction, no
// cutoff), the ratio apparent / nominal on the sphere pixels binned by tilt, and both fits.
// DataError when the tilt range cannot support the fit (a flat scan, too few sphere pixels).
TiltFitResult fit_tilt_calibration(const Scan& scan, const TiltFitOptions& options, Backend& backend);

// The `tilt_correction:` block for `process --config`, with a comment naming the source.
std::string tilt_correction_yaml_block(const TiltFitResult& fit, const std::string& source,
                                       const std::string& date_iso);


}  // namespace amfm
