// Scan loading: unit factors, conversion to canonical units, size checks, file hashes.
#include <cmath>
#include <fstream>
#include <string>

#include "amfm/kernels/error.hpp"
#include "host/formats/scan_yaml.hpp"
#include "host/formats/tiff_io.hpp"
#include "host/model/channels.hpp"
#include "host/model/config.hpp"
#include "host/model/hash.hpp"
#include "host/model/scan.hpp"
#include "test_util.hpp"

namespace {

using namespace amfm;
using amfm_test::TempDir;

// Pixels made without a value are left for the caller (kUninitialized); every other way of
// making them gives the value, as std::vector does.
TEST(Image, FillsUnlessToldTheCallerWritesEveryPixel) {
    const Image<float> zeros(3, 2);
    EXPECT_EQ(zeros.px, PixelVector<float>(6, 0.0f));
    const Image<std::int32_t> filled(2, 2, -1);
    EXPECT_EQ(filled.px, PixelVector<std::int32_t>(4, -1));
    Image<float> written(4, 3, kUninitialized);
    ASSERT_EQ(written.size(), 12u);
    EXPECT_EQ(written.nx, 4);
    EXPECT_EQ(written.ny, 3);
    for (std::size_t i = 0; i < written.size(); ++i) written.px[i] = (float)i;
    written.px.push_back(12.0f);
    EXPECT_EQ(written.px.back(), 12.0f);
    EXPECT_EQ(written.px[5], 5.0f);
}

TEST(ChannelUnits, Factors) {
    EXPECT_EQ(channel_unit_factor("height", "m"), 1.0);
    EXPECT_EQ(channel_unit_factor("height", "nm"), 1e-9);
    EXPECT_EQ(channel_unit_factor("height", "um"), 1e-6);
    EXPECT_EQ(channel_unit_factor("height", "\xC2\xB5m"), 1e-6);  // µm
    EXPECT_EQ(channel_unit_factor("amplitude1", "nm"), 1e-9);
    EXPECT_EQ(channel_unit_factor("phase1", "deg"), 1.0);
    EXPECT_DOUBLE_EQ(channel_unit_factor("phase1", "rad"), 180.0 / M_PI);
    EXPECT_EQ(channel_unit_factor("df2", "Hz"), 1.0);
    EXPECT_EQ(channel_unit_factor("df2", "kHz"), 1e3);
}

TEST(ChannelUnits, WrongUnitNamesChannelAndAllowedUnits) {
    const std::pair<const char*, const char*> bad[] = {
        {"height", "deg"}, {"phase1", "m"}, {"df2", "MHz"}, {"amplitude1", "Hz"}, {"height", "NM"}};
    for (const auto& [channel, unit] : bad) {
        try {
            channel_unit_factor(channel, unit);
            FAIL() << channel << " " << unit;
        } catch (const ConfigError& e) {
            const std::string msg = e.what();
            EXPECT_NE(msg.find(channel), std::string::npos) << msg;
            EXPECT_NE(msg.find(std::string("'") + unit + "'"), std::string::npos) << msg;
            EXPECT_NE(msg.find('('), std::string::npos) << "allowed units missing: " << msg;
        }
    }
    EXPECT_THROW(channel_unit_factor("phase2", "deg"), ConfigError);
}

TEST(Sha256, KnownDigests) {
    TempDir d;
    {
        std::ofstream(d.file("abc.txt"), std::ios::binary) << "abc";
        std::ofstream(d.file("empty.txt"), std::ios::binary);
    }
    EXPECT_EQ(sha256_file(d.file("abc.txt")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(sha256_file(d.file("empty.txt")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    // More than one read buffer: one million 'a' (FIPS 180-2 test vector).
    {
        std::ofstream(d.file("a.txt"), std::ios::binary) << std::string(1000000, 'a');
    }
    EXPECT_EQ(sha256_file(d.file("a.txt")), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    EXPECT_THROW(sha256_file(d.file("missing.txt")), DataError);
}

// A small scan on disk: height in nm (float32), phase in rad (float64), absolute frequency in
// kHz (float64), amplitude as scaled int16, labels as uint8.
struct ScanFiles {
    TempDir dir;
    static constexpr int nx = 6, ny = 4;
    static constexpr double f2 = 1.71e6;

    ScanFiles() {
        Image<float> h(nx, ny);
        Image<double> p(nx, ny), f(nx, ny);
        Image<std::int16_t> a(nx, ny);
        Image<std::uint8_t> l(nx, ny);
        for (int y = 0; y < ny; ++y)
            for (int x = 0; x < nx; ++x) {
                h.at(x, y) = (float)(x + 10 * y);                     // nm
                p.at(x, y) = (60.0 + x) * M_PI / 180.0;               // rad
                f.at(x, y) = (f2 + 100.0 + 0.25 * (x + nx * y)) / 1e3;  // kHz, absolute
                a.at(x, y) = (std::int16_t)(1000 + x);                // 0.1 nm steps
                l.at(x, y) = (std::uint8_t)(x < 3 ? 1 : 2);
            }
        write_tiff(dir.file("height.tif"), h);
        write_tiff(dir.file("phase1.tif"), p);
        write_tiff(dir.file("df2.tif"), f);
        write_tiff(dir.file("amp1.tif"), a);
        write_tiff(dir.file("labels.tif"), l);
        write_tiff(dir.file("small.tif"), Image<float>(nx - 1, ny));
        write_tiff(dir.file("small_labels.tif"), Image<std::uint8_t>(nx, ny - 1, 1));
    }

    std::string yaml() const {
        return R"(
channels:
  height:     {file: height.tif, unit: nm}
  phase1:     {file: phase1.tif, unit: rad}
  df2:        {file: df2.tif, unit: kHz, absolute: true}
  amplitude1: {file: amp1.tif, unit: nm, scale: 0.1}
scan_size: {x: 6.0e-6, y: 2.0e-6}
cantilever: {k1: 26.0, q1: 450.0, f1: 300.0e3, f2: 1.71e6, a1_free: 150.0e-9, a1_set: 105.0e-9}
tip: {radius: 10.0e-9}
regions: {labels: labels.tif, names: {1: I}}
)";
    }
    ScanConfig config(const std::vector<std::string>& ov = {}) const {
        const std::string path = dir.file("scan.yaml");
        std::ofstream(path) << yaml();
        return load_scan_config(path, ov);
    }
};

TEST(LoadScan, ConvertsToCanonicalUnits) {
    ScanFiles f;
    const Scan s = load_scan(f.config());
    ASSERT_EQ(s.nx(), ScanFiles::nx);
    ASSERT_EQ(s.ny(), ScanFiles::ny);
    EXPECT_DOUBLE_EQ(s.pixel_size_x_m(), 1e-6);
    EXPECT_DOUBLE_EQ(s.pixel_size_y_m(), 0.5e-6);
    for (int y = 0; y < s.ny(); ++y)
        for (int x = 0; x < s.nx(); ++x) {
            EXPECT_FLOAT_EQ(s.height_m.at(x, y), (float)((x + 10 * y) * 1e-9));
            EXPECT_NEAR(s.phase1_deg.at(x, y), 60.0 + x, 1e-5);
            // The shift survives subtracting a 1.71 MHz carrier: computed in double.
            EXPECT_NEAR(s.df2_hz.at(x, y), 100.0 + 0.25 * (x + ScanFiles::nx * y), 1e-6);
            EXPECT_FLOAT_EQ(s.amplitude1_m.at(x, y), (float)((1000 + x) * 0.1e-9));
            EXPECT_EQ(s.labels.at(x, y), x < 3 ? 1 : 2);
        }
}

TEST(LoadScan, RecordsHashedInputs) {
    ScanFiles f;
    const Scan s = load_scan(f.config());
    std::vector<std::string> roles;
    for (const InputFile& in : s.inputs) {
        roles.push_back(in.role);
        EXPECT_EQ(in.sha256, sha256_file(in.path)) << in.role;
        EXPECT_EQ(in.sha256.size(), 64u);
    }
    EXPECT_EQ(roles, (std::vector<std::string>{"config", "height", "phase1", "df2", "amplitude1", "labels"}));
    EXPECT_EQ(std::filesystem::path(s.inputs[1].path).filename(), "height.tif");
}

TEST(LoadScan, OptionalChannelsAndRelativeFrequency) {
    ScanFiles f;
    ScanConfig c = f.config({"channels.df2.absolute=false"});
    c.amplitude1 = ChannelSpec{};
    c.regions = RegionsConfig{};
    const Scan s = load_scan(c);
    EXPECT_EQ(s.amplitude1_m.size(), 0u);
    EXPECT_EQ(s.labels.size(), 0u);
    EXPECT_NEAR(s.df2_hz.at(0, 0), ScanFiles::f2 + 100.0, 0.2);  // not subtracted
    EXPECT_EQ(s.inputs.size(), 4u);
}

void expect_data_error(const ScanConfig& c, std::initializer_list<std::string> parts) {
    try {
        load_scan(c);
        FAIL() << "no DataError";
    } catch (const DataError& e) {
        const std::string msg = e.what();
        for (const std::string& p : parts) EXPECT_NE(msg.find(p), std::string::npos) << "'" << p << "' not in: " << msg;
    }
}

TEST(LoadScan, MismatchedSizeNamesBothFilesAndSizes) {
    ScanFiles f;
    expect_data_error(f.config({"channels.df2.file=small.tif"}), {"small.tif", "height.tif", "5x4", "6x4"});
    expect_data_error(f.config({"channels.amplitude1.file=small.tif"}), {"small.tif", "height.tif"});
    expect_data_error(f.config({"regions.labels=small_labels.tif"}), {"small_labels.tif", "height.tif", "6x3"});
}

TEST(LoadScan, MissingChannelFileIsNamed) {
    ScanFiles f;
    expect_data_error(f.config({"channels.phase1.file=nope.tif"}), {"nope.tif"});
    expect_data_error(f.config({"regions.labels=nolabels.png"}), {"nolabels.png"});
}

}  // namespace
