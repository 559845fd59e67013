// Tip-radius and tilt-correction calibrations (see calibration.hpp).
#include "host/calibration/calibration.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <sstream>

#include <Eigen/Dense>

#include "amfm/kernels/error.hpp"
#include "amfm/kernels/mask.hpp"
#include "amfm/kernels/physics.hpp"
#include "amfm/kernels/tilt_correction.hpp"
#include "host/method/pipeline.hpp"
#include "host/method/quantiles.hpp"
#include "host/method/regions.hpp"
#include "host/model/yaml_text.hpp"

namespace amfm {
namespace {

std::string fixed(double v, int decimals) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

std::string lower(std::string s) {
    for (char& c : s) c = (char)std::tolower((unsigned char)c);
    return s;
}

}  // namespace

// ---- references ----------------------------------------------------------------------------

double parse_modulus_pa(const std::string& text, const std::string& what) {
    std::string t;
    for (char c : text)
        if (!std::isspace((unsigned char)c)) t += c;
    std::size_t used = 0;
    double v = NAN;
    try {
        v = std::stod(t, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    const std::string unit = lower(t.substr(used));
    double factor = 0.0;
    if (unit.empty() || unit == "pa") factor = 1.0;
    else if (unit == "kpa") factor = 1e3;
    else if (unit == "mpa") factor = 1e6;
    else if (unit == "gpa") factor = 1e9;
    if (used == 0 || factor == 0.0 || !std::isfinite(v) || !(v > 0.0))
        throw ConfigError(what + ": '" + text + "' is not a positive modulus (e.g. 3GPa, 500MPa, 7.3e10)");
    return v * factor;
}

ReferenceSample parse_reference(const std::string& text) {
    const std::string t = lower(text);
    // The paper's two references (Experimental section).
    if (t == "polystyrene" || t == "ps") return {"polystyrene", 3.0e9};
    if (t == "fused-silica" || t == "fused_silica" || t == "silica") return {"fused-silica", 73.0e9};
    return {text, parse_modulus_pa(text, "--reference (polystyrene | fused-silica | a modulus)")};
}

std::string reference_range_warning(const ReferenceSample& ref, double lo_pa, double hi_pa) {
    if (!(lo_pa > 0.0) || !(hi_pa >= lo_pa)) return "";
    const double e = ref.modulus_pa;
    if (e >= lo_pa / kReferenceRangeFactor && e <= hi_pa * kReferenceRangeFactor) return "";
    return "reference " + ref.name + " (" + fixed(e / 1e9, 3) + " GPa) is more than a factor " +
           fixed(kReferenceRangeFactor, 0) + " away from the sample's expected " + fixed(lo_pa / 1e9, 3) + "-" +
           fixed(hi_pa / 1e9, 3) +
           " GPa: the flat-punch radius is most accurate near the reference's modulus (the paper "
           "calibrates soft binder on polystyrene, not on fused silica)";
}

// ---- tip radius ------------------------------------------------------------------------------

Image<float> contact_radius_map_m(const Scan& scan, double reference_modulus_pa) {
    const ScanConfig& cfg = scan.config;
    const ModulusModel model = make_modulus_model(cfg.cantilever, cfg.tip_radius_m);
    const bool per_pixel_a1 = !scan.amplitude1_m.px.empty();
    Image<float> r(scan.nx(), scan.ny(), NAN);
    for (std::size_t i = 0; i < r.size(); ++i) {
        const double a1 = per_pixel_a1 ? (double)scan.amplitude1_m.px[i] : cfg.cantilever.a1_set_m;
        const double radius = amfm_contact_radius_m(model, reference_modulus_pa, scan.phase1_deg.px[i],
                                                    scan.df2_hz.px[i], a1);
        if (std::isfinite(radius) && radius > 0.0) r.px[i] = (float)radius;
    }
    return r;
}

TipCalibrationResult calibrate_tip(const Scan& scan, const ReferenceSample& reference, Backend& backend) {
    TipCalibrationResult out;
    out.reference = reference;
    out.source = scan.config.source;
    out.cantilever = scan.config.cantilever;
    const Image<float> r_m = contact_radius_map_m(scan, reference.modulus_pa);

    // The statistics work in "GPa" by name only: R in nm has the same order of magnitude and
    // goes through the same histogram rule and Gaussian fit as every modulus.
    std::vector<float> r_nm(r_m.size());
    std::vector<std::uint8_t> mask(r_m.size(), 0);
    out.n_valid = 0;
    for (std::size_t i = 0; i < r_m.size(); ++i) {
        r_nm[i] = r_m.px[i] * 1e9f;
        if (std::isfinite(r_m.px[i])) ++out.n_valid;
        else mask[i] = kMaskNonFinite;
    }
    out.n_pixels = (long long)r_m.size();
    if (out.n_valid < kMinReferencePixels)
        throw DataError(scan.config.source + ": only " + std::to_string(out.n_valid) + " of " +
                        std::to_string(out.n_pixels) +
                        " reference pixels give a contact radius (cos Phi1 > 0, df2 > 0, finite inputs); at least " +
                        std::to_string(kMinReferencePixels) +
                        " are needed. Is the scan in repulsive contact, and is df2 the shift (not f2 + df2)?");

    const RegionMap whole = build_region_map(Image<std::uint16_t>{}, RegionsConfig{}, scan.nx(), scan.ny());
    HistogramConfig hist;  // the default rule: 0.5-99.5 % range, Freedman-Diaconis bins
    const StatisticsResult stats = compute_statistics(r_nm, mask, whole, hist, scan.config.fit, backend);
    out.histogram = stats.whole_map;
    const GaussianSummary& g = out.histogram.gaussian;
    if (g.fit.state == FitState::Converged && g.center_gpa > 0.0) {
        out.radius_m = g.center_gpa * 1e-9;
        out.spread_m = g.sigma_gpa * 1e-9;
        out.estimator = "gaussian centre";
    } else {
        // A failed fit is a reported state, not an error: fall back to the median and the SD.
        out.radius_m = out.histogram.pixels.median_gpa * 1e-9;
        out.spread_m = out.histogram.pixels.sd_gpa * 1e-9;
        out.estimator = std::string("median (fit ") + fit_state_name(g.fit.state) + ")";
    }
    out.standard_error_m = out.spread_m / std::sqrt((double)out.n_valid);
    return out;
}

void check_same_cantilever(const Cantilever& a, const std::string& a_source, const Cantilever& b,
                           const std::string& b_source) {
    const struct {
        const char* key;
        double va, vb;
    } checks[] = {{"k1", a.k1_n_per_m, b.k1_n_per_m}, {"f1", a.f1_hz, b.f1_hz}, {"f2", a.f2_hz, b.f2_hz}};
    for (const auto& c : checks)
        if (std::abs(c.va - c.vb) > 0.02 * std::max(std::abs(c.va), std::abs(c.vb)))
            throw ConfigError("cantilever." + std::string(c.key) + " differs: " + yaml_number(c.va) + " in " +
                              a_source + ", " + yaml_number(c.vb) + " in " + b_source +
                              "; a tip radius only carries over within one cantilever and its calibration");
}

TipDrift compare_tip_calibrations(const TipCalibrationResult& before, const TipCalibrationResult& after) {
    TipDrift d;
    d.before_m = before.radius_m;
    d.after_m = after.radius_m;
    d.relative_change = std::abs(after.radius_m - before.radius_m) / before.radius_m;
    d.accepted = d.relative_change < kTipDriftLimit;
    d.radius_m = 0.5 * (before.radius_m + after.radius_m);
    // The wear between the two is the realistic uncertainty; the pixel statistics bound it below.
    const double se = 0.5 * std::hypot(before.standard_error_m, after.standard_error_m);
    d.uncertainty_m = std::max(0.5 * std::abs(after.radius_m - before.radius_m), se);
    return d;
}

std::string tip_yaml_block(const TipCalibrationResult& cal, double radius_m, double uncertainty_m,
                           const std::string& date_iso) {
    std::ostringstream y;
    y << "# Tip calibration by amfm calibrate-tip (" << cal.estimator << " of " << cal.n_valid << " of "
      << cal.n_pixels << " pixels; pixel spread " << fixed(cal.spread_m * 1e9, 3) << " nm)\n";
    y << "tip:\n";
    y << "  radius: " << yaml_number(radius_m) << "          # m\n";
    y << "  uncertainty: " << yaml_number(uncertainty_m) << "     # m, 1 sigma\n";
    y << "  reference: " << yaml_quoted(cal.reference.name) << "\n";
    y << "  reference_modulus: " << yaml_number(cal.reference.modulus_pa) << "   # Pa\n";
    y << "  date: " << yaml_quoted(date_iso) << "\n";
    y << "  source: " << yaml_quoted(cal.source) << "\n";
    y << "  cantilever: {k1: " << yaml_number(cal.cantilever.k1_n_per_m) << ", f1: "
      << yaml_number(cal.cantilever.f1_hz) << ", f2: " << yaml_number(cal.cantilever.f2_hz)
      << "}   # checked against the sample's cantilever\n";
    return y.str();
}

// ---- tilt correction -------------------------------------------------------------------------

std::vector<double> fit_polynomial(const std::vector<double>& x, const std::vector<double>& y, int order,
                                   double x_scale) {
    const Eigen::Index n = (Eigen::Index)x.size(), m = order + 1;
    if (order < 0 || n < m) throw DataError("polynomial fit: " + std::to_string(n) + " points for order " +
                                            std::to_string(order));
    Eigen::MatrixXd a(n, m);
    Eigen::VectorXd b(n);
    for (Eigen::Index i = 0; i < n; ++i) {
        const double t = x[(std::size_t)i] / x_scale;  // in [0, 1]: keeps the columns comparable
        double p = 1.0;
        for (Eigen::Index j = 0; j < m; ++j, p *= t) a(i, j) = p;
        b(i) = y[(std::size_t)i];
    }
    const Eigen::ColPivHouseholderQR<Eigen::MatrixXd> qr(a);
    if (qr.rank() < m) throw DataError("polynomial fit: the tilt values do not determine an order-" +
                                       std::to_string(order) + " polynomial (too few distinct angles)");
    const Eigen::VectorXd c = qr.solve(b);
    std::vector<double> out((std::size_t)m);
    for (Eigen::Index j = 0; j < m; ++j) out[(std::size_t)j] = c(j) / std::pow(x_scale, (double)j);
    return out;
}

std::vector<double> polynomial_covariance(const std::vector<double>& x, const std::vector<double>& y,
                                          const std::vector<double>& coefficients, double x_scale) {
    const Eigen::Index n = (Eigen::Index)x.size(), m = (Eigen::Index)coefficients.size();
    if (n <= m) throw DataError("polynomial covariance: " + std::to_string(n) + " points for " + std::to_string(m) +
                                " coefficients");
    Eigen::MatrixXd a(n, m);  // in x / x_scale, as fit_polynomial solves it
    double ss = 0.0;
    for (Eigen::Index i = 0; i < n; ++i) {
        const double t = x[(std::size_t)i] / x_scale;
        double p = 1.0, model = 0.0, xp = 1.0;
        for (Eigen::Index j = 0; j < m; ++j, p *= t, xp *= x[(std::size_t)i]) {
            a(i, j) = p;
            model += coefficients[(std::size_t)j] * xp;
        }
        ss += (y[(std::size_t)i] - model) * (y[(std::size_t)i] - model);
    }
    const Eigen::MatrixXd scaled =
        (a.transpose() * a).ldlt().solve(Eigen::MatrixXd::Identity(m, m)) * (ss / (double)(n - m));
    std::vector<double> out((std::size_t)(m * m));
    for (Eigen::Index j = 0; j < m; ++j)
        for (Eigen::Index k = 0; k < m; ++k)
            out[(std::size_t)(j * m + k)] = 0.5 * (scaled(j, k) + scaled(k, j)) / std::pow(x_scale, (double)(j + k));
    return out;
}

double fit_cos_exponent(const std::vector<double>& tilt_deg, const std::vector<double>& ratio) {
    // Start: ln ratio = n ln cos theta, linear through the origin.
    double sxy = 0.0, sxx = 0.0;
    for (std::size_t i = 0; i < tilt_deg.size(); ++i) {
        const double lc = std::log(std::cos(tilt_deg[i] / kDegPerRad));
        if (!(ratio[i] > 0.0)) continue;
        sxy += lc * std::log(ratio[i]);
        sxx += lc * lc;
    }
    if (!(sxx > 0.0)) return NAN;
    double n = sxy / sxx;
    // Gauss-Newton on the ratio itself, so the fit weights pixels as the polynomial fit does.
    for (int it = 0; it < 50; ++it) {
        double jr = 0.0, jj = 0.0;
        for (std::size_t i = 0; i < tilt_deg.size(); ++i) {
            const double c = std::cos(tilt_deg[i] / kDegPerRad);
            const double model = std::pow(c, n), deriv = model * std::log(c);
            jr += deriv * (ratio[i] - model);
            jj += deriv * deriv;
        }
        if (!(jj > 0.0)) break;
        const double step = jr / jj;
        n += step;
        if (std::abs(step) < 1e-10 * std::max(1.0, std::abs(n))) break;
    }
    return n;
}

namespace {

void check_tilt_fit_options(const TiltFitOptions& opt) {
    if (opt.order < 1 || opt.order >= kMaxKcCoefficients)
        throw ConfigError("--order must be in 1.." + std::to_string(kMaxKcCoefficients - 1) + ", got " +
                          std::to_string(opt.order));
    if (!(opt.max_angle_deg > 0.0 && opt.max_angle_deg < opt.slide_angle_deg && opt.slide_angle_deg < 90.0))
        throw ConfigError("tilt fit: need 0 < max angle (" + fixed(opt.max_angle_deg, 1) + ") < slide angle (" +
                          fixed(opt.slide_angle_deg, 1) + ") < 90 degrees");
    if (!(opt.bin_width_deg > 0.0)) throw ConfigError("tilt fit: bin width must be > 0");
    if (!(opt.nominal_modulus_pa > 0.0)) throw ConfigError("tilt fit: nominal modulus must be > 0");
}

// Sphere pixels: above the film (the 5th height percentile) by the given height, or by a
// quarter of the way to the top (99.9th percentile). Sets the film and threshold heights.
void sphere_threshold(const Image<float>& height_leveled_m, const TiltFitOptions& opt, TiltFitResult& out) {
    std::vector<double> heights;
    heights.reserve(height_leveled_m.size());
    for (float h : height_leveled_m.px)
        if (std::isfinite(h)) heights.push_back(h);
    const std::vector<double> film_top_m = quantiles_inplace(heights, {0.05, 0.999});
    out.film_height_m = film_top_m[0];
    out.threshold_height_m = out.film_height_m + (std::isfinite(opt.min_height_above_film_m)
                                                      ? opt.min_height_above_film_m
                                                      : 0.25 * (film_top_m[1] - out.film_height_m));
}

// Running sums of one tilt bin.
struct TiltBinSums {
    double n = 0, st = 0, sr = 0, srr = 0;
};

// Sorts every pixel into film, invalid, sliding or binned (counted in `out`); returns the bins'
// sums and the tilt and ratio apparent / nominal of the pixels up to the cutoff (the fit's).
std::vector<TiltBinSums> bin_sphere_pixels(const ScanResult& res, const TiltFitOptions& opt, int nbins,
                                           TiltFitResult& out, std::vector<double>& fit_tilt,
                                           std::vector<double>& fit_ratio) {
    std::vector<TiltBinSums> acc((std::size_t)nbins);
    out.max_fitted_tilt_deg = 0.0;
    for (std::size_t i = 0; i < res.modulus_gpa.size(); ++i) {
        const float h = res.height_leveled_m.px[i];
        if (!(h > out.threshold_height_m)) {
            ++out.n_film;
            continue;
        }
        const double e_gpa = res.modulus_gpa.px[i], tilt = res.tilt_deg.px[i];
        if ((res.mask.px[i] & kMaskInvalid) || !std::isfinite(e_gpa) || !std::isfinite(tilt)) {
            ++out.n_invalid;
            continue;
        }
        if (tilt > opt.slide_angle_deg) {
            ++out.n_sliding;
            continue;
        }
        const double ratio = e_gpa * 1e9 / opt.nominal_modulus_pa;
        TiltBinSums& a = acc[(std::size_t)std::min(nbins - 1, (int)(tilt / opt.bin_width_deg))];
        a.n += 1;
        a.st += tilt;
        a.sr += ratio;
        a.srr += ratio * ratio;
        ++out.n_binned;
        if (tilt <= opt.max_angle_deg) {
            fit_tilt.push_back(tilt);
            fit_ratio.push_back(ratio);
            out.max_fitted_tilt_deg = std::max(out.max_fitted_tilt_deg, tilt);
        }
    }
    out.n_fitted = (long long)fit_tilt.size();
    return acc;
}

// The bins' table into out.bins; returns the number of bins inside the cutoff with enough pixels.
int tilt_bins(const std::vector<TiltBinSums>& acc, const TiltFitOptions& opt, TiltFitResult& out) {
    int covered = 0;
    for (std::size_t b = 0; b < acc.size(); ++b) {
        TiltBin tb;
        tb.lo_deg = (double)b * opt.bin_width_deg;
        tb.hi_deg = std::min(opt.slide_angle_deg, (double)(b + 1) * opt.bin_width_deg);
        const TiltBinSums& a = acc[b];
        tb.count = (long long)a.n;
        if (a.n > 0) {
            tb.mean_tilt_deg = a.st / a.n;
            tb.mean_ratio = a.sr / a.n;
        }
        if (a.n > 1) {
            tb.sd_ratio = std::sqrt(std::max(0.0, (a.srr - a.n * tb.mean_ratio * tb.mean_ratio) / (a.n - 1)));
            tb.se_ratio = tb.sd_ratio / std::sqrt(a.n);
        }
        if (tb.hi_deg <= opt.max_angle_deg + 1e-9 && tb.count >= opt.min_bin_pixels) ++covered;
        out.bins.push_back(tb);
    }
    return covered;
}

// The fit needs tilts spread over the range it will correct, not a flat scan's few degrees.
void check_tilt_range(const TiltFitResult& out, int covered, const TiltFitOptions& opt, const std::string& src) {
    const int needed_bins = std::max(opt.order + 2, 4);
    if (covered < needed_bins || out.max_fitted_tilt_deg < 0.6 * opt.max_angle_deg)
        throw DataError(src + ": no usable tilt range: " + std::to_string(out.n_fitted) +
                        " sphere pixels up to the cutoff reach " + fixed(out.max_fitted_tilt_deg, 1) + " deg and fill " +
                        std::to_string(covered) + " of the " + fixed(opt.bin_width_deg, 1) +
                        "-deg bins (need tilts up to " + fixed(0.6 * opt.max_angle_deg, 1) + " deg and " +
                        std::to_string(needed_bins) + " bins with >= " + std::to_string(opt.min_bin_pixels) +
                        " pixels). Is this a sphere scan? (" + std::to_string(out.n_film) + " film, " +
                        std::to_string(out.n_invalid) + " invalid, " + std::to_string(out.n_sliding) +
                        " sliding pixels)");
}

// Both models fitted to the pixels up to the cutoff, with their residuals through the same Kc
// functions `process` will use.
void fit_kc_models(const std::vector<double>& fit_tilt, const std::vector<double>& fit_ratio,
                   const TiltFitOptions& opt, TiltFitResult& out) {
    const std::vector<double> coeffs = fit_polynomial(fit_tilt, fit_ratio, opt.order, opt.max_angle_deg);
    TiltCorrection& tc = out.polynomial;
    tc.model = KcModel::Polynomial;
    tc.n_coefficients = (int)coeffs.size();
    for (int i = 0; i < kMaxKcCoefficients; ++i) tc.coefficients[i] = i < tc.n_coefficients ? coeffs[(std::size_t)i] : 0.0;
    tc.max_angle_deg = opt.max_angle_deg;
    out.covariance = polynomial_covariance(fit_tilt, fit_ratio, coeffs, opt.max_angle_deg);
    out.cos_exponent = fit_cos_exponent(fit_tilt, fit_ratio);
    tc.cos_exponent = out.cos_exponent;
    TiltCorrection cos_model = tc;
    cos_model.model = KcModel::CosPower;
    double sp = 0.0, sc = 0.0;
    for (std::size_t i = 0; i < fit_tilt.size(); ++i) {
        sp += std::pow(fit_ratio[i] - kc_factor(tc, fit_tilt[i]), 2);
        sc += std::pow(fit_ratio[i] - kc_factor(cos_model, fit_tilt[i]), 2);
    }
    out.rms_residual_polynomial = std::sqrt(sp / (double)fit_tilt.size());
    out.rms_residual_cos = std::sqrt(sc / (double)fit_tilt.size());
}

}  // namespace

TiltFitResult fit_tilt_calibration(const Scan& scan, const TiltFitOptions& opt, Backend& backend) {
    check_tilt_fit_options(opt);
    TiltFitResult out;
    out.options = opt;

    // The scan's own pipeline (levelling, tilt method, backend) with no correction and no cutoff:
    // the apparent modulus and the tilt exactly as `process` would see them.
    Scan raw = scan;
    raw.config.tilt_correction.model = KcModel::None;
    raw.config.tilt_correction.max_angle_deg = 89.999;
    raw.labels = Image<std::uint16_t>{};
    raw.config.regions = RegionsConfig{};
    const ScanResult res = process_scan(raw, backend);
    out.n_pixels = (long long)res.modulus_gpa.size();
    sphere_threshold(res.height_leveled_m, opt, out);

    const int nbins = (int)std::ceil(opt.slide_angle_deg / opt.bin_width_deg - 1e-9);
    std::vector<double> fit_tilt, fit_ratio;
    const int covered = tilt_bins(bin_sphere_pixels(res, opt, nbins, out, fit_tilt, fit_ratio), opt, out);
    check_tilt_range(out, covered, opt, scan.config.source);
    fit_kc_models(fit_tilt, fit_ratio, opt, out);

    const double kc0 = kc_factor(out.polynomial, 0.0);
    if (std::abs(kc0 - 1.0) > 0.05)
        out.warnings.push_back("the fitted Kc(0) is " + fixed(kc0, 3) +
                               ", not ~1: flat sphere tops do not read the nominal modulus; check tip.radius "
                               "(calibrate-tip) and --modulus");
    return out;
}

std::string tilt_correction_yaml_block(const TiltFitResult& fit, const std::string& source,
                                       const std::string& date_iso) {
    const TiltCorrection& tc = fit.polynomial;
    std::ostringstream y;
    y << "# Tilt calibration by amfm fit-tilt from " << source << " (" << date_iso << "): ratio apparent / "
      << yaml_number(fit.options.nominal_modulus_pa / 1e9) << " GPa over " << fit.n_fitted << " sphere pixels up to "
      << yaml_number(tc.max_angle_deg) << " deg;\n# rms residual: polynomial " << fixed(fit.rms_residual_polynomial, 4)
      << ", (cos theta)^n " << fixed(fit.rms_residual_cos, 4) << "\n";
    y << "tilt_correction:\n";
    y << "  model: polynomial        # or cos: Kc = (cos theta)^cos_exponent\n";
    y << "  coefficients: " << yaml_number_list(tc.coefficients, tc.n_coefficients) << "   # theta in degrees\n";
    // For the uncertainty budget: Kc's standard error at each region's tilt.
    y << "  covariance: " << yaml_number_list(fit.covariance.data(), (int)fit.covariance.size())
      << "   # of the coefficients, row by row\n";
    y << "  cos_exponent: " << yaml_number(fit.cos_exponent) << "\n";
    y << "  max_angle_deg: " << yaml_number(tc.max_angle_deg) << "\n";
    return y.str();
}


}  // namespace amfm
