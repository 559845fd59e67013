// Seeded random fields of the simulators: normal numbers from one mt19937_64 stream per
// purpose, derived from the seed with splitmix64, and white noise blurred to a smooth field.
// Box-Muller by hand (std::normal_distribution differs between standard libraries) and blurs in
// double precision, so the same seed gives the same bytes everywhere.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <random>

#include <opencv2/core.hpp>

#include "amfm/kernels/physics.hpp"

namespace amfm::sim {

// Every random stream of the scan simulator, in one list so that no two draw the same numbers.
enum Stream : std::uint64_t {
    kStreamBackground = 1,
    kStreamPhaseSmooth = 2,
    kStreamPhaseNoise = 3,
    kStreamHeightNoise = 4,
    kStreamDf2Noise = 5,
    kStreamPinkNoise = 20,  // the imperfections (realism.cpp)
    kStreamLineOffsets = 21,
    kStreamDropouts = 22,
    kStreamLostLines = 23,
    kStreamExtraCrystals = 24,
    kStreamModulusBase = 100,  // + region index
};

inline std::uint64_t splitmix64(std::uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

// The mt19937_64 seed of one purpose's stream.
inline std::uint64_t stream_seed(std::uint64_t seed, std::uint64_t stream) {
    return splitmix64(seed ^ splitmix64(stream * 0xD1B54A32D192ED03ull + 1));
}

// Uniform numbers in [0, 1) from a 64-bit engine (the top 53 bits; the standard library's
// distributions differ between implementations).
inline double uniform01(std::mt19937_64& rng) { return (rng() >> 11) * 0x1.0p-53; }

// Standard normal numbers from one mt19937_64 stream (Box-Muller, both outputs used).
class Normal {
public:
    Normal(std::uint64_t seed, std::uint64_t stream) : rng_(stream_seed(seed, stream)) {}
    double operator()() {
        if (has_spare_) {
            has_spare_ = false;
            return spare_;
        }
        const double u1 = ((rng_() >> 11) + 1) * 0x1.0p-53;  // (0, 1]
        const double u2 = (rng_() >> 11) * 0x1.0p-53;        // [0, 1)
        const double rad = std::sqrt(-2.0 * std::log(u1));
        const double ang = 2.0 * kPi * u2;
        spare_ = rad * std::sin(ang);
        has_spare_ = true;
        return rad * std::cos(ang);
    }

private:
    std::mt19937_64 rng_;
    double spare_ = 0.0;
    bool has_spare_ = false;
};

// White noise of one stream blurred with a Gaussian of sigma_x_px, sigma_y_px (double precision,
// explicit kernel size 2 ceil(4 sigma) + 1, reflected borders); sigmas <= 0: the white noise.
// Linear in pixels: sigmas over 24 px blur a block-averaged field and interpolate it back.
cv::Mat smooth_noise(int nx, int ny, double sigma_x_px, double sigma_y_px, std::uint64_t seed,
                     std::uint64_t stream);

// Mean and sample SD (n - 1) of m over pixels where use(i) is true (all pixels when fewer than
// two are).
template <class Use>
void moments(const cv::Mat& m, Use use, double* mean, double* sd) {
    const double* p = m.ptr<double>(0);
    const std::size_t n = (std::size_t)m.rows * m.cols;
    double c = 0.0;
    for (std::size_t i = 0; i < n; ++i)
        if (use(i)) c += 1.0;
    const bool all = c < 2.0;
    double s = 0.0;
    c = 0.0;
    for (std::size_t i = 0; i < n; ++i)
        if (all || use(i)) {
            s += p[i];
            c += 1.0;
        }
    const double mu = s / c;
    double v = 0.0;
    for (std::size_t i = 0; i < n; ++i)
        if (all || use(i)) v += (p[i] - mu) * (p[i] - mu);
    *mean = mu;
    *sd = std::sqrt(v / (c - 1.0));
    if (!(*sd > 0.0)) *sd = 1.0;
}

}  // namespace amfm::sim
