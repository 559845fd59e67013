// Hostile and careless inputs (issue 19): counts read from a file are checked against the bytes
// present before anything is allocated (memory bounded with setrlimit(RLIMIT_AS) in a forked
// child), YAML aliases are not expanded without bound, merge stays inside --out, long stacks read
// in linear time, and FIFOs, unreadable files and over-long names get a clear error.
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <tiffio.h>
#include <unistd.h>
#include <zip.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>
#include <nlohmann/json.hpp>

#include "amfm/kernels/error.hpp"
#include "host/batch/series.hpp"
#include "host/formats/roi_io.hpp"
#include "host/formats/tiff_io.hpp"
#include "host/method/statistics.hpp"
#include "host/model/config.hpp"
#include "host/model/input_file.hpp"
#include "test_util.hpp"

namespace {

using amfm_test::TempDir;
namespace fs = std::filesystem;

constexpr rlim_t kMiB = rlim_t(1) << 20;

// Runs f in a forked child limited to `limit` bytes of address space; the child's exit status:
// 0 when f returned true, 1 when it returned false, 2 for an exception it did not expect, 3 for
// bad_alloc (the bound was hit: the check came too late).
int run_bounded(rlim_t limit, const std::function<bool()>& f) {
    const pid_t pid = fork();
    if (pid == 0) {
        const rlimit lim{limit, limit};
        setrlimit(RLIMIT_AS, &lim);
        int code = 2;
        try {
            code = f() ? 0 : 1;
        } catch (const std::bad_alloc&) {
            code = 3;
        } catch (...) {
        }
        _exit(code);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// True when f throws E whose message holds `part`.
template <class E>
bool throws_with(const std::function<void()>& f, const std::string& part) {
    try {
        f();
    } catch (const E& e) {
        return std::string(e.what()).find(part) != std::string::npos;
    }
    return false;
}

void write_bytes(const fs::path& p, const std::vector<std::uint8_t>& b) {
    std::ofstream f(p, std::ios::binary);
    f.write((const char*)b.data(), (std::streamsize)b.size());
}

void put_be(std::vector<std::uint8_t>& b, std::size_t at, std::uint32_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) b[at + i] = (std::uint8_t)(v >> (8 * (bytes - 1 - i)));
}

// A polygon ROI header: `n` vertices claimed in the 32-bit size field, `body` bytes after it.
std::vector<std::uint8_t> polygon_roi(std::uint32_t n, std::size_t body, bool sub_pixel) {
    std::vector<std::uint8_t> b(64 + body, 0);
    std::memcpy(b.data(), "Iout", 4);
    put_be(b, 4, 228, 2);  // version
    b[6] = 0;              // polygon
    put_be(b, 16, 0, 2);   // 0: the count is in the 32-bit field
    put_be(b, 18, n, 4);
    if (sub_pixel) put_be(b, 50, 128, 2);
    return b;
}

int run_cli(const std::string& args, const fs::path& cwd, std::string* err = nullptr) {
    const std::string cmd = "cd '" + cwd.string() + "' && " + args + " >stdout.txt 2>stderr.txt";
    const int status = std::system(cmd.c_str());
    if (err) {
        std::ifstream f(cwd / "stderr.txt");
        *err = std::string(std::istreambuf_iterator<char>(f), {});
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// ---- 1: histogram bins x regions ---------------------------------------------------------------

// 4096 regions of a million bins each overflowed the int bin total (heap overflow); now a
// ConfigError naming the limit, in bounded memory.
TEST(Hardening, RegionsTimesBinsOverTheLimitAreRefused) {
    TempDir tmp;
    const std::string cli = AMFM_CLI_PATH;
    ASSERT_EQ(run_cli("'" + cli + "' simulate --cycle 5 --size 64 --out scan -q", tmp.path()), 0);
    amfm::Image<std::uint16_t> labels(64, 64);
    for (std::size_t i = 0; i < labels.size(); ++i) labels.px[i] = (std::uint16_t)(i + 1);
    amfm::write_tiff(tmp.file("labels.tif"), labels);
    std::string err;
    const int code = run_cli("ulimit -v 4000000; '" + cli +
                                 "' process scan/scan.yaml --out res --backend cpu --no-figures -q "
                                 "--set regions.labels=../labels.tif --set histogram.bins=1000000",
                             tmp.path(), &err);
    EXPECT_EQ(code, 2) << err;
    EXPECT_NE(err.find(std::to_string(amfm::kMaxHistogramBins)), std::string::npos) << err;
    EXPECT_NE(err.find("histogram.bins"), std::string::npos) << err;
}

// ---- 2: tiny files claiming huge sizes ----------------------------------------------------------

TEST(Hardening, RoiClaimingBillionsOfVerticesIsRefusedInBoundedMemory) {
    TempDir tmp;
    const fs::path roi = tmp.path() / "big.roi";
    write_bytes(roi, polygon_roi(0x7fffffff, 0, false));
    EXPECT_EQ(run_bounded(256 * kMiB, [&] {
                  return throws_with<amfm::DataError>([&] { amfm::read_imagej_rois(roi.string()); },
                                                      "claims 2147483647 polygon vertices");
              }),
              0);
}

TEST(Hardening, RoiWithNanOrHugeCoordinatesIsRefused) {
    std::vector<std::uint8_t> b = polygon_roi(3, 3 * 12, true);
    const float xs[3] = {1.0f, NAN, 5.0f};
    for (int i = 0; i < 3; ++i) {
        std::uint32_t u;
        std::memcpy(&u, &xs[i], 4);
        put_be(b, 64 + 12 + 4 * i, u, 4);
    }
    amfm_test::expect_error<amfm::DataError>([&] { amfm::decode_imagej_roi(b, "nan.roi"); },
                                             {"nan.roi", "vertex 1", "finite"});
    // The rasteriser itself clamps before any int cast.
    amfm::ImageJRoi roi;
    roi.x = {-1e300, 1e300, NAN};
    roi.y = {-1e300, 1e300, 1e300};
    amfm::Image<std::uint16_t> labels(8, 8, 0);
    amfm::rasterise_roi(roi, labels, 1);
}

// A zip whose one stored entry claims 3.75 GiB: patched sizes in the local and central headers.
TEST(Hardening, RoiSetEntryClaimingGigabytesIsRefusedInBoundedMemory) {
    TempDir tmp;
    const fs::path zip_path = tmp.path() / "RoiSet.zip";
    {
        int err = 0;
        zip_t* z = zip_open(zip_path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &err);
        ASSERT_NE(z, nullptr);
        static const char body[64] = "Iout";
        zip_source_t* src = zip_source_buffer(z, body, sizeof body, 0);
        const zip_int64_t i = zip_file_add(z, "a.roi", src, ZIP_FL_ENC_UTF_8);
        zip_set_file_compression(z, (zip_uint64_t)i, ZIP_CM_STORE, 0);
        ASSERT_EQ(zip_close(z), 0);
    }
    std::ifstream in(zip_path, std::ios::binary);
    std::vector<std::uint8_t> b((std::istreambuf_iterator<char>(in)), {});
    in.close();
    auto le32 = [&](std::size_t at, std::uint32_t v) {
        for (int k = 0; k < 4; ++k) b[at + k] = (std::uint8_t)(v >> (8 * k));
    };
    for (std::size_t at = 0; at + 4 <= b.size(); ++at) {
        if (std::memcmp(&b[at], "PK\x03\x04", 4) == 0) le32(at + 22, 0xF0000000u);  // local: uncompressed size
        if (std::memcmp(&b[at], "PK\x01\x02", 4) == 0) le32(at + 24, 0xF0000000u);  // central: uncompressed size
    }
    write_bytes(zip_path, b);
    EXPECT_EQ(run_bounded(256 * kMiB, [&] {
                  return throws_with<amfm::DataError>([&] { amfm::read_imagej_rois(zip_path.string()); },
                                                      "claims 4026531840 bytes");
              }),
              0);
}

// A deflate bomb: two entries of 130 MiB of zeros (a few hundred KiB compressed) pass deflate's
// ratio but not the RoiSet's 256 MiB budget.
TEST(Hardening, RoiSetDeflateBombIsRefusedInBoundedMemory) {
    TempDir tmp;
    const fs::path zip_path = tmp.path() / "bomb.zip";
    {
        std::vector<char> zeros(130 * kMiB, 0);
        std::memcpy(zeros.data(), "Iout", 4);
        int err = 0;
        zip_t* z = zip_open(zip_path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &err);
        ASSERT_NE(z, nullptr);
        for (const char* name : {"a.roi", "b.roi"})
            zip_file_add(z, name, zip_source_buffer(z, zeros.data(), zeros.size(), 0), ZIP_FL_ENC_UTF_8);
        ASSERT_EQ(zip_close(z), 0);
    }
    ASSERT_LT(fs::file_size(zip_path), 2 * kMiB);
    EXPECT_EQ(run_bounded(512 * kMiB, [&] {
                  return throws_with<amfm::DataError>([&] { amfm::read_imagej_rois(zip_path.string()); },
                                                      "[b.roi]: claims 136314880 bytes");
              }),
              0);
}

// A 16 KiB TIFF whose header claims 11585 x 11585 pixels: refused before the image is allocated.
TEST(Hardening, TiffClaimingMorePixelsThanItsBytesIsRefusedInBoundedMemory) {
    TempDir tmp;
    const fs::path path = tmp.path() / "liar.tif";
    amfm::write_tiff(path.string(), amfm::Image<std::uint8_t>(8, 8, 0));
    std::ifstream in(path, std::ios::binary);
    std::vector<std::uint8_t> b((std::istreambuf_iterator<char>(in)), {});
    in.close();
    ASSERT_EQ(b[0], 'I');  // little-endian, as libtiff writes on this machine
    auto le = [&](std::size_t at, int n) {
        std::uint32_t v = 0;
        for (int k = n - 1; k >= 0; --k) v = (v << 8) | b[at + k];
        return v;
    };
    const std::uint32_t ifd = le(4, 4);
    for (std::uint32_t e = 0; e < le(ifd, 2); ++e) {
        const std::size_t at = ifd + 2 + 12 * e;
        const std::uint32_t tag = le(at, 2), type = le(at + 2, 2);
        if (tag == 256 || tag == 257) {  // ImageWidth, ImageLength
            b[at + 8] = 11585 & 0xff;
            b[at + 9] = 11585 >> 8;
            if (type == 4) b[at + 10] = b[at + 11] = 0;
        }
    }
    b.resize(16384, 0);
    write_bytes(path, b);
    EXPECT_EQ(run_bounded(512 * kMiB, [&] {
                  return throws_with<amfm::DataError>([&] { amfm::read_label_image(path.string()); },
                                                      "claims 134212225 pixels");
              }),
              0);
}

TEST(Hardening, FileClaimHelperNamesSourceAndLimit) {
    const amfm::FileClaim claim{"x.bin [e]", 100, 1};
    EXPECT_EQ(amfm::checked_claim(claim, 25, 4, 8, "items"), 25u);
    amfm_test::expect_error<amfm::DataError>([&] { amfm::checked_claim(claim, 26, 4, 8, "items"); },
                                             {"x.bin [e]", "26 items", "104 bytes", "100 bytes"});
    amfm_test::expect_error<amfm::DataError>(
        [&] { amfm::checked_claim({"y", ~0ull, 1}, ~0ull / 2, 8, 8, "items"); }, {"y", "1 GiB"});
}

// ---- 3: merge stays inside --out ----------------------------------------------------------------

TEST(Hardening, MergeRefusesManifestIdsThatLeaveTheOutputFolder) {
    TempDir tmp;
    // out/scans/../../../victim.txt is tmp/a/victim.txt: two folders above --out.
    const fs::path victim = tmp.path() / "a" / "victim.txt", shard = tmp.path() / "a" / "b" / "shard";
    fs::create_directories(shard);
    std::ofstream(victim) << "keep me";
    const nlohmann::json manifest = {
        {"format", "amfm series manifest"}, {"format_version", 1}, {"series_file", "s.yaml"}, {"name", "s"},
        {"shard", "0/1"},
        {"entries", {{{"id", "../../../victim.txt"}, {"scan", "x"}, {"cycle", 0}, {"sample", ""}, {"notes", ""}}}}};
    std::ofstream(shard / "series_manifest.json") << manifest.dump();
    const fs::path out = tmp.path() / "a" / "b" / "out";
    amfm_test::expect_error<amfm::ConfigError>(
        [&] { amfm::merge_series({shard.string()}, out.string()); },
        {"series_manifest.json", "../../../victim.txt", "not a plain folder name"});
    EXPECT_TRUE(fs::is_regular_file(victim));
    EXPECT_FALSE(fs::exists(out));
}

// ---- 4: YAML alias bombs ------------------------------------------------------------------------

std::string alias_bomb(const std::string& top_key) {
    std::string y = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
    for (int i = 1; i < 9; ++i) {
        const std::string p = "*a" + std::to_string(i - 1);
        y += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [" + p + ", " + p + ", " + p + ", " + p + ", " +
             p + ", " + p + ", " + p + ", " + p + ", " + p + ", " + p + "]\n";
    }
    std::string out = top_key + ":\n";
    std::stringstream ss(y);
    for (std::string l; std::getline(ss, l);) out += "  " + l + "\n";
    return out;
}

TEST(Hardening, SeriesSettingsAliasBombIsRefusedQuickly) {
    const std::string text = "name: bomb\n" + alias_bomb("settings") + "scans:\n  - {scan: a/scan.yaml, cycle: 0}\n";
    ASSERT_LT(text.size(), 1000u);
    const auto t0 = std::chrono::steady_clock::now();
    EXPECT_EQ(run_bounded(1024 * kMiB, [&] {
                  return throws_with<amfm::ConfigError>([&] { amfm::parse_series_spec(text, ".", "bomb.yaml"); },
                                                        "bomb.yaml: the YAML expands to more than 1048576 nodes");
              }),
              0);
    EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 10.0);
}

TEST(Hardening, ScanYamlAndOverrideAliasBombsAreRefused) {
    amfm_test::expect_error<amfm::ConfigError>(
        [&] { amfm::parse_scan_config(alias_bomb("notes"), ".", "scan.yaml", {}); },
        {"scan.yaml", "expands to more than"});
    std::string value = "{a0: &a0 [x, x, x, x, x, x, x, x, x, x]";
    for (int i = 1; i < 9; ++i) {
        const std::string p = "*a" + std::to_string(i - 1);
        value += ", a" + std::to_string(i) + ": &a" + std::to_string(i) + " [" + p + ", " + p + ", " + p + ", " + p +
                 ", " + p + ", " + p + ", " + p + ", " + p + ", " + p + ", " + p + "]";
    }
    value += "}";
    amfm_test::expect_error<amfm::ConfigError>(
        [&] { amfm::parse_scan_config("{}", ".", "scan.yaml", {"notes=" + value}); },
        {"scan.yaml", "override", "expands to more than"});
}

// ---- 9: long stacks read in linear time ---------------------------------------------------------

TEST(Hardening, PagesOfALongStackReadInLinearTime) {
    TempDir tmp;
    const std::string path = tmp.file("stack.tif");
    constexpr int kPages = 2000;
    {
        TIFF* t = TIFFOpen(path.c_str(), "w");
        ASSERT_NE(t, nullptr);
        std::vector<float> row(8, 0.0f);
        for (int p = 0; p < kPages; ++p) {
            TIFFSetField(t, TIFFTAG_IMAGEWIDTH, 8u);
            TIFFSetField(t, TIFFTAG_IMAGELENGTH, 8u);
            TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, 1);
            TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 32);
            TIFFSetField(t, TIFFTAG_SAMPLEFORMAT, SAMPLEFORMAT_IEEEFP);
            TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, 8u);
            for (int y = 0; y < 8; ++y) {
                row[0] = (float)p;
                TIFFWriteScanline(t, row.data(), (std::uint32_t)y, 0);
            }
            TIFFWriteDirectory(t);
        }
        TIFFClose(t);
    }
    amfm::TiffInfo info;
    for (int p = 0; p < kPages; ++p) {
        const amfm::Image<float> img = amfm::read_tiff_float(path, &info, p);
        ASSERT_EQ(img.at(0, 0), (float)p);
    }
    EXPECT_EQ(info.pages, kPages);
    EXPECT_EQ(amfm::tiff_page_count(path), kPages);
    // Linear, not quadratic: a page at the end costs what a page at the start costs. Quadratic (every
    // read walking the pages before it) makes the last pages ~40x dearer than the first; the two
    // ends are read interleaved, so the machine's load weighs on both alike (no absolute time limit).
    double first_s = 0, last_s = 0;
    for (int round = 0; round < 5; ++round)
        for (int end = 0; end < 2; ++end) {
            const auto t0 = std::chrono::steady_clock::now();
            for (int p = 0; p < 20; ++p) (void)amfm::read_tiff_float(path, nullptr, end ? kPages - 1 - p : p);
            (end ? last_s : first_s) += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        }
    EXPECT_LT(last_s, 8.0 * first_s) << "first pages " << first_s << " s, last pages " << last_s << " s";
    amfm_test::expect_error<amfm::DataError>([&] { amfm::read_tiff_float(path, nullptr, kPages); },
                                             {"stack.tif", "page 2000 requested", "2000 pages (0..1999)"});
}

// ---- 10: FIFOs, unreadable files, over-long names -----------------------------------------------

TEST(Hardening, FifoAsAChannelOrLabelFileIsRefusedWithoutBlocking) {
    TempDir tmp;
    const std::string fifo = tmp.file("height.tif");
    ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
    amfm_test::expect_error<amfm::DataError>([&] { amfm::read_tiff_float(fifo); },
                                             {"height.tif", "not a regular file (a FIFO)"});
    amfm_test::expect_error<amfm::DataError>([&] { amfm::read_label_image(fifo); }, {"a FIFO"});
    amfm_test::expect_error<amfm::DataError>([&] { amfm::read_imagej_rois(fifo); }, {"a FIFO"});
    // The whole command: a scan whose height channel is a FIFO ends with exit 3, not a hang.
    const std::string cli = AMFM_CLI_PATH;
    ASSERT_EQ(run_cli("'" + cli + "' simulate --cycle 5 --size 32 --out scan -q", tmp.path()), 0);
    fs::remove(tmp.path() / "scan" / "height.tif");
    ASSERT_EQ(mkfifo((tmp.path() / "scan" / "height.tif").c_str(), 0600), 0);
    std::string err;
    EXPECT_EQ(run_cli("timeout 60 '" + cli + "' process scan/scan.yaml --out res --no-figures -q", tmp.path(), &err),
              3)
        << err;
    EXPECT_NE(err.find("a FIFO"), std::string::npos) << err;
}

TEST(Hardening, FifoAsASeriesFileIsRefusedWithoutBlocking) {
    TempDir tmp;
    const std::string fifo = tmp.file("series.yaml");
    ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
    amfm_test::expect_error<amfm::ConfigError>([&] { amfm::load_series_spec(fifo); },
                                               {"series.yaml", "not a regular file (a FIFO)"});
}

TEST(Hardening, UnreadableAndOverlongNamesSayWhy) {
    TempDir tmp;
    const std::string long_name = tmp.file(std::string(300, 'n') + ".tif");
    amfm_test::expect_error<amfm::DataError>([&] { amfm::read_label_image(long_name); }, {"file name too long"});
    const std::string locked = tmp.file("labels.png");
    amfm::write_tiff(locked, amfm::Image<std::uint8_t>(4, 4, 1));
    chmod(locked.c_str(), 0);
    if (geteuid() == 0) GTEST_SKIP() << "root reads any file: the permission check cannot be seen";
    amfm_test::expect_error<amfm::DataError>([&] { amfm::read_label_image(locked); },
                                             {"labels.png", "permission denied"});
}

}  // namespace
