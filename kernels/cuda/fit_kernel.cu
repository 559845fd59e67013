// Batched Gaussian fits, Gpufit style: one thread per histogram runs the header's
// Levenberg-Marquardt fit on device-resident counts and writes its state and parameters.
#include "cuda_check.cuh"
#include "cuda_ops.cuh"

namespace amfm {
namespace cuda {
namespace {

constexpr int kThreads = 128;

__global__ void __launch_bounds__(kThreads)
    gaussian_fit_kernel(const std::uint32_t* counts, const HistSpec* specs, int n_fits,
                        FitOptions options, FitResult* results) {
    const int f = blockIdx.x * blockDim.x + threadIdx.x;
    if (f >= n_fits) return;
    const HistSpec spec = specs[f];
    results[f] = fit_gaussian_histogram(counts + spec.offset, spec, options);
}

}  // namespace

void launch_gaussian_fits(const std::uint32_t* counts, const HistSpec* specs, int n_fits,
                          const FitOptions& options, FitResult* results, cudaStream_t stream) {
    if (n_fits <= 0) return;
    const int blocks = (n_fits + kThreads - 1) / kThreads;
    gaussian_fit_kernel<<<blocks, kThreads, 0, stream>>>(counts, specs, n_fits, options, results);
    AMFM_CUDA_CHECK_LAUNCH();
}

}  // namespace cuda
}  // namespace amfm
