// The CPU per-pixel stage: the shared AMFM_HD physics in an OpenMP loop over rows, with the
// per-scan constants made once (make_pixel_constants).
#include "pixel_rows.hpp"

#include <cmath>
#include <vector>

namespace amfm {
namespace {

// Row by row: slopes into a row buffer, then the shared per-pixel physics over the row. In
// interior rows the central-difference slope is the vectorised interior case of slope_central
// (same arithmetic, so the same bits); borders and pixels whose stencil holds a non-finite
// height go through slope_central itself.
template <KcModel M>
void pixel_rows(const PixelInputs& in, const PixelParams& p, const PixelOutputs& out) {
    const int nx = p.nx, ny = p.ny;
    const PixelConstants c = make_pixel_constants(p);
    const RowMajorHeights heights{in.height_m, nx};
#pragma omp parallel
    {
        std::vector<double> gx(nx), gy(nx), phase(nx), df2(nx), a1(nx, p.model.a1_set_m),
            scale(nx, c.first_mode_scale_set_n_per_m);
        std::vector<unsigned long long> unlabelled(nx, 0), mask(nx);
#pragma omp for schedule(static)
        for (int y = 0; y < ny; ++y) {
            const long long row = (long long)y * nx;
            const bool interior_row =
                p.tilt_method == TiltMethod::CentralDifference && y > 0 && y + 1 < ny && nx > 2;
            if (interior_row) {
                const float* z = in.height_m + row;
                const float* z_up = z - nx;
                const float* z_down = z + nx;
                const double hx = 0.5 * c.inv_dx_per_m, hy = 0.5 * c.inv_dy_per_m;
#pragma omp simd
                for (int x = 1; x < nx - 1; ++x) {
                    const double nan_unless_finite = (double)z[x] * 0.0;  // NaN for a NaN/inf centre
                    gx[x] = central_difference(z[x - 1], z[x + 1], hx) + nan_unless_finite;
                    gy[x] = central_difference(z_up[x], z_down[x], hy) + nan_unless_finite;
                }
                for (int x = 0; x < nx; ++x) {
                    if (x > 0 && x + 1 < nx && std::isfinite(gx[x]) && std::isfinite(gy[x])) continue;
                    const Slope s = pixel_slope(heights, p, c, x, y);
                    gx[x] = s.gx;
                    gy[x] = s.gy;
                }
            } else {
                for (int x = 0; x < nx; ++x) {
                    const Slope s = pixel_slope(heights, p, c, x, y);
                    gx[x] = s.gx;
                    gy[x] = s.gy;
                }
            }
            // The physics at one vector width: inputs widened to double row buffers, results
            // narrowed afterwards. Mixing float and uint8 arrays in the physics loop makes GCC
            // pick 64 lanes and spill (measured 2x slower).
            const long long nxl = nx;
            for (long long x = 0; x < nxl; ++x) {
                phase[x] = in.phase1_deg[row + x];
                df2[x] = in.df2_hz[row + x];
            }
            if (in.amplitude1_m) {
                for (long long x = 0; x < nxl; ++x) a1[x] = in.amplitude1_m[row + x];
                for (long long x = 0; x < nxl; ++x) scale[x] = p.model.k1_over_q1_a1free / a1[x];
            }
            if (in.region)
                for (long long x = 0; x < nxl; ++x) unlabelled[x] = in.region[row + x] < 0 ? 1ull : 0ull;
            const PixelParams p_row = p;  // local copies the stores below cannot alias
            const PixelConstants c_row = c;
            double* const gxr = gx.data();
            double* const gyr = gy.data();
            unsigned long long* const mr = mask.data();
#pragma omp simd
            for (long long x = 0; x < nxl; ++x) {
                const PixelResult r =
                    pixel_physics<M>(p_row, c_row, gxr[x], gyr[x], phase[x], df2[x], a1[x], scale[x], unlabelled[x] != 0);
                gxr[x] = r.tilt_deg;
                gyr[x] = r.modulus_gpa;
                mr[x] = r.mask;
            }
            for (long long x = 0; x < nxl; ++x) {
                out.tilt_deg[row + x] = (float)gxr[x];
                out.modulus_gpa[row + x] = (float)gyr[x];
                out.mask[row + x] = (std::uint8_t)mr[x];
            }
        }
    }
}

}  // namespace

void cpu_pixel_stage(const PixelInputs& in, const PixelParams& p, const PixelOutputs& out) {
    with_kc_model(p.correction.model, [&](auto tag) { pixel_rows<decltype(tag)::value>(in, p, out); });
}

}  // namespace amfm
