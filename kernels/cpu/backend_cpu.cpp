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
        const int nx = p.nx, ny = p.ny;
#pragma omp parallel for schedule(static)
        for (int y = 0; y < ny; ++y)
            for (int x = 0; x < nx; ++x) pixel_stage_at(in, p, out, x, y);
    }

    void region_histograms(const float* modulus_gpa, const std::uint8_t* mask,
                           const std::int32_t* region, std::size_t n_pixels, const HistSpec* specs,
                           int n_regions, std::uint32_t* counts) override {
        std::size_t total_bins = 0;
        for (int r = 0; r < n_regions; ++r)
            total_bins = std::max<std::size_t>(total_bins, (std::size_t)specs[r].offset + specs[r].nbins);
        std::fill(counts, counts + total_bins, 0u);
        const long long n = (long long)n_pixels;
#pragma omp parallel
        {
            // Private histograms merged at the end: integer sums, so the result is exact
            // and independent of the thread count.
            std::vector<std::uint32_t> local(total_bins, 0u);
#pragma omp for schedule(static) nowait
            for (long long i = 0; i < n; ++i) {
                const int r = region ? region[i] : 0;
                if (r < 0 || r >= n_regions || (mask[i] & kMaskInvalid)) continue;
                const HistSpec& h = specs[r];
                const int b = hist_bin_index(h, hist_axis_value(h, modulus_gpa[i]));
                if (b >= 0) ++local[(std::size_t)h.offset + b];
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
