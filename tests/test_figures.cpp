// Figures: PNG, PDF and SVG from the same drawing (text as text, fonts embedded, the same
// labels and aspect ratio), map colours and scale bars to the pixel, tick labels and value ±
// uncertainty formats, degenerate inputs still draw, unwritable paths raise DataError.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <sstream>
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
#include "host/method/regions.hpp"
#include "host/report/figures.hpp"
#include "host/report/plot_axes.hpp"
#include "host/report/plot_format.hpp"
#include "host/report/segmentation_outputs.hpp"
#include "test_util.hpp"

namespace {

using amfm::FitState;
using amfm::Image;
using amfm::MapFigure;
using amfm::RegionStats;
using amfm::StatisticsResult;
using amfm::plot::FigureFormat;
using amfm::plot::FigureOptions;

FigureOptions formats(std::vector<FigureFormat> f, double dpi = 72.0) {
    FigureOptions o;
    o.formats = std::move(f);
    o.dpi = dpi;
    return o;
}

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

using amfm_test::command_output;

cv::Vec3b bgr(std::uint32_t rgb) { return cv::Vec3b(rgb & 0xff, (rgb >> 8) & 0xff, (rgb >> 16) & 0xff); }

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


}  // namespace

TEST(PlotFormat, ValueWithUncertaintyFollowsTheUncertaintysDigits) {
    using amfm::plot::format_value_uncertainty;
    EXPECT_EQ(format_value_uncertainty(2.7012, 0.1134, "GPa"), "2.70 ± 0.11 GPa");
    EXPECT_EQ(format_value_uncertainty(3.4987, 1.0123, "GPa"), "3.5 ± 1.0 GPa");
    EXPECT_EQ(format_value_uncertainty(145.13, 10.24, "GPa"), "145 ± 10 GPa");
    EXPECT_EQ(format_value_uncertainty(1450.3, 152.0, ""), "1450 ± 150");
    EXPECT_EQ(format_value_uncertainty(1.2e-5, 3.1e-6, "GPa"), "(1.20 ± 0.31) × 10⁻⁵ GPa");
    EXPECT_EQ(format_value_uncertainty(0.00042, 0.00003, "GPa"), "(4.20 ± 0.30) × 10⁻⁴ GPa");
    EXPECT_EQ(format_value_uncertainty(2.0, NAN, "GPa"), "2.00 GPa");
    EXPECT_EQ(format_value_uncertainty(0.0, 0.0, "GPa"), "0 GPa");
    EXPECT_EQ(format_value_uncertainty(-0.5, 0.25, ""), "-0.50 ± 0.25");
}

TEST(PlotFormat, TicksAndPrefixes) {
    auto labels = [](const std::vector<amfm::plot::Tick>& t) {
        std::vector<std::string> out;
        for (const auto& k : t) out.push_back(k.label);
        return out;
    };
    using V = std::vector<std::string>;
    EXPECT_EQ(labels(amfm::plot::linear_ticks(0.0, 1.0, 6)), (V{"0.0", "0.2", "0.4", "0.6", "0.8", "1.0"}));
    EXPECT_EQ(labels(amfm::plot::linear_ticks(0.0, 4.3, 5)), (V{"0", "1", "2", "3", "4"}));
    EXPECT_EQ(labels(amfm::plot::linear_ticks(-90.0, 90.0, 7)), (V{"-80", "-60", "-40", "-20", "0", "20", "40", "60", "80"}));
    EXPECT_EQ(labels(amfm::plot::log_ticks(0.0, 3.0, 7)), (V{"1", "10", "100", "1000"}));
    EXPECT_EQ(labels(amfm::plot::log_ticks(0.0, std::log10(5.0), 7)), (V{"1", "2", "3", "4", "5"}));
    EXPECT_EQ(labels(amfm::plot::linear_ticks(0.0, 5e-5, 5)), (V{"0", "1e-5", "2e-5", "3e-5", "4e-5", "5e-5"}));
    EXPECT_EQ(amfm::plot::length_label(2e-6), "2 µm");
    EXPECT_EQ(amfm::plot::length_label(5e-7), "500 nm");
    EXPECT_EQ(amfm::plot::si_prefix_for(2.7e9).symbol, "G");
}

// PNG, PDF and SVG of one map: SVG text is text, the PDF embeds its fonts, all three have the
// same aspect ratio, and the PDF and SVG carry the same tick labels.
TEST(Figures, ThreeFormatsFromOneDrawing) {
    amfm_test::TempDir dir;
    MapFigure fig{"Corrected modulus – test", "E (GPa)", false, 0.0, 4.0, 10e-9};
    amfm::save_map_figure(dir.file("map"), ramp_map(256, 200, 0.f, 4.f), fig,
                          formats({FigureFormat::Png, FigureFormat::Pdf, FigureFormat::Svg}, 150.0));
    const std::string svg = slurp(dir.file("map.svg"));
    for (const char* text : {">E (GPa)</text>", ">500 nm</text>", ">Corrected modulus</text>", ">1</text>", ">4</text>"})
        EXPECT_NE(svg.find(text), std::string::npos) << text;
    const cv::Mat png = load(dir.file("map.png"));
    const std::string pdf = slurp(dir.file("map.pdf"));
    double w_pt = 0, h_pt = 0;
    ASSERT_EQ(std::sscanf(svg.c_str() + svg.find("width=\"") + 7, "%lfpt\" height=\"%lfpt", &w_pt, &h_pt), 2);
    EXPECT_EQ(png.cols, amfm::plot::png_pixels(w_pt, 150.0));
    EXPECT_EQ(png.rows, amfm::plot::png_pixels(h_pt, 150.0));
    const std::size_t box = pdf.find("/MediaBox [");
    ASSERT_NE(box, std::string::npos);
    double x0, y0, x1, y1;
    ASSERT_EQ(std::sscanf(pdf.c_str() + box + 11, "%lf %lf %lf %lf", &x0, &y0, &x1, &y1), 4);
    EXPECT_NEAR(x1 - x0, w_pt, 0.01);
    EXPECT_NEAR(y1 - y0, h_pt, 0.01);

    const std::string fonts = command_output("pdffonts " + dir.file("map.pdf") + " 2>/dev/null");
    if (fonts.empty()) GTEST_SKIP() << "pdffonts (poppler-utils) not installed";
    EXPECT_NE(fonts.find("DejaVuSans"), std::string::npos) << fonts;
    EXPECT_EQ(fonts.find(" no  "), std::string::npos) << "a font not embedded:\n" << fonts;
    const std::string text = command_output("pdftotext " + dir.file("map.pdf") + " - 2>/dev/null");
    for (const char* label : {"E (GPa)", "500 nm", "Corrected modulus", "test"})
        EXPECT_NE(text.find(label), std::string::npos) << label << " in\n" << text;
}

// The same drawing gives the same bytes in every format (no creation date in the PDF), so a merged
// series equals a single run and a rerun is recognised as unchanged.
TEST(Figures, SameDrawingSameBytes) {
    amfm_test::TempDir dir;
    MapFigure fig{"Corrected modulus – test", "E (GPa)", false, 0.0, 4.0, 10e-9};
    for (const char* name : {"a", "b"})
        amfm::save_map_figure(dir.file(name), ramp_map(64, 48, 0.f, 4.f), fig,
                              formats({FigureFormat::Png, FigureFormat::Pdf, FigureFormat::Svg}, 150.0));
    for (const char* ext : {".png", ".pdf", ".svg"})
        EXPECT_EQ(slurp(dir.file(std::string("a") + ext)), slurp(dir.file(std::string("b") + ext))) << ext;
    EXPECT_EQ(slurp(dir.file("a.pdf")).find("/CreationDate"), std::string::npos);
}

TEST(Figures, SvgOfAHistogramCarriesUnitsAndSymbolsAsText) {
    amfm_test::TempDir dir;
    const RegionStats r = gaussian_region("I", "LNMO", 2.7012, 0.1134, 20000, 60, 2.0, 3.4);
    amfm::save_region_histogram_figure(dir.file("hist"), r, "Facet I", formats({FigureFormat::Svg}));
    const std::string svg = slurp(dir.file("hist.svg"));
    EXPECT_NE(svg.find("centre 2.70 ± 0.11 GPa"), std::string::npos);
    EXPECT_NE(svg.find("R² = 0.995"), std::string::npos);
    EXPECT_EQ(svg.find("0.000000"), std::string::npos);
    amfm::save_map_figure(dir.file("map"), ramp_map(64, 64, 1.f, 2.f), MapFigure{"", "E (GPa)", false, 0, 0, 1e-7},
                          formats({FigureFormat::Svg}));
    EXPECT_NE(slurp(dir.file("map.svg")).find(" µm</text>"), std::string::npos);
}

// At 72 dpi a point is a PNG pixel: the 256 x 256 map sits at (14, 50), one scan pixel per
// PNG pixel; its colours are the colour map's ends and NaN grey; the scale bar's white run
// is its stated length over the pixel size.
TEST(Figures, MapPixelsFollowTheColourMapAndTheScaleBarItsLength) {
    amfm_test::TempDir dir;
    Image<float> m(256, 256, 1.0f);
    for (int y = 0; y < 256; ++y)
        for (int x = 128; x < 256; ++x) m.at(x, y) = 3.0f;
    m.at(200, 20) = kNaN;
    m.at(100, 20) = 2.0f;  // the middle of [1, 3]: index 128 (round(127.5))
    for (amfm::plot::Colormap cmap : {amfm::plot::Colormap::Viridis, amfm::plot::Colormap::Diverging}) {
        MapFigure fig{"Modulus – x", "E (GPa)", false, 1.0, 3.0, 10e-9, cmap};
        amfm::save_map_figure(dir.file("map"), m, fig, formats({FigureFormat::Png}));
        const cv::Mat png = load(dir.file("map.png"));
        const auto& table = amfm::plot::colormap_table(cmap);
        EXPECT_EQ(png.at<cv::Vec3b>(50 + 128, 14 + 64), bgr(table[0]));
        EXPECT_EQ(png.at<cv::Vec3b>(50 + 128, 14 + 192), bgr(table[255]));
        EXPECT_EQ(png.at<cv::Vec3b>(50 + 20, 14 + 200), bgr(0x404040));
        EXPECT_EQ(png.at<cv::Vec3b>(50 + 20, 14 + 100), bgr(table[128]));
        // 2.56 µm wide: a 500 nm bar, 50 px; 9 px from the map's lower left, 3 px high.
        const int row = 50 + 256 - 9 - 2;
        int run = 0;
        for (int x = 14 + 9; x < 14 + 256 && png.at<cv::Vec3b>(row, x) == cv::Vec3b(255, 255, 255); ++x) ++run;
        EXPECT_EQ(run, 50);
        EXPECT_EQ(png.at<cv::Vec3b>(row, 14 + 8), cv::Vec3b(0, 0, 0));  // the outline
    }
}

TEST(Figures, DegenerateInputsStillDraw) {
    amfm_test::TempDir dir;
    const FigureOptions png = formats({FigureFormat::Png});
    Image<float> nan_map(16, 16, kNaN);
    EXPECT_NO_THROW(amfm::save_map_figure(dir.file("nan"), nan_map, MapFigure{"t", "v", true}, png));
    EXPECT_NO_THROW(amfm::save_map_figure(dir.file("flat"), Image<float>(9, 5, 2.f), MapFigure{"t", "v"}, png));
    EXPECT_NO_THROW(amfm::save_mask_overlay_figure(dir.file("mask"), ramp_map(32, 32, 0.f, 1e-8f),
                                                   Image<std::uint8_t>(32, 32, amfm::kMaskUnlabelled), 1e-8, png));
    EXPECT_FALSE(load(dir.file("mask.png")).empty());
    RegionStats empty = gaussian_region("II", "LNMO", 120.0, 8.0, 5000, 40, 90.0, 150.0);
    empty.counts.clear();
    empty.gaussian.fit.state = FitState::TooFewPoints;
    EXPECT_NO_THROW(amfm::save_region_histogram_figure(dir.file("empty"), empty, "t", png));
    const RegionStats logr = gaussian_region("b/c", "binder", std::log10(2.0), 0.15, 8000, 50, -0.5, 1.2, true);
    EXPECT_NO_THROW(amfm::save_region_histogram_figure(dir.file("log"), logr, "t", png));
    StatisticsResult nothing;
    EXPECT_NO_THROW(amfm::save_histogram_overview_figure(dir.file("nothing"), nothing, "empty", png));
    StatisticsResult spread;  // LNMO ~ 130 GPa and b/c ~ 2 GPa: log axis
    spread.regions = {gaussian_region("I", "LNMO", 145.1, 10.2, 20000, 60, 110, 180),
                      gaussian_region("b/c", "binder", 2.0, 0.4, 10000, 40, 0.5, 3.5)};
    spread.whole_map = whole_map_of(spread.regions, 200, 0.0, 200.0);
    amfm::save_histogram_overview_figure(dir.file("spread"), spread, "All regions", png);
    EXPECT_FALSE(load(dir.file("spread.png")).empty());
    EXPECT_THROW(amfm::save_map_figure(dir.file("x"), Image<float>(), MapFigure{}, png), amfm::DataError);
}

TEST(Figures, UnwritablePathThrowsDataErrorNamingIt) {
    amfm_test::TempDir dir;
    const std::string blocker = dir.file("not_a_dir");
    std::ofstream(blocker) << "x";
    const std::string stem = blocker + "/figure";
    try {
        amfm::save_map_figure(stem, ramp_map(8, 8, 0.f, 1.f), MapFigure{}, FigureOptions{});
        FAIL() << "expected DataError";
    } catch (const amfm::DataError& e) {
        EXPECT_NE(std::string(e.what()).find(stem + ".png"), std::string::npos) << e.what();
    }
    const RegionStats r = gaussian_region("I", "LNMO", 145, 10, 1000, 20, 110, 180);
    EXPECT_THROW(amfm::save_region_histogram_figure(stem, r, "t", FigureOptions{}), amfm::DataError);
}

namespace {

// fig_normals: a plane of known slope shows, at its pixels, the colour the wheel legend has at
// that uphill azimuth and tilt (and that wheel_colour gives); the opposite slope's colour differs.
TEST(Figures, NormalsColourAtAPixelMatchesTheWheel) {
    const int n = 48;
    const double dx = 20e-9, gx = 0.3, gy = -0.2;  // uphill towards the right and the top of the image
    Image<float> height(n, n);
    for (int y = 0; y < n; ++y)
        for (int x = 0; x < n; ++x) height.at(x, y) = (float)(gx * x * dx + gy * y * dx);
    amfm::Segmentation seg;
    seg.normal_window_px = 3;
    const amfm::RegionMap regions =
        amfm::build_region_map(Image<std::uint16_t>(n, n, 1), amfm::RegionsConfig{}, n, n);
    amfm_test::TempDir tmp;
    const std::string stem = (tmp.path() / "normals").string();
    const amfm::NormalsFigureLayout L =
        amfm::save_normals_figure(stem, height, seg, regions, dx, dx, "Surface normals", formats({FigureFormat::Png}));
    const cv::Mat img = load(stem + ".png");  // 72 dpi: one PNG pixel per point
    const double tilt_deg = std::atan(std::hypot(gx, gy)) * 180.0 / M_PI, azimuth = std::atan2(gy, gx);
    const double saturation = tilt_deg / L.full_tilt_deg, r = saturation * L.wheel.w / 2;
    const cv::Vec3b on_map = img.at<cv::Vec3b>((int)(L.map.y + 30.5 * L.pt_per_scan_px), (int)(L.map.x + 20.5 * L.pt_per_scan_px));
    const cv::Vec3b on_wheel = img.at<cv::Vec3b>((int)(L.wheel.y + L.wheel.h / 2 + r * std::sin(azimuth)),
                                                 (int)(L.wheel.x + L.wheel.w / 2 + r * std::cos(azimuth)));
    const cv::Vec3b expected = bgr(amfm::plot::wheel_colour(azimuth, saturation));
    const cv::Vec3b opposite = bgr(amfm::plot::wheel_colour(azimuth + M_PI, saturation));
    for (int c = 0; c < 3; ++c) {
        EXPECT_NEAR(on_map[c], expected[c], 1) << c;
        EXPECT_NEAR(on_wheel[c], expected[c], 6) << c;
    }
    EXPECT_GT(cv::norm(cv::Vec3d(expected) - cv::Vec3d(opposite)), 60.0);
}

}  // namespace
