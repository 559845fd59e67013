// CudaStackRunner: a ring of slots (pinned staging + device buffers + stream). Map i uses
// slot i % slots; before reusing a slot its stream is synchronised and its previous map
// handed to consume, so host work on one slot overlaps copies and kernels on the others.
#include <string>
#include <vector>

#include "amfm/kernels/cuda_stack.hpp"
#include "amfm/kernels/error.hpp"
#include "cuda_check.cuh"
#include "cuda_ops.cuh"
#include "device_buffer.cuh"

namespace amfm {
namespace {

template <class T>
void copy_async(T* dst, const T* src, std::size_t n, cudaMemcpyKind kind, cudaStream_t s) {
    if (n) AMFM_CUDA_CHECK(cudaMemcpyAsync(dst, src, n * sizeof(T), kind, s));
}

struct Slot {
    CudaStream stream;
    PinnedBuffer<float> h_height, h_phase, h_df2, h_amplitude, h_tilt, h_modulus;
    PinnedBuffer<std::int32_t> h_region;
    PinnedBuffer<std::uint8_t> h_mask;
    PinnedBuffer<HistSpec> h_specs;
    PinnedBuffer<std::uint32_t> h_counts;
    PinnedBuffer<FitResult> h_fits;
    DeviceBuffer<float> d_height, d_phase, d_df2, d_amplitude, d_tilt, d_modulus;
    DeviceBuffer<std::int32_t> d_region;
    DeviceBuffer<std::uint8_t> d_mask;
    DeviceBuffer<HistSpec> d_specs;
    DeviceBuffer<std::uint32_t> d_counts;
    DeviceBuffer<FitResult> d_fits;
    StackMapIn in;
    StackMapOut out;
};

}  // namespace

struct CudaStackRunner::Impl {
    StackConfig cfg;
    std::size_t n_pixels;
    std::vector<Slot> slots;

    explicit Impl(const StackConfig& c)
        : cfg(c), n_pixels((std::size_t)(c.nx > 0 ? c.nx : 0) * (std::size_t)(c.ny > 0 ? c.ny : 0)) {
        if (c.nx <= 0 || c.ny <= 0 || c.slots < 1 || c.max_regions < 0)
            throw ConfigError("CudaStackRunner: need nx, ny > 0, slots >= 1 and max_regions >= 0 (got " +
                              std::to_string(c.nx) + " x " + std::to_string(c.ny) + ", " +
                              std::to_string(c.slots) + " slots, " + std::to_string(c.max_regions) + " regions)");
        slots.resize((std::size_t)c.slots);
        const std::size_t n = n_pixels, nr = (std::size_t)c.max_regions, nb = c.max_total_bins;
        for (Slot& s : slots) {
            for (auto* b : {&s.h_height, &s.h_phase, &s.h_df2}) b->reserve(n);
            for (auto* b : {&s.d_height, &s.d_phase, &s.d_df2, &s.d_tilt, &s.d_modulus}) b->reserve(n);
            s.d_mask.reserve(n);
            if (c.with_amplitude) {
                s.h_amplitude.reserve(n);
                s.d_amplitude.reserve(n);
            }
            if (c.with_regions) {
                s.h_region.reserve(n);
                s.d_region.reserve(n);
            }
            if (c.download_maps) {
                for (auto* b : {&s.h_tilt, &s.h_modulus}) b->reserve(n);
                s.h_mask.reserve(n);
            }
            s.h_specs.reserve(nr);
            s.d_specs.reserve(nr);
            s.h_fits.reserve(nr);
            s.d_fits.reserve(nr);
            s.h_counts.reserve(nb);
            s.d_counts.reserve(nb);
            s.in.params.nx = c.nx;
            s.in.params.ny = c.ny;
        }
    }

    // Work may still be in flight when an exception unwinds: drain it before buffers are freed.
    ~Impl() {
        for (Slot& s : slots) cudaStreamSynchronize(s.stream.get());
    }

    void prepare_load(Slot& s) const {
        s.in.height_m = s.h_height.data();
        s.in.phase1_deg = s.h_phase.data();
        s.in.df2_hz = s.h_df2.data();
        s.in.amplitude1_m = s.h_amplitude.data();
        s.in.region = s.h_region.data();
        s.in.specs = s.h_specs.data();
    }

    void enqueue(Slot& s, int map) const {
        const PixelParams& p = s.in.params;
        if (p.nx != cfg.nx || p.ny != cfg.ny)
            throw DataError("stack map " + std::to_string(map) + ": " + std::to_string(p.nx) + " x " +
                            std::to_string(p.ny) + " pixels, the stack is " + std::to_string(cfg.nx) +
                            " x " + std::to_string(cfg.ny));
        const int nr = s.in.n_regions;
        const std::size_t total_bins =
            nr >= 0 && nr <= cfg.max_regions ? cuda::total_hist_bins(s.h_specs.data(), nr) : 0;
        if (nr < 0 || nr > cfg.max_regions || total_bins > cfg.max_total_bins)
            throw DataError("stack map " + std::to_string(map) + ": " + std::to_string(nr) + " regions / " +
                            std::to_string(total_bins) + " bins do not fit the runner's room (" +
                            std::to_string(cfg.max_regions) + " / " + std::to_string(cfg.max_total_bins) + ")");
        const cudaStream_t st = s.stream.get();
        const std::size_t n = n_pixels;
        const auto h2d = cudaMemcpyHostToDevice, d2h = cudaMemcpyDeviceToHost;
        copy_async(s.d_height.data(), s.h_height.data(), n, h2d, st);
        copy_async(s.d_phase.data(), s.h_phase.data(), n, h2d, st);
        copy_async(s.d_df2.data(), s.h_df2.data(), n, h2d, st);
        PixelInputs d_in{s.d_height.data(), s.d_phase.data(), s.d_df2.data(), nullptr, nullptr};
        if (cfg.with_amplitude) {
            copy_async(s.d_amplitude.data(), s.h_amplitude.data(), n, h2d, st);
            d_in.amplitude1_m = s.d_amplitude.data();
        }
        if (cfg.with_regions) {
            copy_async(s.d_region.data(), s.h_region.data(), n, h2d, st);
            d_in.region = s.d_region.data();
        }
        cuda::launch_pixel_stage(d_in, p, PixelOutputs{s.d_tilt.data(), s.d_modulus.data(), s.d_mask.data()}, st);
        if (nr > 0) {
            copy_async(s.d_specs.data(), s.h_specs.data(), (std::size_t)nr, h2d, st);
            cuda::launch_region_histograms(s.d_modulus.data(), s.d_mask.data(), d_in.region, n, s.d_specs.data(),
                                           nr, total_bins, s.d_counts.data(), st);
            cuda::launch_gaussian_fits(s.d_counts.data(), s.d_specs.data(), nr, cfg.fit, s.d_fits.data(), st);
            copy_async(s.h_counts.data(), s.d_counts.data(), total_bins, d2h, st);
            copy_async(s.h_fits.data(), s.d_fits.data(), (std::size_t)nr, d2h, st);
        }
        if (cfg.download_maps) {
            copy_async(s.h_tilt.data(), s.d_tilt.data(), n, d2h, st);
            copy_async(s.h_modulus.data(), s.d_modulus.data(), n, d2h, st);
            copy_async(s.h_mask.data(), s.d_mask.data(), n, d2h, st);
        }
        s.out.tilt_deg = cfg.download_maps ? s.h_tilt.data() : nullptr;
        s.out.modulus_gpa = cfg.download_maps ? s.h_modulus.data() : nullptr;
        s.out.mask = cfg.download_maps ? s.h_mask.data() : nullptr;
        s.out.counts = s.h_counts.data();
        s.out.total_bins = nr > 0 ? total_bins : 0;
        s.out.fits = s.h_fits.data();
        s.out.n_regions = nr > 0 ? nr : 0;
    }
};

CudaStackRunner::CudaStackRunner(const StackConfig& config) : impl_(std::make_unique<Impl>(config)) {}
CudaStackRunner::~CudaStackRunner() = default;

void CudaStackRunner::run(int n_maps, const std::function<void(int, StackMapIn&)>& load,
                          const std::function<void(int, const StackMapOut&)>& consume) {
    const int k = (int)impl_->slots.size();
    auto slot = [&](int i) -> Slot& { return impl_->slots[(std::size_t)(i % k)]; };
    // A previous run that ended in an exception may have left copies in flight.
    for (Slot& s : impl_->slots) s.stream.synchronize();
    for (int i = 0; i < n_maps; ++i) {
        Slot& s = slot(i);
        if (i >= k) {
            s.stream.synchronize();
            consume(i - k, s.out);
        }
        impl_->prepare_load(s);
        load(i, s.in);
        impl_->enqueue(s, i);
    }
    for (int i = n_maps - k > 0 ? n_maps - k : 0; i < n_maps; ++i) {
        Slot& s = slot(i);
        s.stream.synchronize();
        consume(i, s.out);
    }
}

}  // namespace amfm
