// The sanity checks: each a small function returning at most one warning.
#include "host/method/sanity.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>

#include "amfm/kernels/error.hpp"
#include "amfm/kernels/mask.hpp"
#include "host/method/pipeline.hpp"
#include "host/method/quantiles.hpp"

namespace amfm {
namespace {

constexpr double kPi = 3.14159265358979323846;
// Heights of an AFM scan span more than a picometre (noise alone does) and less than ~100 um
// (the scanner's range); outside that the declared unit is wrong.
constexpr double kMaxHeightSpan_m = 100.0e-6, kMinHeightSpan_m = 1.0e-12;
// A contact shift of the second mode is a small fraction of f2 (typically < 1 %).
constexpr double kMaxDf2FractionOfF2 = 0.05;
// Corrected moduli of real materials lie between soft gels (~1 kPa) and diamond (~1 TPa).
constexpr double kMinModulus_gpa = 1.0e-6, kMaxModulus_gpa = 1.0e3;
// PLL loss of lock: rows whose df2 differs from the previous row's by this fraction of the
// scan's median |df2| along most of the row...
constexpr double kLockJumpFraction = 0.25;
// ... in more than this share of the row pairs (and at least kMinLockJumps of them).
constexpr double kLockJumpShare = 0.02;
constexpr int kMinLockJumps = 3;
// A channel file's own calibration and scan_size differing by more than this are two different
// sizes (resolution tags are rationals, exports round: well below this).
constexpr double kScanSizeMismatchRel = 0.02;

std::string number(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3g", v);
    return buf;
}

std::string percent(double share) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.0f %%", 100.0 * share);
    return buf;
}

// Quantiles of the finite values of an image; empty when it has none.
std::vector<double> finite_quantiles(const Image<float>& img, const std::vector<double>& probs) {
    // Selected in place where radix selection applies: no copy of a whole channel.
    std::vector<double> q;
    if (img.size() >= kMinRadixQuantiles && radix_quantiles(img.px, [](float x) { return std::isfinite(x); }, probs, q))
        return q;
    std::vector<float> v;
    v.reserve(img.px.size());
    for (float x : img.px)
        if (std::isfinite(x)) v.push_back(x);
    if (v.empty()) return {};
    return quantiles_inplace(v, probs);
}

// Robust extremes (0.5 % and 99.5 %): a few spikes do not decide a unit.
std::vector<double> robust_range(const Image<float>& img) { return finite_quantiles(img, {0.005, 0.995}); }

void add(std::vector<SanityWarning>& out, const char* code, const std::string& message) {
    out.push_back({code, message});
}

void check_height_span(const Scan& scan, std::vector<SanityWarning>& out) {
    const std::vector<double> r = robust_range(scan.height_m);
    if (r.empty()) return;
    const double span = r[1] - r[0];
    const std::string head = "channels.height (unit: " + scan.config.height.unit + "): the heights span " +
                             number(span) + " m, ";
    if (span > kMaxHeightSpan_m)
        add(out, "height_unit", head + "more than any AFM scan (~100 um): is the file in nm or um? Set channels.height.unit");
    else if (span < kMinHeightSpan_m)
        add(out, "height_unit", head + "less than 1 pm: a flat channel, or a file in m declared nm or um?");
}

void check_phase_unit(const Scan& scan, std::vector<SanityWarning>& out) {
    const std::vector<double> r = robust_range(scan.phase1_deg);
    if (r.empty()) return;
    const double largest_deg = std::max(std::abs(r[0]), std::abs(r[1]));
    const std::string& unit = scan.config.phase1.unit;
    if (unit == "rad" && largest_deg > 360.0)
        add(out, "phase_unit", "channels.phase1 (unit: rad): values reach " + number(largest_deg * kPi / 180.0) +
                                   " rad, beyond 2 pi: is the file in degrees? Set channels.phase1.unit: deg");
    else if (unit == "deg" && largest_deg > 0.0 && largest_deg <= kPi)
        add(out, "phase_unit", "channels.phase1 (unit: deg): every value lies within +-pi (largest " +
                                   number(largest_deg) + " deg): is the file in radians? Set channels.phase1.unit: rad");
}

// The method assumes the repulsive regime (cos Phi1 > 0; the paper works below ~60-90 deg).
// Skipped for phases beyond a full turn: check_phase_unit names that mistake.
void check_phase_window(const Scan& scan, std::vector<SanityWarning>& out) {
    const std::vector<double> q = finite_quantiles(scan.phase1_deg, {0.005, 0.5, 0.995});
    if (q.empty() || std::max(std::abs(q[0]), std::abs(q[2])) > 360.0) return;
    const double median_deg = q[1];
    if (median_deg <= 0.0 || median_deg >= 90.0)
        add(out, "phase_window", "channels.phase1: median phase " + number(median_deg) +
                                     " deg, outside the repulsive operating window (0..90 deg; the method needs "
                                     "cos(phi1) > 0): attractive regime, or a phase offset or sign convention?");
}

// The median |df2| of the finite values (NaN without any): both df2 checks scale by it.
double median_abs_df2_hz(const Scan& scan) {
    std::vector<float> shifts;
    shifts.reserve(scan.df2_hz.px.size());
    for (float x : scan.df2_hz.px)
        if (std::isfinite(x)) shifts.push_back(std::abs(x));
    if (shifts.empty()) return std::numeric_limits<double>::quiet_NaN();
    return quantiles_inplace(shifts, {0.5})[0];
}

void check_df2_fraction(const Scan& scan, double median_hz, std::vector<SanityWarning>& out) {
    if (std::isnan(median_hz)) return;
    const double f2_hz = scan.config.cantilever.f2_hz;
    if (f2_hz > 0.0 && median_hz > kMaxDf2FractionOfF2 * f2_hz)
        add(out, "df2_unit", "channels.df2 (unit: " + scan.config.df2.unit + "): median |df2| " + number(median_hz) +
                                 " Hz is " + percent(median_hz / f2_hz) + " of cantilever.f2 = " + number(f2_hz) +
                                 " Hz, far beyond a contact shift: is the file in Hz declared kHz, or absolute "
                                 "frequencies (channels.df2.absolute)?");
}

// A PLL that loses lock makes df2 jump between rows (to a rail, to zero) across the whole row,
// while a grain boundary changes only the pixels it crosses: a row pair is a jump when the
// median over the row of the pixel-by-pixel change is large.
void check_df2_lock(const Scan& scan, double median_abs_hz, std::vector<SanityWarning>& out) {
    const Image<float>& df2 = scan.df2_hz;
    if (df2.ny < 2 || std::isnan(median_abs_hz)) return;
    const double jump_hz = kLockJumpFraction * median_abs_hz;
    int jumps = 0;
    std::vector<float> change;
    for (int y = 1; y < df2.ny; ++y) {
        change.clear();
        for (int x = 0; x < df2.nx; ++x) {
            const float d = df2.px[(std::size_t)y * df2.nx + x] - df2.px[(std::size_t)(y - 1) * df2.nx + x];
            if (std::isfinite(d)) change.push_back(std::abs(d));
        }
        if (!change.empty() && quantiles_inplace(change, {0.5})[0] > jump_hz) ++jumps;
    }
    const int pairs = df2.ny - 1;
    if (jumps >= kMinLockJumps && jumps > kLockJumpShare * pairs)
        add(out, "df2_lock", "channels.df2: " + std::to_string(jumps) + " of " + std::to_string(pairs) +
                                 " pairs of consecutive rows differ by more than " + number(jump_hz) +
                                 " Hz along most of the row: the PLL may have lost lock; check the df2 channel");
}

// A channel file whose own calibration (resolution tags) gives another scan size than the YAML:
// one of the two belongs to another scan, and the slopes (the tilt correction) follow scan_size.
void check_file_scan_size(const Scan& scan, std::vector<SanityWarning>& out) {
    const FileScanSize& file = scan.file_scan_size;
    const double x_m = scan.config.scan_size_x_m, y_m = scan.config.scan_size_y_m;
    if (file.file.empty() || (std::abs(file.x_m - x_m) <= kScanSizeMismatchRel * x_m &&
                              std::abs(file.y_m - y_m) <= kScanSizeMismatchRel * y_m))
        return;
    const auto size_um = [](double x, double y) { return number(x * 1.0e6) + " x " + number(y * 1.0e6) + " um"; };
    add(out, "scan_size_file", file.file + ": its own calibration says the scan is " + size_um(file.x_m, file.y_m) +
                                   ", scan_size says " + size_um(x_m, y_m) +
                                   "; scan_size is used (slopes and tilt follow it): check which is right");
}

// The cantilever and tip exactly as `amfm config`'s template shows them: examples never replaced
// by the calibrated values (the moduli scale with k1 and the tip radius).
void check_example_cantilever(const Scan& scan, std::vector<SanityWarning>& out) {
    const ScanConfig& c = scan.config;
    const ScanConfig example;
    const Cantilever &given = c.cantilever, &shown = example.cantilever;
    if (c.cantilever_source == "simulated" || given.k1_n_per_m != shown.k1_n_per_m || given.q1 != shown.q1 ||
        given.f1_hz != shown.f1_hz || given.f2_hz != shown.f2_hz || given.k2_n_per_m != shown.k2_n_per_m ||
        c.tip_radius_m != example.tip_radius_m)
        return;
    add(out, "example_cantilever",
        "cantilever.k1, q1, f1, f2 (k2 unset) and tip.radius are the template's example values: calibrate the "
        "cantilever (thermal tune) and the tip (`amfm calibrate-tip`), or set cantilever.source: simulated for "
        "simulated data");
}

// The invalidating mask reason that most pixels of the map carry (its bit), and that count.
int dominant_mask_reason(const PixelStats& map, long long* count) {
    int best = 0;
    for (int b = 0; b < kMaskBitCount; ++b)
        if ((kMaskInvalid & (1u << b)) && map.masked[b] > map.masked[best]) best = b;
    *count = map.masked[best];
    return best;
}

// What to check first for each invalidating mask reason, and the unit check that explains it.
struct MaskReasonHint {
    std::uint8_t bit;
    const char* unit_code;
    const char* hint;
};
constexpr MaskReasonHint kMaskReasonHints[] = {
    {kMaskTiltOverCutoff, "height_unit",
     "slopes come from the heights and scan_size: check channels.height.unit and scan_size"},
    {kMaskPhaseNotRepulsive, "phase_unit", "check channels.phase1.unit and that the scan is in the repulsive regime"},
    {kMaskDf2NotPositive, "df2_unit", "check the sign of df2 and channels.df2.absolute"},
    {kMaskNonFinite, "", "NaN or infinite values in the input channels"},
};

const MaskReasonHint& mask_reason_hint(int bit) {
    for (const MaskReasonHint& h : kMaskReasonHints)
        if (h.bit == (1u << bit)) return h;
    return kMaskReasonHints[3];
}

void check_masked_share(const ScanResult& result, std::vector<SanityWarning>& out) {
    const PixelStats& map = result.stats.whole_map.pixels;
    if (map.n_pixels == 0 || map.n_valid == 0) return;  // nothing valid: require_valid_pixels
    const double masked = 1.0 - (double)map.n_valid / map.n_pixels;
    if (masked <= 0.5) return;
    long long count = 0;
    const int bit = dominant_mask_reason(map, &count);
    add(out, "mostly_masked", percent(masked) + " of the pixels are masked, mostly " + mask_bit_name(bit) + " (" +
                                  percent((double)count / map.n_pixels) + "): " + mask_reason_hint(bit).hint);
}

void check_modulus_range(const ScanResult& result, std::vector<SanityWarning>& out) {
    const PixelStats& map = result.stats.whole_map.pixels;
    if (map.n_valid == 0) return;
    // The median outside the range: more than half of the valid pixels are.
    if (map.median_gpa < kMinModulus_gpa || map.median_gpa > kMaxModulus_gpa)
        add(out, "modulus_range", "median corrected modulus " + number(map.median_gpa) +
                                      " GPa, outside any material's range (1 kPa..1 TPa): check the units of df2 "
                                      "(E grows as df2^1.5), phase1, the cantilever and tip.radius");
}

}  // namespace

std::vector<SanityWarning> check_scan_inputs(const Scan& scan) {
    std::vector<SanityWarning> out;
    check_height_span(scan, out);
    check_phase_unit(scan, out);
    check_phase_window(scan, out);
    const double median_abs_hz = median_abs_df2_hz(scan);
    check_df2_fraction(scan, median_abs_hz, out);
    check_df2_lock(scan, median_abs_hz, out);
    check_file_scan_size(scan, out);
    check_example_cantilever(scan, out);
    return out;
}

std::vector<SanityWarning> check_scan_result(const Scan& scan, const ScanResult& result) {
    std::vector<SanityWarning> out;
    check_masked_share(result, out);
    check_modulus_range(result, out);
    for (const RegionStats& r : result.stats.regions) {
        const std::string why = region_quality_warning(r, scan.config.tilt_correction.max_angle_deg);
        if (!why.empty()) out.push_back({region_quality_name(r.quality), why});
    }
    return out;
}

void require_valid_pixels(const Scan& scan, const ScanResult& result) {
    const PixelStats& map = result.stats.whole_map.pixels;
    if (map.n_pixels == 0 || map.n_valid > 0) return;
    long long count = 0;
    const int bit = dominant_mask_reason(map, &count);
    // The unit check behind the dominant reason says more than the generic hint.
    const MaskReasonHint& hint = mask_reason_hint(bit);
    std::string why = hint.hint;
    for (const SanityWarning& w : result.warnings)
        if (w.code == hint.unit_code) why = w.message;
    throw DataError(scan.config.source + ": no valid pixel: every pixel is masked, mostly " + mask_bit_name(bit) +
                    " (" + percent((double)count / map.n_pixels) + "); " + why);
}

std::string warning_text(const SanityWarning& w) { return w.code + ": " + w.message; }

}  // namespace amfm
