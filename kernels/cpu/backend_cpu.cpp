// CPU reference backend: the shared AMFM_HD functions in OpenMP loops.
#include <algorithm>
#include <cstring>
#include <vector>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "amfm/kernels/backend.hpp"

namespace amfm {
namespace {

// Row by row: slopes into a row buffer, then the shared per-pixel physics over the row. In
// interior rows the central-difference slope is the vectorised interior case of slope_central
// (same arithmetic, so the same bits); borders and pixels whose stencil holds a non-finite
// height go through slope_central itself.
template <KcModel M>
void pixel_rows(const PixelInputs& in, const PixelParams& p, const PixelOutputs& out) {
    const int nx = p.nx, ny = p.ny;
    const RowMajorHeights heights{in.height_m, nx};
#pragma omp parallel
    {
        std::vector<double> gx(nx), gy(nx), phase(nx), df2(nx), a1(nx, p.model.a1_set_m);
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
                const double hx = 0.5 * (1.0 / p.dx_m), hy = 0.5 * (1.0 / p.dy_m);
#pragma omp simd
                for (int x = 1; x < nx - 1; ++x) {
                    const double nan_unless_finite = (double)z[x] * 0.0;  // NaN for a NaN/inf centre
                    gx[x] = central_difference(z[x - 1], z[x + 1], hx) + nan_unless_finite;
                    gy[x] = central_difference(z_up[x], z_down[x], hy) + nan_unless_finite;
                }
                for (int x = 0; x < nx; ++x) {
                    if (x > 0 && x + 1 < nx && std::isfinite(gx[x]) && std::isfinite(gy[x])) continue;
                    const Slope s = pixel_slope(heights, p, x, y);
                    gx[x] = s.gx;
                    gy[x] = s.gy;
                }
            } else {
                for (int x = 0; x < nx; ++x) {
                    const Slope s = pixel_slope(heights, p, x, y);
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
            if (in.amplitude1_m)
                for (long long x = 0; x < nxl; ++x) a1[x] = in.amplitude1_m[row + x];
            if (in.region)
                for (long long x = 0; x < nxl; ++x) unlabelled[x] = in.region[row + x] < 0 ? 1ull : 0ull;
            const PixelParams p_row = p;  // a local copy the stores below cannot alias
            double* const gxr = gx.data();
            double* const gyr = gy.data();
            unsigned long long* const mr = mask.data();
#pragma omp simd
            for (long long x = 0; x < nxl; ++x) {
                const PixelResult r =
                    pixel_physics<M>(p_row, gxr[x], gyr[x], phase[x], df2[x], a1[x], unlabelled[x] != 0);
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

int thread_count() {
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

class CpuBackend final : public Backend {
public:
    std::string name() const override { return "cpu"; }

    std::string device_description() const override {
        return "CPU, " + std::to_string(thread_count()) + " OpenMP thread(s)";
    }

    void pixel_stage(const PixelInputs& in, const PixelParams& p, const PixelOutputs& out) override {
        with_kc_model(p.correction.model, [&](auto tag) { pixel_rows<decltype(tag)::value>(in, p, out); });
    }

    void region_histograms(const float* modulus_gpa, const std::uint8_t* mask,
                           const std::int32_t* region, std::size_t n_pixels, const HistSpec* specs,
                           int n_regions, bool whole_map, std::uint32_t* counts) override {
        const std::size_t total_bins = total_hist_bins(specs, n_regions + (whole_map ? 1 : 0));
        std::fill(counts, counts + total_bins, 0u);
        const long long n = (long long)n_pixels;
#pragma omp parallel
        {
            // Private histograms merged at the end: integer sums, so the result is exact
            // and independent of the thread count.
            std::vector<std::uint32_t> local(total_bins, 0u);
#pragma omp for schedule(static) nowait
            for (long long i = 0; i < n; ++i) {
                const HistSlots slot =
                    pixel_hist_slots(specs, n_regions, whole_map, region ? region[i] : 0, mask[i], modulus_gpa[i]);
                if (slot.region >= 0) ++local[(std::size_t)slot.region];
                if (slot.whole_map >= 0) ++local[(std::size_t)slot.whole_map];
            }
#pragma omp critical(amfm_hist_merge)
            for (std::size_t b = 0; b < total_bins; ++b) counts[b] += local[b];
        }
    }

    void fit_gaussians(const std::uint32_t* counts, const HistSpec* specs, int n_fits,
                       const FitOptions& options, FitResult* results) override {
#pragma omp parallel for schedule(dynamic, 16)
        for (int f = 0; f < n_fits; ++f)
            results[f] = fit_gaussian_histogram(counts + specs[f].offset, specs[f], options);
    }
};

}  // namespace

std::unique_ptr<Backend> make_cpu_backend() { return std::make_unique<CpuBackend>(); }

}  // namespace amfm
