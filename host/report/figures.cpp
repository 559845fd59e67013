// PNG map figures drawn with OpenCV: colour maps with colour bar and scale bar, and the mask
// overlay. The histogram and error-bar plots are in plot_figures.cpp, the drawing kit in
// plot_kit.cpp.
#include "host/report/figures.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "amfm/kernels/error.hpp"
#include "amfm/kernels/mask.hpp"
#include "host/method/float_order.hpp"
#include "host/method/quantiles.hpp"
#include "host/report/plot_kit.hpp"

namespace amfm {
namespace {

using namespace plot;

const cv::Scalar kNaNGrey(64, 64, 64);  // NaN pixels in maps

// ---- maps ------------------------------------------------------------------------------

// The usable values of a map: finite, and positive too when they go to a log scale.
bool usable(float v, bool log_scale) { return std::isfinite(v) && (!log_scale || v > 0.0f); }

// The p_lo-th and p_hi-th percentiles (0..100) of a map's usable values, by radix selection
// (no copy of the map); by partitions of a copy where that declines. False when none is usable.
// A display range, not a statistic: the value of rank round(p / 100 (n - 1)), which the figures
// have always used (the statistics' interpolated quantiles would change their pixels).
bool percentile_pair(const std::vector<float>& px, bool log_scale, double p_lo, double p_hi, double& lo,
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

// Colour range in scale units (log10 when log_scale): the given one, else 1-99 percentiles;
// widened when it collapses so that an all-equal map still gets a colour bar.
void colour_range(const Image<float>& values, const MapFigure& fig, double& lo, double& hi) {
    lo = fig.lo;
    hi = fig.hi;
    if (lo > hi) std::swap(lo, hi);
    const bool given = lo != hi && std::isfinite(lo) && std::isfinite(hi) && (!fig.log10_scale || lo > 0.0);
    if (!given) {
        if (!percentile_pair(values.px, fig.log10_scale, 1.0, 99.0, lo, hi)) {
            lo = fig.log10_scale ? 1.0 : 0.0;
            hi = fig.log10_scale ? 10.0 : 1.0;
        }
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

cv::Mat apply_colormap(const cv::Mat& index8, int colormap) {
    cv::Mat bgr;
    if (colormap == 2) {
        cv::cvtColor(index8, bgr, cv::COLOR_GRAY2BGR);
    } else {
        cv::applyColorMap(index8, bgr, colormap == 1 ? cv::COLORMAP_INFERNO : cv::COLORMAP_VIRIDIS);
    }
    return bgr;
}

// The colours of a colormap's 256 indices, as apply_colormap paints them.
std::vector<cv::Vec3b> colormap_palette(int colormap) {
    cv::Mat ramp(1, 256, CV_8UC1);
    for (int i = 0; i < 256; ++i) ramp.at<std::uint8_t>(0, i) = (std::uint8_t)i;
    const cv::Mat bgr = apply_colormap(ramp, colormap);
    return std::vector<cv::Vec3b>(bgr.ptr<cv::Vec3b>(0), bgr.ptr<cv::Vec3b>(0) + 256);
}

// A byte (0..255) that never decreases with a finite float, computed by `formula` but not per
// pixel: the byte is decided by the values at which it steps up, found once by bisection over
// the floats' order keys, and looked up from a table over the keys' top 16 bits and a step or
// two. Should the formula be found not to step cleanly (e.g. log10 not monotone right there),
// every value goes through the formula instead, so the bytes are the formula's either way.
class ByteSteps {
public:
    explicit ByteSteps(std::function<int(float)> formula) : formula_(std::move(formula)) {
        constexpr std::uint32_t kFirst = 0x00800000u;  // order key of -FLT_MAX
        constexpr std::uint32_t kLast = 0xff7fffffu;   // order key of +FLT_MAX
        step_[0] = 0;
        step_[256] = kNever;
        const int first = formula_(float_from_order_key(kFirst)), last = formula_(float_from_order_key(kLast));
        for (int k = 1; k <= first; ++k) step_[k] = 0;
        std::uint32_t from = kFirst;
        for (int k = first + 1; k <= 255; ++k) {
            if (last < k) {
                step_[k] = kNever;
                continue;
            }
            std::uint32_t a = from, b = kLast;  // the first key in [a, b] with a byte >= k
            while (a < b) {
                const std::uint32_t mid = a + (b - a) / 2;
                if (formula_(float_from_order_key(mid)) >= k) b = mid;
                else a = mid + 1;
            }
            step_[k] = from = a;
            for (std::uint32_t d = 1; d <= 8 && exact_; ++d) {  // a clean step: below < k <= above
                if (a - d >= kFirst && formula_(float_from_order_key(a - d)) >= k) exact_ = false;
                if (a + d <= kLast && formula_(float_from_order_key(a + d)) < k) exact_ = false;
            }
        }
        int byte = 0;
        for (std::uint32_t top = 0; top < kTable; ++top) {
            while (byte < 255 && step_[byte + 1] <= (top << 16)) ++byte;
            start_[top] = (std::uint8_t)byte;
        }
    }

    int operator()(float v) const {
        if (!exact_) return formula_(v);
        const std::uint32_t key = float_order_key(v);
        int byte = start_[key >> 16];
        byte += key >= step_[byte + 1];       // step_[256] is above every key
        while (key >= step_[byte + 1]) ++byte;  // rare: several steps under one table entry
        return byte;
    }

private:
    static constexpr std::uint32_t kTable = 1u << 16;
    static constexpr std::uint32_t kNever = 0xffffffffu;  // above every finite value's key

    std::function<int(float)> formula_;
    bool exact_ = true;
    std::uint32_t step_[257];  // step_[k]: the first key with a byte >= k
    std::vector<std::uint8_t> start_ = std::vector<std::uint8_t>(kTable);
};

// The colour index (0..255) of a finite map value on a colour range [lo, hi] in scale units:
// round(255 t), t = (s - lo) / (hi - lo) clamped to [0, 1], s the value or, on a log scale, its
// log10 (non-positive values at index 0).
ByteSteps colour_index(double lo, double hi, bool log_scale) {
    return ByteSteps([lo, hi, log_scale](float value) {
        double v = value;
        if (log_scale) v = v > 0.0 ? std::log10(v) : lo;
        const double t = std::clamp((v - lo) / (hi - lo), 0.0, 1.0);
        return (int)std::lround(t * 255.0);
    });
}

// Integer nearest-neighbour enlargement for small maps (pixels stay sharp), area averaging
// for large ones; the long side ends up near 600 px.
cv::Size display_size(int nx, int ny) {
    const int long_side = std::max(nx, ny);
    if (long_side <= 800) {
        const int k = std::max(1, (int)std::lround(600.0 / long_side));
        return cv::Size(nx * k, ny * k);
    }
    const double s = 600.0 / long_side;
    return cv::Size(std::max(1, (int)std::lround(nx * s)), std::max(1, (int)std::lround(ny * s)));
}

cv::Mat to_display(const cv::Mat& src, const cv::Size& size) {
    cv::Mat out;
    const bool enlarge = size.width >= src.cols;
    cv::resize(src, out, size, 0, 0, enlarge ? cv::INTER_NEAREST : cv::INTER_AREA);
    return out;
}

void check_image(const Image<float>& img, const std::string& path, const char* what) {
    if (img.nx <= 0 || img.ny <= 0 || img.px.size() != (std::size_t)img.nx * img.ny)
        throw DataError("cannot draw figure " + path + ": " + what + " is empty or inconsistent (" +
                        std::to_string(img.nx) + " x " + std::to_string(img.ny) + ")");
}

// ---- mask overlay ----------------------------------------------------------------------------

struct MaskReason {
    std::uint8_t bit;
    const char* label;
    cv::Scalar colour;  // BGR
    double alpha;
};

const MaskReason kMaskReasons[] = {
    {kMaskTiltOverCutoff, "tilt over cutoff", {40, 40, 220}, 0.6},
    {kMaskPhaseNotRepulsive, "phase not repulsive", {0, 150, 255}, 0.6},
    {kMaskDf2NotPositive, "df2 not positive", {200, 40, 200}, 0.6},
    {kMaskNonFinite, "non-finite input", {220, 90, 30}, 0.6},
    {kMaskUnlabelled, "unlabelled (hatched)", {230, 230, 60}, 0.0},  // hatch, drawn on the display image
    {kMaskEdge, "region edge (out of region stats)", {60, 200, 60}, 0.5},
};
static_assert(sizeof kMaskReasons / sizeof kMaskReasons[0] == kMaskBitCount, "one entry per mask bit");
constexpr int kHatchedReason = 4;

void check_mask(const Image<float>& height_m, const Image<std::uint8_t>& mask, const std::string& path) {
    check_image(height_m, path, "height map");
    if (mask.nx != height_m.nx || mask.ny != height_m.ny || mask.px.size() != height_m.px.size())
        throw DataError("cannot draw figure " + path + ": mask is " + std::to_string(mask.nx) + " x " +
                        std::to_string(mask.ny) + ", height map " + std::to_string(height_m.nx) + " x " +
                        std::to_string(height_m.ny));
}

// The topography in grey (1-99 % stretch, non-finite darker) with each reason's colour blended
// in, at scan resolution; counts the pixels per mask value on the way (value 0 left at 0).
cv::Mat blended_topography(const Image<float>& height_m, const Image<std::uint8_t>& mask,
                           long long pixels_with_mask[256]) {
    double lo = 0.0, hi = 1.0;
    if (!percentile_pair(height_m.px, false, 1.0, 99.0, lo, hi)) {
        lo = 0.0;
        hi = 1.0;
    }
    if (!(hi > lo)) hi = lo + 1.0;
    // Pixels with no reason to blend (the most) take their grey from a step table rather than
    // the formula.
    auto grey = [lo, hi](double h) {
        return std::isfinite(h) ? 40.0 + 190.0 * std::clamp((h - lo) / (hi - lo), 0.0, 1.0) : 20.0;
    };
    const ByteSteps grey_byte([&grey](float h) { return (int)cv::saturate_cast<std::uint8_t>(grey(h)); });
    const std::uint8_t nonfinite_grey = cv::saturate_cast<std::uint8_t>(grey(std::numeric_limits<double>::quiet_NaN()));
    std::uint8_t blended_bits = 0;  // reasons that change a pixel's colour (the hatch is drawn later)
    for (const MaskReason& r : kMaskReasons)
        if (r.alpha != 0.0) blended_bits |= r.bit;
    cv::Mat base(height_m.ny, height_m.nx, CV_8UC3);
    for (int y = 0; y < height_m.ny; ++y) {
        const float* h = &height_m.at(0, y);
        const std::uint8_t* m = &mask.at(0, y);
        cv::Vec3b* out = base.ptr<cv::Vec3b>(y);
        for (int x = 0; x < height_m.nx; ++x) {
            if (m[x]) ++pixels_with_mask[m[x]];  // unmasked ones: the rest
            if (!(m[x] & blended_bits)) {
                const std::uint8_t g = std::isfinite(h[x]) ? (std::uint8_t)grey_byte(h[x]) : nonfinite_grey;
                out[x] = cv::Vec3b(g, g, g);
                continue;
            }
            const double g = grey(h[x]);
            cv::Vec3d c(g, g, g);
            for (const MaskReason& r : kMaskReasons) {
                if (!(m[x] & r.bit)) continue;
                for (int k = 0; k < 3; ++k) c[k] = (1.0 - r.alpha) * c[k] + r.alpha * r.colour[k];
            }
            out[x] = cv::Vec3b(cv::saturate_cast<std::uint8_t>(c[0]), cv::saturate_cast<std::uint8_t>(c[1]),
                               cv::saturate_cast<std::uint8_t>(c[2]));
        }
    }
    return base;
}

// Diagonal hatch over unlabelled pixels, in display space so its spacing is constant.
void hatch_unlabelled(cv::Mat& shown, const Image<std::uint8_t>& mask) {
    const int nx = mask.nx, ny = mask.ny;
    std::uint8_t hatched[3][256];
    for (int k = 0; k < 3; ++k)
        for (int v = 0; v < 256; ++v)
            hatched[k][v] = (std::uint8_t)std::lround(0.25 * v + 0.75 * kMaskReasons[kHatchedReason].colour[k]);
    std::vector<int> source_x(shown.cols);
    for (int X = 0; X < shown.cols; ++X) source_x[X] = std::min(nx - 1, (int)((long long)X * nx / shown.cols));
    for (int Y = 0; Y < shown.rows; ++Y) {
        const int y = std::min(ny - 1, (int)((long long)Y * ny / shown.rows));
        const std::uint8_t* m = &mask.at(0, y);
        cv::Vec3b* row = shown.ptr<cv::Vec3b>(Y);
        for (int X0 = -(Y % 8); X0 < shown.cols; X0 += 8) {  // (X + Y) % 8 is 0 or 1
            for (int X = std::max(X0, 0); X < X0 + 2 && X < shown.cols; ++X) {
                if (!(m[source_x[X]] & kMaskUnlabelled)) continue;
                cv::Vec3b& p = row[X];
                for (int k = 0; k < 3; ++k) p[k] = hatched[k][p[k]];
            }
        }
    }
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
    const double total = (double)total_px;
    auto share = [&](long long n) {
        const double pct = 100.0 * n / total;
        return std::to_string(n) + " px (" + (n > 0 && pct < 0.05 ? std::string("<0.1") : format_fixed(pct, 1)) + " %)";
    };
    std::vector<std::string> texts;
    for (int b = 0; b < kMaskBitCount; ++b)
        texts.push_back(std::string(kMaskReasons[b].label) + ": " + share(counts[b]));
    texts.push_back("valid modulus: " + share(n_valid));
    return texts;
}

// The legend column: a title, a swatch and text per reason (the hatched one as on the map),
// then the valid modulus line.
void draw_mask_legend(cv::Mat& img, int legend_x, int top, int swatch, int row_h,
                      const std::vector<std::string>& texts) {
    put_text(img, "Mask reason", legend_x, top + 16, kLabelScale, kInk);
    int y = top + 40;
    for (int b = 0; b < kMaskBitCount; ++b) {
        const cv::Rect sw(legend_x, y, swatch, swatch);
        if (b == kHatchedReason) {
            cv::rectangle(img, sw, cv::Scalar(150, 150, 150), cv::FILLED);
            for (int r = 0; r < swatch; ++r)
                for (int c = 0; c < swatch; ++c) {
                    if ((c + r) % 8 >= 2) continue;
                    cv::Vec3b& p = img.at<cv::Vec3b>(sw.y + r, sw.x + c);
                    for (int k = 0; k < 3; ++k)
                        p[k] = (std::uint8_t)std::lround(0.25 * p[k] + 0.75 * kMaskReasons[b].colour[k]);
                }
        } else {
            cv::rectangle(img, sw, kMaskReasons[b].colour, cv::FILLED);
        }
        cv::rectangle(img, sw, kInk, 1);
        put_text(img, texts[b], legend_x + swatch + 10, y + swatch - 3, kTickScale, kInk);
        y += row_h;
    }
    put_text(img, texts[kMaskBitCount], legend_x, y + swatch - 3, kTickScale, kInk);
}

}  // namespace

// ================================================================================================

void save_map_png(const std::string& path, const Image<float>& values, const MapFigure& fig) {
    check_image(values, path, "map");
    double lo = 0.0, hi = 1.0;  // scale units
    colour_range(values, fig, lo, hi);

    // Colour per pixel; NaN dark grey, non-positive values on a log scale at the low end.
    const ByteSteps index = colour_index(lo, hi, fig.log10_scale);
    const std::vector<cv::Vec3b> palette = colormap_palette(fig.colormap);
    const cv::Vec3b nan_colour((std::uint8_t)kNaNGrey[0], (std::uint8_t)kNaNGrey[1], (std::uint8_t)kNaNGrey[2]);
    cv::Mat colour(values.ny, values.nx, CV_8UC3);
    for (int y = 0; y < values.ny; ++y) {
        const float* src = &values.at(0, y);
        cv::Vec3b* dst = colour.ptr<cv::Vec3b>(y);
        for (int x = 0; x < values.nx; ++x) dst[x] = std::isfinite(src[x]) ? palette[index(src[x])] : nan_colour;
    }

    const cv::Size disp = display_size(values.nx, values.ny);
    const cv::Mat shown = to_display(colour, disp);

    // Colour-bar ticks first: their labels set the right margin.
    const int bar_h = std::max(disp.height, 240);
    std::vector<Tick> ticks = fig.log10_scale ? log_ticks(lo, hi, 7) : linear_ticks(lo, hi, 6);
    int label_w = 0;
    for (const Tick& t : ticks) label_w = std::max(label_w, text_size(t.label, kTickScale).width);
    const int value_label_w = text_size(fig.value_label, kLabelScale).width;

    const int margin = 24, top = fig.title.empty() ? 50 : 80, bar_w = 22, bar_gap = 22;
    const int right_w = std::max(bar_w + 10 + label_w, value_label_w / 2 + bar_w / 2) + margin;
    const int title_w = text_size(fig.title, kTitleScale, 2).width;
    const int width = std::max(margin + disp.width + bar_gap + right_w, title_w + 2 * margin);
    const int height = top + std::max(disp.height, bar_h) + margin;
    cv::Mat img = blank_canvas(width, height);

    const cv::Rect map_rect(margin, top, disp.width, disp.height);
    shown.copyTo(img(map_rect));
    cv::rectangle(img, cv::Rect(map_rect.x - 1, map_rect.y - 1, map_rect.width + 2, map_rect.height + 2), kInk, 1);
    if (!fig.title.empty())
        put_text(img, fig.title, std::max(title_w / 2 + 4, map_rect.x + map_rect.width / 2), 34, kTitleScale, kInk,
                 Align::Center, 2);
    draw_scale_bar(img, map_rect, fig.pixel_size_x_m * values.nx / disp.width);

    // Colour bar: high values at the top.
    cv::Mat ramp(bar_h, 1, CV_8UC1);
    for (int r = 0; r < bar_h; ++r)
        ramp.at<std::uint8_t>(r, 0) = (std::uint8_t)std::lround(255.0 * (bar_h - 1 - r) / std::max(1, bar_h - 1));
    cv::Mat ramp_bgr;
    cv::resize(apply_colormap(ramp, fig.colormap), ramp_bgr, cv::Size(bar_w, bar_h), 0, 0, cv::INTER_NEAREST);
    const cv::Rect bar_rect(map_rect.x + map_rect.width + bar_gap, top, bar_w, bar_h);
    ramp_bgr.copyTo(img(bar_rect));
    cv::rectangle(img, cv::Rect(bar_rect.x - 1, bar_rect.y - 1, bar_w + 2, bar_h + 2), kInk, 1);
    for (const Tick& t : ticks) {
        const int y = (int)std::lround(bar_rect.y + bar_h - 1 - (t.pos - lo) / (hi - lo) * (bar_h - 1));
        if (y < bar_rect.y - 1 || y > bar_rect.y + bar_h) continue;
        cv::line(img, {bar_rect.x + bar_w, y}, {bar_rect.x + bar_w + 5, y}, kInk, 1, cv::LINE_AA);
        put_text(img, t.label, bar_rect.x + bar_w + 9, y + 6, kTickScale, kInk);
    }
    if (!fig.value_label.empty())
        put_text(img, fig.value_label, std::max(bar_rect.x + bar_w / 2, value_label_w / 2),
                 top - 12, kLabelScale, kInk, Align::Center);
    write_png(path, img, Content::Map);
}


void save_mask_overlay_png(const std::string& path, const Image<float>& height_m,
                           const Image<std::uint8_t>& mask, double pixel_size_x_m) {
    check_mask(height_m, mask, path);
    const int nx = height_m.nx, ny = height_m.ny;
    long long pixels_with_mask[256] = {};
    const cv::Mat base = blended_topography(height_m, mask, pixels_with_mask);
    pixels_with_mask[0] = (long long)nx * ny;
    for (int v = 1; v < 256; ++v) pixels_with_mask[0] -= pixels_with_mask[v];
    const cv::Size disp = display_size(nx, ny);
    cv::Mat shown = to_display(base, disp);
    hatch_unlabelled(shown, mask);

    const std::vector<std::string> texts = mask_legend_texts(pixels_with_mask, (long long)nx * ny);
    int legend_w = 0;
    for (const std::string& t : texts) legend_w = std::max(legend_w, text_size(t, kTickScale).width);
    const int swatch = 18, margin = 24, top = 70, row_h = 30;
    const int legend_x = margin + disp.width + 28;
    const int width = legend_x + swatch + 10 + legend_w + margin;
    const int legend_h = 40 + row_h * (kMaskBitCount + 1);
    const int height = top + std::max(disp.height, legend_h) + margin;
    cv::Mat img = blank_canvas(width, height);
    const cv::Rect map_rect(margin, top, disp.width, disp.height);
    shown.copyTo(img(map_rect));
    cv::rectangle(img, cv::Rect(map_rect.x - 1, map_rect.y - 1, map_rect.width + 2, map_rect.height + 2), kInk, 1);
    put_text(img, "Masked pixels by reason", map_rect.x + map_rect.width / 2, 38, kTitleScale, kInk, Align::Center, 2);
    draw_scale_bar(img, map_rect, pixel_size_x_m * nx / disp.width);
    draw_mask_legend(img, legend_x, top, swatch, row_h, texts);
    write_png(path, img, Content::Plot);
}

}  // namespace amfm
