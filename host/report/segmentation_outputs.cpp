// labels.tif, fig_regions.png and the regions.json table of an automatic segmentation.
#include "host/report/segmentation_outputs.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "amfm/kernels/error.hpp"
#include "host/formats/tiff_io.hpp"

namespace amfm {

void write_labels_tiff(const std::string& path, const Segmentation& seg, double pixel_size_x_m,
                       double pixel_size_y_m) {
    TiffCalibration cal;
    cal.pixel_size_x_m = pixel_size_x_m;
    cal.pixel_size_y_m = pixel_size_y_m;
    cal.description = "amfm automatic regions: 0 none, 1.." + std::to_string(seg.binder_label - 1) +
                      " facets, " + std::to_string(seg.binder_label) + " binder/carbon";
    write_tiff(path, seg.labels, cal);
}

void save_regions_overlay_png(const std::string& path, const Image<float>& height_m, const RegionMap& regions,
                              const std::string& title) {
    const int nx = height_m.nx, ny = height_m.ny;
    if (nx < 1 || ny < 1 || regions.index.nx != nx || regions.index.ny != ny)
        throw DataError("cannot draw figure " + path + ": region map and height map differ in size");
    // Grey topography, 1-99 % stretch.
    std::vector<float> finite;
    for (float h : height_m.px)
        if (std::isfinite(h)) finite.push_back(h);
    double lo = 0.0, hi = 1.0;
    if (!finite.empty()) {
        std::sort(finite.begin(), finite.end());
        lo = finite[finite.size() / 100];
        hi = finite[finite.size() - 1 - finite.size() / 100];
    }
    if (!(hi > lo)) hi = lo + 1.0;
    // Region colours: golden-angle hues, so neighbours differ; the binder (a class of its own) gets
    // the same treatment, every region is numbered.
    const int nreg = (int)regions.regions.size();
    std::vector<cv::Vec3b> colour(nreg);
    for (int r = 0; r < nreg; ++r) {
        cv::Mat hsv(1, 1, CV_8UC3, cv::Scalar((int)std::fmod(r * 137.508 / 2.0, 180.0), 200, 255)), bgr;
        cv::cvtColor(hsv, bgr, cv::COLOR_HSV2BGR);
        colour[r] = bgr.at<cv::Vec3b>(0, 0);
    }
    // Display size: at least 768 px on the long side, whole multiples of the pixel.
    const int scale = std::max(1, (int)std::ceil(768.0 / std::max(nx, ny)));
    const int W = nx * scale, H = ny * scale, top = 40;
    cv::Mat img(H + top, W, CV_8UC3, cv::Scalar(255, 255, 255));
    for (int Y = 0; Y < H; ++Y)
        for (int X = 0; X < W; ++X) {
            const int x = X / scale, y = Y / scale;
            const float h = height_m.at(x, y);
            const double g = std::isfinite(h) ? 40.0 + 190.0 * std::clamp((h - lo) / (hi - lo), 0.0, 1.0) : 20.0;
            const int r = regions.index.at(x, y);
            cv::Vec3b c((std::uint8_t)g, (std::uint8_t)g, (std::uint8_t)g);
            if (r >= 0) {
                // Outline: a region pixel next to another region (or none), drawn solid.
                const bool edge = (X % scale == 0 && x > 0 && regions.index.at(x - 1, y) != r) ||
                                  (Y % scale == 0 && y > 0 && regions.index.at(x, y - 1) != r) ||
                                  (X % scale == scale - 1 && x + 1 < nx && regions.index.at(x + 1, y) != r) ||
                                  (Y % scale == scale - 1 && y + 1 < ny && regions.index.at(x, y + 1) != r);
                const double a = edge ? 1.0 : 0.35;
                for (int k = 0; k < 3; ++k) c[k] = (std::uint8_t)((1.0 - a) * c[k] + a * colour[r][k]);
            }
            img.at<cv::Vec3b>(Y + top, X) = c;
        }
    // Numbers at each region's pixel nearest its centroid (a concave region's centroid may lie outside).
    std::vector<double> sx(nreg, 0), sy(nreg, 0), n(nreg, 0);
    for (int y = 0; y < ny; ++y)
        for (int x = 0; x < nx; ++x)
            if (const int r = regions.index.at(x, y); r >= 0) {
                sx[r] += x;
                sy[r] += y;
                n[r] += 1;
            }
    std::vector<double> best(nreg, 1e300);
    std::vector<cv::Point> anchor(nreg);
    for (int y = 0; y < ny; ++y)
        for (int x = 0; x < nx; ++x)
            if (const int r = regions.index.at(x, y); r >= 0) {
                const double d = std::pow(x - sx[r] / n[r], 2) + std::pow(y - sy[r] / n[r], 2);
                if (d < best[r]) {
                    best[r] = d;
                    anchor[r] = {x, y};
                }
            }
    for (int r = 0; r < nreg; ++r) {
        if (n[r] == 0) continue;
        const std::string text = std::to_string(regions.regions[r].label);
        int base = 0;
        const cv::Size sz = cv::getTextSize(text, cv::FONT_HERSHEY_SIMPLEX, 0.6, 2, &base);
        const cv::Point at(anchor[r].x * scale + scale / 2 - sz.width / 2, anchor[r].y * scale + top + sz.height / 2);
        cv::putText(img, text, at, cv::FONT_HERSHEY_SIMPLEX, 0.6, cv::Scalar(0, 0, 0), 4, cv::LINE_AA);
        cv::putText(img, text, at, cv::FONT_HERSHEY_SIMPLEX, 0.6, cv::Scalar(255, 255, 255), 1, cv::LINE_AA);
    }
    cv::putText(img, title, {10, 27}, cv::FONT_HERSHEY_SIMPLEX, 0.7, cv::Scalar(30, 30, 30), 1, cv::LINE_AA);
    if (!cv::imwrite(path, img)) throw DataError(path + ": cannot write PNG");
}

nlohmann::json segmentation_json(const Segmentation& seg, const AutoRegionsConfig& cfg) {
    using nlohmann::json;
    json facets = json::array();
    for (const FacetInfo& f : seg.facets)
        facets.push_back({{"label", f.label},
                          {"pixels", f.pixels},
                          {"area_um2", f.area_um2},
                          {"normal_tilt_deg", f.tilt_deg},
                          {"normal_azimuth_deg", f.azimuth_deg},
                          {"slope_x", f.slope_x},
                          {"slope_y", f.slope_y}});
    const bool by_modulus = seg.class_feature == "modulus";
    return {{"method", "Otsu on log10 " + std::string(by_modulus ? "modulus" : "local-plane roughness") +
                           ", facets by normal region growing with noise-adapted tolerances"},
            {"class_feature", seg.class_feature},
            {by_modulus ? "class_threshold_gpa" : "class_threshold_m", seg.class_threshold},
            {"angle_tolerance_deg", cfg.angle_tolerance_deg},
            {"min_area_um2", cfg.min_area_um2},
            {"window_px", cfg.window_px},
            {"height_noise_m", seg.height_noise_m},
            {"normal_window_px", seg.normal_window_px},
            {"angle_tolerance_used_deg", seg.angle_tolerance_deg},
            {"rejected_facets", seg.rejected_facets},
            {"unassigned_pixels", seg.unassigned_pixels},
            {"binder_label", seg.binder_label},
            {"binder_pixels", seg.binder_pixels},
            {"seconds", seg.seconds},
            {"facets", facets}};
}

}  // namespace amfm
