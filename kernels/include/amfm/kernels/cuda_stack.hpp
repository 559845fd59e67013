// Streaming a stack of same-sized maps through the GPU (built with AMFM_WITH_CUDA only).
//
// Plain C++ on purpose: the host layer can drive it without cuda_runtime.h. Each of `slots`
// slots owns pinned host staging, device buffers and a CUDA stream, so with three slots map
// i+1 uploads while map i computes and map i-1 downloads; device and pinned memory are fixed
// by the config, whatever the stack length.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

#include "amfm/kernels/gauss_fit.hpp"
#include "amfm/kernels/histogram.hpp"
#include "amfm/kernels/pixel_stage.hpp"

namespace amfm {

struct StackConfig {
    int nx = 0, ny = 0;             // every map of the stack has this size
    bool with_amplitude = false;    // maps carry a per-pixel amplitude1_m channel
    bool with_regions = false;      // maps carry a region channel (otherwise all pixels are region 0)
    int max_regions = 1;            // room for this many HistSpecs per map
    std::size_t max_total_bins = 1024;  // room for this many histogram bins per map
    bool download_maps = true;      // also copy tilt, modulus and mask back (else statistics only)
    int slots = 3;                  // maps in flight; 1 = no overlap
    FitOptions fit{};
};

// One map's pinned staging, filled by the load callback. The pointers are the runner's; write
// through them, do not change them.
struct StackMapIn {
    float* height_m = nullptr;
    float* phase1_deg = nullptr;
    float* df2_hz = nullptr;
    float* amplitude1_m = nullptr;  // null unless with_amplitude
    std::int32_t* region = nullptr;  // null unless with_regions
    HistSpec* specs = nullptr;       // room for max_regions
    int n_regions = 0;               // histograms + fits for specs[0, n_regions); 0: none
    PixelParams params{};            // nx, ny preset to the config's and must stay so
};

// One map's results, in pinned memory valid only during the consume callback.
struct StackMapOut {
    const float* tilt_deg = nullptr;  // these three null unless download_maps
    const float* modulus_gpa = nullptr;
    const std::uint8_t* mask = nullptr;
    const std::uint32_t* counts = nullptr;  // total_bins counts, as Backend::region_histograms
    std::size_t total_bins = 0;
    const FitResult* fits = nullptr;  // n_regions results
    int n_regions = 0;
};

class CudaStackRunner {
public:
    explicit CudaStackRunner(const StackConfig& config);
    ~CudaStackRunner();
    CudaStackRunner(const CudaStackRunner&) = delete;
    CudaStackRunner& operator=(const CudaStackRunner&) = delete;

    // For i = 0..n_maps-1 in order: load(i, in) fills the staging of map i (while the GPU
    // works on earlier maps), then consume(i, out) receives its results, also in order.
    // Exceptions from the callbacks or from CUDA propagate after in-flight work has drained.
    void run(int n_maps, const std::function<void(int, StackMapIn&)>& load,
             const std::function<void(int, const StackMapOut&)>& consume);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace amfm
