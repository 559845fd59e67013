// Figures: every function writes a PNG that loads back, degenerate inputs still draw, NaN
// pixels land where they should, and unwritable paths raise DataError naming the path.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <fstream>
#include <algorithm>
#include <limits>
#include <random>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "amfm/kernels/error.hpp"
#include "amfm/kernels/mask.hpp"
#include "host/report/figures.hpp"
#include "test_util.hpp"

namespace {

using amfm::FitState;
using amfm::Image;
using amfm::MapFigure;
using amfm::RegionStats;
using amfm::StatisticsResult;

const float kNaN = std::numeric_limits<float>::quiet_NaN();

cv::Mat load(const std::string& path) {
    cv::Mat img = cv::imread(path, cv::IMREAD_COLOR);
    EXPECT_FALSE(img.empty()) << path;
    return img;
}

// A region whose counts follow a Gaussian (expected counts per bin, rounded) with the
// matching fit result, in GPa or in log10 GPa.
RegionStats gaussian_region(const std::string& name, const std::string& cls, double centre, double sigma,
                            double n_pixels, int nbins, double lo, double hi, bool log_axis = false) {
    RegionStats r;
    r.info.label = 1;
    r.info.name = name;
    r.info.class_name = cls;
    r.hist.lo = lo;
    r.hist.hi = hi;
    r.hist.nbins = nbins;
    r.hist.log10_axis = log_axis ? 1 : 0;
    const double w = (hi - lo) / nbins;
    auto cdf = [&](double x) { return 0.5 * std::erfc(-(x - centre) / (sigma * std::sqrt(2.0))); };
    long long total = 0;
    for (int b = 0; b < nbins; ++b) {
        const auto c = (std::uint32_t)std::lround(n_pixels * (cdf(lo + (b + 1) * w) - cdf(lo + b * w)));
        r.counts.push_back(c);
        total += c;
    }
    r.pixels.n_pixels = total;
    r.pixels.n_valid = total;
    amfm::FitResult& f = r.gaussian.fit;
    f.amplitude = n_pixels * w / (sigma * std::sqrt(2.0 * M_PI));
    f.center = centre;
    f.sigma = sigma;
    f.r2 = 0.995;
    f.iterations = 7;
    f.state = FitState::Converged;
    if (log_axis) {
        r.gaussian.center_gpa = std::pow(10.0, centre);
        r.gaussian.sigma_gpa = 0.5 * (std::pow(10.0, centre + sigma) - std::pow(10.0, centre - sigma));
    } else {
        r.gaussian.center_gpa = centre;
        r.gaussian.sigma_gpa = sigma;
    }
    r.gaussian.fwhm_gpa = amfm::fwhm_from_sigma(r.gaussian.sigma_gpa);
    return r;
}

// Whole-map histogram: the sum of the regions' expected counts on one linear binning.
RegionStats whole_map_of(const std::vector<RegionStats>& regions, int nbins, double lo, double hi) {
    RegionStats whole;
    whole.info.name = "map";
    whole.hist.lo = lo;
    whole.hist.hi = hi;
    whole.hist.nbins = nbins;
    whole.counts.assign(nbins, 0);
    const double w = (hi - lo) / nbins;
    for (const RegionStats& r : regions) {
        const double c = r.gaussian.fit.center, s = r.gaussian.fit.sigma;
        const double n = r.gaussian.fit.amplitude * s * std::sqrt(2.0 * M_PI) / amfm::hist_bin_width(r.hist);
        auto cdf = [&](double x) { return 0.5 * std::erfc(-(x - c) / (s * std::sqrt(2.0))); };
        for (int b = 0; b < nbins; ++b)
            whole.counts[b] += (std::uint32_t)std::lround(n * (cdf(lo + (b + 1) * w) - cdf(lo + b * w)));
    }
    return whole;
}

Image<float> ramp_map(int nx, int ny, float lo, float hi) {
    Image<float> m(nx, ny);
    for (int y = 0; y < ny; ++y)
        for (int x = 0; x < nx; ++x) m.at(x, y) = lo + (hi - lo) * (float)(x + y) / (float)(nx + ny - 2);
    return m;
}

// Pixels whose 5 x 5 neighbourhood is exactly `colour`: solid blocks, never antialiased text.
std::vector<cv::Point> solid_cores(const cv::Mat& img, const cv::Vec3b& colour) {
    std::vector<cv::Point> out;
    for (int y = 2; y + 2 < img.rows; ++y)
        for (int x = 2; x + 2 < img.cols; ++x) {
            bool all = true;
            for (int dy = -2; dy <= 2 && all; ++dy)
                for (int dx = -2; dx <= 2 && all; ++dx) all = img.at<cv::Vec3b>(y + dy, x + dx) == colour;
            if (all) out.emplace_back(x, y);
        }
    return out;
}

}  // namespace

TEST(Figures, MapWritesPngWithRoomForColourBar) {
    amfm_test::TempDir dir;
    MapFigure fig;
    fig.title = "Corrected modulus";
    fig.value_label = "E (GPa)";
    fig.pixel_size_x_m = 10e-9;
    const std::string path = dir.file("map.png");
    amfm::save_map_png(path, ramp_map(64, 48, 100.f, 180.f), fig);
    const cv::Mat img = load(path);
    // 64 x 48 is enlarged 9x to 576 x 432, plus title, colour bar and labels.
    EXPECT_GE(img.cols, 576 + 60);
    EXPECT_LE(img.cols, 900);
    EXPECT_GE(img.rows, 432 + 40);
    EXPECT_LE(img.rows, 650);
}

TEST(Figures, NaNPixelsAreDarkGreyWhereTheyBelong) {
    amfm_test::TempDir dir;
    Image<float> m = ramp_map(20, 10, 1.f, 2.f);
    m.at(0, 0) = kNaN;
    m.at(3, 4) = kNaN;
    MapFigure fig;
    fig.title = "NaN test";
    const std::string path = dir.file("nan.png");
    amfm::save_map_png(path, m, fig);
    const cv::Mat img = load(path);
    // 20 columns -> 30 display pixels each; every NaN pixel becomes a solid 30 x 30 grey block.
    const std::vector<cv::Point> cores = solid_cores(img, cv::Vec3b(64, 64, 64));
    ASSERT_EQ(cores.size(), 2u * 26 * 26);
    cv::Point origin = cores.front();
    for (const cv::Point& p : cores) origin = cv::Point(std::min(origin.x, p.x), std::min(origin.y, p.y));
    origin -= cv::Point(2, 2);  // top-left of the map: NaN pixel (0, 0)
    auto grey_at = [&](int x, int y) { return img.at<cv::Vec3b>(y, x) == cv::Vec3b(64, 64, 64); };
    EXPECT_TRUE(grey_at(origin.x + 3 * 30 + 15, origin.y + 4 * 30 + 15));
    EXPECT_TRUE(grey_at(origin.x + 3 * 30, origin.y + 4 * 30));
    EXPECT_TRUE(grey_at(origin.x + 4 * 30 - 1, origin.y + 5 * 30 - 1));
    EXPECT_FALSE(grey_at(origin.x + 4 * 30, origin.y + 4 * 30 + 15));
    EXPECT_FALSE(grey_at(origin.x + 1 * 30 + 15, origin.y + 1 * 30 + 15));
    EXPECT_FALSE(grey_at(origin.x + 3 * 30 + 15, origin.y + 3 * 30 + 15));
}

TEST(Figures, ScaleBarDrawnOnlyWithPixelSize) {
    amfm_test::TempDir dir;
    const Image<float> flat(50, 50, 3.0f);  // one colour: the scale bar is the only white inside
    auto white_inside_map = [&](double pixel_size) {
        MapFigure fig;
        fig.title = "flat";
        fig.pixel_size_x_m = pixel_size;
        const std::string path = dir.file("flat.png");
        amfm::save_map_png(path, flat, fig);
        const cv::Mat img = load(path);
        // The map (50 px enlarged to 600) starts a small margin from the left; sample its middle.
        const std::vector<cv::Point> cores = solid_cores(img, img.at<cv::Vec3b>(img.rows / 2, 300));
        cv::Rect box = cv::boundingRect(cores);
        int white = 0;
        for (int y = box.y; y < box.y + box.height; ++y)
            for (int x = box.x; x < box.x + box.width; ++x)
                white += img.at<cv::Vec3b>(y, x) == cv::Vec3b(255, 255, 255);
        return white;
    };
    EXPECT_EQ(white_inside_map(0.0), 0);
    EXPECT_GT(white_inside_map(20e-9), 50);  // 1 um wide: a 200 nm bar
}

TEST(Figures, DegenerateMapsDoNotCrash) {
    amfm_test::TempDir dir;
    MapFigure fig;
    fig.title = "degenerate";
    fig.value_label = "E (GPa)";
    EXPECT_NO_THROW(amfm::save_map_png(dir.file("equal.png"), Image<float>(30, 20, 5.0f), fig));
    EXPECT_NO_THROW(amfm::save_map_png(dir.file("zero.png"), Image<float>(30, 20, 0.0f), fig));
    EXPECT_NO_THROW(amfm::save_map_png(dir.file("nan.png"), Image<float>(30, 20, kNaN), fig));
    EXPECT_NO_THROW(amfm::save_map_png(dir.file("one.png"), Image<float>(1, 1, 2.0f), fig));
    fig.log10_scale = true;
    EXPECT_NO_THROW(amfm::save_map_png(dir.file("lognan.png"), Image<float>(30, 20, kNaN), fig));
    EXPECT_NO_THROW(amfm::save_map_png(dir.file("logneg.png"), ramp_map(30, 20, -5.f, 5.f), fig));
    EXPECT_NO_THROW(amfm::save_map_png(dir.file("logequal.png"), Image<float>(30, 20, 7.0f), fig));
    for (const char* name : {"equal.png", "zero.png", "nan.png", "one.png", "lognan.png", "logneg.png",
                             "logequal.png"})
        EXPECT_FALSE(load(dir.file(name)).empty()) << name;
    // The all-NaN map is grey throughout.
    const cv::Mat img = load(dir.file("nan.png"));
    EXPECT_EQ(solid_cores(img, cv::Vec3b(64, 64, 64)).size(), (std::size_t)(600 - 4) * (400 - 4));
    EXPECT_THROW(amfm::save_map_png(dir.file("empty.png"), Image<float>(), fig), amfm::DataError);
}

TEST(Figures, LogScaleAndFixedRangeAndColormaps) {
    amfm_test::TempDir dir;
    MapFigure fig;
    fig.title = "log";
    fig.value_label = "E (GPa)";
    fig.log10_scale = true;
    Image<float> m = ramp_map(80, 60, 0.5f, 300.f);
    for (int x = 0; x < 80; ++x) m.at(x, 30) = std::pow(10.0f, -1.0f + 3.5f * x / 79.0f);
    for (int cmap = 0; cmap < 3; ++cmap) {
        fig.colormap = cmap;
        const std::string path = dir.file("log" + std::to_string(cmap) + ".png");
        amfm::save_map_png(path, m, fig);
        EXPECT_FALSE(load(path).empty());
    }
    fig.lo = 1.0;
    fig.hi = 1000.0;
    amfm::save_map_png(dir.file("fixed.png"), m, fig);
    EXPECT_FALSE(load(dir.file("fixed.png")).empty());
}

TEST(Figures, LargeMapIsReducedToAboutSixHundredPixels) {
    amfm_test::TempDir dir;
    MapFigure fig;
    fig.title = "large";
    fig.pixel_size_x_m = 5e-9;
    amfm::save_map_png(dir.file("large.png"), ramp_map(1500, 1000, 0.f, 1.f), fig);
    const cv::Mat img = load(dir.file("large.png"));
    EXPECT_GE(img.cols, 600 + 60);
    EXPECT_LE(img.cols, 900);
    EXPECT_GE(img.rows, 400 + 40);
    EXPECT_LE(img.rows, 600);
}

namespace {

// The colour the map figure is specified to paint a value with: colour index
// round(255 * clamp((s - lo) / (hi - lo), 0, 1)), s the value or its log10 (non-positive: lo),
// through OpenCV's colormap; NaN dark grey.
cv::Vec3b expected_map_colour(float value, double lo, double hi, bool log_scale, int colormap) {
    if (!std::isfinite(value)) return {64, 64, 64};
    double v = value;
    if (log_scale) v = v > 0.0 ? std::log10(v) : lo;
    const double t = std::clamp((v - lo) / (hi - lo), 0.0, 1.0);
    static cv::Mat palettes[3];
    if (palettes[colormap].empty()) {
        cv::Mat ramp(1, 256, CV_8UC1);
        for (int i = 0; i < 256; ++i) ramp.at<std::uint8_t>(0, i) = (std::uint8_t)i;
        if (colormap == 2) cv::cvtColor(ramp, palettes[colormap], cv::COLOR_GRAY2BGR);
        else cv::applyColorMap(ramp, palettes[colormap], colormap == 1 ? cv::COLORMAP_INFERNO : cv::COLORMAP_VIRIDIS);
    }
    return palettes[colormap].at<cv::Vec3b>(0, (int)std::lround(t * 255.0));
}

// The 1st and 99th percentiles of the usable values, by nth_element on a copy.
std::pair<double, double> percentiles_1_99(const Image<float>& m, bool log_scale) {
    std::vector<float> v;
    for (float x : m.px)
        if (std::isfinite(x) && (!log_scale || x > 0.0f)) v.push_back(x);
    auto at = [&](double p) {
        const std::size_t k = (std::size_t)std::lround(p / 100.0 * (v.size() - 1));
        std::nth_element(v.begin(), v.begin() + (std::ptrdiff_t)k, v.end());
        return (double)v[k];
    };
    const double lo = at(1.0);
    return {lo, at(99.0)};
}

// Every map pixel of a 64 x 64 map (drawn 9x enlarged, nearest neighbour) against the formula.
void expect_map_colours(const Image<float>& m, const MapFigure& fig, double lo, double hi, const std::string& path) {
    amfm::save_map_png(path, m, fig);
    const cv::Mat img = load(path);
    const int x0 = 24, y0 = fig.title.empty() ? 50 : 80, k = 9;  // margin, top, enlargement
    int wrong = 0;
    for (int y = 0; y < m.ny; ++y)
        for (int x = 0; x < m.nx; ++x) {
            const cv::Vec3b want = expected_map_colour(m.at(x, y), lo, hi, fig.log10_scale, fig.colormap);
            const cv::Vec3b got = img.at<cv::Vec3b>(y0 + k * y + k / 2, x0 + k * x + k / 2);
            if (got != want && ++wrong <= 5)
                ADD_FAILURE() << path << ": pixel (" << x << ", " << y << ") value " << m.at(x, y) << " is "
                              << got << ", expected " << want;
        }
    EXPECT_EQ(wrong, 0) << path;
}

}  // namespace

TEST(Figures, MapColoursFollowTheScaleFormulaExactly) {
    amfm_test::TempDir dir;
    const int n = 64;
    std::mt19937 rng(7);
    // Values sitting on, and one float either side of, every colour-index boundary of [lo, hi].
    auto boundary_map = [&](double lo, double hi, bool log_scale) {
        Image<float> m(n, n);
        std::size_t i = 0;
        for (int b = 0; b < 255 && i + 3 <= m.px.size(); ++b) {
            const double s = lo + (b + 0.5) / 255.0 * (hi - lo);
            const float v = (float)(log_scale ? std::pow(10.0, s) : s);
            m.px[i++] = std::nextafter(v, -INFINITY);
            m.px[i++] = v;
            m.px[i++] = std::nextafter(v, INFINITY);
        }
        std::uniform_real_distribution<double> u(lo - 0.2 * (hi - lo), hi + 0.2 * (hi - lo));
        for (; i < m.px.size(); ++i) m.px[i] = (float)(log_scale ? std::pow(10.0, u(rng)) : u(rng));
        m.px[100] = kNaN;
        m.px[101] = INFINITY;
        m.px[102] = 0.0f;
        m.px[103] = -0.0f;
        m.px[104] = -3.0f;
        return m;
    };
    MapFigure fig;
    fig.title = "exact";
    // Log scale on a given range, and a linear one (as the tilt map is drawn).
    fig.log10_scale = true;
    fig.lo = 0.5;
    fig.hi = 800.0;
    expect_map_colours(boundary_map(std::log10(0.5), std::log10(800.0), true), fig, std::log10(0.5),
                       std::log10(800.0), dir.file("log_fixed.png"));
    fig.log10_scale = false;
    fig.lo = 0.0;
    fig.hi = 90.0;
    fig.colormap = 1;
    expect_map_colours(boundary_map(0.0, 90.0, false), fig, 0.0, 90.0, dir.file("lin_fixed.png"));

    // 1-99 % ranges from the data: log-spread moduli, and heights of both signs.
    fig.lo = fig.hi = 0.0;
    fig.colormap = 0;
    fig.log10_scale = true;
    Image<float> moduli(n, n);
    std::normal_distribution<double> g(0.5, 0.6);
    for (float& v : moduli.px) v = (float)std::pow(10.0, g(rng));
    for (int i = 0; i < 50; ++i) moduli.px[(std::size_t)i * 37] = i % 2 ? kNaN : -1.0f;
    auto [plo, phi] = percentiles_1_99(moduli, true);
    expect_map_colours(moduli, fig, std::log10(plo), std::log10(phi), dir.file("log_pct.png"));
    fig.log10_scale = false;
    fig.colormap = 2;
    Image<float> heights(n, n);
    std::normal_distribution<double> hg(0.0, 3e-8);
    for (float& v : heights.px) v = (float)hg(rng);
    heights.px[5] = kNaN;
    std::tie(plo, phi) = percentiles_1_99(heights, false);
    expect_map_colours(heights, fig, plo, phi, dir.file("lin_pct.png"));
}

TEST(Figures, MaskOverlayGreysAndBlendsFollowTheFormulaExactly) {
    amfm_test::TempDir dir;
    const int n = 64;  // drawn 9x enlarged, nearest neighbour
    std::mt19937 rng(11);
    std::normal_distribution<double> hg(0.0, 2e-8);
    Image<float> height(n, n);
    for (float& v : height.px) v = (float)hg(rng);
    Image<std::uint8_t> mask(n, n, 0);
    for (int i = 0; i < n * n; i += 7) mask.px[(std::size_t)i] = amfm::kMaskTiltOverCutoff;
    height.px[3] = kNaN;
    mask.px[3] = amfm::kMaskNonFinite;
    height.px[4] = kNaN;  // non-finite height with no mask reason: the darkest grey
    const std::string path = dir.file("mask.png");
    amfm::save_mask_overlay_png(path, height, mask, 0.0);
    const cv::Mat img = load(path);
    const auto [lo, hi] = percentiles_1_99(height, false);
    int wrong = 0;
    for (int y = 0; y < n; ++y)
        for (int x = 0; x < n; ++x) {
            const double h = height.at(x, y);
            const double g = std::isfinite(h) ? 40.0 + 190.0 * std::clamp((h - lo) / (hi - lo), 0.0, 1.0) : 20.0;
            cv::Vec3d c(g, g, g);
            const cv::Vec3d tilt(40, 40, 220), nonfinite(220, 90, 30);
            if (mask.at(x, y) & amfm::kMaskTiltOverCutoff) c = 0.4 * c + 0.6 * tilt;
            if (mask.at(x, y) & amfm::kMaskNonFinite) c = 0.4 * c + 0.6 * nonfinite;
            const cv::Vec3b want(cv::saturate_cast<std::uint8_t>(c[0]), cv::saturate_cast<std::uint8_t>(c[1]),
                                 cv::saturate_cast<std::uint8_t>(c[2]));
            const cv::Vec3b got = img.at<cv::Vec3b>(70 + 9 * y + 4, 24 + 9 * x + 4);
            if (got != want && ++wrong <= 5)
                ADD_FAILURE() << "pixel (" << x << ", " << y << ") is " << got << ", expected " << want;
        }
    EXPECT_EQ(wrong, 0);
}

TEST(Figures, MaskOverlayWritesPngAndChecksSizes) {
    amfm_test::TempDir dir;
    const int nx = 60, ny = 40;
    Image<float> height(nx, ny);
    Image<std::uint8_t> mask(nx, ny, 0);
    for (int y = 0; y < ny; ++y)
        for (int x = 0; x < nx; ++x) {
            height.at(x, y) = 1e-7f * std::exp(-((x - 30.f) * (x - 30.f) + (y - 20.f) * (y - 20.f)) / 200.f);
            if (std::abs(x - 30) > 14 && std::abs(x - 30) < 18) mask.at(x, y) |= amfm::kMaskTiltOverCutoff;
            if (x < 5) mask.at(x, y) |= amfm::kMaskUnlabelled;
            if (y == 3 && x > 20) mask.at(x, y) |= amfm::kMaskPhaseNotRepulsive;
            if (y == 35 && x > 10) mask.at(x, y) |= amfm::kMaskDf2NotPositive;
        }
    height.at(50, 30) = kNaN;
    mask.at(50, 30) |= amfm::kMaskNonFinite;
    const std::string path = dir.file("mask.png");
    amfm::save_mask_overlay_png(path, height, mask, 10e-9);
    const cv::Mat img = load(path);
    EXPECT_GE(img.cols, 600 + 100);
    EXPECT_GE(img.rows, 400);
    // The tilt colour (red, BGR 40,40,220 blended over grey) is present in solid blocks.
    int reddish = 0;
    for (int y = 0; y < img.rows; ++y)
        for (int x = 0; x < img.cols; ++x) {
            const cv::Vec3b p = img.at<cv::Vec3b>(y, x);
            reddish += p[2] > 150 && p[1] < 110 && p[0] < 110;
        }
    EXPECT_GT(reddish, 2 * 3 * ny * 100);  // two 3-pixel-wide stripes, 10x enlarged

    const Image<std::uint8_t> wrong(nx - 1, ny, 0);
    EXPECT_THROW(amfm::save_mask_overlay_png(dir.file("bad.png"), height, wrong, 10e-9), amfm::DataError);
    // No pixel size: no scale bar, still a figure; a NaN-only height still draws.
    amfm::save_mask_overlay_png(dir.file("nan.png"), Image<float>(nx, ny, kNaN), mask, 0.0);
    EXPECT_FALSE(load(dir.file("nan.png")).empty());
}

TEST(Figures, RegionHistogramWithFit) {
    amfm_test::TempDir dir;
    const RegionStats r = gaussian_region("I", "LNMO", 145.1, 10.2, 20000, 60, 100.0, 190.0);
    const std::string path = dir.file("hist.png");
    amfm::save_region_histogram_png(path, r, "Facet I");
    const cv::Mat img = load(path);
    EXPECT_GE(img.cols, 600);
    EXPECT_GE(img.rows, 400);
    EXPECT_LE(img.cols, 1600);
}

TEST(Figures, RegionHistogramOnLogAxis) {
    amfm_test::TempDir dir;
    const RegionStats r = gaussian_region("b/c", "binder", std::log10(2.0), 0.15, 8000, 50, -0.5, 1.2, true);
    amfm::save_region_histogram_png(dir.file("log.png"), r, "Binder/carbon");
    EXPECT_FALSE(load(dir.file("log.png")).empty());
}

TEST(Figures, RegionHistogramDegenerateCasesStillWrite) {
    amfm_test::TempDir dir;
    RegionStats base = gaussian_region("II", "LNMO", 120.0, 8.0, 5000, 40, 90.0, 150.0);

    RegionStats empty = base;  // no counts, no fit
    empty.counts.clear();
    empty.gaussian = {};
    empty.pixels = {};
    RegionStats zeros = base;  // counts all zero
    std::fill(zeros.counts.begin(), zeros.counts.end(), 0u);
    zeros.gaussian = {};
    RegionStats one_bin = base;  // one bin, too few points
    one_bin.hist.nbins = 1;
    one_bin.counts = {42};
    one_bin.gaussian = {};
    RegionStats not_converged = base;
    not_converged.gaussian.fit.state = FitState::MaxIterations;
    RegionStats singular = base;
    singular.gaussian.fit.state = FitState::Singular;
    singular.gaussian.fit.sigma = std::numeric_limits<double>::quiet_NaN();
    RegionStats nan_range = base;  // NaN histogram range and NaN summary values
    nan_range.hist.lo = std::numeric_limits<double>::quiet_NaN();
    nan_range.gaussian.fit.center = std::numeric_limits<double>::quiet_NaN();
    nan_range.gaussian.center_gpa = std::numeric_limits<double>::quiet_NaN();
    RegionStats short_counts = base;  // fewer counts than bins
    short_counts.counts.resize(10);
    RegionStats zero_bins = base;
    zero_bins.hist.nbins = 0;
    RegionStats log_empty = gaussian_region("b/c", "binder", 0.3, 0.1, 100, 20, -0.5, 1.0, true);
    log_empty.counts.clear();
    log_empty.gaussian.fit.state = FitState::TooFewPoints;

    const std::vector<std::pair<std::string, RegionStats>> cases = {
        {"empty", empty},           {"zeros", zeros},       {"one_bin", one_bin},
        {"not_converged", not_converged}, {"singular", singular}, {"nan_range", nan_range},
        {"short", short_counts},    {"zero_bins", zero_bins}, {"log_empty", log_empty}};
    for (const auto& [name, region] : cases) {
        const std::string path = dir.file(name + ".png");
        EXPECT_NO_THROW(amfm::save_region_histogram_png(path, region, name)) << name;
        EXPECT_FALSE(load(path).empty()) << name;
    }
}

TEST(Figures, NotConvergedHistogramDrawsNoCurve) {
    amfm_test::TempDir dir;
    RegionStats with_fit = gaussian_region("III", "LNMO", 130.0, 9.0, 5000, 40, 100.0, 160.0);
    RegionStats without = with_fit;
    without.gaussian.fit.state = FitState::MaxIterations;
    amfm::save_region_histogram_png(dir.file("a.png"), with_fit, "t");
    amfm::save_region_histogram_png(dir.file("b.png"), without, "t");
    // The curve is near-black ink; without it, fewer dark pixels remain inside the plot.
    auto dark = [](const cv::Mat& img) {
        int n = 0;
        for (int y = 80; y < img.rows - 120; ++y)
            for (int x = 120; x < img.cols / 2; ++x) {
                const cv::Vec3b p = img.at<cv::Vec3b>(y, x);
                n += p[0] < 80 && p[1] < 80 && p[2] < 80;
            }
        return n;
    };
    EXPECT_GT(dark(load(dir.file("a.png"))), dark(load(dir.file("b.png"))) + 100);
}

TEST(Figures, OverviewOnLinearAndLogAxes) {
    amfm_test::TempDir dir;
    StatisticsResult close;  // centres within a factor 10: linear axis
    close.regions = {gaussian_region("I", "LNMO", 145.1, 10.2, 20000, 60, 110, 180),
                     gaussian_region("II", "LNMO", 125.0, 8.0, 15000, 50, 95, 155)};
    close.whole_map = whole_map_of(close.regions, 80, 90, 190);
    amfm::save_histogram_overview_png(dir.file("linear.png"), close, "Facets");
    EXPECT_FALSE(load(dir.file("linear.png")).empty());

    StatisticsResult spread = close;  // LNMO ~ 130 GPa and b/c ~ 2 GPa: log axis
    spread.regions.push_back(gaussian_region("b/c", "binder", 2.0, 0.4, 10000, 40, 0.5, 3.5));
    spread.regions.back().info.label = 3;
    spread.whole_map = whole_map_of(spread.regions, 200, 0.0, 200.0);
    amfm::save_histogram_overview_png(dir.file("spread.png"), spread, "All regions");
    EXPECT_FALSE(load(dir.file("spread.png")).empty());

    StatisticsResult logged;  // everything binned on log10 GPa already
    logged.regions = {gaussian_region("I", "LNMO", std::log10(140.0), 0.03, 20000, 50, 1.9, 2.4, true),
                      gaussian_region("b/c", "binder", std::log10(2.0), 0.12, 8000, 40, -0.3, 0.9, true)};
    logged.whole_map = gaussian_region("map", "", 1.2, 0.8, 0, 120, -0.5, 2.6, true);
    logged.whole_map.counts.assign(120, 0);
    for (const RegionStats& r : logged.regions)  // each region bin's pixels into the whole-map bin of its centre
        for (std::size_t b = 0; b < r.counts.size(); ++b) {
            const int k = amfm::hist_bin_index(logged.whole_map.hist, amfm::hist_bin_center(r.hist, (int)b));
            if (k >= 0) logged.whole_map.counts[k] += r.counts[b];
        }
    amfm::save_histogram_overview_png(dir.file("logged.png"), logged, "Log bins");
    EXPECT_FALSE(load(dir.file("logged.png")).empty());
}

TEST(Figures, OverviewDegenerateCases) {
    amfm_test::TempDir dir;
    StatisticsResult nothing;
    EXPECT_NO_THROW(amfm::save_histogram_overview_png(dir.file("nothing.png"), nothing, "empty"));
    EXPECT_FALSE(load(dir.file("nothing.png")).empty());

    StatisticsResult unfitted;
    unfitted.regions = {gaussian_region("I", "LNMO", 140, 10, 100, 10, 100, 180)};
    unfitted.regions[0].gaussian.fit.state = FitState::TooFewPoints;
    unfitted.whole_map = unfitted.regions[0];
    unfitted.whole_map.hist.nbins = 1;
    unfitted.whole_map.counts = {100};
    EXPECT_NO_THROW(amfm::save_histogram_overview_png(dir.file("unfitted.png"), unfitted, "unfitted"));
    EXPECT_FALSE(load(dir.file("unfitted.png")).empty());

    StatisticsResult many;  // more regions than palette colours
    for (int i = 0; i < 14; ++i)
        many.regions.push_back(gaussian_region("R" + std::to_string(i), "LNMO", 100 + 5 * i, 4, 3000, 30, 80, 190));
    many.whole_map = whole_map_of(many.regions, 100, 80, 190);
    EXPECT_NO_THROW(amfm::save_histogram_overview_png(dir.file("many.png"), many, "many"));
    EXPECT_FALSE(load(dir.file("many.png")).empty());
}

TEST(Figures, UnwritablePathThrowsDataErrorNamingIt) {
    amfm_test::TempDir dir;
    // The parent "folder" is a regular file, so nothing can be created under it.
    const std::string blocker = dir.file("not_a_dir");
    std::ofstream(blocker) << "x";
    const std::string path = blocker + "/figure.png";
    MapFigure fig;
    try {
        amfm::save_map_png(path, ramp_map(8, 8, 0.f, 1.f), fig);
        FAIL() << "expected DataError";
    } catch (const amfm::DataError& e) {
        EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    }
    const RegionStats r = gaussian_region("I", "LNMO", 145, 10, 1000, 20, 110, 180);
    EXPECT_THROW(amfm::save_region_histogram_png(path, r, "t"), amfm::DataError);
    StatisticsResult s;
    s.regions = {r};
    s.whole_map = r;
    EXPECT_THROW(amfm::save_histogram_overview_png(path, s, "t"), amfm::DataError);
    EXPECT_THROW(amfm::save_mask_overlay_png(path, ramp_map(8, 8, 0.f, 1.f), Image<std::uint8_t>(8, 8, 0), 1e-9),
                 amfm::DataError);
    // An extension no encoder knows is a DataError too, not a cv::Exception.
    EXPECT_THROW(amfm::save_map_png(dir.file("figure.unknownext"), ramp_map(8, 8, 0.f, 1.f), fig), std::runtime_error);
}
