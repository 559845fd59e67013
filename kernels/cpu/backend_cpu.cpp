// CPU reference backend: the shared AMFM_HD functions in OpenMP loops.
#include <algorithm>
#include <cstring>
#include <vector>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "amfm/kernels/backend.hpp"
#include "pixel_rows.hpp"

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
        cpu_pixel_stage(in, p, out);
    }

    void region_histograms(const float* modulus_gpa, const std::uint8_t* mask,
                           const std::int32_t* region, std::size_t n_pixels, const HistSpec* specs,
                           int n_regions, bool whole_map, std::uint32_t* counts) override {
        validate_hist_specs(specs, n_regions + (whole_map ? 1 : 0), "region_histograms");
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
        validate_hist_specs(specs, n_fits, "fit_gaussians");
#pragma omp parallel for schedule(dynamic, 16)
        for (int f = 0; f < n_fits; ++f)
            results[f] = fit_gaussian_histogram(counts + specs[f].offset, specs[f], options);
    }
};

}  // namespace

std::unique_ptr<Backend> make_cpu_backend() { return std::make_unique<CpuBackend>(); }

}  // namespace amfm
