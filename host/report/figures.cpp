// Map figures: colour maps with colour bar and scale bar, and the mask overlay, one scan pixel
// per PNG pixel. The histogram and error-bar plots are in plot_figures.cpp, the drawing kit in
// plot_kit.hpp and plot_axes.hpp.
#include "host/report/figures.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "amfm/kernels/error.hpp"
#include "amfm/kernels/mask.hpp"
#include "host/method/quantiles.hpp"
#include "host/report/plot_axes.hpp"
#include "host/report/plot_format.hpp"

namespace amfm {
namespace {

using namespace plot;

constexpr std::uint32_t kNaNGrey = 0x404040;  // NaN pixels in maps

// The usable values of a map: finite, and positive too when they go to a log scale.
bool usable(float v, bool log_scale) { return std::isfinite(v) && (!log_scale || v > 0.0f); }

// Colour range in scale units (log10 when log_scale): the given one, else 1-99 percentiles;
// widened when it collapses so that an all-equal map still gets a colour bar.
void colour_range(const Image<float>& values, const MapFigure& fig, double& lo, double& hi) {
    lo = fig.lo;
    hi = fig.hi;
    if (lo > hi) std::swap(lo, hi);
    const bool given = lo != hi && std::isfinite(lo) && std::isfinite(hi) && (!fig.log10_scale || lo > 0.0);
    if (!given && !display_percentiles(values.px, fig.log10_scale, 1.0, 99.0, lo, hi)) {
        lo = fig.log10_scale ? 1.0 : 0.0;
        hi = fig.log10_scale ? 10.0 : 1.0;
    }
    if (fig.log10_scale) {
        lo = std::log10(lo);
        hi = std::log10(hi);
        if (!(hi > lo)) {
            lo -= 0.5;
            hi += 0.5;
        }
    } else if (!(hi > lo)) {
        const double pad = lo != 0.0 ? 0.1 * std::fabs(lo) : 1.0;
        lo -= pad;
        hi += pad;
    }
}

void check_image(const Image<float>& img, const std::string& stem, const char* what) {
    if (img.nx <= 0 || img.ny <= 0 || img.px.size() != (std::size_t)img.nx * img.ny)
        throw DataError("cannot draw figure " + stem + ": " + what + " is empty or inconsistent (" +
                        std::to_string(img.nx) + " x " + std::to_string(img.ny) + ")");
}

// The colours of a scan-sized map enlarged k times on each side.
std::shared_ptr<Raster> enlarged(const std::vector<std::uint32_t>& rgb, int nx, int ny, int k) {
    auto r = std::make_shared<Raster>();
    r->nx = nx * k;
    r->ny = ny * k;
    r->rgb.resize((std::size_t)r->nx * r->ny);
    for (int Y = 0; Y < r->ny; ++Y)
        for (int X = 0; X < r->nx; ++X) r->rgb[(std::size_t)Y * r->nx + X] = rgb[(std::size_t)(Y / k) * nx + X / k];
    return r;
}

// Where a map sits in its figure: margins on the PNG pixel grid, so one scan pixel covers
// whole PNG pixels.
struct MapLayout {
    double pt_per_px;  // one PNG pixel
    Rect map;
};

MapLayout map_layout(int nx, int ny, double dpi, double left_pt, double top_pt) {
    const double s = 72.0 / dpi;
    const int k = map_enlargement(nx, ny);
    return {s, {std::round(left_pt / s) * s, std::round(top_pt / s) * s, nx * k * s, ny * k * s}};
}

// ---- mask overlay ----------------------------------------------------------------------------

struct MaskReason {
    std::uint8_t bit;
    const char* label;
    std::uint32_t colour;
    double alpha;
};

const MaskReason kMaskReasons[] = {
    {kMaskTiltOverCutoff, "tilt over cutoff", 0xd55e00, 0.6},
    {kMaskPhaseNotRepulsive, "phase not repulsive", 0xe69f00, 0.6},
    {kMaskDf2NotPositive, "df₂ not positive", 0xcc79a7, 0.6},
    {kMaskNonFinite, "non-finite input", 0x0072b2, 0.6},
    {kMaskUnlabelled, "unlabelled (hatched)", 0xf0e442, 0.0},  // a hatch, not a blend
    {kMaskEdge, "region edge (out of region stats)", 0x009e73, 0.5},
};
static_assert(sizeof kMaskReasons / sizeof kMaskReasons[0] == kMaskBitCount, "one entry per mask bit");
constexpr int kHatchedReason = 4;

std::uint32_t blend(std::uint32_t under, std::uint32_t over, double alpha) {
    std::uint32_t out = 0;
    for (int shift : {16, 8, 0}) {
        const double a = (under >> shift) & 0xff, b = (over >> shift) & 0xff;
        out |= (std::uint32_t)std::lround((1.0 - alpha) * a + alpha * b) << shift;
    }
    return out;
}

// The topography in grey (1-99 % stretch, non-finite darker) with each reason's colour
// blended in, enlarged k times, unlabelled pixels hatched; counts the pixels per mask value.
std::shared_ptr<Raster> mask_raster(const Image<float>& height_m, const Image<std::uint8_t>& mask, int k,
                                    long long pixels_with_mask[256]) {
    double lo = 0.0, hi = 1.0;
    if (!display_percentiles(height_m.px, false, 1.0, 99.0, lo, hi)) lo = 0.0, hi = 1.0;
    if (!(hi > lo)) hi = lo + 1.0;
    std::vector<std::uint32_t> rgb(height_m.px.size());
    for (std::size_t i = 0; i < rgb.size(); ++i) {
        const float h = height_m.px[i];
        const std::uint32_t g =
            std::isfinite(h) ? (std::uint32_t)std::lround(40.0 + 190.0 * std::clamp((h - lo) / (hi - lo), 0.0, 1.0)) : 20u;
        std::uint32_t c = g << 16 | g << 8 | g;
        ++pixels_with_mask[mask.px[i]];
        for (const MaskReason& r : kMaskReasons)
            if ((mask.px[i] & r.bit) && r.alpha > 0.0) c = blend(c, r.colour, r.alpha);
        rgb[i] = c;
    }
    std::shared_ptr<Raster> out = enlarged(rgb, height_m.nx, height_m.ny, k);
    const std::uint32_t hatch = kMaskReasons[kHatchedReason].colour;
    for (int Y = 0; Y < out->ny; ++Y)
        for (int X = 0; X < out->nx; ++X)
            if ((X + Y) % 8 < 2 && (mask.at(X / k, Y / k) & kMaskUnlabelled)) {
                std::uint32_t& p = out->rgb[(std::size_t)Y * out->nx + X];
                p = blend(p, hatch, 0.75);
            }
    return out;
}

// Legend lines: per reason "label: count px (share %)", then the valid modulus pixels.
std::vector<std::string> mask_legend_texts(const long long pixels_with_mask[256], long long total_px) {
    long long counts[kMaskBitCount] = {};
    long long n_valid = 0;
    for (int v = 0; v < 256; ++v) {
        for (int b = 0; b < kMaskBitCount; ++b)
            if (v & kMaskReasons[b].bit) counts[b] += pixels_with_mask[v];
        if (!(v & kMaskInvalid)) n_valid += pixels_with_mask[v];
    }
    auto share = [&](long long n) {
        const double pct = 100.0 * n / (double)total_px;
        return std::to_string(n) + " px (" + (n > 0 && pct < 0.05 ? std::string("<0.1") : format_fixed(pct, 1)) + " %)";
    };
    std::vector<std::string> texts;
    for (int b = 0; b < kMaskBitCount; ++b) texts.push_back(std::string(kMaskReasons[b].label) + ": " + share(counts[b]));
    texts.push_back("valid modulus: " + share(n_valid));
    return texts;
}

void draw_mask_legend(Figure& fig, double x, double top, const std::vector<std::string>& texts) {
    constexpr double swatch = 9, row = 15;
    fig.text("Mask reason", {x, top + 10}, {kLabelPt, kInk, Align::Left, true});
    double y = top + 22;
    for (int b = 0; b < kMaskBitCount; ++b) {
        const Rect sw{x, y, swatch, swatch};
        if (b == kHatchedReason) {
            fig.rect(sw, rgb_hex(0x969696), std::nullopt);
            for (double d = 0; d < 2 * swatch; d += 4)
                fig.line({x + std::max(0.0, d - swatch), y + std::min(d, swatch)},
                         {x + std::min(d, swatch), y + std::max(0.0, d - swatch)},
                         Stroke{rgb_hex(kMaskReasons[b].colour), 1.0});
        } else {
            fig.rect(sw, rgb_hex(kMaskReasons[b].colour), std::nullopt);
        }
        fig.rect(sw, std::nullopt, Stroke{kInk, 0.5});
        fig.text(texts[b], {x + swatch + 5, y + swatch - 1}, {kTickPt});
        y += row;
    }
    fig.text(texts[kMaskBitCount], {x, y + swatch - 1}, {kTickPt});
}

}  // namespace

// ================================================================================================

// By radix selection (no copy of the map); by partitions of a copy where that declines.
bool display_percentiles(const PixelVector<float>& px, bool log_scale, double p_lo, double p_hi, double& lo,
                         double& hi) {
    const auto keep = [log_scale](float v) { return usable(v, log_scale); };
    auto nearest_ranks = [&](std::size_t n) {
        auto rank = [n](double p) { return std::min(n - 1, (std::size_t)std::lround(p / 100.0 * (n - 1))); };
        return std::vector<std::size_t>{rank(p_lo), rank(p_hi)};
    };
    RadixSelection sel;
    std::size_t n = 0;
    if (radix_select(px, keep, nearest_ranks, sel, n)) {
        const std::vector<std::size_t> ranks = nearest_ranks(n);
        lo = sel.order_statistic(ranks[0]);
        hi = sel.order_statistic(ranks[1]);
        return true;
    }
    std::vector<float> values;
    for (float v : px)
        if (keep(v)) values.push_back(v);
    if (values.empty()) return false;
    const std::vector<double> at = order_statistics_inplace(values, nearest_ranks(values.size()));
    lo = at[0];
    hi = at[1];
    return true;
}

FigureOptions figure_options(const OutputsConfig& outputs) {
    FigureOptions o;
    o.formats.clear();
    for (const std::string& name : outputs.figures) {
        const auto* end = std::end(kFigureFormatNames);
        const auto* it = std::find(std::begin(kFigureFormatNames), end, name);
        if (it == end) throw ConfigError("outputs.figures: unknown figure format '" + name + "'");
        o.formats.push_back((FigureFormat)(it - std::begin(kFigureFormatNames)));
    }
    o.dpi = outputs.dpi;
    return o;
}

Colormap map_colormap(const OutputsConfig& outputs) {
    const auto* end = std::end(kColormapNames);
    const auto* it = std::find(std::begin(kColormapNames), end, outputs.colormap);
    if (it == end) throw ConfigError("outputs.colormap: unknown colour map '" + outputs.colormap + "'");
    return (Colormap)(it - std::begin(kColormapNames));
}

int map_enlargement(int nx, int ny) { return std::max(1, 256 / std::max(1, std::max(nx, ny))); }

void save_map_figure(const std::string& stem, const Image<float>& values, const MapFigure& fig,
                     const FigureOptions& out) {
    check_image(values, stem, "map");
    double lo = 0.0, hi = 1.0;  // scale units
    colour_range(values, fig, lo, hi);

    const auto& table = colormap_table(fig.colormap);
    std::vector<std::uint32_t> rgb(values.px.size());
    for (std::size_t i = 0; i < rgb.size(); ++i) {
        const float v = values.px[i];
        if (!std::isfinite(v)) {
            rgb[i] = kNaNGrey;
            continue;
        }
        const double s = fig.log10_scale ? (v > 0.0f ? std::log10((double)v) : lo) : v;
        rgb[i] = table[(int)std::lround(std::clamp((s - lo) / (hi - lo), 0.0, 1.0) * 255.0)];
    }
    const int k = map_enlargement(values.nx, values.ny);
    const MapLayout L = map_layout(values.nx, values.ny, out.dpi, 14.0, fig.title.empty() ? 26.0 : 50.0);

    const std::vector<Tick> ticks = fig.log10_scale ? log_ticks(lo, hi, 7) : linear_ticks(lo, hi, 6);
    const double bar_w = 11, bar_gap = 12, margin = 14;
    const double bar_h = std::max(L.map.h, 120.0);
    const double label_w = std::max(colour_bar_label_width(ticks), measure_text(fig.value_label, kLabelPt).width / 2);
    // The title in two lines, what and which scan: "Corrected modulus" / "sample".
    const std::size_t dash = fig.title.find(" – ");
    const std::string title = fig.title.substr(0, dash);
    const std::string subtitle = dash == std::string::npos ? "" : fig.title.substr(dash + 5);
    const double title_w = std::max(measure_text(title, kTitlePt, true).width, measure_text(subtitle, kLabelPt).width);
    const double width = std::max(L.map.right() + bar_gap + bar_w + label_w + margin, title_w + 2 * margin);
    Figure f(width, L.map.y + std::max(L.map.h, bar_h) + margin);

    f.image(enlarged(rgb, values.nx, values.ny, k), L.map);
    f.rect(L.map, std::nullopt, Stroke{kInk, 0.6});
    const double title_x = std::max(title_w / 2 + 4, L.map.x + L.map.w / 2);
    draw_title(f, title, title_x, subtitle.empty() ? 16 : 14);
    f.text(subtitle, {title_x, 26}, {kLabelPt, kInk, Align::Center});
    draw_scale_bar(f, L.map, fig.pixel_size_x_m / (k * L.pt_per_px), L.pt_per_px);
    draw_colour_bar(f, {L.map.right() + bar_gap, L.map.y, bar_w, bar_h}, fig.colormap, lo, hi, ticks, fig.value_label);
    f.save(stem, out);
}

void save_mask_overlay_figure(const std::string& stem, const Image<float>& height_m, const Image<std::uint8_t>& mask,
                              double pixel_size_x_m, const FigureOptions& out) {
    check_image(height_m, stem, "height map");
    if (mask.nx != height_m.nx || mask.ny != height_m.ny || mask.px.size() != height_m.px.size())
        throw DataError("cannot draw figure " + stem + ": mask is " + std::to_string(mask.nx) + " x " +
                        std::to_string(mask.ny) + ", height map " + std::to_string(height_m.nx) + " x " +
                        std::to_string(height_m.ny));
    const int nx = height_m.nx, ny = height_m.ny, k = map_enlargement(nx, ny);
    long long pixels_with_mask[256] = {};
    std::shared_ptr<Raster> raster = mask_raster(height_m, mask, k, pixels_with_mask);
    const std::vector<std::string> texts = mask_legend_texts(pixels_with_mask, (long long)nx * ny);
    double legend_w = 0;
    for (const std::string& t : texts) legend_w = std::max(legend_w, measure_text(t, kTickPt).width);
    const MapLayout L = map_layout(nx, ny, out.dpi, 14.0, 34.0);
    const double legend_x = L.map.right() + 14, margin = 14;
    Figure f(legend_x + 14 + legend_w + margin, L.map.y + std::max(L.map.h, 22.0 + 15.0 * (kMaskBitCount + 1)) + margin);
    f.image(raster, L.map);
    f.rect(L.map, std::nullopt, Stroke{kInk, 0.6});
    const char* title = "Masked pixels by reason";
    draw_title(f, title, std::max(measure_text(title, kTitlePt, true).width / 2 + 4, L.map.x + L.map.w / 2), 18);
    draw_scale_bar(f, L.map, pixel_size_x_m / (k * L.pt_per_px), L.pt_per_px);
    draw_mask_legend(f, legend_x, L.map.y, texts);
    f.save(stem, out);
}

}  // namespace amfm
