// Height noise from the data and the noise-adapted local-plane window (see height_noise.hpp).
#include "host/method/height_noise.hpp"

#include <algorithm>
#include <cmath>

#include "amfm/kernels/physics.hpp"
#include "host/method/quantiles.hpp"

namespace amfm {

double estimate_height_noise_m(const Image<float>& height_m, const std::vector<std::uint8_t>& where) {
    const int nx = height_m.nx, ny = height_m.ny;
    const bool restricted = !where.empty();
    std::vector<float> d3;
    d3.reserve(height_m.size());
    // Every row up to a quarter million stencils, then every k-th row: the median is as exact as
    // the noise needs and large scans are not slowed down.
    const int row_step = std::max<int>(1, (int)(height_m.size() / 262144));
    for (int y = 0; y < ny; y += row_step) {
        const float* z = height_m.data() + (std::size_t)y * nx;
        const std::uint8_t* w = restricted ? where.data() + (std::size_t)y * nx : nullptr;
        for (int x = 1; x + 2 < nx; ++x) {
            if (w && !(w[x - 1] && w[x] && w[x + 1] && w[x + 2])) continue;
            const double d = (double)z[x - 1] - 3.0 * z[x] + 3.0 * z[x + 1] - (double)z[x + 2];
            if (std::isfinite(d)) d3.push_back((float)std::abs(d));
        }
    }
    if (d3.empty()) return 0.0;
    // Gaussian sigma = 1.4826 MAD; the stencil's weights (1, 3, 3, 1) scale white noise by sqrt(20).
    return 1.482602218505602 * quantiles_inplace(d3, {0.5})[0] / std::sqrt(20.0);
}

double normal_scatter_deg(double noise_m, double dx_m, double dy_m, int half) {
    const double w = 2.0 * half + 1.0, sum_k2 = half * (half + 1.0) * (2.0 * half + 1.0) / 3.0;
    return std::atan(noise_m / (std::min(dx_m, dy_m) * std::sqrt(w * sum_k2))) * kDegPerRad;
}

int noise_adapted_half_window(double noise_m, double dx_m, double dy_m, double scatter_deg, int max_half) {
    int half = 1;
    while (half < max_half && normal_scatter_deg(noise_m, dx_m, dy_m, half) > scatter_deg) ++half;
    return half;
}

}  // namespace amfm
