// Levenberg-Marquardt fit of a Gaussian to one histogram, Gpufit-style: every fit returns a
// state, chi^2 and its iteration count; numerical failure is a state, never an exception.
//
//   y(x) = amplitude * exp(-(x - center)^2 / (2 sigma^2)) [+ offset]
//
// The fit runs in bin-index coordinates with counts scaled to a unit peak, which keeps the
// normal equations well conditioned for any axis range; results are returned in axis units
// (GPa, or log10 GPa) and counts.
#pragma once

#include <cmath>
#include <cstdint>

#include "amfm/kernels/hd.hpp"
#include "amfm/kernels/histogram.hpp"

namespace amfm {

enum class FitState : int {
    Converged = 0,
    MaxIterations = 1,
    Singular = 2,     // the normal equations could not be solved
    TooFewPoints = 3,  // fewer non-empty bins than parameters (empty, one value, one bin)
};

inline const char* fit_state_name(FitState s) {
    switch (s) {
        case FitState::Converged: return "converged";
        case FitState::MaxIterations: return "max_iterations";
        case FitState::Singular: return "singular";
        case FitState::TooFewPoints: return "too_few_points";
    }
    return "unknown";
}

struct FitOptions {
    int max_iterations = 100;
    double tolerance = 1e-9;  // relative chi^2 change that ends the fit
    int fit_offset = 0;       // 1: fit a constant background too
};

struct FitResult {
    double amplitude = 0.0;  // counts at the peak
    double center = 0.0;     // axis units
    double sigma = 0.0;      // axis units, > 0
    double offset = 0.0;     // counts
    double chi2 = 0.0;       // sum of squared residuals, counts^2
    double r2 = 0.0;         // coefficient of determination over all bins
    int iterations = 0;
    FitState state = FitState::TooFewPoints;
};

// Solve the N x N system a x = b in place (Gaussian elimination, partial pivoting). N is a
// compile-time count and rows are swapped by compile-time index, so on the GPU every array stays
// in registers (a runtime index would put them in local memory).
template <int N>
AMFM_HD bool solve_small_system(double a[4][4], double b[4]) {
    AMFM_UNROLL
    for (int k = 0; k < N; ++k) {
        int piv = k;
        double pivot_magnitude = fabs(a[k][k]);
        AMFM_UNROLL
        for (int r = k + 1; r < N; ++r)
            if (fabs(a[r][k]) > pivot_magnitude) {
                pivot_magnitude = fabs(a[r][k]);
                piv = r;
            }
        if (!(pivot_magnitude > 1e-300)) return false;
        AMFM_UNROLL
        for (int r = k + 1; r < N; ++r) {
            if (r != piv) continue;
            AMFM_UNROLL
            for (int c = 0; c < N; ++c) {
                const double t = a[k][c];
                a[k][c] = a[r][c];
                a[r][c] = t;
            }
            const double t = b[k];
            b[k] = b[r];
            b[r] = t;
        }
        AMFM_UNROLL
        for (int r = k + 1; r < N; ++r) {
            const double f = a[r][k] / a[k][k];
            AMFM_UNROLL
            for (int c = k; c < N; ++c) a[r][c] -= f * a[k][c];
            b[r] -= f * b[k];
        }
    }
    AMFM_UNROLL
    for (int k = N - 1; k >= 0; --k) {
        double acc = b[k];
        AMFM_UNROLL
        for (int c = k + 1; c < N; ++c) acc -= a[k][c] * b[c];
        b[k] = acc / a[k][k];
        if (!isfinite(b[k])) return false;
    }
    return true;
}

// Model value and partial derivatives at u for parameters p = {amplitude, center, sigma, offset}.
AMFM_HD double gauss_eval(const double p[4], double u, double d[4]) {
    const double t = (u - p[1]) / p[2];
    const double e = exp(-0.5 * t * t);
    d[0] = e;
    d[1] = p[0] * e * t / p[2];
    d[2] = p[0] * e * t * t / p[2];
    d[3] = 1.0;
    return p[0] * e + p[3];
}

// chi^2, gradient J^T r and approximate Hessian J^T J over the bins (bin-index coordinates).
template <int NP>
AMFM_HD double gauss_normal_equations(const std::uint32_t* counts, int nbins, double scale,
                                      const double p[4], double h[4][4], double g[4]) {
    for (int r = 0; r < 4; ++r) {
        g[r] = 0.0;
        for (int c = 0; c < 4; ++c) h[r][c] = 0.0;
    }
    double chi2 = 0.0;
    for (int b = 0; b < nbins; ++b) {
        double d[4];
        const double res = counts[b] * scale - gauss_eval(p, b + 0.5, d);
        chi2 += res * res;
        AMFM_UNROLL
        for (int r = 0; r < NP; ++r) {
            g[r] += d[r] * res;
            AMFM_UNROLL
            for (int c = 0; c <= r; ++c) h[r][c] += d[r] * d[c];
        }
    }
    AMFM_UNROLL
    for (int r = 0; r < NP; ++r)
        AMFM_UNROLL
        for (int c = r + 1; c < NP; ++c) h[r][c] = h[c][r];
    return chi2;
}

// The fit with NP parameters (3: no background, 4: with the offset), fixed at compile time.
template <int NP>
AMFM_HD FitResult fit_gaussian_histogram_n(const std::uint32_t* counts, const HistSpec& spec,
                                           const FitOptions& opt) {
    FitResult out;
    const int nbins = spec.nbins;
    constexpr int np = NP;

    // Moments give the starting point and decide whether a fit is possible at all.
    double total = 0.0, peak = 0.0, m1 = 0.0;
    int nonempty = 0;
    for (int b = 0; b < nbins; ++b) {
        const double c = counts[b];
        total += c;
        m1 += c * (b + 0.5);
        if (c > peak) peak = c;
        if (c > 0) ++nonempty;
    }
    if (nonempty < np || total <= 0.0) return out;
    m1 /= total;
    double m2 = 0.0;
    for (int b = 0; b < nbins; ++b) m2 += counts[b] * (b + 0.5 - m1) * (b + 0.5 - m1);
    const double scale = 1.0 / peak;
    double p[4] = {1.0, m1, fmax(sqrt(m2 / total), 0.5), 0.0};

    double h[4][4], g[4];
    double chi2 = gauss_normal_equations<NP>(counts, nbins, scale, p, h, g);
    double lambda = 1e-3;
    out.state = FitState::MaxIterations;
    int it = 0;
    for (; it < opt.max_iterations; ++it) {
        double a[4][4], step[4];
        AMFM_UNROLL
        for (int r = 0; r < np; ++r) {
            AMFM_UNROLL
            for (int c = 0; c < np; ++c) a[r][c] = h[r][c];
            a[r][r] = h[r][r] * (1.0 + lambda);
            step[r] = g[r];
        }
        if (!solve_small_system<NP>(a, step)) {
            out.state = FitState::Singular;
            break;
        }
        double trial[4] = {p[0], p[1], p[2], p[3]};
        AMFM_UNROLL
        for (int r = 0; r < np; ++r) trial[r] += step[r];
        double ht[4][4], gt[4];
        const double chi2_trial =
            trial[2] != 0.0 ? gauss_normal_equations<NP>(counts, nbins, scale, trial, ht, gt) : INFINITY;
        if (chi2_trial <= chi2) {
            const double drop = chi2 - chi2_trial;
            AMFM_UNROLL
            for (int r = 0; r < 4; ++r) p[r] = trial[r];
            AMFM_UNROLL
            for (int r = 0; r < 4; ++r) {
                g[r] = gt[r];
                AMFM_UNROLL
                for (int c = 0; c < 4; ++c) h[r][c] = ht[r][c];
            }
            chi2 = chi2_trial;
            lambda = fmax(lambda * 0.1, 1e-12);
            if (drop <= opt.tolerance * fmax(chi2, 1e-30)) {
                out.state = FitState::Converged;
                ++it;
                break;
            }
        } else {
            lambda *= 10.0;
            if (lambda > 1e16) {  // no downhill step left: at the minimum to machine precision
                out.state = FitState::Converged;
                ++it;
                break;
            }
        }
    }
    out.iterations = it;
    if (out.state == FitState::Singular) return out;
    if (!(p[0] > 0.0) || !isfinite(p[1]) || !isfinite(p[2])) {
        out.state = FitState::Singular;
        return out;
    }

    // Back to axis units and counts.
    const double w = hist_bin_width(spec);
    out.amplitude = p[0] / scale;
    out.center = spec.lo + p[1] * w;
    out.sigma = fabs(p[2]) * w;
    out.offset = p[3] / scale;
    out.chi2 = chi2 / (scale * scale);
    const double mean = total / nbins;
    double ss_tot = 0.0;
    for (int b = 0; b < nbins; ++b) ss_tot += (counts[b] - mean) * (counts[b] - mean);
    out.r2 = ss_tot > 0.0 ? 1.0 - out.chi2 / ss_tot : 0.0;
    return out;
}

AMFM_HD FitResult fit_gaussian_histogram(const std::uint32_t* counts, const HistSpec& spec,
                                         const FitOptions& opt) {
    return opt.fit_offset ? fit_gaussian_histogram_n<4>(counts, spec, opt)
                          : fit_gaussian_histogram_n<3>(counts, spec, opt);
}

// sigma = FWHM / (2 sqrt(2 ln 2)), as in the paper.
AMFM_HD double fwhm_from_sigma(double sigma) { return sigma * 2.3548200450309493820; }

}  // namespace amfm
