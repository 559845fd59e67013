// TIFF/PNG channel and label I/O: round trips for every sample type, layouts, calibration
// tags, and one-line DataErrors naming the file for everything unreadable.
#include <tiffio.h>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <random>
#include <string>

#include "amfm/kernels/error.hpp"
#include "host/formats/tiff_io.hpp"
#include "host/model/hash.hpp"
#include "test_util.hpp"

namespace {

using namespace amfm;
using amfm_test::TempDir;

template <class T>
Image<T> ramp(int nx, int ny, double lo, double step) {
    Image<T> img(nx, ny);
    for (std::size_t i = 0; i < img.size(); ++i) img.px[i] = (T)(lo + step * (double)i);
    return img;
}

template <class T>
void expect_round_trip(const Image<T>& img, const std::string& path, bool compress, int bits, const char* format) {
    TiffCalibration cal;
    cal.compress = compress;
    write_tiff(path, img, cal);
    TiffInfo info;
    const Image<float> back = read_tiff_float(path, &info);
    EXPECT_EQ(info.bits_per_sample, bits);
    EXPECT_EQ(info.sample_format, format);
    EXPECT_EQ(info.pages, 1);
    ASSERT_EQ(back.nx, img.nx);
    ASSERT_EQ(back.ny, img.ny);
    for (std::size_t i = 0; i < img.size(); ++i) ASSERT_EQ(back.px[i], (float)img.px[i]) << "pixel " << i;
    EXPECT_FALSE(std::filesystem::exists(path + ".partial"));
}

// Expects a DataError whose one-line message names `path`.
template <class F>
void expect_data_error(F&& f, const std::string& path, const std::string& also = "") {
    try {
        f();
        FAIL() << "no DataError for " << path;
    } catch (const DataError& e) {
        const std::string msg = e.what();
        EXPECT_NE(msg.find(path), std::string::npos) << msg;
        EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
        if (!also.empty()) {
            EXPECT_NE(msg.find(also), std::string::npos) << msg;
        }
    }
}

class TiffRoundTrip : public ::testing::TestWithParam<bool> {};

TEST_P(TiffRoundTrip, Float32) {
    TempDir d;
    Image<float> img = ramp<float>(37, 23, -1.5e-7, 3.3e-10);
    img.at(3, 4) = std::numeric_limits<float>::quiet_NaN();
    TiffCalibration cal;
    cal.compress = GetParam();
    write_tiff(d.file("f.tif"), img, cal);
    TiffInfo info;
    const Image<float> back = read_tiff_float(d.file("f.tif"), &info);
    EXPECT_EQ(info.bits_per_sample, 32);
    EXPECT_EQ(info.sample_format, "float");
    ASSERT_EQ(back.size(), img.size());
    EXPECT_TRUE(std::isnan(back.at(3, 4)));
    for (std::size_t i = 0; i < img.size(); ++i)
        if (i != (std::size_t)(4 * 37 + 3)) {
            ASSERT_EQ(back.px[i], img.px[i]);
        }
}

TEST_P(TiffRoundTrip, Float64KeepsDoublePrecision) {
    TempDir d;
    const Image<double> img = ramp<double>(19, 300, 1.71e6, 0.001);  // needs more than float's 24 bits
    TiffCalibration cal;
    cal.compress = GetParam();
    write_tiff(d.file("d.tif"), img, cal);
    TiffInfo info;
    const Image<double> back = read_tiff_double(d.file("d.tif"), &info);
    EXPECT_EQ(info.bits_per_sample, 64);
    EXPECT_EQ(info.sample_format, "float");
    ASSERT_EQ(back.size(), img.size());
    for (std::size_t i = 0; i < img.size(); ++i) ASSERT_EQ(back.px[i], img.px[i]);
    expect_round_trip(img, d.file("d2.tif"), GetParam(), 64, "float");
}

// A channel straight into float in its units: each sample as read_tiff_double's value scaled in
// double and rounded once (absolute frequencies keep their sub-Hz shifts), the file hashed from
// the bytes the decoder read.
TEST_P(TiffRoundTrip, ScaledReadMatchesDoubleReadAndHashesTheFile) {
    TempDir d;
    const Image<double> img = ramp<double>(19, 300, 1.71e6, 0.001);
    TiffCalibration cal;
    cal.compress = GetParam();
    write_tiff(d.file("d.tif"), img, cal);
    const double factor = 1.0, offset = 1.71e6;
    std::string sha256;
    TiffInfo info;
    const Image<float> scaled = read_tiff_scaled(d.file("d.tif"), factor, offset, &info, 0, &sha256);
    EXPECT_EQ(info.bits_per_sample, 64);
    EXPECT_EQ(sha256, sha256_file(d.file("d.tif")));
    const Image<double> raw = read_tiff_double(d.file("d.tif"));
    ASSERT_EQ(scaled.size(), raw.size());
    for (std::size_t i = 0; i < raw.size(); ++i) ASSERT_EQ(scaled.px[i], (float)(raw.px[i] * factor - offset)) << i;
    EXPECT_NE(scaled.px[1], scaled.px[0]);  // 1 mHz steps survive: the offset went in double
    // Integers with a unit factor, read without a hash.
    const Image<std::int16_t> ints = ramp<std::int16_t>(31, 7, -300, 17);
    write_tiff(d.file("i.tif"), ints, cal);
    const Image<float> nm = read_tiff_scaled(d.file("i.tif"), 1e-9, 0.0);
    for (std::size_t i = 0; i < ints.size(); ++i) ASSERT_EQ(nm.px[i], (float)((double)ints.px[i] * 1e-9)) << i;
    EXPECT_THROW(read_tiff_scaled(d.file("missing.tif"), 1.0, 0.0, nullptr, 0, &sha256), DataError);
}

TEST_P(TiffRoundTrip, Int16) {
    TempDir d;
    expect_round_trip(ramp<std::int16_t>(64, 50, -32768, 20.0), d.file("i16.tif"), GetParam(), 16, "int");
}

TEST_P(TiffRoundTrip, UInt16) {
    TempDir d;
    expect_round_trip(ramp<std::uint16_t>(300, 217, 0, 1.0), d.file("u16.tif"), GetParam(), 16, "uint");
}

TEST_P(TiffRoundTrip, UInt8) {
    TempDir d;
    Image<std::uint8_t> img(33, 41);
    for (std::size_t i = 0; i < img.size(); ++i) img.px[i] = (std::uint8_t)(i * 7 % 256);
    expect_round_trip(img, d.file("u8.tif"), GetParam(), 8, "uint");
}

INSTANTIATE_TEST_SUITE_P(Compression, TiffRoundTrip, ::testing::Values(false, true),
                         [](const auto& p) { return p.param ? "deflate" : "plain"; });

TEST(TiffIo, CompressionShrinksSmoothMaps) {
    TempDir d;
    TiffCalibration plain, packed;
    packed.compress = true;
    auto shrink = [&](const auto& img) {
        write_tiff(d.file("plain.tif"), img, plain);
        write_tiff(d.file("packed.tif"), img, packed);
        return (double)std::filesystem::file_size(d.file("plain.tif")) /
               (double)std::filesystem::file_size(d.file("packed.tif"));
    };
    // Floats go without a predictor (ImageJ reads no floating-point predictor), so they shrink less.
    EXPECT_GT(shrink(ramp<float>(256, 256, 0.0, 1.0)), 2.0);
    EXPECT_GT(shrink(ramp<std::uint16_t>(256, 256, 0.0, 1.0)), 4.0);
}

TEST(TiffIo, WritesFijiCalibrationAndDescription) {
    TempDir d;
    TiffCalibration cal;
    cal.pixel_size_x_m = 20e-9;
    cal.pixel_size_y_m = 40e-9;
    cal.description = "modulus GPa";
    write_tiff(d.file("m.tif"), Image<float>(4, 3, 1.0f), cal);

    TIFF* tif = TIFFOpen(d.file("m.tif").c_str(), "r");
    ASSERT_NE(tif, nullptr);
    char* desc = nullptr;
    ASSERT_TRUE(TIFFGetField(tif, TIFFTAG_IMAGEDESCRIPTION, &desc));
    const std::string s = desc;
    EXPECT_EQ(s.rfind("ImageJ=", 0), 0u) << s;
    EXPECT_NE(s.find("\nunit=micron\n"), std::string::npos) << s;
    EXPECT_NE(s.find("amfm=modulus GPa"), std::string::npos) << s;
    float xres = 0, yres = 0;
    std::uint16_t unit = 0;
    ASSERT_TRUE(TIFFGetField(tif, TIFFTAG_XRESOLUTION, &xres));
    ASSERT_TRUE(TIFFGetField(tif, TIFFTAG_YRESOLUTION, &yres));
    ASSERT_TRUE(TIFFGetField(tif, TIFFTAG_RESOLUTIONUNIT, &unit));
    EXPECT_NEAR(xres, 50.0, 1e-4);  // pixels per micron
    EXPECT_NEAR(yres, 25.0, 1e-4);
    EXPECT_EQ(unit, RESUNIT_NONE);
    std::uint16_t spp = 0;
    TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLESPERPIXEL, &spp);
    EXPECT_EQ(spp, 1);
    EXPECT_EQ(TIFFNumberOfDirectories(tif), 1);
    TIFFClose(tif);
}

TEST(TiffIo, WritesTheImageJValueUnitOfFloatMaps) {
    TempDir d;
    auto description = [&](const TiffCalibration& cal) {
        write_tiff(d.file("v.tif"), Image<float>(4, 3, 1.0f), cal);
        TIFF* tif = TIFFOpen(d.file("v.tif").c_str(), "r");
        EXPECT_NE(tif, nullptr);
        char* desc = nullptr;
        std::string s = tif && TIFFGetField(tif, TIFFTAG_IMAGEDESCRIPTION, &desc) ? desc : "";
        if (tif) TIFFClose(tif);
        return s;
    };
    TiffCalibration cal;
    cal.value_unit = "GPa";  // ImageJ reads "vunit" of a 32-bit image, in a description starting "ImageJ="
    EXPECT_EQ(description(cal), "ImageJ=1.11a\nvunit=GPa\n");
    cal.pixel_size_x_m = cal.pixel_size_y_m = 1e-6;
    cal.description = "modulus";
    EXPECT_EQ(description(cal), "ImageJ=1.11a\nunit=micron\nvunit=GPa\namfm=modulus\n");

    amfm_test::expect_error<DataError>([&] { write_tiff(d.file("i.tif"), Image<std::uint8_t>(2, 2), cal); },
                                       {"i.tif", "floating-point"});
    cal.value_unit = "a=b";
    amfm_test::expect_error<DataError>([&] { write_tiff(d.file("u.tif"), Image<float>(2, 2), cal); }, {"u.tif", "a=b"});
}

// ImageJ decodes Deflate with horizontal differencing (predictor 2) but not the floating-point
// predictor (3): compressed floats carry none, integers predictor 2.
TEST(TiffIo, CompressedTiffsUseOnlyPredictorsImageJReads) {
    TempDir d;
    TiffCalibration cal;
    cal.compress = true;
    write_tiff(d.file("f.tif"), ramp<float>(64, 64, 0.0, 0.5), cal);
    write_tiff(d.file("d.tif"), ramp<double>(64, 64, 0.0, 0.5), cal);
    write_tiff(d.file("u16.tif"), ramp<std::uint16_t>(64, 64, 0.0, 1.0), cal);
    write_tiff(d.file("i16.tif"), ramp<std::int16_t>(64, 64, -100.0, 1.0), cal);
    for (const auto& [file, predictor] : {std::pair<const char*, int>{"f.tif", PREDICTOR_NONE}, {"d.tif", PREDICTOR_NONE},
                                          {"u16.tif", PREDICTOR_HORIZONTAL}, {"i16.tif", PREDICTOR_HORIZONTAL}}) {
        TIFF* tif = TIFFOpen(d.file(file).c_str(), "r");
        ASSERT_NE(tif, nullptr) << file;
        std::uint16_t compression = 0, pred = 0;
        TIFFGetFieldDefaulted(tif, TIFFTAG_COMPRESSION, &compression);
        TIFFGetFieldDefaulted(tif, TIFFTAG_PREDICTOR, &pred);
        EXPECT_EQ(compression, COMPRESSION_ADOBE_DEFLATE) << file;
        EXPECT_EQ(pred, predictor) << file;
        TIFFClose(tif);
    }
}

TEST(TiffIo, WriteToMissingFolderLeavesNothing) {
    TempDir d;
    const std::string path = d.file("no/such/dir/x.tif");
    expect_data_error([&] { write_tiff(path, Image<float>(2, 2)); }, "x.tif");
    EXPECT_FALSE(std::filesystem::exists(path + ".partial"));
    EXPECT_FALSE(std::filesystem::exists(path));
    expect_data_error([&] { write_tiff(d.file("empty.tif"), Image<float>()); }, "empty.tif");
    EXPECT_TRUE(std::filesystem::is_empty(d.path()));
}

TEST(TiffIo, OverwritesAnExistingFile) {
    TempDir d;
    write_tiff(d.file("a.tif"), Image<float>(5, 5, 1.0f));
    write_tiff(d.file("a.tif"), Image<float>(3, 2, 2.0f));
    const Image<float> back = read_tiff_float(d.file("a.tif"));
    EXPECT_EQ(back.nx, 3);
    EXPECT_EQ(back.ny, 2);
    EXPECT_EQ(back.px[0], 2.0f);
}

// Written with libtiff directly: layouts and types our writer does not produce.
template <class T>
void write_raw(const std::string& path, const Image<T>& img, int bits, int format, int spp, bool tiled,
               int compression, int tile = 16) {
    TIFF* tif = TIFFOpen(path.c_str(), "w");
    ASSERT_NE(tif, nullptr);
    TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, (std::uint32_t)img.nx);
    TIFFSetField(tif, TIFFTAG_IMAGELENGTH, (std::uint32_t)img.ny);
    TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, (std::uint16_t)spp);
    TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, (std::uint16_t)bits);
    TIFFSetField(tif, TIFFTAG_SAMPLEFORMAT, (std::uint16_t)format);
    TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, (std::uint16_t)(spp == 3 ? PHOTOMETRIC_RGB : PHOTOMETRIC_MINISBLACK));
    TIFFSetField(tif, TIFFTAG_PLANARCONFIG, (std::uint16_t)PLANARCONFIG_CONTIG);
    TIFFSetField(tif, TIFFTAG_COMPRESSION, (std::uint16_t)compression);
    const std::size_t row = (std::size_t)img.nx * spp;
    if (tiled) {
        TIFFSetField(tif, TIFFTAG_TILEWIDTH, (std::uint32_t)tile);
        TIFFSetField(tif, TIFFTAG_TILELENGTH, (std::uint32_t)tile);
        std::vector<T> buf((std::size_t)tile * tile * spp);
        for (int y0 = 0; y0 < img.ny; y0 += tile)
            for (int x0 = 0; x0 < img.nx; x0 += tile) {
                std::fill(buf.begin(), buf.end(), T{});
                for (int y = y0; y < std::min(y0 + tile, img.ny); ++y)
                    for (int x = x0; x < std::min(x0 + tile, img.nx); ++x)
                        for (int c = 0; c < spp; ++c)
                            buf[((std::size_t)(y - y0) * tile + (x - x0)) * spp + c] = img.at(x, y);
                ASSERT_GE(TIFFWriteTile(tif, buf.data(), (std::uint32_t)x0, (std::uint32_t)y0, 0, 0), 0);
            }
    } else {
        TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, (std::uint32_t)3);
        std::vector<T> line(row);
        for (int y = 0; y < img.ny; ++y) {
            for (int x = 0; x < img.nx; ++x)
                for (int c = 0; c < spp; ++c) line[(std::size_t)x * spp + c] = img.at(x, y);
            ASSERT_GE(TIFFWriteScanline(tif, line.data(), (std::uint32_t)y, 0), 0);
        }
    }
    TIFFClose(tif);
}

TEST(TiffIo, ReadsTiledFiles) {
    TempDir d;
    const Image<float> f = ramp<float>(40, 29, -3.0, 0.25);  // not a multiple of the tile size
    write_raw(d.file("tiled_f.tif"), f, 32, SAMPLEFORMAT_IEEEFP, 1, true, COMPRESSION_ADOBE_DEFLATE);
    const Image<float> fb = read_tiff_float(d.file("tiled_f.tif"));
    ASSERT_EQ(fb.nx, 40);
    ASSERT_EQ(fb.ny, 29);
    for (std::size_t i = 0; i < f.size(); ++i) ASSERT_EQ(fb.px[i], f.px[i]);

    const Image<std::int32_t> i32 = ramp<std::int32_t>(17, 33, -100000, 999.0);
    write_raw(d.file("tiled_i32.tif"), i32, 32, SAMPLEFORMAT_INT, 1, true, COMPRESSION_NONE);
    TiffInfo info;
    const Image<double> ib = read_tiff_double(d.file("tiled_i32.tif"), &info);
    EXPECT_EQ(info.bits_per_sample, 32);
    EXPECT_EQ(info.sample_format, "int");
    for (std::size_t i = 0; i < i32.size(); ++i) ASSERT_EQ(ib.px[i], (double)i32.px[i]);
}

TEST(TiffIo, ReadsOtherIntegerTypesInStrips) {
    TempDir d;
    const Image<std::int8_t> i8 = ramp<std::int8_t>(9, 7, -128, 4.0);
    write_raw(d.file("i8.tif"), i8, 8, SAMPLEFORMAT_INT, 1, false, COMPRESSION_LZW);
    const Image<float> b8 = read_tiff_float(d.file("i8.tif"));
    for (std::size_t i = 0; i < i8.size(); ++i) ASSERT_EQ(b8.px[i], (float)i8.px[i]);

    const Image<std::uint32_t> u32 = ramp<std::uint32_t>(11, 10, 4000000000.0, 1000.0);
    write_raw(d.file("u32.tif"), u32, 32, SAMPLEFORMAT_UINT, 1, false, COMPRESSION_PACKBITS);
    TiffInfo info;
    const Image<double> b32 = read_tiff_double(d.file("u32.tif"), &info);
    EXPECT_EQ(info.sample_format, "uint");
    for (std::size_t i = 0; i < u32.size(); ++i) ASSERT_EQ(b32.px[i], (double)u32.px[i]);
}

TEST(TiffIo, ReportsPageCount) {
    TempDir d;
    const std::string path = d.file("pages.tif");
    TIFF* tif = TIFFOpen(path.c_str(), "w");
    ASSERT_NE(tif, nullptr);
    for (int page = 0; page < 3; ++page) {
        TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, 2u);
        TIFFSetField(tif, TIFFTAG_IMAGELENGTH, 1u);
        TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, 8);
        TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, 1);
        TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISBLACK);
        std::uint8_t row[2] = {(std::uint8_t)(10 + page), 7};
        TIFFWriteScanline(tif, row, 0, 0);
        TIFFWriteDirectory(tif);
    }
    TIFFClose(tif);
    TiffInfo info;
    const Image<float> img = read_tiff_float(path, &info);
    EXPECT_EQ(info.pages, 3);
    EXPECT_EQ(img.px[0], 10.0f);  // the first page
}

TEST(TiffIo, RejectsMultiSample) {
    TempDir d;
    const std::string path = d.file("rgb.tif");
    write_raw(path, Image<std::uint8_t>(8, 8, 5), 8, SAMPLEFORMAT_UINT, 3, false, COMPRESSION_NONE);
    expect_data_error([&] { read_tiff_float(path); }, path, "samples per pixel");
    expect_data_error([&] { read_label_image(path); }, path);
}

TEST(TiffIo, RejectsMissingRandomAndTruncatedFiles) {
    TempDir d;
    const std::string missing = d.file("missing.tif");
    expect_data_error([&] { read_tiff_float(missing); }, missing);
    expect_data_error([&] { read_label_image(missing); }, missing);

    const std::string noise = d.file("noise.tif");
    {
        std::mt19937 rng(7);
        std::ofstream out(noise, std::ios::binary);
        for (int i = 0; i < 4096; ++i) out.put((char)(rng() & 0xff));
    }
    expect_data_error([&] { read_tiff_float(noise); }, noise);
    expect_data_error([&] { read_label_image(noise); }, noise);

    // Valid header and directory, image data cut off.
    const std::string full = d.file("full.tif"), cut = d.file("cut.tif");
    write_tiff(full, ramp<float>(200, 200, 0.0, 1.0));
    {
        std::ifstream in(full, std::ios::binary);
        std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        // Our writer puts the directory after the data; keep the header, drop the rest.
        std::ofstream out(cut, std::ios::binary);
        out.write(bytes.data(), (std::streamsize)bytes.size() / 2);
    }
    expect_data_error([&] { read_tiff_float(cut); }, cut);

    // Directory intact but strips truncated: rewrite with the directory first.
    const std::string front = d.file("front.tif");
    {
        TIFF* tif = TIFFOpen(front.c_str(), "w");
        ASSERT_NE(tif, nullptr);
        TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, 100u);
        TIFFSetField(tif, TIFFTAG_IMAGELENGTH, 100u);
        TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, 32);
        TIFFSetField(tif, TIFFTAG_SAMPLEFORMAT, SAMPLEFORMAT_IEEEFP);
        TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, 1);
        TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, 10u);
        TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISBLACK);
        TIFFCheckpointDirectory(tif);  // the directory is now near the file's start
        std::vector<float> row(100, 1.0f);
        for (std::uint32_t y = 0; y < 100; ++y) TIFFWriteScanline(tif, row.data(), y, 0);
        TIFFClose(tif);
        // Cut to 60 % of the file: the directory written at checkpoint stays readable.
        const auto size = std::filesystem::file_size(front);
        std::filesystem::resize_file(front, size * 6 / 10);
    }
    expect_data_error([&] { read_tiff_float(front); }, front);
}

TEST(TiffIo, RejectsFolderAndUnsupportedSamples) {
    TempDir d;
    expect_data_error([&] { read_tiff_float(d.path().string()); }, d.path().string());
    const std::string bits1 = d.file("bilevel.tif");
    {
        TIFF* tif = TIFFOpen(bits1.c_str(), "w");
        ASSERT_NE(tif, nullptr);
        TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, 8u);
        TIFFSetField(tif, TIFFTAG_IMAGELENGTH, 1u);
        TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, 1);
        TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, 1);
        TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISBLACK);
        std::uint8_t row = 0xAA;
        TIFFWriteScanline(tif, &row, 0, 0);
        TIFFClose(tif);
    }
    expect_data_error([&] { read_tiff_float(bits1); }, bits1, "unsupported");
}

TEST(LabelImage, TiffAndPngGiveTheSameLabels) {
    TempDir d;
    Image<std::uint16_t> labels(23, 17);
    for (int y = 0; y < labels.ny; ++y)
        for (int x = 0; x < labels.nx; ++x) labels.at(x, y) = (std::uint16_t)((x / 5 + 3 * (y / 4)) % 7 * 1000);
    write_tiff(d.file("labels16.tif"), labels);
    cv::Mat m(labels.ny, labels.nx, CV_16U, labels.data());
    ASSERT_TRUE(cv::imwrite(d.file("labels16.png"), m));

    const Image<std::uint16_t> a = read_label_image(d.file("labels16.tif"));
    const Image<std::uint16_t> b = read_label_image(d.file("labels16.png"));
    ASSERT_EQ(a.nx, labels.nx);
    ASSERT_EQ(a.ny, labels.ny);
    EXPECT_EQ(a.px, labels.px);
    EXPECT_EQ(b.px, labels.px);

    Image<std::uint8_t> small(6, 5);
    for (std::size_t i = 0; i < small.size(); ++i) small.px[i] = (std::uint8_t)(i % 4);
    write_tiff(d.file("labels8.tif"), small);
    cv::Mat m8(small.ny, small.nx, CV_8U, small.data());
    ASSERT_TRUE(cv::imwrite(d.file("labels8.png"), m8));
    const Image<std::uint16_t> c = read_label_image(d.file("labels8.tif"));
    const Image<std::uint16_t> e = read_label_image(d.file("labels8.png"));
    EXPECT_EQ(c.px, e.px);
    for (std::size_t i = 0; i < small.size(); ++i) ASSERT_EQ(c.px[i], small.px[i]);
}

TEST(LabelImage, AcceptsNonNegativeSignedRejectsNegative) {
    TempDir d;
    Image<std::int16_t> ok(4, 4, 3);
    write_tiff(d.file("s.tif"), ok);
    EXPECT_EQ(read_label_image(d.file("s.tif")).px, PixelVector<std::uint16_t>(16, 3));
    ok.at(1, 2) = -1;
    write_tiff(d.file("neg.tif"), ok);
    expect_data_error([&] { read_label_image(d.file("neg.tif")); }, d.file("neg.tif"), "negative");
}

TEST(LabelImage, RejectsFloatAndColour) {
    TempDir d;
    write_tiff(d.file("f.tif"), Image<float>(4, 4, 1.0f));
    expect_data_error([&] { read_label_image(d.file("f.tif")); }, d.file("f.tif"), "floating-point");
    cv::Mat rgb(4, 4, CV_8UC3, cv::Scalar(1, 2, 3));
    ASSERT_TRUE(cv::imwrite(d.file("rgb.png"), rgb));
    expect_data_error([&] { read_label_image(d.file("rgb.png")); }, d.file("rgb.png"), "colour");
    {
        std::ofstream out(d.file("bad.png"), std::ios::binary);
        out << "\x89PNG\r\n\x1a\n" << std::string(20, 'x');
    }
    expect_data_error([&] { read_label_image(d.file("bad.png")); }, d.file("bad.png"));
}

}  // namespace
