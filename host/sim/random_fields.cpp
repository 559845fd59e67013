// Seeded random fields of the simulators (see random_fields.hpp).
#include "host/sim/random_fields.hpp"

#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>

namespace amfm::sim {
namespace {

// Up to this sigma the blur is the exact kernel (the bytes of every scan size in use); beyond,
// it runs on a block-averaged field, so the cost per pixel stays bounded.
constexpr double kExactBlurMaxSigmaPx = 24.0;
constexpr double kCoarseSigmaPx = 8.0;  // the coarse field's sigma is in [8, 16) px

void exact_blur(cv::Mat& m, double sigma_x_px, double sigma_y_px) {
    const int half_x = std::max(1, (int)std::ceil(4.0 * sigma_x_px));
    const int half_y = std::max(1, (int)std::ceil(4.0 * sigma_y_px));
    cv::Mat out;
    cv::GaussianBlur(m, out, cv::Size(2 * half_x + 1, 2 * half_y + 1), sigma_x_px, sigma_y_px,
                     cv::BORDER_REFLECT_101);
    m = out;
}

// Block means of fx x fy pixels, the exact blur at sigma / f, then bilinear interpolation
// back: a block mean of white noise is white noise of 1/f^2 the variance on the coarse grid,
// so the result has the statistics of the fine blur (the block adds f / sqrt(12) <= 4 % of
// sigma in quadrature: < 0.1 % wider).
void coarse_blur(cv::Mat& m, double sigma_x_px, double sigma_y_px) {
    const int fx = std::max(1, (int)std::floor(sigma_x_px / kCoarseSigmaPx));
    const int fy = std::max(1, (int)std::floor(sigma_y_px / kCoarseSigmaPx));
    const int cw = (m.cols + fx - 1) / fx, ch = (m.rows + fy - 1) / fy;
    cv::Mat coarse(ch, cw, CV_64F, cv::Scalar(0.0));
    cv::Mat count(ch, cw, CV_64F, cv::Scalar(0.0));
    for (int y = 0; y < m.rows; ++y) {
        const double* row = m.ptr<double>(y);
        double* c = coarse.ptr<double>(y / fy);
        double* k = count.ptr<double>(y / fy);
        for (int x = 0; x < m.cols; ++x) {
            c[x / fx] += row[x];
            k[x / fx] += 1.0;
        }
    }
    coarse /= count;
    exact_blur(coarse, sigma_x_px / fx, sigma_y_px / fy);
    cv::Mat fine;
    cv::resize(coarse, fine, cv::Size(cw * fx, ch * fy), 0, 0, cv::INTER_LINEAR);
    m = fine(cv::Rect(0, 0, m.cols, m.rows)).clone();
}

}  // namespace

cv::Mat smooth_noise(int nx, int ny, double sigma_x_px, double sigma_y_px, std::uint64_t seed,
                     std::uint64_t stream) {
    cv::Mat m(ny, nx, CV_64F);
    Normal normal(seed, stream);
    for (int y = 0; y < ny; ++y) {
        double* row = m.ptr<double>(y);
        for (int x = 0; x < nx; ++x) row[x] = normal();
    }
    if (sigma_x_px > 0.0 && sigma_y_px > 0.0) {
        if (std::max(sigma_x_px, sigma_y_px) <= kExactBlurMaxSigmaPx) {
            exact_blur(m, sigma_x_px, sigma_y_px);
        } else {
            coarse_blur(m, sigma_x_px, sigma_y_px);
        }
    }
    return m;
}

}  // namespace amfm::sim
