// amfm-bench: throughput of the per-pixel stage and of region histograms + Gaussian fits, with
// a plain memory copy of the same input bytes measured in the same run as the bound; then what
// writing one processed 1024^2 scan's outputs costs, by kind of output.
//
//   amfm-bench [--sizes 1024,4096] [--repeats 5] [--backend cpu|cuda|auto]
//
// In a CUDA build with a device present it then prints the GPU figures (kernel bandwidth
// against a device copy, fits/s, streamed stack throughput) with the CPU beside them.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "amfm/kernels/backend.hpp"
#include "host/batch/series.hpp"
#include "host/method/pipeline.hpp"
#include "host/method/regions.hpp"
#include "host/method/statistics.hpp"
#include "host/model/config.hpp"
#include "host/model/scan.hpp"
#include "host/report/outputs.hpp"
#include "host/sim/simulate.hpp"

#ifdef AMFM_WITH_CUDA
#include <iostream>

#include "bench_cuda.hpp"
#include "host/formats/scan_yaml.hpp"
#endif

namespace {

using clock_type = std::chrono::steady_clock;

template <class F>
double best_seconds(int repeats, F&& f) {
    double best = 1e300;
    for (int i = 0; i < repeats; ++i) {
        const auto t0 = clock_type::now();
        f();
        best = std::min(best, std::chrono::duration<double>(clock_type::now() - t0).count());
    }
    return best;
}

// A faceted field with noise, a plausible phase and df2 around a few GPa, and `n_regions`
// labelled blocks: enough structure that every code path (borders, masks, fits) runs.
struct Synthetic {
    int n;
    std::vector<float> height, phase, df2;
    amfm::Image<std::int32_t> region;
};

Synthetic make_synthetic(int n, int n_regions, double pixel_m) {
    Synthetic s{n, std::vector<float>((size_t)n * n), std::vector<float>((size_t)n * n),
                std::vector<float>((size_t)n * n), amfm::Image<std::int32_t>(n, n)};
    std::mt19937_64 rng(42);
    std::uniform_real_distribution<double> u(-1.0, 1.0);
    const int cols = (int)std::ceil(std::sqrt((double)n_regions));
    for (int y = 0; y < n; ++y)
        for (int x = 0; x < n; ++x) {
            const size_t i = (size_t)y * n + x;
            const double fx = (x - n / 2) * pixel_m, fy = (y - n / 2) * pixel_m;
            s.height[i] = (float)(std::min({0.3 * fx + 0.1 * fy, -0.4 * fx + 0.2 * fy, 0.5 * fy}) + 0.2e-9 * u(rng));
            s.phase[i] = (float)(50.0 + 2.0 * u(rng));
            const int r = std::min(n_regions - 1, (x * cols / n) + cols * (y * cols / n));
            s.region.at(x, y) = r;
            s.df2[i] = (float)(3000.0 * (1.0 + 0.3 * r) * (1.0 + 0.05 * u(rng)));
        }
    return s;
}

void bench_pixel_stage(amfm::Backend& backend, int n, int repeats) {
    const double pixel_m = 10e-6 / n;
    Synthetic s = make_synthetic(n, 8, pixel_m);
    std::vector<float> tilt((size_t)n * n), mod((size_t)n * n), scratch((size_t)3 * n * n);
    std::vector<std::uint8_t> mask((size_t)n * n);
    amfm::ScanConfig cfg;
    cfg.scan_size_x_m = cfg.scan_size_y_m = 10e-6;
    const amfm::PixelInputs in{s.height.data(), s.phase.data(), s.df2.data(), nullptr, nullptr};
    const amfm::PixelOutputs out{tilt.data(), mod.data(), mask.data()};
    const double px = (double)n * n;

    // The bound: copying the stage's input bytes (3 float channels) once, all threads.
    const size_t bytes = (size_t)n * n * sizeof(float);
    const double t_copy = best_seconds(repeats, [&] {
#pragma omp parallel for schedule(static)
        for (int c = 0; c < 3 * 64; ++c) {
            const std::vector<float>& src = c < 64 ? s.height : c < 128 ? s.phase : s.df2;
            const size_t chunk = bytes / 64, off = (size_t)(c % 64) * chunk;
            std::memcpy((char*)scratch.data() + (size_t)(c / 64) * bytes + off, (const char*)src.data() + off,
                        c % 64 == 63 ? bytes - off : chunk);
        }
    });
    std::printf("%5d^2  memcpy of the 3 input channels     %8.0f Mpx/s  (%.1f GB/s read+write)\n", n,
                px / t_copy * 1e-6, 2.0 * 3 * bytes / t_copy * 1e-9);
    for (auto method : {amfm::TiltMethod::CentralDifference, amfm::TiltMethod::LocalPlane}) {
        cfg.tilt_method = method;
        const amfm::PixelParams p = amfm::make_pixel_params(cfg, n, n);
        backend.pixel_stage(in, p, out);  // warm-up (first touch, device set-up)
        const double t = best_seconds(repeats, [&] { backend.pixel_stage(in, p, out); });
        std::printf("%5d^2  per-pixel stage, %-14s     %8.0f Mpx/s  (%.1f%% of the copy rate, %.2f ms)\n", n,
                    method == amfm::TiltMethod::LocalPlane ? "local plane 3x3" : "central diff.",
                    px / t * 1e-6, 100.0 * t_copy / t, t * 1e3);
    }
}

void bench_statistics(amfm::Backend& backend, int n, int n_regions, int repeats) {
    const double pixel_m = 10e-6 / n;
    Synthetic s = make_synthetic(n, n_regions, pixel_m);
    amfm::ScanConfig cfg;
    cfg.scan_size_x_m = cfg.scan_size_y_m = 10e-6;
    std::vector<float> tilt((size_t)n * n), mod((size_t)n * n);
    std::vector<std::uint8_t> mask((size_t)n * n);
    backend.pixel_stage({s.height.data(), s.phase.data(), s.df2.data(), nullptr, s.region.data()},
                        amfm::make_pixel_params(cfg, n, n), {tilt.data(), mod.data(), mask.data()});
    amfm::RegionMap regions;
    regions.from_labels = true;
    for (int r = 0; r < n_regions; ++r) regions.regions.push_back({r + 1, std::to_string(r + 1), "c"});
    regions.index = s.region;

    // Histogram layout as the pipeline makes it, then the backend's two bulk steps alone.
    const amfm::StatisticsResult ref =
        amfm::compute_statistics(mod, mask, regions, cfg.histogram, cfg.fit, backend);
    std::vector<amfm::HistSpec> specs;
    int total = 0;
    for (const auto& r : ref.regions) {
        amfm::HistSpec h = r.hist;
        h.offset = total;
        total += h.nbins;
        specs.push_back(h);
    }
    std::vector<std::uint32_t> counts(total);
    std::vector<amfm::FitResult> fits(n_regions);
    const double t_hist = best_seconds(repeats, [&] {
        backend.region_histograms(mod.data(), mask.data(), regions.index.data(), mod.size(), specs.data(),
                                  n_regions, false, counts.data());
    });
    const double t_fit = best_seconds(repeats, [&] {
        backend.fit_gaussians(counts.data(), specs.data(), n_regions, cfg.fit, fits.data());
    });
    const double t_all = best_seconds(repeats, [&] {
        amfm::compute_statistics(mod, mask, regions, cfg.histogram, cfg.fit, backend);
    });
    int converged = 0;
    for (const auto& f : fits) converged += f.state == amfm::FitState::Converged;
    std::printf("%5d^2  %d regions: histograms %.2f ms + fits %.3f ms = %.2f ms  (%d/%d converged)\n", n,
                n_regions, t_hist * 1e3, t_fit * 1e3, (t_hist + t_fit) * 1e3, converged, n_regions);
    std::printf("%5d^2  %d regions: full statistics incl. exact quantiles and classes %.2f ms\n", n, n_regions,
                t_all * 1e3);
}

void bench_fits(amfm::Backend& backend, int n_fits, int repeats) {
    const int bins = 64;
    std::vector<amfm::HistSpec> specs(n_fits);
    std::vector<std::uint32_t> counts((size_t)n_fits * bins);
    std::mt19937_64 rng(7);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    for (int f = 0; f < n_fits; ++f) {
        specs[f] = amfm::HistSpec{0.0, 10.0, bins, f * bins, 0};
        const double c = 3.0 + 4.0 * u(rng), s = 0.5 + u(rng), a = 200.0 + 800.0 * u(rng);
        for (int b = 0; b < bins; ++b) {
            const double x = amfm::hist_bin_center(specs[f], b);
            counts[(size_t)f * bins + b] = (std::uint32_t)std::lround(a * std::exp(-0.5 * (x - c) * (x - c) / (s * s)) + 3.0 * u(rng));
        }
    }
    std::vector<amfm::FitResult> fits(n_fits);
    const double t = best_seconds(repeats, [&] {
        backend.fit_gaussians(counts.data(), specs.data(), n_fits, amfm::FitOptions{}, fits.data());
    });
    std::printf("%8d fits of 64 bins: %.2f ms  (%.3g fits/s)\n", n_fits, t * 1e3, n_fits / t);
}

// One simulated scan (the paper's cycle 30, five regions) processed once, then its results folder
// written with one kind of output at a time (the `outputs:` keys; regions.csv/json always), and
// the series summary `amfm series` adds per scan. Files go to a temporary folder (page cache).
void bench_outputs(amfm::Backend& backend, int n, int repeats) {
    namespace fs = std::filesystem;
    const fs::path dir = fs::temp_directory_path() / ("amfm-bench-outputs-" + std::to_string(::getpid()));
    amfm::SimulationSpec spec;
    spec.nx = spec.ny = n;
    spec.cycle = 30;
    spec.regions = amfm::paper_region_truths(30);
    amfm::write_simulated_scan(amfm::simulate_scan(spec), (dir / "scan").string());
    struct Kind {
        const char* name;
        const char* overrides[3];
    };
    const Kind kinds[] = {
        {"tables only (regions.csv, regions.json)", {"outputs.maps=false", "outputs.figures=false", "outputs.gwy=false"}},
        {"+ maps (3 TIFFs)", {"outputs.maps=true", "outputs.figures=false", "outputs.gwy=false"}},
        {"+ figures (PNGs)", {"outputs.maps=false", "outputs.figures=true", "outputs.gwy=false"}},
        {"+ results.gwy", {"outputs.maps=false", "outputs.figures=false", "outputs.gwy=true"}},
    };
    const amfm::RunInfo run{AMFM_VERSION, "amfm-bench"};
    double tables = 0.0;
    for (const Kind& k : kinds) {
        const amfm::Scan scan = amfm::load_scan(amfm::load_scan_config(
            (dir / "scan" / "scan.yaml").string(), {k.overrides[0], k.overrides[1], k.overrides[2]}));
        const amfm::ScanResult result = amfm::process_scan(scan, backend);
        const double t = best_seconds(repeats, [&] {
            fs::remove_all(dir / "out");
            amfm::write_scan_outputs(scan, result, (dir / "out").string(), run);
        });
        std::uintmax_t bytes = 0;
        for (const auto& e : fs::directory_iterator(dir / "out")) bytes += e.file_size();
        if (tables == 0.0) tables = t;
        std::printf("%5d^2  outputs: %-40s %7.1f ms  (%5.1f MB)%s\n", n, k.name, t * 1e3, bytes / 1e6,
                    k.name == kinds[0].name ? "" : "  incl. the tables");
    }
    const amfm::Scan scan = amfm::load_scan(amfm::load_scan_config((dir / "scan" / "scan.yaml").string()));
    const amfm::ScanResult result = amfm::process_scan(scan, backend, amfm::ProcessOptions{true});
    amfm::SeriesEntry entry;
    entry.id = "scan";
    entry.cycle = 30;
    const double t_summary = best_seconds(repeats, [&] { amfm::summarize_scan(entry, result, ""); });
    std::printf("%5d^2  outputs: %-40s %7.1f ms\n", n, "series summary (class quantile sketches)", t_summary * 1e3);
    std::error_code ec;
    fs::remove_all(dir, ec);
}

std::vector<int> parse_sizes(const std::string& s) {
    std::vector<int> out;
    std::stringstream ss(s);
    for (std::string tok; std::getline(ss, tok, ',');) out.push_back(std::stoi(tok));
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<int> sizes{1024, 4096};
    int repeats = 5;
    std::string backend_name = "cpu";
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--sizes" && i + 1 < argc) sizes = parse_sizes(argv[++i]);
        else if (a == "--repeats" && i + 1 < argc) repeats = std::max(1, std::atoi(argv[++i]));
        else if (a == "--backend" && i + 1 < argc) backend_name = argv[++i];
        else {
            std::fprintf(stderr, "usage: amfm-bench [--sizes 1024,4096] [--repeats 5] [--backend cpu|cuda|auto]\n");
            return 2;
        }
    }
    try {
        auto backend = amfm::make_backend(amfm::parse_backend_kind(backend_name));
        std::printf("amfm-bench %s, backend %s: %s\n\n", AMFM_VERSION, backend->name().c_str(),
                    backend->device_description().c_str());
        for (int n : sizes) bench_pixel_stage(*backend, n, repeats);
        std::printf("\n");
        bench_statistics(*backend, 1024, 8, repeats);
        std::printf("\n");
        for (int n_fits : {10000, 100000}) bench_fits(*backend, n_fits, std::max(1, repeats / 2));
        std::printf("\n");
        bench_outputs(*backend, 1024, repeats);
#ifdef AMFM_WITH_CUDA
        std::printf("\n");
        if (amfm::cuda_device_count() > 0) {
            std::fflush(stdout);
            amfm::print_cuda_bench(amfm::run_cuda_benchmark(), std::cout);
        } else {
            std::printf("GPU: none (%s): GPU figures skipped\n", amfm::cuda_device_summary().c_str());
        }
#endif
    } catch (const std::exception& e) {
        std::fprintf(stderr, "amfm-bench: %s\n", e.what());
        return 1;
    }
    return 0;
}
