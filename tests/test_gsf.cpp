// Gwyddion Simple Field (.gsf) maps: the bytes against the format (magic line, header keys, NUL
// padding to a multiple of 4, little-endian float32), round trips and errors through the
// project's reader, and Gwyddion's own loader on the maps a processed scan writes (run headless
// as `gwyddion --convert-to-gwy`, its .gwy read back; skipped where gwyddion is not installed).
#include <tiffio.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>

#include "amfm/kernels/backend.hpp"
#include "amfm/kernels/error.hpp"
#include "host/formats/gsf.hpp"
#include "host/formats/gwy.hpp"
#include "host/formats/scan_yaml.hpp"
#include "host/method/pipeline.hpp"
#include "host/model/file_io.hpp"
#include "host/model/scan.hpp"
#include "host/report/outputs.hpp"
#include "host/sim/simulate.hpp"
#include "test_util.hpp"

namespace {

using namespace amfm;
using amfm_test::TempDir;
namespace fs = std::filesystem;

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

GsfField small_field() {
    GsfField f;
    f.title = "Modulus (tilt-corrected)";
    f.unit_z = "Pa";
    f.xreal = 3e-6;
    f.yreal = 2e-6;
    f.data = Image<float>(3, 2);
    for (std::size_t i = 0; i < f.data.size(); ++i) f.data.px[i] = 1.5e9f * (float)(i + 1);
    return f;
}

float float_le_at(const std::string& bytes, std::size_t at) {
    std::uint32_t bits = 0;
    for (int b = 0; b < 4; ++b) bits |= (std::uint32_t)(unsigned char)bytes[at + b] << (8 * b);
    float v = 0.0f;
    std::memcpy(&v, &bits, sizeof v);
    return v;
}

TEST(Gsf, HeaderBytesFollowTheFormat) {
    TempDir d;
    write_gsf(d.file("m.gsf"), small_field());
    const std::string bytes = read_file(d.file("m.gsf"));
    const std::string header =
        "Gwyddion Simple Field 1.0\nXRes = 3\nYRes = 2\nXReal = 3e-06\nYReal = 2e-06\nXYUnits = m\nZUnits = Pa\n"
        "Title = Modulus (tilt-corrected)\n";
    ASSERT_EQ(bytes.compare(0, header.size(), header), 0) << bytes.substr(0, header.size());
    // 1-4 NULs end the header and put the data on a multiple of 4; nothing after the 6 floats.
    const std::size_t data_at = header.size() + 4 - header.size() % 4;
    EXPECT_EQ(bytes.substr(header.size(), data_at - header.size()), std::string(data_at - header.size(), '\0'));
    ASSERT_EQ(bytes.size(), data_at + 6 * 4);
    for (int i = 0; i < 6; ++i) EXPECT_EQ(float_le_at(bytes, data_at + 4 * i), 1.5e9f * (float)(i + 1)) << i;
}

TEST(Gsf, PaddingPutsTheDataOnAMultipleOfFour) {
    TempDir d;
    for (int extra = 0; extra < 4; ++extra) {
        GsfField f = small_field();
        f.title += std::string((std::size_t)extra, 'x');
        write_gsf(d.file("p.gsf"), f);
        const std::string bytes = read_file(d.file("p.gsf"));
        const std::size_t header_end = bytes.find('\0');
        const std::size_t data_at = bytes.size() - 6 * 4;
        EXPECT_EQ(data_at % 4, 0u) << extra;
        EXPECT_GE(data_at - header_end, 1u) << extra;  // a header already on a multiple of 4 gets 4 NULs
        EXPECT_LE(data_at - header_end, 4u) << extra;
        EXPECT_EQ(read_gsf(d.file("p.gsf")).title, f.title);
    }
}

TEST(Gsf, RoundTripKeepsValuesSizesUnitsAndMetadata) {
    TempDir d;
    GsfField f = small_field();
    f.data.at(1, 1) = kNaN;
    f.title = "Tilt \xC2\xB5";  // UTF-8 passes through
    f.unit_z = "deg";
    f.xreal = 1.0 / 3.0 * 1e-5;  // needs all 17 digits
    f.meta["MaskBits"] = "1 tilt>cutoff, 2 cos(phi1)<=0";
    write_gsf(d.file("r.gsf"), f);
    const GsfField back = read_gsf(d.file("r.gsf"));
    EXPECT_EQ(back.title, f.title);
    EXPECT_EQ(back.unit_xy, "m");
    EXPECT_EQ(back.unit_z, "deg");
    EXPECT_EQ(back.xreal, f.xreal);
    EXPECT_EQ(back.yreal, f.yreal);
    EXPECT_EQ(back.meta, f.meta);
    ASSERT_EQ(back.data.nx, 3);
    ASSERT_EQ(back.data.ny, 2);
    EXPECT_TRUE(std::isnan(back.data.at(1, 1)));
    for (std::size_t i = 0; i < f.data.size(); ++i)
        if (i != 4) {
            EXPECT_EQ(back.data.px[i], f.data.px[i]) << i;
        }

    f.unit_z.clear();  // dimensionless: no ZUnits line
    write_gsf(d.file("u.gsf"), f);
    EXPECT_EQ(read_file(d.file("u.gsf")).find("ZUnits"), std::string::npos);
    EXPECT_EQ(read_gsf(d.file("u.gsf")).unit_z, "");
}

TEST(Gsf, UnreadableFilesAreDataErrorsNamingTheFile) {
    TempDir d;
    write_gsf(d.file("ok.gsf"), small_field());
    const std::string bytes = read_file(d.file("ok.gsf"));
    auto expect_bad = [&](const std::string& content, const std::string& why) {
        const std::string path = d.file("bad.gsf");
        std::ofstream(path, std::ios::binary).write(content.data(), (std::streamsize)content.size());
        amfm_test::expect_error<DataError>([&] { read_gsf(path); }, {"bad.gsf", why});
    };
    expect_bad("Gwyddion Simple Field 2.0\n" + bytes.substr(26), "not a Gwyddion Simple Field");
    expect_bad(bytes.substr(0, bytes.find('\0')), "NUL");
    expect_bad(bytes.substr(0, bytes.size() - 1), "bytes");
    expect_bad(bytes + "xxxx", "bytes");
    std::string no_xres = bytes;
    no_xres.replace(no_xres.find("XRes"), 4, "Xres");
    expect_bad(no_xres, "XRes");
    std::string zero_yres = bytes;
    zero_yres.replace(zero_yres.find("YRes = 2"), 8, "YRes = 0");
    expect_bad(zero_yres, "YRes");
    amfm_test::expect_error<DataError>([&] { read_gsf(d.file("missing.gsf")); }, {"missing.gsf"});
}

TEST(Gsf, WriterRefusesWhatWouldBreakTheFile) {
    TempDir d;
    const std::string path = d.file("w.gsf");
    auto expect_refused = [&](GsfField f, const std::string& why) {
        amfm_test::expect_error<DataError>([&] { write_gsf(path, f); }, {"w.gsf", why});
        EXPECT_FALSE(fs::exists(path));
    };
    GsfField f = small_field();
    f.data = Image<float>();
    expect_refused(f, "empty");
    f = small_field();
    f.xreal = 0.0;
    expect_refused(f, "physical size");
    f = small_field();
    f.yreal = std::nan("");
    expect_refused(f, "physical size");
    f = small_field();
    f.title = "two\nlines";
    expect_refused(f, "Title");
    f = small_field();
    f.meta["a=b"] = "x";
    expect_refused(f, "a=b");
}

// ---- Gwyddion's own loader -------------------------------------------------------------------

bool gwyddion_installed() { return std::system("command -v gwyddion >/dev/null 2>&1") == 0; }

// Opens `path` with Gwyddion's file modules, headless (non-GUI mode, no display, settings in a
// temporary HOME), and returns what Gwyddion made of it, saved as .gwy and read back.
std::vector<GwyReadChannel> load_with_gwyddion(const TempDir& d, const std::string& path) {
    const std::string out = d.file("gwyddion-loaded.gwy"), log = d.file("gwyddion.log");
    const std::string cmd = "env -u DISPLAY HOME='" + d.path().string() + "' gwyddion --no-splash --convert-to-gwy='" +
                            out + "' '" + path + "' >'" + log + "' 2>&1";
    const int rc = std::system(cmd.c_str());
    EXPECT_EQ(rc, 0) << cmd << "\n" << read_file(log);
    return read_gwy(out);
}

#define REQUIRE_GWYDDION()                                                                               \
    do {                                                                                                 \
        if (!gwyddion_installed())                                                                       \
            GTEST_SKIP() << "gwyddion not installed (apt-get install gwyddion): its own loader not checked"; \
    } while (0)

TEST(Gsf, GwyddionLoadsSizeUnitsTitleAndMasksUndefinedPixels) {
    REQUIRE_GWYDDION();
    TempDir d;
    GsfField f = small_field();
    f.data.at(2, 0) = kNaN;
    write_gsf(d.file("m.gsf"), f);
    const auto ch = load_with_gwyddion(d, d.file("m.gsf"));
    ASSERT_EQ(ch.size(), 1u);
    EXPECT_EQ(ch[0].title, "Modulus (tilt-corrected)");
    EXPECT_EQ(ch[0].unit_xy, "m");
    EXPECT_EQ(ch[0].unit_z, "Pa");
    EXPECT_NEAR(ch[0].xreal, 3e-6, 1e-18);
    EXPECT_NEAR(ch[0].yreal, 2e-6, 1e-18);
    ASSERT_EQ(ch[0].data.nx, 3);
    ASSERT_EQ(ch[0].data.ny, 2);
    EXPECT_EQ(ch[0].data.at(1, 1), (double)f.data.at(1, 1));
    ASSERT_EQ(ch[0].mask.size(), 6u);  // the NaN pixel is masked, the others are not
    for (int i = 0; i < 6; ++i) EXPECT_EQ(ch[0].mask.px[(std::size_t)i], i == 2 ? 1.0 : 0.0) << i;
}

// ---- the maps of a processed scan ------------------------------------------------------------

struct ProcessedScan {
    TempDir dir;
    ScanResult result;
    ProcessedScan() {
        SimulationSpec spec;
        spec.nx = 48;
        spec.ny = 40;
        spec.scan_size_m = 4e-6;
        spec.cycle = 30;
        spec.regions = paper_region_truths(30);
        write_simulated_scan(simulate_scan(spec), dir.file("sim"));
        const Scan scan = load_scan(load_scan_config(dir.file("sim/scan.yaml"), {"outputs.figures=false"}));
        auto backend = make_cpu_backend();
        result = process_scan(scan, *backend);
        write_scan_outputs(scan, result, dir.file("out"), RunInfo{"test", "amfm process test"});
    }
    std::string out(const std::string& name) const { return dir.file("out/" + name); }
};

const ProcessedScan& processed() {
    static const ProcessedScan p;
    return p;
}

TEST(Gsf, ProcessedScanWritesEachMapBesideItsTiff) {
    const ProcessedScan& p = processed();
    const ScanResult& r = p.result;
    const GsfField e = read_gsf(p.out("modulus_gpa.gsf"));
    const GsfField t = read_gsf(p.out("tilt_deg.gsf"));
    const GsfField m = read_gsf(p.out("mask.gsf"));
    EXPECT_EQ(e.unit_z, "Pa");
    EXPECT_EQ(t.unit_z, "deg");
    EXPECT_EQ(m.unit_z, "");
    EXPECT_NE(m.meta.at("MaskBits").find("1 tilt>cutoff"), std::string::npos);
    for (const GsfField* f : {&e, &t, &m}) {
        EXPECT_EQ(f->unit_xy, "m");
        ASSERT_EQ(f->data.nx, r.modulus_gpa.nx);
        ASSERT_EQ(f->data.ny, r.modulus_gpa.ny);
        EXPECT_NEAR(f->xreal, 4e-6, 1e-18);
        EXPECT_NEAR(f->yreal, 4e-6 * 40 / 48, 1e-18);
    }
    long long undefined = 0;
    for (std::size_t i = 0; i < r.modulus_gpa.size(); ++i) {
        const float gpa = r.modulus_gpa.px[i];
        if (std::isfinite(gpa)) {
            EXPECT_EQ(e.data.px[i], (float)(1e9 * (double)gpa)) << i;
        } else {
            ++undefined;
            EXPECT_TRUE(std::isnan(e.data.px[i])) << i;
        }
        if (std::isfinite(r.tilt_deg.px[i])) {
            EXPECT_EQ(t.data.px[i], r.tilt_deg.px[i]) << i;
        }
        EXPECT_EQ(m.data.px[i], (float)r.mask.px[i]) << i;
    }
    EXPECT_GT(undefined, 0);  // masked pixels travel as NaN
}

TEST(Gsf, ProcessedScanTiffsCarryTheImageJValueUnit) {
    const ProcessedScan& p = processed();
    for (const auto& [file, vunit] : {std::pair<const char*, const char*>{"modulus_gpa.tif", "\nvunit=GPa\n"},
                                      {"tilt_deg.tif", "\nvunit=deg\n"},
                                      {"mask.tif", nullptr}}) {
        TIFF* tif = TIFFOpen(p.out(file).c_str(), "r");
        ASSERT_NE(tif, nullptr) << file;
        char* desc = nullptr;
        ASSERT_TRUE(TIFFGetField(tif, TIFFTAG_IMAGEDESCRIPTION, &desc)) << file;
        const std::string s = desc;
        EXPECT_EQ(s.rfind("ImageJ=", 0), 0u) << s;
        EXPECT_NE(s.find("\nunit=micron\n"), std::string::npos) << s;
        if (vunit) {
            EXPECT_NE(s.find(vunit), std::string::npos) << s;
        } else {
            EXPECT_EQ(s.find("vunit="), std::string::npos) << s;  // bits carry no unit
        }
        TIFFClose(tif);
    }
}

TEST(Gsf, ProcessedScanModulusOpensInGwyddionWithSizeAndUnit) {
    REQUIRE_GWYDDION();
    const ProcessedScan& p = processed();
    TempDir d;
    const auto ch = load_with_gwyddion(d, p.out("modulus_gpa.gsf"));
    ASSERT_EQ(ch.size(), 1u);
    EXPECT_EQ(ch[0].title, "Modulus (tilt-corrected)");
    EXPECT_EQ(ch[0].unit_xy, "m");
    EXPECT_EQ(ch[0].unit_z, "Pa");
    EXPECT_NEAR(ch[0].xreal, 4e-6, 1e-18);
    EXPECT_NEAR(ch[0].yreal, 4e-6 * 40 / 48, 1e-18);
    ASSERT_EQ(ch[0].data.nx, 48);
    ASSERT_EQ(ch[0].data.ny, 40);
    ASSERT_EQ(ch[0].mask.size(), ch[0].data.size());  // the masked pixels, masked in Gwyddion too
    const Image<float>& gpa = p.result.modulus_gpa;
    for (std::size_t i = 0; i < gpa.size(); ++i) {
        EXPECT_EQ(ch[0].mask.px[i], std::isfinite(gpa.px[i]) ? 0.0 : 1.0) << i;
        if (std::isfinite(gpa.px[i])) {
            EXPECT_EQ(ch[0].data.px[i], (double)(float)(1e9 * (double)gpa.px[i])) << i;
        }
    }
}

}  // namespace
