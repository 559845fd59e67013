// Gwyddion Simple Field (.gsf) maps: the bytes against the format (magic line, header keys, NUL
// padding to a multiple of 4, little-endian float32), round trips and errors through the
// project's reader, and Gwyddion's own loader (run headless as `gwyddion --convert-to-gwy`, its
// .gwy read back; skipped where gwyddion is not installed).
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>

#include "amfm/kernels/error.hpp"
#include "host/formats/gsf.hpp"
#include "host/formats/gwy.hpp"
#include "host/model/file_io.hpp"
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

}  // namespace
