// Local surface slope and tilt from a height field, per pixel.
//
// Two estimators, both in physical units (pixel pitch dx, dy in metres):
//  * central differences, one-sided at borders and next to non-finite pixels
//    (Gwyddion's gwy_data_field_filter_slope);
//  * a least-squares plane z = a + gx*u + gy*v over an N x N window, clipped at borders and
//    skipping non-finite pixels (gwy_data_field_area_fit_local_planes).
// Both take any accessor `z(x, y) -> float`, so the CUDA kernel can pass a shared-memory tile.
// Tilt theta = atan(|grad z|) in degrees; azimuth = atan2(gy, gx) (direction of steepest ascent).
#pragma once

#include <cmath>

#include "amfm/kernels/fastmath.hpp"
#include "amfm/kernels/hd.hpp"
#include "amfm/kernels/physics.hpp"

namespace amfm {

enum class TiltMethod : int { CentralDifference = 0, LocalPlane = 1 };

// (z[i+1] - z[i-1]) / (2 pitch), written with half_inv_pitch = 0.5 / pitch.
AMFM_HD double central_difference(float zm, float zp, double half_inv_pitch) {
    return ((double)zp - (double)zm) * half_inv_pitch;
}

struct Slope {
    double gx;  // dz/dx, dimensionless
    double gy;  // dz/dy
    bool ok;    // false when no finite estimate exists (then gx = gy = NaN)
};

// Derivative along one axis at index i of n samples, given values at i-1, i, i+1 and the
// inverse pitch (multiplications, not divisions: the CPU loop repeats this arithmetic exactly).
AMFM_HD bool axis_derivative(int i, int n, float zm, float z0, float zp, double inv_pitch, double* out) {
    const bool has_m = i > 0 && isfinite(zm);
    const bool has_p = i + 1 < n && isfinite(zp);
    if (n == 1) {  // a one-pixel-wide map has no extent along this axis: no slope along it
        *out = 0.0;
        return isfinite(z0);
    }
    if (has_m && has_p) {
        *out = central_difference(zm, zp, 0.5 * inv_pitch);
        return true;
    }
    if (!isfinite(z0)) return false;
    if (has_p) {
        *out = ((double)zp - (double)z0) * inv_pitch;
        return true;
    }
    if (has_m) {
        *out = ((double)z0 - (double)zm) * inv_pitch;
        return true;
    }
    return false;
}

// Central differences with the inverse pitches given (the per-pixel stage computes them once per
// scan: PixelConstants).
template <class Z>
AMFM_HD Slope slope_central_inv_pitch(const Z& z, int nx, int ny, int x, int y, double inv_dx, double inv_dy) {
    const float z0 = z(x, y);
    Slope s;
    if (!isfinite(z0)) {  // the pixel's own height is missing: no slope for it
        s.gx = s.gy = NAN;
        s.ok = false;
        return s;
    }
    const float zxm = x > 0 ? z(x - 1, y) : NAN;
    const float zxp = x + 1 < nx ? z(x + 1, y) : NAN;
    const float zym = y > 0 ? z(x, y - 1) : NAN;
    const float zyp = y + 1 < ny ? z(x, y + 1) : NAN;
    const bool okx = axis_derivative(x, nx, zxm, z0, zxp, inv_dx, &s.gx);
    const bool oky = axis_derivative(y, ny, zym, z0, zyp, inv_dy, &s.gy);
    s.ok = okx && oky;
    if (!s.ok) s.gx = s.gy = NAN;
    return s;
}

template <class Z>
AMFM_HD Slope slope_central(const Z& z, int nx, int ny, int x, int y, double dx, double dy) {
    return slope_central_inv_pitch(z, nx, ny, x, y, 1.0 / dx, 1.0 / dy);
}

// Plane fit over the (2*half+1)^2 window centred on (x, y), coordinates relative to the centre.
// Needs the centre pixel finite and a non-degenerate spread of finite pixels along each axis
// that has extent (a 1-pixel-wide map gets zero slope along its missing axis, as above).
template <class Z>
AMFM_HD Slope slope_local_plane(const Z& z, int nx, int ny, int x, int y, double dx, double dy,
                                int half) {
    Slope s;
    s.gx = s.gy = NAN;
    s.ok = false;
    if (!isfinite(z(x, y))) return s;
    double n = 0, su = 0, sv = 0, suu = 0, svv = 0, suv = 0, sz = 0, suz = 0, svz = 0;
    const double z0 = z(x, y);
    for (int j = -half; j <= half; ++j) {
        const int yy = y + j;
        if (yy < 0 || yy >= ny) continue;
        for (int i = -half; i <= half; ++i) {
            const int xx = x + i;
            if (xx < 0 || xx >= nx) continue;
            const float zv = z(xx, yy);
            if (!isfinite(zv)) continue;
            const double u = i, v = j, w = (double)zv - z0;  // pixel units, relative heights
            n += 1;
            su += u;
            sv += v;
            suu = mul_add(u, u, suu);
            svv += v * v;  // unfused, as the CPU reference has always rounded it
            suv = mul_add(u, v, suv);
            sz += w;
            suz = mul_add(u, w, suz);
            svz = mul_add(v, w, svz);
        }
    }
    // Centred sums: the plane's slope from the covariance of (u, v) with z.
    const double cuu = suu - su * su / n, cvv = svv - sv * sv / n, cuv = suv - su * sv / n;
    const double cuz = suz - su * sz / n, cvz = svz - sv * sz / n;
    const bool has_x = nx > 1, has_y = ny > 1;
    double a = 0.0, b = 0.0;  // slopes per pixel along u and v
    if (has_x && has_y) {
        const double det = mul_add(cuu, cvv, -(cuv * cuv));
        if (!(det > 1e-12)) return s;
        a = mul_add(cuz, cvv, -(cvz * cuv)) / det;
        b = mul_add(cvz, cuu, -(cuz * cuv)) / det;
    } else if (has_x) {
        if (!(cuu > 1e-12)) return s;
        a = cuz / cuu;
    } else if (has_y) {
        if (!(cvv > 1e-12)) return s;
        b = cvz / cvv;
    }
    s.gx = a / dx;
    s.gy = b / dy;
    s.ok = true;
    return s;
}

AMFM_HD double tilt_deg_from_slope(double gx, double gy) {
    return atan_nonneg(sqrt(mul_add(gx, gx, gy * gy))) * kDegPerRad;
}

AMFM_HD double azimuth_deg_from_slope(double gx, double gy) {
    return atan2(gy, gx) * kDegPerRad;
}

}  // namespace amfm
