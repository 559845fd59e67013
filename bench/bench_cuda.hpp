// GPU benchmark figures (built with AMFM_WITH_CUDA only; amfm-bench calls it).
// Plain C++: no CUDA types, so the bench program compiles without cuda_runtime.h.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace amfm {

struct CudaBenchOptions {
    int map_side = 1024;                             // maps are map_side x map_side
    int map_regions = 16;                            // square regions of the per-pixel benchmark's maps
    std::vector<int> fit_counts{10000, 100000, 1000000};
    int fit_bins = 64;
    int cpu_fit_limit = 100000;                      // CPU fits timed only up to this count
    int repeats = 20;                                // timed repetitions of each GPU kernel
};

struct CudaBenchFits {
    int n_fits = 0;
    double gpu_fits_per_s = 0.0;
    double cpu_fits_per_s = 0.0;  // 0: not measured (above cpu_fit_limit)
    double converged_fraction = 0.0;
};

struct CudaBenchReport {
    std::string device;
    std::string cpu;
    // Bandwidths in GB/s (1e9 bytes). The device copy counts read + write bytes, as the
    // per-pixel figure does, so the two compare directly.
    double d2d_copy_gb_per_s = 0.0;
    double h2d_pinned_gb_per_s = 0.0;
    double d2h_pinned_gb_per_s = 0.0;
    // Fused per-pixel kernel, central differences, with region labels (25 bytes per pixel moved).
    double pixel_bytes_per_px = 0.0;
    double pixel_gpx_per_s = 0.0;
    double pixel_gb_per_s = 0.0;
    double pixel_pct_of_copy = 0.0;  // target >= 60
    double pixel_plane5_gpx_per_s = 0.0;  // local plane, 5 x 5 window
    double cpu_pixel_gpx_per_s = 0.0;
    std::vector<CudaBenchFits> fits;  // target >= 1e6 fits/s
};

// Runs every figure on the current CUDA device (and the CPU backend beside it). Throws
// BackendUnavailable when no device is present.
CudaBenchReport run_cuda_benchmark(const CudaBenchOptions& options = {});

void print_cuda_bench(const CudaBenchReport& report, std::ostream& os);

}  // namespace amfm
