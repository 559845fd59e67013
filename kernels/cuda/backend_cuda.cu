// CudaBackend: the Backend interface (host pointers) over the device-pointer launchers. Each
// call copies its inputs in, runs on the backend's own stream and copies the results out; the
// device buffers are kept and only grow, so repeated calls on same-sized maps allocate nothing.
#include <memory>
#include <string>

#include "amfm/kernels/backend.hpp"
#include "cuda_check.cuh"
#include "cuda_ops.cuh"
#include "device_buffer.cuh"

namespace amfm {
namespace {

template <class T>
void upload(DeviceBuffer<T>& dst, const T* src, std::size_t n, cudaStream_t s) {
    dst.reserve(n);
    if (n) AMFM_CUDA_CHECK(cudaMemcpyAsync(dst.data(), src, n * sizeof(T), cudaMemcpyHostToDevice, s));
}

template <class T>
void download(T* dst, const DeviceBuffer<T>& src, std::size_t n, cudaStream_t s) {
    if (n) AMFM_CUDA_CHECK(cudaMemcpyAsync(dst, src.data(), n * sizeof(T), cudaMemcpyDeviceToHost, s));
}

std::string describe_device(int device) {
    cudaDeviceProp prop{};
    AMFM_CUDA_CHECK(cudaGetDeviceProperties(&prop, device));
    const double gib = (double)prop.totalGlobalMem / (1024.0 * 1024.0 * 1024.0);
    return std::string(prop.name) + ", sm_" + std::to_string(prop.major) + std::to_string(prop.minor) +
           ", " + std::to_string((long long)(gib + 0.5)) + " GiB";
}

class CudaBackend final : public Backend {
public:
    CudaBackend() {
        AMFM_CUDA_CHECK(cudaGetDevice(&device_));
        cuda::check_kernel_image();  // at construction, so `auto` can still fall back to the CPU
        description_ = describe_device(device_);
    }

    std::string name() const override { return "cuda"; }
    std::string device_description() const override { return description_; }

    void pixel_stage(const PixelInputs& in, const PixelParams& p, const PixelOutputs& out) override {
        if (p.nx <= 0 || p.ny <= 0) return;
        const std::size_t n = (std::size_t)p.nx * (std::size_t)p.ny;
        const cudaStream_t s = stream_.get();
        upload(height_, in.height_m, n, s);
        upload(phase_, in.phase1_deg, n, s);
        upload(df2_, in.df2_hz, n, s);
        PixelInputs d_in{height_.data(), phase_.data(), df2_.data(), nullptr, nullptr};
        if (in.amplitude1_m) {
            upload(amplitude_, in.amplitude1_m, n, s);
            d_in.amplitude1_m = amplitude_.data();
        }
        if (in.region) {
            upload(region_, in.region, n, s);
            d_in.region = region_.data();
        }
        tilt_.reserve(n);
        modulus_.reserve(n);
        mask_.reserve(n);
        cuda::launch_pixel_stage(d_in, p, PixelOutputs{tilt_.data(), modulus_.data(), mask_.data()}, s);
        download(out.tilt_deg, tilt_, n, s);
        download(out.modulus_gpa, modulus_, n, s);
        download(out.mask, mask_, n, s);
        stream_.synchronize();
    }

    void region_histograms(const float* modulus_gpa, const std::uint8_t* mask,
                           const std::int32_t* region, std::size_t n_pixels, const HistSpec* specs,
                           int n_regions, bool whole_map, std::uint32_t* counts) override {
        const int n_specs = n_regions + (whole_map ? 1 : 0);
        validate_hist_specs(specs, n_specs, "region_histograms");
        const std::size_t total_bins = total_hist_bins(specs, n_specs);
        if (total_bins == 0) return;
        const cudaStream_t s = stream_.get();
        upload(modulus_, modulus_gpa, n_pixels, s);
        upload(mask_, mask, n_pixels, s);
        if (region) upload(region_, region, n_pixels, s);
        upload(specs_, specs, (std::size_t)n_specs, s);
        counts_.reserve(total_bins);
        cuda::launch_region_histograms(modulus_.data(), mask_.data(), region ? region_.data() : nullptr,
                                       n_pixels, specs_.data(), n_regions, whole_map, total_bins, counts_.data(), s);
        download(counts, counts_, total_bins, s);
        stream_.synchronize();
    }

    void fit_gaussians(const std::uint32_t* counts, const HistSpec* specs, int n_fits,
                       const FitOptions& options, FitResult* results) override {
        if (n_fits <= 0) return;
        validate_hist_specs(specs, n_fits, "fit_gaussians");
        const cudaStream_t s = stream_.get();
        upload(counts_, counts, total_hist_bins(specs, n_fits), s);
        upload(specs_, specs, (std::size_t)n_fits, s);
        results_.reserve((std::size_t)n_fits);
        cuda::launch_gaussian_fits(counts_.data(), specs_.data(), n_fits, options, results_.data(), s);
        download(results, results_, (std::size_t)n_fits, s);
        stream_.synchronize();
    }

private:
    int device_ = 0;
    std::string description_;
    CudaStream stream_;
    DeviceBuffer<float> height_, phase_, df2_, amplitude_, tilt_, modulus_;
    DeviceBuffer<std::int32_t> region_;
    DeviceBuffer<std::uint8_t> mask_;
    DeviceBuffer<HistSpec> specs_;
    DeviceBuffer<std::uint32_t> counts_;
    DeviceBuffer<FitResult> results_;
};

}  // namespace

std::unique_ptr<Backend> make_cuda_backend() { return std::make_unique<CudaBackend>(); }

// Never throws: no driver, no device or a broken runtime all read as "no device".
int cuda_runtime_device_count() {
    int count = 0;
    if (cudaGetDeviceCount(&count) != cudaSuccess) {
        cudaGetLastError();  // clear the sticky-free error so later calls start clean
        return 0;
    }
    return count;
}

// The current device's single- to double-precision throughput ratio; 0 when it cannot be read.
int cuda_runtime_fp64_ratio() {
    int device = 0, ratio = 0;
    if (cudaGetDevice(&device) != cudaSuccess ||
        cudaDeviceGetAttribute(&ratio, cudaDevAttrSingleToDoublePrecisionPerfRatio, device) != cudaSuccess) {
        cudaGetLastError();
        return 0;
    }
    return ratio;
}

std::string cuda_runtime_device_summary() {
    int count = 0;
    const cudaError_t err = cudaGetDeviceCount(&count);
    if (err != cudaSuccess) {
        cudaGetLastError();
        return std::string("no CUDA device (") + cudaGetErrorString(err) + ")";
    }
    if (count == 0) return "no CUDA device";
    try {
        int device = 0;
        AMFM_CUDA_CHECK(cudaGetDevice(&device));
        std::string s = describe_device(device);
        if (count > 1) s += " (device " + std::to_string(device) + " of " + std::to_string(count) + ")";
        return s;
    } catch (const std::exception& e) {
        return std::string("CUDA device present but unusable: ") + e.what();
    }
}

}  // namespace amfm
