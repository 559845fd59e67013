// Welch's t and the two-sample Kolmogorov-Smirnov test on quantile sketches.
#include "host/method/stats_tests.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace amfm {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Continued fraction of the incomplete beta (modified Lentz, as in Numerical Recipes 6.4).
double beta_continued_fraction(double a, double b, double x) {
    constexpr double kTiny = 1e-300, kEps = 1e-15;
    const double qab = a + b, qap = a + 1.0, qam = a - 1.0;
    double c = 1.0, d = 1.0 - qab * x / qap;
    if (std::fabs(d) < kTiny) d = kTiny;
    d = 1.0 / d;
    double h = d;
    for (int m = 1; m <= 500; ++m) {
        const int m2 = 2 * m;
        double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        if (std::fabs(d) < kTiny) d = kTiny;
        c = 1.0 + aa / c;
        if (std::fabs(c) < kTiny) c = kTiny;
        d = 1.0 / d;
        h *= d * c;
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        if (std::fabs(d) < kTiny) d = kTiny;
        c = 1.0 + aa / c;
        if (std::fabs(c) < kTiny) c = kTiny;
        d = 1.0 / d;
        const double del = d * c;
        h *= del;
        if (std::fabs(del - 1.0) < kEps) break;
    }
    return h;
}

}  // namespace

double incomplete_beta(double a, double b, double x) {
    if (!(x >= 0.0 && x <= 1.0) || !(a > 0.0) || !(b > 0.0)) return kNaN;
    if (x == 0.0 || x == 1.0) return x;
    const double log_front =
        std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) + a * std::log(x) + b * std::log1p(-x);
    const double front = std::exp(log_front);
    if (x < (a + 1.0) / (a + b + 2.0)) return front * beta_continued_fraction(a, b, x) / a;
    return 1.0 - front * beta_continued_fraction(b, a, 1.0 - x) / b;
}

double student_t_cdf(double t, double df) {
    if (!std::isfinite(df) || !(df > 0.0) || std::isnan(t)) return kNaN;
    if (std::isinf(t)) return t > 0 ? 1.0 : 0.0;
    const double tail = 0.5 * incomplete_beta(0.5 * df, 0.5, df / (df + t * t));  // P(T > |t|)
    return t >= 0 ? 1.0 - tail : tail;
}

double student_t_quantile(double p, double df) {
    if (!(p > 0.0 && p < 1.0) || !(df > 0.0)) return kNaN;
    if (p == 0.5) return 0.0;
    // Bracket, then bisect: the CDF is monotone and this runs a few times per series.
    double lo = -1.0, hi = 1.0;
    while (student_t_cdf(lo, df) > p) lo *= 2.0;
    while (student_t_cdf(hi, df) < p) hi *= 2.0;
    for (int i = 0; i < 200 && hi - lo > 1e-14 * std::max(1.0, std::fabs(hi)); ++i) {
        const double mid = 0.5 * (lo + hi);
        (student_t_cdf(mid, df) < p ? lo : hi) = mid;
    }
    return 0.5 * (lo + hi);
}

double kolmogorov_q(double lambda) {
    if (std::isnan(lambda)) return kNaN;
    if (lambda < 0.2) return 1.0;  // the series converges slowly there and Q is 1 to 1e-15
    double sum = 0.0, sign = 1.0;
    for (int k = 1; k <= 200; ++k) {
        const double term = std::exp(-2.0 * k * k * lambda * lambda);
        sum += sign * term;
        if (term < 1e-17) break;
        sign = -sign;
    }
    return std::clamp(2.0 * sum, 0.0, 1.0);
}

WelchResult welch_test(long long n_a, double mean_a, double sd_a, long long n_b, double mean_b, double sd_b,
                       double confidence) {
    WelchResult r;
    const double va = sd_a * sd_a / (double)n_a, vb = sd_b * sd_b / (double)n_b;
    if (n_a < 2 || n_b < 2 || !std::isfinite(va + vb) || !(va + vb > 0.0) || !std::isfinite(mean_a) ||
        !std::isfinite(mean_b)) {
        r.diff = r.se = r.df = r.t = r.p_two_sided = r.ci_lo = r.ci_hi = kNaN;
        return r;
    }
    r.diff = mean_b - mean_a;
    r.se = std::sqrt(va + vb);
    r.df = (va + vb) * (va + vb) / (va * va / (double)(n_a - 1) + vb * vb / (double)(n_b - 1));
    r.t = r.diff / r.se;
    r.p_two_sided = incomplete_beta(0.5 * r.df, 0.5, r.df / (r.df + r.t * r.t));
    const double tq = student_t_quantile(0.5 + 0.5 * confidence, r.df);
    r.ci_lo = r.diff - tq * r.se;
    r.ci_hi = r.diff + tq * r.se;
    return r;
}

namespace {

double sketch_cdf(const QuantileSketch& s, double x) {
    const auto& q = s.quantiles;
    const std::size_t k = q.size() - 1;
    const auto up = std::upper_bound(q.begin(), q.end(), x);  // first level with q > x
    if (up == q.begin()) return 0.0;
    if (up == q.end()) return 1.0;
    const std::size_t u = (std::size_t)(up - q.begin()), j = u - 1;
    return ((double)j + (x - q[j]) / (q[u] - q[j])) / (double)k;
}

long long total_n(const std::vector<const QuantileSketch*>& parts) {
    long long n = 0;
    for (const auto* p : parts)
        if (!p->quantiles.empty()) n += p->n;
    return n;
}

}  // namespace

SampleSummary summarize_sample(const std::vector<double>& values) {
    SampleSummary s;
    s.n = (long long)values.size();
    if (s.n == 0) return s;
    double sum = 0.0;
    for (double v : values) sum += v;
    s.mean = sum / (double)s.n;
    if (s.n < 2) return s;
    double ss = 0.0;
    for (double v : values) ss += (v - s.mean) * (v - s.mean);
    s.sd = std::sqrt(ss / (double)(s.n - 1));
    s.sem = s.sd / std::sqrt((double)s.n);
    return s;
}

WelchResult welch_test(const SampleSummary& a, const SampleSummary& b, double confidence) {
    return welch_test(a.n, a.mean, a.sd, b.n, b.mean, b.sd, confidence);
}

double mixture_cdf(const std::vector<const QuantileSketch*>& parts, double x) {
    const long long n = total_n(parts);
    if (n == 0) return kNaN;
    double f = 0.0;
    for (const auto* p : parts)
        if (!p->quantiles.empty()) f += (double)p->n * sketch_cdf(*p, x);
    return f / (double)n;
}

double ks_p_value(double d, long long n_a, long long n_b) {
    if (n_a < 1 || n_b < 1 || std::isnan(d)) return kNaN;
    const double ne = (double)n_a * (double)n_b / (double)(n_a + n_b);
    const double sq = std::sqrt(ne);
    return kolmogorov_q((sq + 0.12 + 0.11 / sq) * d);
}

KsResult ks_test(const std::vector<const QuantileSketch*>& a, const std::vector<const QuantileSketch*>& b) {
    KsResult r;
    r.n_a = total_n(a);
    r.n_b = total_n(b);
    if (r.n_a == 0 || r.n_b == 0) {
        r.d = r.p = kNaN;
        return r;
    }
    // Both CDFs are piecewise linear with knots at the sketches' quantiles, so the largest
    // difference sits at a knot (either side of it where a CDF jumps).
    std::vector<double> knots;
    for (const auto* parts : {&a, &b})
        for (const auto* p : *parts) knots.insert(knots.end(), p->quantiles.begin(), p->quantiles.end());
    std::sort(knots.begin(), knots.end());
    knots.erase(std::unique(knots.begin(), knots.end()), knots.end());
    double d = 0.0;
    for (double x : knots)
        for (double at : {x, std::nextafter(x, -std::numeric_limits<double>::infinity())})
            d = std::max(d, std::fabs(mixture_cdf(a, at) - mixture_cdf(b, at)));
    r.d = d;
    r.p = ks_p_value(d, r.n_a, r.n_b);
    return r;
}

}  // namespace amfm
