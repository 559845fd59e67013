// The uncertainty budget of the Gaussian centres (see uncertainty.hpp).
#include "host/method/uncertainty.hpp"

#include <algorithm>
#include <cmath>
#include <Eigen/Dense>

#include "amfm/kernels/gauss_fit.hpp"
#include "amfm/kernels/mask.hpp"
#include "amfm/kernels/tilt_correction.hpp"
#include "host/method/height_noise.hpp"
#include "host/method/quantiles.hpp"

namespace amfm {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kLn10 = 2.302585092994045684;

// Root of the sum of squares of the finite terms; NaN when none is finite.
double quadrature(std::initializer_list<double> terms) {
    double ss = 0.0;
    bool any = false;
    for (double t : terms)
        if (std::isfinite(t)) ss += t * t, any = true;
    return any ? std::sqrt(ss) : kNaN;
}

double median_of(std::vector<float>& v) {
    if (v.empty()) return kNaN;
    return quantiles_inplace(v, {0.5})[0];
}

}  // namespace

SystematicUncertainty modulus_systematic_uncertainty(const ScanConfig& cfg) {
    SystematicUncertainty u;
    u.radius_rel = cfg.tip_calibration.radius_uncertainty_m / cfg.tip_radius_m;
    u.k1_exponent = cfg.cantilever.k2_n_per_m > 0.0 ? -0.5 : 1.0;
    const bool r_calibrated_with_this_k1 = cfg.tip_calibration.k1_n_per_m > 0.0;
    u.k1_rel = r_calibrated_with_this_k1 ? 0.0 : cfg.k1_uncertainty_n_per_m / cfg.cantilever.k1_n_per_m;
    u.total_rel = std::hypot(u.radius_rel, u.k1_exponent * u.k1_rel);
    return u;
}

double tilt_noise_deg(double noise_m, double dx_m, double dy_m, TiltMethod method, int window) {
    if (method == TiltMethod::LocalPlane) return normal_scatter_deg(noise_m, dx_m, dy_m, window / 2);
    return std::atan(noise_m / (std::sqrt(2.0) * std::min(dx_m, dy_m))) * kDegPerRad;
}

FitStandardErrors fit_standard_errors(const RegionStats& r, bool fit_offset) {
    FitStandardErrors se;
    const FitResult& f = r.gaussian.fit;
    const HistSpec& h = r.hist;
    const int np = fit_offset ? 4 : 3;
    if (!std::isfinite(r.gaussian.center_gpa) || h.nbins <= np || r.counts.size() != (std::size_t)h.nbins) return se;
    // The fit's parameters in its own coordinates (bin index, counts), as gauss_fit.hpp evaluates them.
    const double w = hist_bin_width(h);
    const double p[4] = {f.amplitude, (f.center - h.lo) / w, f.sigma / w, f.offset};
    // Unweighted least squares on Poisson counts: cov = H^-1 (sum_b mu_b d_b d_b^T) H^-1 with
    // H = J^T J and mu_b the model's count in bin b (its variance), d_b the model's gradient.
    Eigen::MatrixXd jtj = Eigen::MatrixXd::Zero(np, np), meat = Eigen::MatrixXd::Zero(np, np);
    for (int b = 0; b < h.nbins; ++b) {
        double d[4];
        const double mu = std::max(gauss_eval(p, b + 0.5, d), 0.0);
        const Eigen::Map<const Eigen::VectorXd> grad(d, np);
        jtj += grad * grad.transpose();
        meat += mu * grad * grad.transpose();
    }
    const Eigen::FullPivLU<Eigen::MatrixXd> lu(jtj);
    if (!lu.isInvertible()) return se;
    const Eigen::MatrixXd bread = lu.inverse();
    const Eigen::MatrixXd cov = bread * meat * bread;
    se.center = std::sqrt(cov(1, 1)) * w;
    se.sigma = std::sqrt(cov(2, 2)) * w;
    se.center_sigma_covariance = cov(1, 2) * w * w;
    return se;
}

double kc_log_slope_per_deg(const TiltCorrection& tc, double tilt_deg) {
    constexpr double kStepDeg = 1e-3;
    const double kc = kc_factor(tc, tilt_deg);
    const double slope = (kc_factor(tc, tilt_deg + kStepDeg) - kc_factor(tc, tilt_deg - kStepDeg)) / (2.0 * kStepDeg);
    return std::fabs(slope / kc);
}

double kc_fit_relative_error(const TiltCorrection& tc, const std::vector<double>& covariance, double tilt_deg) {
    const std::size_t n = (std::size_t)tc.n_coefficients;
    if (tc.model != KcModel::Polynomial || covariance.size() != n * n) return kNaN;
    // var Kc = v^T C v with v = (1, theta, theta^2, ...).
    std::vector<double> v(n, 1.0);
    for (std::size_t i = 1; i < n; ++i) v[i] = v[i - 1] * tilt_deg;
    double var = 0.0;
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < n; ++j) var += v[i] * covariance[i * n + j] * v[j];
    return std::sqrt(std::max(var, 0.0)) / kc_factor(tc, tilt_deg);
}

UncertaintyBudget region_uncertainty(const RegionStats& r, const ScanConfig& cfg, const SystematicUncertainty& cal,
                                     double tilt_noise, double tilt_deg) {
    UncertaintyBudget u;
    const double centre = r.gaussian.center_gpa;
    if (!std::isfinite(centre)) return u;
    const FitStandardErrors se = fit_standard_errors(r, cfg.fit.fit_offset != 0);
    if (r.hist.log10_axis) {
        // centre = 10^c; sigma_gpa = (10^(c+s) - 10^(c-s)) / 2, so both depend on c and s.
        const double c = r.gaussian.fit.center, s = r.gaussian.fit.sigma;
        const double up = std::pow(10.0, c + s), down = std::pow(10.0, c - s);
        const double d_dc = 0.5 * kLn10 * (up - down), d_ds = 0.5 * kLn10 * (up + down);
        u.center_se_gpa = centre * kLn10 * se.center;
        u.sigma_se_gpa = std::sqrt(std::max(0.0, d_dc * d_dc * se.center * se.center + d_ds * d_ds * se.sigma * se.sigma +
                                                     2.0 * d_dc * d_ds * se.center_sigma_covariance));
    } else {
        u.center_se_gpa = se.center;
        u.sigma_se_gpa = se.sigma;
    }
    if (cfg.tip_calibration.radius_uncertainty_m > 0.0) u.radius_gpa = cal.radius_rel * centre;
    if (cfg.tip_calibration.k1_n_per_m > 0.0 || cfg.k1_uncertainty_n_per_m > 0.0)
        u.k1_gpa = std::fabs(cal.k1_exponent) * cal.k1_rel * centre;
    if (std::isfinite(tilt_deg)) {
        u.kc_tilt_gpa = tilt_noise * kc_log_slope_per_deg(cfg.tilt_correction, tilt_deg) * centre;
        u.kc_fit_gpa = kc_fit_relative_error(cfg.tilt_correction, cfg.kc_covariance, tilt_deg) * centre;
    }
    u.systematic_gpa = quadrature({u.radius_gpa, u.k1_gpa, u.kc_tilt_gpa, u.kc_fit_gpa});
    u.combined_gpa = quadrature({u.center_se_gpa, u.systematic_gpa});
    return u;
}

ScanUncertainty scan_uncertainty(const ScanConfig& cfg, const StatisticsResult& stats, const RegionMap& regions,
                                 const Image<float>& height_leveled_m, const Image<float>& tilt_deg,
                                 const Image<std::uint8_t>& mask) {
    ScanUncertainty out;
    out.calibration = modulus_systematic_uncertainty(cfg);
    const int nx = height_leveled_m.nx, ny = height_leveled_m.ny;
    out.height_noise_m = estimate_height_noise_m(height_leveled_m);
    out.tilt_noise_deg = tilt_noise_deg(out.height_noise_m, cfg.scan_size_x_m / nx, cfg.scan_size_y_m / ny,
                                        cfg.tilt_method, cfg.tilt_window);
    // The tilts of the pixels each statistic counts: a region's without its edges, the map's all valid ones.
    std::vector<std::vector<float>> region_tilts(stats.regions.size());
    std::vector<float> map_tilts;
    const std::int32_t* index = regions.index.px.empty() ? nullptr : regions.index.data();
    for (std::size_t i = 0; i < mask.size(); ++i) {
        if (mask.px[i] & kMaskInvalid) continue;
        map_tilts.push_back(tilt_deg.px[i]);
        const std::int32_t r = index ? index[i] : 0;
        if (r >= 0 && (std::size_t)r < region_tilts.size() && !(mask.px[i] & kMaskOutOfRegion))
            region_tilts[(std::size_t)r].push_back(tilt_deg.px[i]);
    }
    for (std::size_t r = 0; r < stats.regions.size(); ++r)
        out.regions.push_back(region_uncertainty(stats.regions[r], cfg, out.calibration, out.tilt_noise_deg,
                                                 median_of(region_tilts[r])));
    out.whole_map =
        region_uncertainty(stats.whole_map, cfg, out.calibration, out.tilt_noise_deg, median_of(map_tilts));
    return out;
}

}  // namespace amfm
