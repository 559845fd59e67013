// Backend parity. The CPU backend is the reference: first it is shown to give bit-identical
// results for any OpenMP thread count and to equal a plain serial loop over the header
// functions (these tests run everywhere). Then the CUDA backend and the CUDA stack runner are checked against it on
// the same inputs: masks and histogram counts exactly, per-pixel floats within 1e-5 relative,
// fits with the same state and parameters within 1e-3 relative. Without a device (or without
// CUDA in the build) the CUDA tests skip with a message.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "amfm/kernels/backend.hpp"
#include "amfm/kernels/error.hpp"

namespace {

using namespace amfm;

// ---- inputs ------------------------------------------------------------------------------

struct Maps {
    int nx = 0, ny = 0;
    std::vector<float> height, phase, df2, amplitude;
    std::vector<std::int32_t> region;
    int n_regions = 0;
};

constexpr double kPitchM = 10e-9;

// Random channels covering every mask reason: tilts from 0 to ~60 deg (some over the cutoff),
// phases past 90 deg, df2 <= 0, amplitudes <= 0, ~2 % NaN per channel, unlabelled pixels and
// labels >= n_regions (not histogrammed). The last two regions hold one and two pixels.
Maps random_maps(int nx, int ny, unsigned seed, int n_regions = 6) {
    Maps m;
    m.nx = nx;
    m.ny = ny;
    m.n_regions = n_regions;
    const std::size_t n = (std::size_t)nx * ny;
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    auto maybe_nan = [&](double v) { return u(rng) < 0.02 ? NAN : (float)v; };
    m.height.resize(n);
    m.phase.resize(n);
    m.df2.resize(n);
    m.amplitude.resize(n);
    m.region.resize(n);
    const double fx = 0.05 + 0.3 * u(rng), fy = 0.05 + 0.3 * u(rng);
    for (int y = 0; y < ny; ++y)
        for (int x = 0; x < nx; ++x) {
            const std::size_t i = (std::size_t)y * nx + x;
            const double h = 3.0 * std::sin(fx * x) + 2.0 * std::cos(fy * y) + 0.8 * u(rng);
            m.height[i] = maybe_nan(kPitchM * h);
            m.phase[i] = maybe_nan(35.0 + 62.0 * u(rng));
            m.df2[i] = maybe_nan(-100.0 + 3000.0 * u(rng));
            m.amplitude[i] = maybe_nan(u(rng) < 0.01 ? -1e-9 : 60e-9 + 90e-9 * u(rng));
            m.region[i] = (std::int32_t)(u(rng) * (n_regions - 1)) - 1;  // -1 .. n_regions-3
            if (u(rng) < 0.01) m.region[i] = n_regions + 1;              // out of range
        }
    if (n_regions >= 3) {
        m.region[n / 2] = n_regions - 2;  // a one-pixel region
        m.region[0] = n_regions - 1;      // a two-pixel region (one pixel when n == 1)
        m.region[n - 1] = n_regions - 1;
    }
    return m;
}

PixelParams make_params(const Maps& m, TiltMethod method, int half, KcModel kc = KcModel::Polynomial) {
    PixelParams p;
    p.correction.model = kc;
    p.nx = m.nx;
    p.ny = m.ny;
    p.dx_m = kPitchM;
    p.dy_m = 1.3 * kPitchM;
    p.tilt_method = method;
    p.window_half = half;
    p.model = make_modulus_model(Cantilever{}, 10e-9);
    return p;
}

struct Case {
    int nx, ny;
    TiltMethod method;
    int half;
    bool amplitude, regions;
    KcModel kc = KcModel::Polynomial;
    std::string name() const {
        return std::to_string(nx) + "x" + std::to_string(ny) +
               (method == TiltMethod::LocalPlane ? " plane" + std::to_string(2 * half + 1) : " central") +
               (amplitude ? " +A1" : "") + (regions ? " +regions" : "") +
               (kc == KcModel::CosPower ? " Kc=cos" : kc == KcModel::None ? " Kc=none" : "");
    }
};

// Sizes that are no multiple of any block edge, degenerate strips, and one large map; a small
// map follows the large one so a backend reusing its buffers is exercised both ways.
std::vector<Case> all_cases() {
    const int sizes[][2] = {{33, 17}, {1000, 777}, {1, 1}, {1, 50}, {50, 1}, {2, 3}, {31, 9}, {65, 129}};
    const std::pair<TiltMethod, int> methods[] = {
        {TiltMethod::CentralDifference, 1}, {TiltMethod::LocalPlane, 1}, {TiltMethod::LocalPlane, 2}};
    std::vector<Case> cases;
    for (const auto& s : sizes)
        for (const auto& m : methods)
            for (int opt = 0; opt < 4; ++opt) {
                const bool big = s[0] * s[1] > 100000;
                if (big && opt != 3 && opt != 0) continue;  // keep the large map's cost down
                // Each Kc model (one kernel instantiation each) in turn, so all three meet every size.
                constexpr KcModel kModels[] = {KcModel::Polynomial, KcModel::CosPower, KcModel::None};
                const KcModel kc = kModels[cases.size() % 3];
                cases.push_back({s[0], s[1], m.first, m.second, (opt & 1) != 0, (opt & 2) != 0, kc});
            }
    return cases;
}

struct PixelResult {
    std::vector<float> tilt, modulus;
    std::vector<std::uint8_t> mask;
    explicit PixelResult(std::size_t n) : tilt(n), modulus(n), mask(n) {}
    PixelOutputs outputs() { return {tilt.data(), modulus.data(), mask.data()}; }
};

PixelInputs inputs_of(const Maps& m, const Case& c) {
    return {m.height.data(), m.phase.data(), m.df2.data(), c.amplitude ? m.amplitude.data() : nullptr,
            c.regions ? m.region.data() : nullptr};
}

PixelResult run_pixels(Backend& b, const Maps& m, const Case& c) {
    PixelResult r((std::size_t)m.nx * m.ny);
    b.pixel_stage(inputs_of(m, c), make_params(m, c.method, c.half, c.kc), r.outputs());
    return r;
}

PixelResult serial_pixels(const Maps& m, const Case& c) {
    PixelResult r((std::size_t)m.nx * m.ny);
    const PixelParams p = make_params(m, c.method, c.half, c.kc);
    const PixelOutputs out = r.outputs();
    for (int y = 0; y < m.ny; ++y)
        for (int x = 0; x < m.nx; ++x) pixel_stage_at(inputs_of(m, c), p, out, x, y);
    return r;
}

// Region histogram specs: a linear and a log10 axis, a one-bin histogram, gaps between regions.
std::vector<HistSpec> region_specs(int n_regions, int bins) {
    std::vector<HistSpec> specs((std::size_t)n_regions);
    int offset = 0;
    for (int r = 0; r < n_regions; ++r) {
        HistSpec& h = specs[(std::size_t)r];
        h.nbins = r == 1 ? 1 : bins + r;
        h.log10_axis = r % 2;
        h.lo = h.log10_axis ? -1.5 : 0.05;
        h.hi = h.log10_axis ? 0.8 : 2.5 + 0.5 * r;
        h.offset = offset;
        offset += h.nbins + (r % 3);  // unused gap bins must come back as zero
    }
    return specs;
}

// The reference binning, pixel by pixel. With `whole_map`, specs.back() is the map's histogram:
// every valid pixel, whatever its region.
std::vector<std::uint32_t> serial_histograms(const PixelResult& px, const std::int32_t* region,
                                             const std::vector<HistSpec>& specs, bool whole_map) {
    std::size_t total = 0;
    for (const HistSpec& h : specs) total = std::max(total, (std::size_t)h.offset + h.nbins);
    std::vector<std::uint32_t> counts(total, 0u);
    const int n_regions = (int)specs.size() - (whole_map ? 1 : 0);
    auto count = [&](const HistSpec& h, float v) {
        const int b = hist_bin_index(h, hist_axis_value(h, v));
        if (b >= 0) ++counts[(std::size_t)h.offset + b];
    };
    for (std::size_t i = 0; i < px.mask.size(); ++i) {
        if (px.mask[i] & kMaskInvalid) continue;
        if (whole_map) count(specs.back(), px.modulus[i]);
        const int r = region ? region[i] : 0;
        if (r >= 0 && r < n_regions) count(specs[(std::size_t)r], px.modulus[i]);
    }
    return counts;
}

std::vector<std::uint32_t> backend_histograms(Backend& b, const PixelResult& px, const std::int32_t* region,
                                              const std::vector<HistSpec>& specs, bool whole_map) {
    std::size_t total = 0;
    for (const HistSpec& h : specs) total = std::max(total, (std::size_t)h.offset + h.nbins);
    std::vector<std::uint32_t> counts(total, 0xdeadbeefu);  // must be overwritten everywhere
    b.region_histograms(px.modulus.data(), px.mask.data(), region, px.mask.size(), specs.data(),
                        (int)specs.size() - (whole_map ? 1 : 0), whole_map, counts.data());
    return counts;
}

// Region specs plus, with `whole_map`, the map's histogram after them (log axis, its own range).
std::vector<HistSpec> histogram_specs(int n_regions, int bins, bool whole_map) {
    std::vector<HistSpec> specs = region_specs(n_regions, bins);
    if (whole_map) {
        const HistSpec& last = specs.back();
        specs.push_back(HistSpec{-2.0, 1.0, bins + 7, last.offset + last.nbins + 2, 1});
    }
    return specs;
}

// Histograms to fit, concatenated. Well-posed ones (noisy Gaussians, with and without a
// background) and degenerate ones (empty, one or two non-empty bins, one-bin histograms),
// which must end TooFewPoints on every backend.
struct FitSet {
    std::vector<std::uint32_t> counts;
    std::vector<HistSpec> specs;
    std::vector<bool> well_posed;
    void add(const std::vector<std::uint32_t>& c, double lo, double hi, bool log10_axis, bool ok) {
        HistSpec h;
        h.lo = lo;
        h.hi = hi;
        h.nbins = (int)c.size();
        h.offset = (int)counts.size();
        h.log10_axis = log10_axis;
        specs.push_back(h);
        counts.insert(counts.end(), c.begin(), c.end());
        well_posed.push_back(ok);
    }
};

FitSet make_fit_set(unsigned seed) {
    FitSet set;
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    for (int k = 0; k < 300; ++k) {
        const int nbins = 8 + (int)(u(rng) * 120);
        const double amp = 20.0 + 20000.0 * u(rng) * u(rng), c = nbins * (0.25 + 0.5 * u(rng));
        const double s = std::max(0.8, nbins * (0.03 + 0.15 * u(rng)));
        const double background = k % 3 == 0 ? 0.05 * amp * u(rng) : 0.0;
        std::vector<std::uint32_t> h((std::size_t)nbins);
        for (int b = 0; b < nbins; ++b) {
            const double mean = background + amp * std::exp(-0.5 * (b + 0.5 - c) * (b + 0.5 - c) / (s * s));
            h[(std::size_t)b] = (std::uint32_t)std::poisson_distribution<long>(mean + 1e-12)(rng);
        }
        const bool log_axis = k % 2 == 1;
        set.add(h, log_axis ? -1.0 : 0.1, log_axis ? 1.2 : 0.1 + 5.0 * u(rng), log_axis, true);
    }
    set.add(std::vector<std::uint32_t>(64, 0u), 0.0, 5.0, false, false);  // empty
    std::vector<std::uint32_t> one(64, 0u), two(64, 0u);
    one[17] = 1000;
    two[17] = 5;
    two[40] = 9;
    set.add(one, 0.0, 5.0, false, false);
    set.add(two, 0.0, 5.0, false, false);
    set.add({12345u}, 1.0, 2.0, false, false);  // a one-bin histogram
    set.add({3u, 4u}, 1.0, 2.0, false, false);
    return set;
}

std::vector<FitResult> serial_fits(const FitSet& set, const FitOptions& opt) {
    std::vector<FitResult> r(set.specs.size());
    for (std::size_t f = 0; f < r.size(); ++f)
        r[f] = fit_gaussian_histogram(set.counts.data() + set.specs[f].offset, set.specs[f], opt);
    return r;
}

std::vector<FitResult> backend_fits(Backend& b, const FitSet& set, const FitOptions& opt) {
    std::vector<FitResult> r(set.specs.size());
    b.fit_gaussians(set.counts.data(), set.specs.data(), (int)set.specs.size(), opt, r.data());
    return r;
}

// ---- comparisons -------------------------------------------------------------------------

bool same_bits(float a, float b) { return std::memcmp(&a, &b, sizeof a) == 0 || (std::isnan(a) && std::isnan(b)); }

void expect_identical(const PixelResult& a, const PixelResult& b, const std::string& what) {
    std::size_t bad = 0, first = 0;
    for (std::size_t i = 0; i < a.mask.size(); ++i)
        if (a.mask[i] != b.mask[i] || !same_bits(a.tilt[i], b.tilt[i]) || !same_bits(a.modulus[i], b.modulus[i]))
            if (bad++ == 0) first = i;
    EXPECT_EQ(bad, 0u) << what << ": " << bad << " pixels differ, first at index " << first;
}

void expect_fits_identical(const std::vector<FitResult>& a, const std::vector<FitResult>& b, const std::string& what) {
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t f = 0; f < a.size(); ++f) {
        const double va[] = {a[f].amplitude, a[f].center, a[f].sigma, a[f].offset, a[f].chi2, a[f].r2};
        const double vb[] = {b[f].amplitude, b[f].center, b[f].sigma, b[f].offset, b[f].chi2, b[f].r2};
        EXPECT_TRUE(std::memcmp(va, vb, sizeof va) == 0 && a[f].state == b[f].state &&
                    a[f].iterations == b[f].iterations)
            << what << ": fit " << f << " differs";
    }
}

bool close_rel(double a, double b, double rel) {
    if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
    return a == b || std::fabs(a - b) <= rel * std::max(std::fabs(a), std::fabs(b));
}

// Fits computed with different rounding (FMA contraction, another libm) may take different
// LM steps once a value differs in its last bit, so the iteration count is not compared; the
// state and the minimum reached are, to `rel` (centre and offset relative to the bin width and
// the amplitude, since either may sit near zero).
void expect_fits_match(const std::vector<FitResult>& gpu, const std::vector<FitResult>& cpu, const FitSet& set,
                       const std::string& what, double rel = 1e-3) {
    ASSERT_EQ(gpu.size(), cpu.size());
    for (std::size_t f = 0; f < cpu.size(); ++f) {
        const FitResult &g = gpu[f], &c = cpu[f];
        const double w = hist_bin_width(set.specs[f]);
        EXPECT_EQ(g.state, c.state) << what << ": fit " << f;
        EXPECT_TRUE(close_rel(g.amplitude, c.amplitude, rel)) << what << ": fit " << f << " amplitude " << g.amplitude << " vs " << c.amplitude;
        EXPECT_TRUE(close_rel(g.sigma, c.sigma, rel)) << what << ": fit " << f << " sigma " << g.sigma << " vs " << c.sigma;
        EXPECT_LE(std::fabs(g.center - c.center), rel * std::max(std::fabs(c.center), w)) << what << ": fit " << f;
        EXPECT_LE(std::fabs(g.offset - c.offset), rel * std::max(std::fabs(c.offset), c.amplitude * 1e-3))
            << what << ": fit " << f;
    }
}

// Per-pixel floats: the device evaluates the same double-precision expressions, but nvcc and
// GCC contract a*b+c into fused multiply-adds in different places and CUDA's libm differs from
// glibc by an ulp or two; after rounding to float the outputs differ by at most a few float
// ulps, far inside 1e-5 relative. A mask decision flips only if a value lies within ~1e-15 of
// a threshold, which random data does not produce.
void expect_pixels_match(const PixelResult& gpu, const PixelResult& cpu, const std::string& what,
                         double rel = 1e-5) {
    std::size_t bad_mask = 0, bad_float = 0, first = 0;
    for (std::size_t i = 0; i < cpu.mask.size(); ++i) {
        if (gpu.mask[i] != cpu.mask[i] && bad_mask++ == 0) first = i;
        if (!close_rel(gpu.tilt[i], cpu.tilt[i], rel) || !close_rel(gpu.modulus[i], cpu.modulus[i], rel))
            if (bad_float++ == 0 && bad_mask == 0) first = i;
    }
    EXPECT_EQ(bad_mask, 0u) << what << ": masks differ, first at " << first;
    EXPECT_EQ(bad_float, 0u) << what << ": tilt/modulus beyond " << rel << " relative, first at " << first << " (gpu "
                             << gpu.tilt[first] << " deg, " << gpu.modulus[first] << " GPa; cpu " << cpu.tilt[first]
                             << " deg, " << cpu.modulus[first] << " GPa)";
}

// Runs body(threads) for several OpenMP thread counts, restoring the default afterwards.
template <class Body>
void for_thread_counts(Body body) {
#ifdef _OPENMP
    const int saved = omp_get_max_threads();
    for (int t : {1, 2, 3, 7}) {
        omp_set_num_threads(t);
        body(t);
    }
    omp_set_num_threads(saved);
#else
    body(1);
#endif
}

// ---- the CPU reference is deterministic (runs everywhere) ---------------------------------
//
// Thread count: bit-identical results for 1, 2, 3 and 7 OpenMP threads (static pixel loops,
// integer histogram merges, one fit per iteration).
// Serial loop: the same header calls in this test's own translation unit. Integers (masks,
// counts, fit states) must be identical. Floats are compared to 1e-9 relative, not bitwise:
// amfm_kernels is built with -march=native and GCC contracts a*b+c into FMA by default in C++
// (-ffp-contract=fast) while this file is not, so last-bit differences are expected (measured:
// bitwise equal when both are built with the same flags).

TEST(CpuReference, PixelStageIsThreadCountIndependentAndEqualsSerialLoop) {
    auto cpu = make_cpu_backend();
    unsigned seed = 1;
    for (const Case& c : all_cases()) {
        const Maps m = random_maps(c.nx, c.ny, seed++);
        PixelResult first(0);
        for_thread_counts([&](int t) {
            PixelResult r = run_pixels(*cpu, m, c);
            if (t == 1)
                first = std::move(r);
            else
                expect_identical(r, first, c.name() + ", " + std::to_string(t) + " threads vs 1");
        });
        expect_pixels_match(first, serial_pixels(m, c), c.name() + ", serial loop", 1e-9);
    }
}

TEST(CpuReference, RegionHistogramsAreThreadCountIndependentAndEqualSerialLoop) {
    auto cpu = make_cpu_backend();
    unsigned seed = 100;
    for (const Case& c : all_cases()) {
        if (c.method != TiltMethod::CentralDifference) continue;
        const Maps m = random_maps(c.nx, c.ny, seed++);
        const PixelResult px = run_pixels(*cpu, m, c);
        const std::int32_t* region = c.regions ? m.region.data() : nullptr;
        for (int bins : {16, 300})
            for (bool whole_map : {false, true}) {
                const std::vector<HistSpec> specs = histogram_specs(m.n_regions, bins, whole_map);
                const std::vector<std::uint32_t> serial = serial_histograms(px, region, specs, whole_map);
                for_thread_counts([&](int t) {
                    EXPECT_EQ(backend_histograms(*cpu, px, region, specs, whole_map), serial)
                        << c.name() << ", " << bins << " bins, " << t << " threads, whole map " << whole_map;
                });
            }
    }
}

TEST(CpuReference, GaussianFitsAreThreadCountIndependentAndEqualSerialLoop) {
    auto cpu = make_cpu_backend();
    const FitSet set = make_fit_set(7);
    for (int fit_offset : {0, 1}) {
        FitOptions opt;
        opt.fit_offset = fit_offset;
        const std::string what = "offset " + std::to_string(fit_offset);
        std::vector<FitResult> first;
        for_thread_counts([&](int t) {
            std::vector<FitResult> r = backend_fits(*cpu, set, opt);
            if (t == 1)
                first = std::move(r);
            else
                expect_fits_identical(r, first, what + ", " + std::to_string(t) + " threads vs 1");
        });
        const std::vector<FitResult> serial = serial_fits(set, opt);
        expect_fits_match(first, serial, set, what + ", serial loop", 1e-9);
        for (std::size_t f = 0; f < serial.size(); ++f) {
            if (set.well_posed[f])
                EXPECT_EQ(serial[f].state, FitState::Converged) << what << ": well-posed fit " << f;
            else
                EXPECT_EQ(serial[f].state, FitState::TooFewPoints) << what << ": degenerate fit " << f;
        }
    }
}

TEST(CudaRuntime, DeviceQueriesNeverThrow) {
    int count = -1;
    EXPECT_NO_THROW(count = cuda_device_count());
    EXPECT_GE(count, 0);
    std::string summary;
    EXPECT_NO_THROW(summary = cuda_device_summary());
    EXPECT_FALSE(summary.empty());
    if (count == 0) {
        EXPECT_THROW(make_backend(BackendKind::Cuda), BackendUnavailable);
        EXPECT_EQ(make_backend(BackendKind::Auto)->name(), "cpu");
    } else {
        EXPECT_NE(summary.find("sm_"), std::string::npos) << summary;
        EXPECT_EQ(make_backend(BackendKind::Auto)->name(), "cuda");
    }
}

// ---- CUDA against the CPU reference ---------------------------------------------------------

#define AMFM_REQUIRE_CUDA_DEVICE()                                                          \
    do {                                                                                    \
        if (!amfm::cuda_backend_compiled()) GTEST_SKIP() << "no CUDA device: built without CUDA"; \
        if (amfm::cuda_device_count() == 0) GTEST_SKIP() << amfm::cuda_device_summary();     \
    } while (0)

TEST(CudaParity, PixelStageMatchesCpu) {
    AMFM_REQUIRE_CUDA_DEVICE();
    auto cpu = make_cpu_backend();
    auto gpu = make_backend(BackendKind::Cuda);
    unsigned seed = 1;
    for (const Case& c : all_cases()) {
        const Maps m = random_maps(c.nx, c.ny, seed++);
        expect_pixels_match(run_pixels(*gpu, m, c), run_pixels(*cpu, m, c), c.name());
    }
}

TEST(CudaParity, WideLocalPlaneWindowsMatchCpu) {
    AMFM_REQUIRE_CUDA_DEVICE();
    auto cpu = make_cpu_backend();
    auto gpu = make_backend(BackendKind::Cuda);
    // half 60 (a 152 x 128 tile, 78 KB) no longer fits the shared-memory tile: the untiled path.
    for (int half : {0, 7, 40, 60}) {
        const Case c{97, 61, TiltMethod::LocalPlane, half, true, true};
        const Maps m = random_maps(c.nx, c.ny, 500u + (unsigned)half);
        expect_pixels_match(run_pixels(*gpu, m, c), run_pixels(*cpu, m, c), c.name());
    }
}

TEST(CudaParity, RegionHistogramsIdenticalToCpu) {
    AMFM_REQUIRE_CUDA_DEVICE();
    auto cpu = make_cpu_backend();
    auto gpu = make_backend(BackendKind::Cuda);
    unsigned seed = 100;
    for (const Case& c : all_cases()) {
        if (c.method != TiltMethod::CentralDifference) continue;
        const Maps m = random_maps(c.nx, c.ny, seed++);
        const PixelResult px = run_pixels(*cpu, m, c);  // both backends bin the same values
        const std::int32_t* region = c.regions ? m.region.data() : nullptr;
        // 16 bins: privatised shared-memory counts; 3000 bins x 6 regions: global atomics.
        for (int bins : {16, 3000})
            for (bool whole_map : {false, true}) {
                const std::vector<HistSpec> specs = histogram_specs(m.n_regions, bins, whole_map);
                EXPECT_EQ(backend_histograms(*gpu, px, region, specs, whole_map),
                          backend_histograms(*cpu, px, region, specs, whole_map))
                    << c.name() << ", " << bins << " bins, whole map " << whole_map;
            }
    }
}

TEST(CudaParity, GaussianFitsMatchCpu) {
    AMFM_REQUIRE_CUDA_DEVICE();
    auto cpu = make_cpu_backend();
    auto gpu = make_backend(BackendKind::Cuda);
    const FitSet set = make_fit_set(7);
    for (int fit_offset : {0, 1}) {
        FitOptions opt;
        opt.fit_offset = fit_offset;
        expect_fits_match(backend_fits(*gpu, set, opt), backend_fits(*cpu, set, opt), set,
                          "offset " + std::to_string(fit_offset));
    }
}

// ---- CUDA at the sizes and edges of the FMA rule (docs/architecture.md) -----------------------
//
// The CUDA kernel fuses only the mul_add sites: masks identical, floats within 1e-5 relative.

TEST(CudaParity, Large8192PixelStageMatchesCpu) {
    AMFM_REQUIRE_CUDA_DEVICE();
    auto cpu = make_cpu_backend();
    auto gpu = make_backend(BackendKind::Cuda);
    const Maps m = random_maps(8192, 8192, 8192u);
    for (KcModel kc : {KcModel::Polynomial, KcModel::None}) {
        const Case c{8192, 8192, TiltMethod::CentralDifference, 1, true, true, kc};
        expect_pixels_match(run_pixels(*gpu, m, c), run_pixels(*cpu, m, c), c.name());
    }
}

TEST(CudaParity, LargeStripPastTheGridLimitMatchesCpu) {
    AMFM_REQUIRE_CUDA_DEVICE();
    auto cpu = make_cpu_backend();
    auto gpu = make_backend(BackendKind::Cuda);
    // 600000 rows: 75000 block rows, more than the 65535 a grid holds (the block-row loop).
    const Maps m = random_maps(3, 600000, 3u);
    for (const auto& mh : {std::pair<TiltMethod, int>{TiltMethod::CentralDifference, 1}, {TiltMethod::LocalPlane, 2}}) {
        const Case c{3, 600000, mh.first, mh.second, true, true};
        expect_pixels_match(run_pixels(*gpu, m, c), run_pixels(*cpu, m, c), c.name());
    }
}

TEST(CudaParity, InfinitiesAndNonDefaultKcMatchCpu) {
    AMFM_REQUIRE_CUDA_DEVICE();
    auto cpu = make_cpu_backend();
    auto gpu = make_backend(BackendKind::Cuda);
    Maps m = random_maps(301, 203, 77u);
    for (std::size_t i = 0; i < m.height.size(); i += 37) {
        const float inf = (i / 37) % 2 ? INFINITY : -INFINITY;
        switch ((i / 37) % 4) {
            case 0: m.height[i] = inf; break;
            case 1: m.phase[i] = inf; break;
            case 2: m.df2[i] = inf; break;
            default: m.amplitude[i] = inf; break;
        }
    }
    for (KcModel kc : {KcModel::Polynomial, KcModel::CosPower, KcModel::None})
        for (TiltMethod method : {TiltMethod::CentralDifference, TiltMethod::LocalPlane}) {
            const Case c{301, 203, method, 1, true, true, kc};
            PixelParams p = make_params(m, c.method, c.half, kc);
            p.correction.n_coefficients = 3;  // terms past the count must not enter
            p.correction.coefficients[0] = 0.98;
            p.correction.coefficients[1] = 2e-3;
            p.correction.coefficients[2] = -3e-4;
            p.correction.coefficients[5] = 9.0;
            p.correction.cos_exponent = 1.7;
            p.correction.max_angle_deg = 30.0;
            PixelResult g(m.height.size()), r(m.height.size());
            gpu->pixel_stage(inputs_of(m, c), p, g.outputs());
            cpu->pixel_stage(inputs_of(m, c), p, r.outputs());
            expect_pixels_match(g, r, c.name() + " +-inf, Kc 3 terms, cutoff 30");
        }
}

TEST(CudaParity, HistogramsAtTheSharedMemoryBoundaryIdenticalToCpu) {
    AMFM_REQUIRE_CUDA_DEVICE();
    auto cpu = make_cpu_backend();
    auto gpu = make_backend(BackendKind::Cuda);
    const Case c{512, 384, TiltMethod::CentralDifference, 1, true, true};
    const Maps m = random_maps(c.nx, c.ny, 12288u);
    const PixelResult px = run_pixels(*cpu, m, c);
    // 12,288 bins (48 KiB of counts) is the last layout counted in shared memory; 12,289 the first
    // in global atomics.
    for (int total : {12287, 12288, 12289}) {
        std::vector<HistSpec> specs = region_specs(m.n_regions, 16);
        HistSpec& last = specs.back();
        last.nbins = total - last.offset;
        ASSERT_EQ(total_hist_bins(specs.data(), (int)specs.size()), (std::size_t)total);
        EXPECT_EQ(backend_histograms(*gpu, px, m.region.data(), specs, false),
                  backend_histograms(*cpu, px, m.region.data(), specs, false))
            << total << " bins";
    }
}

TEST(CudaParity, FitsMatchCpuToOneMillionthIncludingChi2AndR2) {
    AMFM_REQUIRE_CUDA_DEVICE();
    auto cpu = make_cpu_backend();
    auto gpu = make_backend(BackendKind::Cuda);
    const FitSet set = make_fit_set(11);
    for (int fit_offset : {0, 1}) {
        FitOptions opt;
        opt.fit_offset = fit_offset;
        const std::vector<FitResult> g = backend_fits(*gpu, set, opt), c = backend_fits(*cpu, set, opt);
        const std::string what = "offset " + std::to_string(fit_offset);
        expect_fits_match(g, c, set, what, 1e-6);
        for (std::size_t f = 0; f < c.size(); ++f) {
            EXPECT_TRUE(close_rel(g[f].chi2, c[f].chi2, 1e-6)) << what << ": fit " << f << " chi2 " << g[f].chi2 << " vs " << c[f].chi2;
            EXPECT_LE(std::fabs(g[f].r2 - c[f].r2), 1e-6) << what << ": fit " << f << " r2";
        }
    }
}

}  // namespace
