// Two-sample comparisons for a series: Welch's t (difference of means with a confidence
// interval) from summary statistics, and the Kolmogorov-Smirnov statistic between two
// distributions kept as quantile sketches (so a series never holds every pixel in memory).
#pragma once

#include <limits>
#include <vector>

#include "host/method/quantiles.hpp"

namespace amfm {

// Regularised incomplete beta I_x(a, b), 0 <= x <= 1 (continued fraction, Lentz).
double incomplete_beta(double a, double b, double x);

// Student's t with `df` degrees of freedom (df > 0, not necessarily integer).
double student_t_cdf(double t, double df);
double student_t_quantile(double p, double df);  // 0 < p < 1

// Kolmogorov's limiting survival function Q(lambda) = 2 sum (-1)^(k-1) exp(-2 k^2 lambda^2).
double kolmogorov_q(double lambda);

struct WelchResult {
    double diff = 0.0;        // mean_b - mean_a
    double se = 0.0;          // standard error of the difference
    double df = 0.0;          // Welch-Satterthwaite degrees of freedom
    double t = 0.0;
    double p_two_sided = 0.0;
    double ci_lo = 0.0, ci_hi = 0.0;  // confidence interval of diff
};

// From n, mean and sample SD of each group; every field NaN when a group has n < 2 or both
// SDs are zero.
WelchResult welch_test(long long n_a, double mean_a, double sd_a, long long n_b, double mean_b, double sd_b,
                       double confidence = 0.95);

// n, mean, sample SD and standard error of the mean (SD / sqrt n) of independent values, e.g.
// one value per replicate scan; mean NaN for none, SD and SEM NaN for fewer than two.
struct SampleSummary {
    long long n = 0;
    double mean = std::numeric_limits<double>::quiet_NaN();
    double sd = std::numeric_limits<double>::quiet_NaN();
    double sem = std::numeric_limits<double>::quiet_NaN();
};
SampleSummary summarize_sample(const std::vector<double>& values);

// Welch's t between two samples' summaries (diff = b - a).
WelchResult welch_test(const SampleSummary& a, const SampleSummary& b, double confidence = 0.95);

// CDF of a pooled group: the n-weighted mixture of the sketches' CDFs.
double mixture_cdf(const std::vector<const QuantileSketch*>& parts, double x);

struct KsResult {
    double d = 0.0;  // sup |F_a - F_b|
    double p = 0.0;  // asymptotic p-value with n_eff = n_a n_b / (n_a + n_b)
    long long n_a = 0, n_b = 0;
};

KsResult ks_test(const std::vector<const QuantileSketch*>& a, const std::vector<const QuantileSketch*>& b);

// Asymptotic two-sided p-value of the KS statistic d for sample sizes n_a, n_b (Stephens'
// small-sample correction of the Kolmogorov distribution).
double ks_p_value(double d, long long n_a, long long n_b);

}  // namespace amfm
