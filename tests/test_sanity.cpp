// The sanity checks: each trips on a scan that shows its mistake and stays quiet on a clean one.
#include <gtest/gtest.h>
#include <tiffio.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "amfm/kernels/error.hpp"
#include "amfm/kernels/mask.hpp"
#include "host/formats/scan_yaml.hpp"
#include "host/formats/tiff_io.hpp"
#include "host/method/pipeline.hpp"
#include "host/method/sanity.hpp"
#include "host/model/file_io.hpp"
#include "test_util.hpp"

using namespace amfm;
using amfm_test::TempDir;

namespace {

constexpr int kN = 64;

// A plausible scan: nm topography, phase around 50 deg, df2 around 2 kHz with grains.
Scan clean_scan() {
    Scan s;
    s.config.scan_size_x_m = s.config.scan_size_y_m = 2.0e-6;
    s.config.cantilever.k1_n_per_m = 27.3;  // calibrated, not the template's example
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

// A 4 x 2 float TIFF with the given resolution tags (res_unit 0: no ResolutionUnit tag; description
// nullptr: none), as other programs write them.
void write_tiff_with_resolution(const std::string& path, float x_res, float y_res, std::uint16_t res_unit,
                                const char* description) {
    TIFF* tif = TIFFOpen(path.c_str(), "w");
    ASSERT_NE(tif, nullptr);
    TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, 4u);
    TIFFSetField(tif, TIFFTAG_IMAGELENGTH, 2u);
    TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, (std::uint16_t)1);
    TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, (std::uint16_t)32);
    TIFFSetField(tif, TIFFTAG_SAMPLEFORMAT, (std::uint16_t)SAMPLEFORMAT_IEEEFP);
    TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, (std::uint16_t)PHOTOMETRIC_MINISBLACK);
    TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, 2u);
    TIFFSetField(tif, TIFFTAG_XRESOLUTION, x_res);
    TIFFSetField(tif, TIFFTAG_YRESOLUTION, y_res);
    if (res_unit != 0) TIFFSetField(tif, TIFFTAG_RESOLUTIONUNIT, res_unit);
    if (description) TIFFSetField(tif, TIFFTAG_IMAGEDESCRIPTION, description);
    float px[8] = {};
    ASSERT_EQ(TIFFWriteEncodedStrip(tif, 0, px, sizeof px), (tmsize_t)sizeof px);
    TIFFClose(tif);
}

// The pixel size read_tiff_float finds in a file with these tags ({0, 0}: none).
std::pair<double, double> pixel_size_of(float x_res, float y_res, std::uint16_t res_unit, const char* description) {
    TempDir d;
    write_tiff_with_resolution(d.file("c.tif"), x_res, y_res, res_unit, description);
    TiffInfo info;
    read_tiff_float(d.file("c.tif"), &info);
    return {info.pixel_size_x_m, info.pixel_size_y_m};
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

TEST(Sanity, TiffPixelSizeFromImageJUnitOrPhysicalResolutionUnit) {
    // ImageJ: pixels per `unit=`, whatever ResolutionUnit says.
    const auto nm = pixel_size_of(0.125f, 0.0625f, RESUNIT_NONE, "ImageJ=1.53t\nunit=nm\n");
    EXPECT_DOUBLE_EQ(nm.first, 8.0e-9);
    EXPECT_DOUBLE_EQ(nm.second, 16.0e-9);
    EXPECT_DOUBLE_EQ(pixel_size_of(4.0f, 4.0f, RESUNIT_NONE, "ImageJ=1.53t\nunit=micron\n").first, 0.25e-6);
    EXPECT_DOUBLE_EQ(pixel_size_of(4.0f, 4.0f, RESUNIT_NONE, "ImageJ=1.53t\nunit=\xC2\xB5m\n").first, 0.25e-6);
    // Centimetre and inch resolutions of a scan (far beyond any printer's).
    EXPECT_DOUBLE_EQ(pixel_size_of(65536.0f, 65536.0f, RESUNIT_CENTIMETER, nullptr).first, 0.01 / 65536.0);
    EXPECT_DOUBLE_EQ(pixel_size_of(16384.0f, 16384.0f, RESUNIT_INCH, nullptr).second, 0.0254 / 16384.0);
}

TEST(Sanity, TiffWithoutPhysicalResolutionClaimsNoPixelSize) {
    const std::pair<double, double> none{0.0, 0.0};
    EXPECT_EQ(pixel_size_of(72.0f, 72.0f, RESUNIT_INCH, nullptr), none);         // a print resolution
    EXPECT_EQ(pixel_size_of(300.0f, 300.0f, RESUNIT_CENTIMETER, nullptr), none);  // 762 dpi: still print
    EXPECT_EQ(pixel_size_of(65536.0f, 65536.0f, 0, nullptr), none);              // no ResolutionUnit
    EXPECT_EQ(pixel_size_of(65536.0f, 65536.0f, RESUNIT_NONE, nullptr), none);   // pixels per nothing
    EXPECT_EQ(pixel_size_of(4.0f, 4.0f, RESUNIT_NONE, "ImageJ=1.53t\nunit=pixel\n"), none);
}

TEST(Sanity, FileScanSizeOtherThanScanSizeNamesFileBothSizesAndTheOneUsed) {
    Scan s = clean_scan();
    s.config.scan_size_x_m = s.config.scan_size_y_m = 8.0e-6;
    s.file_scan_size = {"data/height.tif", 10.0e-6, 8.0e-6};
    EXPECT_EQ(message_of(check_scan_inputs(s), "scan_size_file"),
              "data/height.tif: its own calibration says the scan is 10 x 8 um, scan_size says 8 x 8 um; "
              "scan_size is used (slopes and tilt follow it): check which is right");
    s.file_scan_size = {"data/height.tif", 8.1e-6, 7.9e-6};  // within 2 %: rounding
    EXPECT_TRUE(check_scan_inputs(s).empty()) << ::testing::PrintToString(codes(check_scan_inputs(s)));
}

// Channel files written with a 10 um calibration, loaded with the YAML's scan_size.
Scan scan_with_calibrated_files(const TempDir& d, const std::string& scan_size) {
    const Scan clean = clean_scan();
    TiffCalibration cal;
    cal.pixel_size_x_m = cal.pixel_size_y_m = 10.0e-6 / kN;
    write_tiff(d.file("height.tif"), clean.height_m, cal);
    write_tiff(d.file("phase1.tif"), clean.phase1_deg, cal);
    write_tiff(d.file("df2.tif"), clean.df2_hz, cal);
    write_file_atomic(d.file("scan.yaml"),
                      "channels: {height: {file: height.tif}, phase1: {file: phase1.tif}, df2: {file: df2.tif}}\n"
                      "scan_size: " + scan_size + "\n"
                      "cantilever: {k1: 2.8, q1: 450.0, f1: 3.0e5, f2: 1.71e6, a1_free: 1.5e-7, a1_set: 1.05e-7}\n"
                      "tip: {radius: 1.0e-8}\n");
    return load_scan(load_scan_config(d.file("scan.yaml")));
}

TEST(Sanity, ChannelFileCalibrationReachesTheCheck) {
    TempDir d;
    const Scan wrong = scan_with_calibrated_files(d, "{x: 5.0e-6, y: 5.0e-6}");
    EXPECT_EQ(wrong.file_scan_size.file, d.file("height.tif"));
    EXPECT_EQ(message_of(check_scan_inputs(wrong), "scan_size_file"),
              d.file("height.tif") + ": its own calibration says the scan is 10 x 10 um, scan_size says 5 x 5 um; "
                                     "scan_size is used (slopes and tilt follow it): check which is right");
    const Scan right = scan_with_calibrated_files(d, "{x: 10.0e-6, y: 10.0e-6}");
    EXPECT_EQ(message_of(check_scan_inputs(right), "scan_size_file"), "");
}

TEST(Sanity, TemplateExampleCantileverAndTipNamesTheKeysAndTheCalibrations) {
    Scan s = clean_scan();
    s.config.cantilever = Cantilever{};
    EXPECT_EQ(message_of(check_scan_inputs(s), "example_cantilever"),
              "cantilever.k1, q1, f1, f2 (k2 unset) and tip.radius are the template's example values: calibrate the "
              "cantilever (thermal tune) and the tip (`amfm calibrate-tip`), or set cantilever.source: simulated for "
              "simulated data");
    EXPECT_EQ(check_scan_inputs(s).size(), 1u);  // once
    s.config.cantilever_source = "simulated";
    EXPECT_TRUE(check_scan_inputs(s).empty());
    s.config.cantilever_source.clear();
    s.config.tip_radius_m = 12.0e-9;  // one calibrated value: the user did replace them
    EXPECT_TRUE(check_scan_inputs(s).empty());
}

TEST(Sanity, DemoScansRaiseNoInputWarning) {
    for (const char* cycle : {"cycle_000", "cycle_005", "cycle_030", "cycle_060", "cycle_200"}) {
        const std::string yaml = (amfm_test::source_dir() / "sample_maps" / cycle / "scan.yaml").string();
        const Scan s = load_scan(load_scan_config(yaml));
        EXPECT_EQ(s.config.cantilever_source, "simulated") << cycle;
        EXPECT_FALSE(s.file_scan_size.file.empty()) << cycle;  // the simulator's TIFFs carry their size
        EXPECT_TRUE(check_scan_inputs(s).empty()) << cycle << ::testing::PrintToString(codes(check_scan_inputs(s)));
    }
}
