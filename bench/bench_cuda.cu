// The GPU benchmark: bandwidth references, the fused per-pixel kernel and batched fits, each
// beside the CPU backend on the same data. The product's end-to-end GPU path (scans from disk
// to results) is measured by amfm-bench-series --backend cuda.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <iomanip>
#include <random>
#include <vector>

#include "amfm/kernels/backend.hpp"
#include "bench_cuda.hpp"
#include "cuda_check.cuh"
#include "cuda_ops.cuh"
#include "device_buffer.cuh"

namespace amfm {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

struct HostMaps {
    int nx = 0, ny = 0;
    std::vector<float> height, phase, df2;
    std::vector<std::int32_t> region;
};

// Rough but realistic: tilts 0..~50 deg, a few non-repulsive / non-positive pixels,
// square regions of equal size.
HostMaps make_maps(int side, int n_regions, double pitch_m) {
    HostMaps m;
    m.nx = m.ny = side;
    const std::size_t n = (std::size_t)side * side;
    m.height.resize(n);
    m.phase.resize(n);
    m.df2.resize(n);
    m.region.resize(n);
    std::mt19937 rng(12345);
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    const int per_side = std::max(1, (int)std::lround(std::sqrt((double)n_regions)));
    for (int y = 0; y < side; ++y)
        for (int x = 0; x < side; ++x) {
            const std::size_t i = (std::size_t)y * side + x;
            m.height[i] = (float)(pitch_m * (20.0 * std::sin(0.02 * x) * std::cos(0.015 * y) + 0.3 * u(rng)));
            m.phase[i] = 40.0f + 55.0f * u(rng);
            m.df2[i] = -20.0f + 2000.0f * u(rng);
            const int r = (y * per_side / side) * per_side + x * per_side / side;
            m.region[i] = r < n_regions ? r : -1;
        }
    return m;
}

PixelParams make_params(int side, double pitch_m, TiltMethod method, int half) {
    PixelParams p;
    p.nx = p.ny = side;
    p.dx_m = p.dy_m = pitch_m;
    p.tilt_method = method;
    p.window_half = half;
    p.model = make_modulus_model(Cantilever{}, 10e-9);
    return p;
}

// Noisy Gaussian histograms, `templates` distinct ones, for the fit benchmark.
std::vector<std::uint32_t> make_fit_templates(int templates, int nbins) {
    std::vector<std::uint32_t> counts((std::size_t)templates * nbins);
    std::mt19937 rng(777);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    for (int t = 0; t < templates; ++t) {
        const double amp = 50.0 + 5000.0 * u(rng), c = nbins * (0.3 + 0.4 * u(rng));
        const double s = nbins * (0.04 + 0.12 * u(rng));
        for (int b = 0; b < nbins; ++b) {
            const double mean = amp * std::exp(-0.5 * (b + 0.5 - c) * (b + 0.5 - c) / (s * s));
            counts[(std::size_t)t * nbins + b] = std::poisson_distribution<int>(mean + 1e-9)(rng);
        }
    }
    return counts;
}

// On `s` itself: a plain cudaMemcpy from pageable memory runs on the legacy default stream, which
// the non-blocking benchmark stream does not wait for, and may return before its DMA has landed.
template <class T>
void to_device(DeviceBuffer<T>& d, const std::vector<T>& h, cudaStream_t s) {
    d.reserve(h.size());
    AMFM_CUDA_CHECK(cudaMemcpyAsync(d.data(), h.data(), h.size() * sizeof(T), cudaMemcpyHostToDevice, s));
}

// Average milliseconds of `op` enqueued `repeats` times on `stream`, after one warm-up.
template <class Op>
double time_ms(cudaStream_t stream, int repeats, Op op) {
    op();
    CudaEvent start, stop;
    start.record(stream);
    for (int r = 0; r < repeats; ++r) op();
    stop.record(stream);
    return stop.ms_since(start) / repeats;
}

double copy_gb_per_s(cudaStream_t s, int repeats, void* dst, const void* src, std::size_t bytes,
                     cudaMemcpyKind kind, double bytes_factor) {
    const double ms = time_ms(s, repeats, [&] { AMFM_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, kind, s)); });
    return bytes_factor * (double)bytes / (ms * 1e-3) / 1e9;
}

// Bandwidth references: 256 MiB transfers.
void measure_bandwidth(const CudaBenchOptions& o, cudaStream_t s, CudaBenchReport& rep) {
    const std::size_t bytes = 256u << 20;
    DeviceBuffer<char> a(bytes), b(bytes);
    PinnedBuffer<char> h(bytes);
    std::memset(h.data(), 1, bytes);
    AMFM_CUDA_CHECK(cudaMemsetAsync(a.data(), 1, bytes, s));
    rep.d2d_copy_gb_per_s = copy_gb_per_s(s, o.repeats, b.data(), a.data(), bytes, cudaMemcpyDeviceToDevice, 2.0);
    rep.h2d_pinned_gb_per_s = copy_gb_per_s(s, o.repeats / 2 + 1, a.data(), h.data(), bytes, cudaMemcpyHostToDevice, 1.0);
    rep.d2h_pinned_gb_per_s = copy_gb_per_s(s, o.repeats / 2 + 1, h.data(), a.data(), bytes, cudaMemcpyDeviceToHost, 1.0);
}

// The fused per-pixel kernel, central differences and a 5 x 5 local plane, and the CPU backend.
void measure_pixel_stage(const CudaBenchOptions& o, const HostMaps& maps, double pitch, Backend& cpu,
                         cudaStream_t s, CudaBenchReport& rep) {
    const std::size_t n = maps.height.size();
    DeviceBuffer<float> h, ph, df, tilt, mod;
    DeviceBuffer<std::int32_t> reg;
    DeviceBuffer<std::uint8_t> mask(n);
    to_device(h, maps.height, s);
    to_device(ph, maps.phase, s);
    to_device(df, maps.df2, s);
    to_device(reg, maps.region, s);
    tilt.reserve(n);
    mod.reserve(n);
    const PixelInputs in{h.data(), ph.data(), df.data(), nullptr, reg.data()};
    const PixelOutputs out{tilt.data(), mod.data(), mask.data()};
    const PixelParams central = make_params(o.map_side, pitch, TiltMethod::CentralDifference, 1);
    const PixelParams plane5 = make_params(o.map_side, pitch, TiltMethod::LocalPlane, 2);
    const double ms = time_ms(s, o.repeats, [&] { cuda::launch_pixel_stage(in, central, out, s); });
    const double ms5 = time_ms(s, o.repeats, [&] { cuda::launch_pixel_stage(in, plane5, out, s); });
    rep.pixel_bytes_per_px = 4.0 * 4 + 4.0 + 4.0 + 1.0;
    rep.pixel_gpx_per_s = (double)n / (ms * 1e-3) / 1e9;
    rep.pixel_gb_per_s = rep.pixel_gpx_per_s * rep.pixel_bytes_per_px;
    rep.pixel_pct_of_copy = 100.0 * rep.pixel_gb_per_s / rep.d2d_copy_gb_per_s;
    rep.pixel_plane5_gpx_per_s = (double)n / (ms5 * 1e-3) / 1e9;

    std::vector<float> ht(n), hm(n);
    std::vector<std::uint8_t> hk(n);
    const PixelInputs hin{maps.height.data(), maps.phase.data(), maps.df2.data(), nullptr, maps.region.data()};
    const PixelOutputs hout{ht.data(), hm.data(), hk.data()};
    cpu.pixel_stage(hin, central, hout);
    const auto t0 = Clock::now();
    const int cpu_reps = 3;
    for (int r = 0; r < cpu_reps; ++r) cpu.pixel_stage(hin, central, hout);
    rep.cpu_pixel_gpx_per_s = cpu_reps * (double)n / seconds_since(t0) / 1e9;
}

// Batched Gaussian fits of realistic histograms, GPU and CPU.
void measure_fits(const CudaBenchOptions& o, Backend& cpu, cudaStream_t s, CudaBenchReport& rep) {
    const int templates = 256, nb = o.fit_bins;
    const std::vector<std::uint32_t> tmpl = make_fit_templates(templates, nb);
    FitOptions opt;
    for (int nf : o.fit_counts) {
        std::vector<std::uint32_t> counts((std::size_t)nf * nb);
        std::vector<HistSpec> fspecs((std::size_t)nf);
        for (int f = 0; f < nf; ++f) {
            std::copy_n(tmpl.begin() + (std::ptrdiff_t)(f % templates) * nb, nb, counts.begin() + (std::ptrdiff_t)f * nb);
            fspecs[(std::size_t)f] = HistSpec{0.0, 5.0, nb, f * nb, 0};
        }
        DeviceBuffer<std::uint32_t> dc;
        DeviceBuffer<HistSpec> ds;
        DeviceBuffer<FitResult> dr((std::size_t)nf);
        to_device(dc, counts, s);
        to_device(ds, fspecs, s);
        const int reps = std::max(1, (int)(o.repeats * 10000LL / std::max(nf, 10000)));
        const double ms = time_ms(s, reps, [&] { cuda::launch_gaussian_fits(dc.data(), ds.data(), nf, opt, dr.data(), s); });
        std::vector<FitResult> res((std::size_t)nf);
        AMFM_CUDA_CHECK(cudaMemcpy(res.data(), dr.data(), res.size() * sizeof(FitResult), cudaMemcpyDeviceToHost));
        CudaBenchFits fig;
        fig.n_fits = nf;
        fig.gpu_fits_per_s = nf / (ms * 1e-3);
        fig.converged_fraction =
            (double)std::count_if(res.begin(), res.end(), [](const FitResult& r) { return r.state == FitState::Converged; }) / nf;
        if (nf <= o.cpu_fit_limit) {
            const auto t0 = Clock::now();
            cpu.fit_gaussians(counts.data(), fspecs.data(), nf, opt, res.data());
            fig.cpu_fits_per_s = nf / seconds_since(t0);
        }
        rep.fits.push_back(fig);
    }
}

}  // namespace

CudaBenchReport run_cuda_benchmark(const CudaBenchOptions& o) {
    int devices = 0;
    AMFM_CUDA_CHECK(cudaGetDeviceCount(&devices));
    if (devices == 0) throw BackendUnavailable("amfm-bench: no CUDA device found");
    CudaBenchReport rep;
    rep.device = cuda_device_summary();
    auto cpu = make_cpu_backend();
    rep.cpu = cpu->device_description();
    CudaStream stream;
    measure_bandwidth(o, stream.get(), rep);
    const double pitch = 10e-9;
    const HostMaps maps = make_maps(o.map_side, std::max(1, o.map_regions), pitch);
    measure_pixel_stage(o, maps, pitch, *cpu, stream.get(), rep);
    measure_fits(o, *cpu, stream.get(), rep);
    return rep;
}

void print_cuda_bench(const CudaBenchReport& r, std::ostream& os) {
    const auto flags = os.flags();
    os << std::fixed << std::setprecision(2);
    os << "GPU: " << r.device << "\nCPU: " << r.cpu << "\n";
    os << "bandwidth: device copy " << r.d2d_copy_gb_per_s << " GB/s (read+write), pinned H2D "
       << r.h2d_pinned_gb_per_s << " GB/s, pinned D2H " << r.d2h_pinned_gb_per_s << " GB/s\n";
    os << "per-pixel (central, " << r.pixel_bytes_per_px << " B/px): GPU " << r.pixel_gpx_per_s << " Gpx/s = "
       << r.pixel_gb_per_s << " GB/s = " << r.pixel_pct_of_copy << " % of device copy (target >= 60 %); "
       << "local plane 5x5 " << r.pixel_plane5_gpx_per_s << " Gpx/s; CPU " << std::setprecision(4)
       << r.cpu_pixel_gpx_per_s << " Gpx/s\n";
    for (const auto& f : r.fits) {
        os << std::setprecision(0) << "fits (" << f.n_fits << " x 64 bins): GPU " << f.gpu_fits_per_s
           << " fits/s (target >= 1e6), CPU ";
        if (f.cpu_fits_per_s > 0) os << f.cpu_fits_per_s << " fits/s";
        else os << "not run";
        os << std::setprecision(3) << ", converged " << 100.0 * f.converged_fraction << " %\n";
    }
    os.flags(flags);
}

}  // namespace amfm
