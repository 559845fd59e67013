// Device-pointer entry points of the CUDA backend, for code that keeps data on the GPU
// between steps (CudaBackend, the GPU benchmark). Every pointer here is a device
// pointer; every launch is asynchronous on `stream` and checked at launch.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

#include "amfm/kernels/gauss_fit.hpp"
#include "amfm/kernels/histogram.hpp"
#include "amfm/kernels/pixel_stage.hpp"

namespace amfm {
namespace cuda {

// Throws BackendUnavailable when the current device cannot run this build's kernels (a GPU
// older than the architectures compiled in: no kernel image for it).
void check_kernel_image();

// Fused per-pixel stage (slope, tilt, modulus, Kc, mask) over an nx x ny map.
void launch_pixel_stage(const PixelInputs& in, const PixelParams& params, const PixelOutputs& out,
                        cudaStream_t stream);

// Zeroes counts[0, total_bins) and fills it as Backend::region_histograms does (with the
// whole-map histogram at specs[n_regions] when `whole_map`). `region` may be null (every pixel in
// region 0). total_bins must be total_hist_bins(specs, n_regions + whole_map).
void launch_region_histograms(const float* modulus_gpa, const std::uint8_t* mask,
                              const std::int32_t* region, std::size_t n_pixels,
                              const HistSpec* specs, int n_regions, bool whole_map,
                              std::size_t total_bins, std::uint32_t* counts, cudaStream_t stream);

// One Levenberg-Marquardt Gaussian fit per histogram, one thread per fit.
void launch_gaussian_fits(const std::uint32_t* counts, const HistSpec* specs, int n_fits,
                          const FitOptions& options, FitResult* results, cudaStream_t stream);

}  // namespace cuda
}  // namespace amfm
