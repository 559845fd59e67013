// The two transcendental functions of the per-pixel stage as plain polynomials, so that one
// definition runs on both backends and the CPU loop vectorises (a libm call stops GCC's
// vectoriser; CUDA's atan/cos differ from glibc's in the last bits). Both are accurate to a few
// 1e-16 absolute over their whole domain (tests/test_fastmath.cpp checks against libm).
#pragma once

#include "amfm/kernels/hd.hpp"

namespace amfm {

constexpr double kPiD = 3.14159265358979323846;

// atan(x) for x >= 0 (+inf gives pi/2, NaN stays NaN). One division maps x into
// |u| <= tan(pi/16): u = (x - t) / (1 + x t) with t = tan(k pi/8) for the nearest k (or
// u = -1/x past tan(7pi/16)), so atan(x) = k pi/8 + atan(u); the Taylor series of atan(u)/u in
// u^2 then converges to < 1e-16 with 10 terms (a short dependency chain matters in the CPU loop).
AMFM_HD double atan_nonneg(double x) {
    const int k = (x > 0.19891236737965800691) + (x > 0.66817863791929891999) +  // tan(pi/16), tan(3pi/16)
                  (x > 1.49660576266548901760) + (x > 5.02733949212584810451);    // tan(5pi/16), tan(7pi/16)
    const double t = k == 0 ? 0.0 : k == 1 ? 0.41421356237309504880 : k == 2 ? 1.0 : 2.41421356237309504880;
    const double num = k == 4 ? -1.0 : x - t;
    const double den = k == 4 ? x : 1.0 + x * t;
    const double u = num / den;
    const double z = u * u;
    double p = -1.0 / 19.0;
    p = mul_add(p, z, 1.0 / 17.0);
    p = mul_add(p, z, -1.0 / 15.0);
    p = mul_add(p, z, 1.0 / 13.0);
    p = mul_add(p, z, -1.0 / 11.0);
    p = mul_add(p, z, 1.0 / 9.0);
    p = mul_add(p, z, -1.0 / 7.0);
    p = mul_add(p, z, 1.0 / 5.0);
    p = mul_add(p, z, -1.0 / 3.0);
    p = mul_add(p, z, 1.0);
    return mul_add(k, 0.125 * kPiD, u * p);
}

// cos of an angle in degrees. Reduced by symmetry to [0, 45] deg, then a Taylor series of cos
// or of sin(90 - a) (error < 3e-18). Exactly 0 at +-90, +-270 deg: a free cantilever
// (Phi1 = 90 deg) reads as "no repulsive contact", not as cos = 6e-17 > 0.
AMFM_HD double cos_deg(double deg) {
    double a = deg < 0.0 ? -deg : deg;
    a = mul_add(-360.0, floor(a * (1.0 / 360.0)), a);  // [0, 360]; 360 folds to 0 below
    a = a > 180.0 ? 360.0 - a : a;     // [0, 180]
    const bool negative = a > 90.0;
    a = negative ? 180.0 - a : a;      // [0, 90]; cos(180 - a) = -cos(a)
    const bool via_sin = a > 45.0;
    const double x = (via_sin ? 90.0 - a : a) * (kPiD / 180.0);  // [0, pi/4]
    const double z = x * x;
    double c = 1.0 / 20922789888000.0;  // 1/16!
    c = mul_add(c, z, -1.0 / 87178291200.0);
    c = mul_add(c, z, 1.0 / 479001600.0);
    c = mul_add(c, z, -1.0 / 3628800.0);
    c = mul_add(c, z, 1.0 / 40320.0);
    c = mul_add(c, z, -1.0 / 720.0);
    c = mul_add(c, z, 1.0 / 24.0);
    c = mul_add(c, z, -0.5);
    c = mul_add(c, z, 1.0);
    double s = 1.0 / 355687428096000.0;  // 1/17!
    s = mul_add(s, z, -1.0 / 1307674368000.0);
    s = mul_add(s, z, 1.0 / 6227020800.0);
    s = mul_add(s, z, -1.0 / 39916800.0);
    s = mul_add(s, z, 1.0 / 362880.0);
    s = mul_add(s, z, -1.0 / 5040.0);
    s = mul_add(s, z, 1.0 / 120.0);
    s = mul_add(s, z, -1.0 / 6.0);
    s = mul_add(s, z, 1.0);
    s *= x;
    const double r = via_sin ? s : c;
    return negative ? -r : r;
}

}  // namespace amfm
