// The compute backend: the pipeline's bulk operations over whole maps and region sets.
// The CPU backend is always built and is the reference; the CUDA backend is built when nvcc
// is found and must reproduce it (integers exactly, floats to a small relative tolerance).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "amfm/kernels/gauss_fit.hpp"
#include "amfm/kernels/histogram.hpp"
#include "amfm/kernels/pixel_stage.hpp"

namespace amfm {

class Backend {
public:
    virtual ~Backend() = default;

    // Short name for reports: "cpu" or "cuda".
    virtual std::string name() const = 0;
    // What it runs on, e.g. "CPU, OpenMP 2 threads" or "NVIDIA H100 80GB HBM3 (sm_90)".
    virtual std::string device_description() const = 0;

    // Tilt, corrected modulus and mask for every pixel (all arrays nx * ny, row-major).
    virtual void pixel_stage(const PixelInputs& in, const PixelParams& params,
                             const PixelOutputs& out) = 0;

    // Counts of valid pixels ((mask & kMaskOutOfRegion) == 0, region >= 0) per region histogram:
    // specs[r] describes region r. With `whole_map`, specs[n_regions] is one more histogram that
    // counts every valid pixel ((mask & kMaskInvalid) == 0) whatever its region and edges (the map's
    // own histogram), filled in the same
    // pass over the pixels. counts holds every histogram's bins at specs[k].offset and is
    // overwritten.
    virtual void region_histograms(const float* modulus_gpa, const std::uint8_t* mask,
                                   const std::int32_t* region, std::size_t n_pixels,
                                   const HistSpec* specs, int n_regions, bool whole_map,
                                   std::uint32_t* counts) = 0;
    // One Gaussian fit per histogram.
    virtual void fit_gaussians(const std::uint32_t* counts, const HistSpec* specs, int n_fits,
                               const FitOptions& options, FitResult* results) = 0;
};

enum class BackendKind { Auto, Cpu, Cuda };

// "auto" | "cpu" | "cuda"; throws ConfigError otherwise.
BackendKind parse_backend_kind(const std::string& text);

// Whether `auto` uses a GPU whose single- to double-precision throughput ratio is this
// (cudaDeviceProp::singleToDoublePrecisionPerfRatio): only data-centre GPUs with full-rate FP64
// (ratio <= 2: P100, V100, A100, H100, H200); consumer and workstation GPUs (32 or 64) run the
// double-precision pixel stage slower than the CPU, and `auto` picks the CPU there.
bool auto_prefers_gpu(int single_to_double_perf_ratio);

// Auto: CUDA when it was compiled and a device with strong FP64 (auto_prefers_gpu) is present,
// else CPU. Cuda: throws
// BackendUnavailable ("built without CUDA" / "no CUDA device found") when it cannot run.
std::unique_ptr<Backend> make_backend(BackendKind kind);

std::unique_ptr<Backend> make_cpu_backend();

// What this build offers, for `amfm --version` and `amfm info`.
bool cuda_backend_compiled();
// Number of CUDA devices (0 when not compiled or none present), and a description of the first.
int cuda_device_count();
std::string cuda_device_summary();

}  // namespace amfm
