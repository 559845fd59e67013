// The sanity checks: each trips on a scan that shows its mistake and stays quiet on a clean one.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "amfm/kernels/error.hpp"
#include "amfm/kernels/mask.hpp"
#include "host/method/pipeline.hpp"
#include "host/method/sanity.hpp"

using namespace amfm;

namespace {

constexpr int kN = 64;

// A plausible scan: nm topography, phase around 50 deg, df2 around 2 kHz with grains.
Scan clean_scan() {
    Scan s;
    s.config.scan_size_x_m = s.config.scan_size_y_m = 2.0e-6;
    s.height_m = Image<float>(kN, kN);
    s.phase1_deg = Image<float>(kN, kN);
    s.df2_hz = Image<float>(kN, kN);
    std::mt19937 rng(7);
    std::normal_distribution<float> noise(0.0f, 1.0f);
    for (int y = 0; y < kN; ++y)
        for (int x = 0; x < kN; ++x) {
            const bool grain = (x - 32) * (x - 32) + (y - 32) * (y - 32) < 400;  // a stiffer round grain
            s.height_m.at(x, y) = 20.0e-9f * std::sin(0.1f * x) + 0.2e-9f * noise(rng);
            s.phase1_deg.at(x, y) = 50.0f + 0.3f * noise(rng);
            s.df2_hz.at(x, y) = (grain ? 6000.0f : 2000.0f) * (1.0f + 0.005f * noise(rng));
        }
    return s;
}

std::vector<std::string> codes(const std::vector<SanityWarning>& ws) {
    std::vector<std::string> c;
    for (const SanityWarning& w : ws) c.push_back(w.code + " | " + w.message);
    return c;
}

// The one warning of `code`, or "" when none.
std::string message_of(const std::vector<SanityWarning>& ws, const std::string& code) {
    for (const SanityWarning& w : ws)
        if (w.code == code) return w.message;
    return "";
}

// A result whose map has n_valid of kN^2 valid pixels, the rest masked for `bit`.
ScanResult result_with(long long n_valid, int bit, double median_gpa = 5.0) {
    ScanResult r;
    PixelStats& p = r.stats.whole_map.pixels;
    p.n_pixels = (long long)kN * kN;
    p.n_valid = n_valid;
    p.masked[bit] = p.n_pixels - n_valid;
    p.median_gpa = median_gpa;
    return r;
}

}  // namespace

TEST(Sanity, CleanScanHasNoWarning) {
    EXPECT_TRUE(check_scan_inputs(clean_scan()).empty()) << ::testing::PrintToString(codes(check_scan_inputs(clean_scan())));
    EXPECT_TRUE(check_scan_result(clean_scan(), result_with(kN * kN - 100, 0)).empty());
}

TEST(Sanity, RegionWithoutACentreIsAWarningNamingIt) {
    ScanResult r = result_with(kN * kN - 100, 0);
    RegionStats region;
    region.info = RegionInfo{3, "II", "LNMO"};
    region.pixels.n_pixels = 400;
    region.pixels.n_valid = 12;
    region.quality = RegionQuality::FewPixels;
    r.stats.regions.push_back(region);
    const std::string m = message_of(check_scan_result(clean_scan(), r), "few_pixels");
    EXPECT_NE(m.find("region 3 'II'"), std::string::npos) << m;
    r.stats.whole_map.quality = RegionQuality::FitFailed;  // the map's own fit is not a warning
    r.stats.regions.clear();
    EXPECT_TRUE(check_scan_result(clean_scan(), r).empty());
}

TEST(Sanity, HeightSpanBeyondAnyScanNamesTheUnit) {
    Scan s = clean_scan();
    for (float& h : s.height_m.px) h *= 1.0e9f;  // a file in nm declared m
    const std::string m = message_of(check_scan_inputs(s), "height_unit");
    EXPECT_NE(m.find("channels.height (unit: m)"), std::string::npos) << m;
    EXPECT_NE(m.find("nm"), std::string::npos) << m;
}

TEST(Sanity, HeightSpanBelowAPicometre) {
    Scan s = clean_scan();
    for (float& h : s.height_m.px) h *= 1.0e-9f;  // a file in m declared nm
    EXPECT_NE(message_of(check_scan_inputs(s), "height_unit").find("less than 1 pm"), std::string::npos);
}

TEST(Sanity, PhaseInDegreesDeclaredRadians) {
    Scan s = clean_scan();
    s.config.phase1.unit = "rad";
    for (float& p : s.phase1_deg.px) p *= 57.29578f;  // what the loader makes of degrees read as radians
    const std::vector<SanityWarning> w = check_scan_inputs(s);
    EXPECT_NE(message_of(w, "phase_unit").find("beyond 2 pi"), std::string::npos);
    EXPECT_EQ(message_of(w, "phase_window"), "");  // the unit warning says it all
}

TEST(Sanity, PhaseInRadiansDeclaredDegrees) {
    Scan s = clean_scan();
    for (float& p : s.phase1_deg.px) p *= 3.14159265f / 180.0f;  // radians read as degrees
    EXPECT_NE(message_of(check_scan_inputs(s), "phase_unit").find("radians"), std::string::npos);
}

TEST(Sanity, PhaseOutsideTheRepulsiveWindow) {
    Scan s = clean_scan();
    for (float& p : s.phase1_deg.px) p += 70.0f;  // around 120 deg: attractive
    EXPECT_NE(message_of(check_scan_inputs(s), "phase_window").find("repulsive"), std::string::npos);
}

TEST(Sanity, Df2InHzDeclaredKhz) {
    Scan s = clean_scan();
    s.config.df2.unit = "kHz";
    for (float& d : s.df2_hz.px) d *= 1000.0f;
    const std::string m = message_of(check_scan_inputs(s), "df2_unit");
    EXPECT_NE(m.find("cantilever.f2"), std::string::npos) << m;
    EXPECT_NE(m.find("Hz declared kHz"), std::string::npos) << m;
}

TEST(Sanity, Df2RowJumpsLookLikeALostLock) {
    Scan s = clean_scan();
    for (int y = 10; y < kN; y += 12)  // short bursts of rows at the rail
        for (int k = 0; k < 3; ++k)
            for (int x = 0; x < kN; ++x) s.df2_hz.at(x, y + k) = 0.0f;
    EXPECT_NE(message_of(check_scan_inputs(s), "df2_lock").find("lost lock"), std::string::npos);
}

TEST(Sanity, MostlyMaskedNamesTheReason) {
    const std::vector<SanityWarning> w = check_scan_result(clean_scan(), result_with(1000, 1));
    const std::string m = message_of(w, "mostly_masked");
    EXPECT_NE(m.find("phase_not_repulsive"), std::string::npos) << m;
    EXPECT_NE(m.find("76 %"), std::string::npos) << m;  // 1 - 1000 / 4096
}

TEST(Sanity, ModulusOutsideAnyMaterial) {
    EXPECT_NE(message_of(check_scan_result(clean_scan(), result_with(4000, 0, 85000.0)), "modulus_range"), "");
    EXPECT_NE(message_of(check_scan_result(clean_scan(), result_with(4000, 0, 1.0e-8)), "modulus_range"), "");
    EXPECT_EQ(message_of(check_scan_result(clean_scan(), result_with(4000, 0, 0.5)), "modulus_range"), "");
}

TEST(Sanity, NothingValidIsADataErrorNamingReasonAndUnit) {
    Scan s = clean_scan();
    s.config.source = "scan.yaml";
    ScanResult r = result_with(0, 0);
    EXPECT_NO_THROW(require_valid_pixels(s, result_with(1, 0)));
    try {
        require_valid_pixels(s, r);
        FAIL();
    } catch (const DataError& e) {
        const std::string m = e.what();
        EXPECT_NE(m.find("scan.yaml: no valid pixel"), std::string::npos) << m;
        EXPECT_NE(m.find("tilt_over_cutoff (100 %)"), std::string::npos) << m;
        EXPECT_NE(m.find("channels.height.unit"), std::string::npos) << m;
    }
    r.warnings.push_back({"height_unit", "channels.height (unit: m): the heights span 80 m"});
    try {
        require_valid_pixels(s, r);
        FAIL();
    } catch (const DataError& e) {
        EXPECT_NE(std::string(e.what()).find("the heights span 80 m"), std::string::npos) << e.what();
    }
}
