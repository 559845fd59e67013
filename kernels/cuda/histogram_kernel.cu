// Region histograms on the GPU with the CPU's bin rule (region_hist_slot), so counts agree
// exactly. When every region's bins fit in shared memory each block counts into a private
// copy and merges it with one global atomic per non-empty bin; otherwise pixels go straight
// to global atomics. Integer atomics make the result independent of scheduling.
#include "cuda_check.cuh"
#include "cuda_ops.cuh"

namespace amfm {
namespace cuda {
namespace {

constexpr int kThreads = 256;
constexpr std::size_t kMaxSharedBins = 48 * 1024 / sizeof(std::uint32_t);

__global__ void __launch_bounds__(kThreads)
    histogram_shared_kernel(const float* modulus_gpa, const std::uint8_t* mask,
                            const std::int32_t* region, long long n, const HistSpec* specs,
                            int n_regions, bool whole_map, int total_bins, std::uint32_t* counts) {
    extern __shared__ std::uint32_t local[];
    for (int b = threadIdx.x; b < total_bins; b += blockDim.x) local[b] = 0u;
    __syncthreads();
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n;
         i += (long long)gridDim.x * blockDim.x) {
        const HistSlots slot =
            pixel_hist_slots(specs, n_regions, whole_map, region ? region[i] : 0, mask[i], modulus_gpa[i]);
        if (slot.region >= 0) atomicAdd(&local[slot.region], 1u);
        if (slot.whole_map >= 0) atomicAdd(&local[slot.whole_map], 1u);
    }
    __syncthreads();
    for (int b = threadIdx.x; b < total_bins; b += blockDim.x)
        if (local[b]) atomicAdd(&counts[b], local[b]);
}

__global__ void __launch_bounds__(kThreads)
    histogram_global_kernel(const float* modulus_gpa, const std::uint8_t* mask,
                            const std::int32_t* region, long long n, const HistSpec* specs,
                            int n_regions, bool whole_map, std::uint32_t* counts) {
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n;
         i += (long long)gridDim.x * blockDim.x) {
        const HistSlots slot =
            pixel_hist_slots(specs, n_regions, whole_map, region ? region[i] : 0, mask[i], modulus_gpa[i]);
        if (slot.region >= 0) atomicAdd(&counts[slot.region], 1u);
        if (slot.whole_map >= 0) atomicAdd(&counts[slot.whole_map], 1u);
    }
}

int multiprocessor_count() {
    int device = 0, sms = 0;
    AMFM_CUDA_CHECK(cudaGetDevice(&device));
    AMFM_CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
    return sms;
}

}  // namespace

void launch_region_histograms(const float* modulus_gpa, const std::uint8_t* mask,
                              const std::int32_t* region, std::size_t n_pixels,
                              const HistSpec* specs, int n_regions, bool whole_map,
                              std::size_t total_bins, std::uint32_t* counts, cudaStream_t stream) {
    if (total_bins == 0) return;
    AMFM_CUDA_CHECK(cudaMemsetAsync(counts, 0, total_bins * sizeof(std::uint32_t), stream));
    if (n_pixels == 0 || (n_regions <= 0 && !whole_map)) return;
    const int sms = multiprocessor_count();
    const long long n = (long long)n_pixels;
    const long long needed = (n + kThreads - 1) / kThreads;
    if (total_bins <= kMaxSharedBins) {
        // A few blocks per SM: enough to hide latency, few enough that merging is cheap.
        const int blocks = (int)(needed < 4LL * sms ? needed : 4LL * sms);
        histogram_shared_kernel<<<blocks, kThreads, total_bins * sizeof(std::uint32_t), stream>>>(
            modulus_gpa, mask, region, n, specs, n_regions, whole_map, (int)total_bins, counts);
    } else {
        const int blocks = (int)(needed < 32LL * sms ? needed : 32LL * sms);
        histogram_global_kernel<<<blocks, kThreads, 0, stream>>>(modulus_gpa, mask, region, n, specs,
                                                                  n_regions, whole_map, counts);
    }
    AMFM_CUDA_CHECK_LAUNCH();
}

}  // namespace cuda
}  // namespace amfm
