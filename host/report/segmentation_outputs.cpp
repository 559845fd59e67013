// labels.tif, the regions and surface-normal figures and the regions.json table of an automatic
// segmentation.
#include "host/report/segmentation_outputs.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "amfm/kernels/error.hpp"
#include "host/formats/tiff_io.hpp"
#include "host/report/figures.hpp"
#include "host/report/plot_axes.hpp"
#include "host/report/plot_format.hpp"

namespace amfm {
namespace {

using namespace plot;

void check_sizes(const std::string& stem, const Image<float>& height_m, const RegionMap& regions) {
    if (height_m.nx < 1 || height_m.ny < 1 || regions.index.nx != height_m.nx || regions.index.ny != height_m.ny)
        throw DataError("cannot draw figure " + stem + ": region map and height map differ in size");
}

// Whether the enlarged pixel (X, Y) of scan pixel (x, y) lies on the border of its region: on
// the side of a scan pixel whose neighbour belongs to another region (or to none).
bool on_outline(const RegionMap& regions, int X, int Y, int k) {
    const int x = X / k, y = Y / k, nx = regions.index.nx, ny = regions.index.ny;
    const int r = regions.index.at(x, y);
    return (X % k == 0 && x > 0 && regions.index.at(x - 1, y) != r) ||
           (Y % k == 0 && y > 0 && regions.index.at(x, y - 1) != r) ||
           (X % k == k - 1 && x + 1 < nx && regions.index.at(x + 1, y) != r) ||
           (Y % k == k - 1 && y + 1 < ny && regions.index.at(x, y + 1) != r);
}

std::uint32_t mix(std::uint32_t under, std::uint32_t over, double alpha) {
    std::uint32_t out = 0;
    for (int shift : {16, 8, 0})
        out |= (std::uint32_t)std::lround((1.0 - alpha) * ((under >> shift) & 0xff) + alpha * ((over >> shift) & 0xff))
               << shift;
    return out;
}

// Each region's pixel nearest its centroid (a concave region's centroid may lie outside it).
std::vector<Point> label_anchors(const RegionMap& regions, std::vector<long long>& count) {
    const int nreg = (int)regions.regions.size();
    std::vector<double> sx(nreg, 0), sy(nreg, 0), best(nreg, 1e300);
    count.assign(nreg, 0);
    std::vector<Point> anchor(nreg);
    const Image<std::int32_t>& index = regions.index;
    for (int y = 0; y < index.ny; ++y)
        for (int x = 0; x < index.nx; ++x)
            if (const int r = index.at(x, y); r >= 0) sx[r] += x, sy[r] += y, ++count[r];
    for (int y = 0; y < index.ny; ++y)
        for (int x = 0; x < index.nx; ++x)
            if (const int r = index.at(x, y); r >= 0) {
                const double d = std::pow(x - sx[r] / count[r], 2) + std::pow(y - sy[r] / count[r], 2);
                if (d < best[r]) best[r] = d, anchor[r] = {x + 0.5, y + 0.5};
            }
    return anchor;
}

// The region numbers at their anchors, dark with a white halo.
void draw_region_numbers(Figure& fig, const RegionMap& regions, const Rect& map, double pt_per_scan_px) {
    std::vector<long long> count;
    const std::vector<Point> anchor = label_anchors(regions, count);
    TextStyle s{kLabelPt, kBlack, Align::Center, true};
    s.halo = true;
    const double asc = measure_text("0", kLabelPt, true).ascent;
    for (std::size_t r = 0; r < anchor.size(); ++r)
        if (count[r] > 0)
            fig.text(std::to_string(regions.regions[r].label),
                     {map.x + anchor[r].x * pt_per_scan_px, map.y + anchor[r].y * pt_per_scan_px + asc / 2}, s);
}

// PNG pixels per scan pixel: at least 512 on the long side, so that the region numbers and
// outlines of small facets stay legible.
int diagnostic_enlargement(int nx, int ny) {
    return std::max(map_enlargement(nx, ny), (int)std::ceil(512.0 / std::max(1, std::max(nx, ny))));
}

// Where a map sits: its corner on the PNG pixel grid, one scan pixel k PNG pixels wide.
Rect map_rect(int nx, int ny, int k, double dpi, double left_pt, double top_pt) {
    const double s = 72.0 / dpi;
    return {std::round(left_pt / s) * s, std::round(top_pt / s) * s, nx * k * s, ny * k * s};
}

// The title in two lines, what and which scan: "Automatic regions – sample".
std::pair<std::string, std::string> title_lines(const std::string& title) {
    const std::size_t dash = title.find(" – ");
    return {title.substr(0, dash), dash == std::string::npos ? "" : title.substr(dash + 5)};
}

double title_width(const std::string& title) {
    const auto [what, which] = title_lines(title);
    return std::max(measure_text(what, kTitlePt, true).width, measure_text(which, kLabelPt).width);
}

// Centred over the map, moved right where it would leave the figure.
void draw_map_title(Figure& fig, const std::string& title, const Rect& map) {
    const auto [what, which] = title_lines(title);
    const double x = std::max(title_width(title) / 2 + 4, map.x + map.w / 2);
    draw_title(fig, what, x, which.empty() ? 20 : 16);
    fig.text(which, {x, 29}, {kLabelPt, kInk, Align::Center});
}

// The colour wheel of the normals: azimuth (image directions, y down) as hue, tilt as saturation.
std::uint32_t normal_colour(double slope_x, double slope_y, double full_tilt_deg) {
    const double tilt_deg = std::atan(std::hypot(slope_x, slope_y)) * 180.0 / M_PI;
    return wheel_colour(std::atan2(slope_y, slope_x), tilt_deg / full_tilt_deg);
}

void draw_wheel_legend(Figure& fig, const Rect& wheel, double full_tilt_deg) {
    constexpr int n = 151;
    auto raster = std::make_shared<Raster>();
    raster->nx = raster->ny = n;
    for (int v = 0; v < n; ++v)
        for (int u = 0; u < n; ++u) {
            const double dx = (u + 0.5) / n * 2.0 - 1.0, dy = (v + 0.5) / n * 2.0 - 1.0;
            const double r = std::hypot(dx, dy);
            raster->rgb.push_back(r > 1.0 ? 0xffffffu : wheel_colour(std::atan2(dy, dx), r));
        }
    fig.image(raster, wheel);
    const Point c{wheel.x + wheel.w / 2, wheel.y + wheel.h / 2};
    std::vector<Point> rim;
    for (int i = 0; i <= 64; ++i) rim.push_back({c.x + wheel.w / 2 * std::cos(i * M_PI / 32), c.y + wheel.h / 2 * std::sin(i * M_PI / 32)});
    fig.path(rim, true, std::nullopt, Stroke{kInk, 0.6});
    fig.text("Surface normal", {wheel.x, wheel.y - 22}, {kLabelPt, kInk, Align::Left, true});
    fig.text("hue: uphill direction", {wheel.x, wheel.y - 10}, {kTickPt});
    fig.text("0°", {c.x, c.y + 3}, {kTickPt, kInk, Align::Center});
    fig.text("tilt " + format_compact(full_tilt_deg) + "° at the rim", {wheel.x, wheel.bottom() + 12}, {kTickPt});
}

}  // namespace

void save_regions_overlay_figure(const std::string& stem, const Image<float>& height_m, const RegionMap& regions,
                                 const std::string& title, double pixel_size_x_m, const plot::FigureOptions& out) {
    check_sizes(stem, height_m, regions);
    const int nx = height_m.nx, ny = height_m.ny, k = diagnostic_enlargement(nx, ny);
    double lo = 0.0, hi = 1.0;
    if (!display_percentiles(height_m.px, false, 1.0, 99.0, lo, hi) || !(hi > lo)) hi = lo + 1.0;
    // Region tints at golden-angle hues, so that neighbours differ.
    std::vector<std::uint32_t> tint(regions.regions.size());
    for (std::size_t r = 0; r < tint.size(); ++r) tint[r] = wheel_colour(r * 2.39996322972865332, 0.78);
    auto raster = std::make_shared<Raster>();
    raster->nx = nx * k;
    raster->ny = ny * k;
    for (int Y = 0; Y < raster->ny; ++Y)
        for (int X = 0; X < raster->nx; ++X) {
            const float h = height_m.at(X / k, Y / k);
            const auto g = (std::uint32_t)(std::isfinite(h) ? std::lround(40.0 + 190.0 * std::clamp((h - lo) / (hi - lo), 0.0, 1.0)) : 20);
            std::uint32_t c = g << 16 | g << 8 | g;
            if (const int r = regions.index.at(X / k, Y / k); r >= 0) c = mix(c, tint[r], on_outline(regions, X, Y, k) ? 1.0 : 0.35);
            raster->rgb.push_back(c);
        }
    const Rect map = map_rect(nx, ny, k, out.dpi, 14, 40);
    Figure fig(std::max(map.right() + 14, title_width(title) + 28), map.bottom() + 14);
    fig.image(raster, map);
    fig.rect(map, std::nullopt, Stroke{kInk, 0.6});
    draw_map_title(fig, title, map);
    draw_region_numbers(fig, regions, map, map.w / nx);
    draw_scale_bar(fig, map, pixel_size_x_m / (map.w / nx), 72.0 / out.dpi);
    fig.save(stem, out);
}

NormalsFigureLayout save_normals_figure(const std::string& stem, const Image<float>& height_m,
                                        const Segmentation& seg, const RegionMap& regions, double dx_m, double dy_m,
                                        const std::string& title, const plot::FigureOptions& out) {
    check_sizes(stem, height_m, regions);
    const int nx = height_m.nx, ny = height_m.ny, k = diagnostic_enlargement(nx, ny);
    // The normals the facets were grown from: the local planes of the noise-adapted window.
    const LocalPlanes planes = fit_local_planes(height_m, dx_m, dy_m, std::max(1, seg.normal_window_px / 2));
    NormalsFigureLayout L;
    auto raster = std::make_shared<Raster>();
    raster->nx = nx * k;
    raster->ny = ny * k;
    for (int Y = 0; Y < raster->ny; ++Y)
        for (int X = 0; X < raster->nx; ++X) {
            const double gx = planes.gx.at(X / k, Y / k), gy = planes.gy.at(X / k, Y / k);
            std::uint32_t c = std::isfinite(gx) && std::isfinite(gy) ? normal_colour(gx, gy, L.full_tilt_deg) : 0x404040u;
            if (regions.index.at(X / k, Y / k) >= 0 && on_outline(regions, X, Y, k)) c = 0x1f1f1fu;
            raster->rgb.push_back(c);
        }
    L.map = map_rect(nx, ny, k, out.dpi, 14, 40);
    L.pt_per_scan_px = L.map.w / nx;
    L.wheel = {L.map.right() + 20, L.map.y + 30, 80, 80};
    const double width = std::max({L.wheel.x + 120, L.map.right() + 14, title_width(title) + 28});
    Figure fig(width, std::max(L.map.bottom(), L.wheel.bottom() + 20) + 14);
    fig.image(raster, L.map);
    fig.rect(L.map, std::nullopt, Stroke{kInk, 0.6});
    draw_map_title(fig, title, L.map);
    draw_scale_bar(fig, L.map, dx_m / L.pt_per_scan_px, 72.0 / out.dpi);
    draw_wheel_legend(fig, L.wheel, L.full_tilt_deg);
    fig.save(stem, out);
    return L;
}


void write_labels_tiff(const std::string& path, const Segmentation& seg, double pixel_size_x_m,
                       double pixel_size_y_m) {
    TiffCalibration cal;
    cal.pixel_size_x_m = pixel_size_x_m;
    cal.pixel_size_y_m = pixel_size_y_m;
    cal.description = "amfm automatic regions: 0 none, 1.." + std::to_string(seg.binder_label - 1) +
                      " facets, " + std::to_string(seg.binder_label) + " binder/carbon";
    write_tiff(path, seg.labels, cal);
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
