// Seeded random fields of the simulators (see random_fields.hpp).
#include "host/sim/random_fields.hpp"

#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>

namespace amfm::sim {

cv::Mat smooth_noise(int nx, int ny, double sigma_px, std::uint64_t seed, std::uint64_t stream) {
    cv::Mat m(ny, nx, CV_64F);
    Normal normal(seed, stream);
    for (int y = 0; y < ny; ++y) {
        double* row = m.ptr<double>(y);
        for (int x = 0; x < nx; ++x) row[x] = normal();
    }
    if (sigma_px > 0.0) {
        const int half = std::max(1, (int)std::ceil(4.0 * sigma_px));
        const int k = 2 * half + 1;
        cv::Mat out;
        cv::GaussianBlur(m, out, cv::Size(k, k), sigma_px, sigma_px, cv::BORDER_REFLECT_101);
        m = out;
    }
    return m;
}

}  // namespace amfm::sim
