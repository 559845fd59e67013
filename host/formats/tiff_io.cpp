// TIFF channel reading and writing with libtiff; PNG label images through OpenCV.
#include "host/formats/tiff_io.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <tiffio.h>
#include <unistd.h>

#include <opencv2/imgcodecs.hpp>

#include <algorithm>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string_view>
#include <vector>

#include "amfm/kernels/error.hpp"
#include "host/model/hash.hpp"
#include "host/model/input_file.hpp"

namespace amfm {
namespace {

namespace fs = std::filesystem;

// Larger than any real scan (a 16384 x 8192 map), small enough that a corrupt header claiming
// billions of pixels is refused before anything is allocated.
constexpr std::uint64_t kMaxPixels = std::uint64_t(1) << 27;
constexpr std::uint32_t kMaxEdge = std::uint32_t(1) << 20;
// How far compressed pixel data can expand (deflate ~1032, LZW ~1365): a header claiming more
// pixels than its file can hold is refused before the image is allocated.
constexpr std::uint64_t kMaxTiffExpansion = 4096;

// libtiff reports problems through process-wide handlers. We install ours once; while a
// reader or writer runs on this thread, messages are collected into its capture and become
// part of the DataError instead of being printed.
thread_local std::string* t_capture = nullptr;

std::string format_message(const char* module, const char* fmt, va_list ap) {
    char buf[1024];
    std::vsnprintf(buf, sizeof buf, fmt, ap);
    std::string msg = buf;
    std::replace(msg.begin(), msg.end(), '\n', ' ');
    if (module && *module && msg.find(module) != 0) msg = std::string(module) + ": " + msg;
    return msg;
}

void error_handler(thandle_t, const char* module, const char* fmt, va_list ap) {
    const std::string msg = format_message(module, fmt, ap);
    if (t_capture) {
        if (t_capture->empty()) *t_capture = msg;  // the first error is the cause
    } else {
        std::fprintf(stderr, "libtiff: %s\n", msg.c_str());
    }
}

void warning_handler(thandle_t, const char*, const char*, va_list) {
    // Warnings (unknown private tags of instrument exports, ...) are noise for our use.
}

void install_handlers() {
    static std::once_flag once;
    std::call_once(once, [] {
        TIFFSetErrorHandler(nullptr);
        TIFFSetWarningHandler(nullptr);
        TIFFSetErrorHandlerExt(error_handler);
        TIFFSetWarningHandlerExt(warning_handler);
    });
}

// A file mapped read-only: libtiff decodes from these bytes and the content hash is taken from
// them, so a channel file is read once. Empty when the file cannot be opened or mapped.
class MappedFile {
public:
    explicit MappedFile(const std::string& path) {
        const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) return;
        struct stat st {};
        if (::fstat(fd, &st) == 0 && st.st_size > 0) {
            void* p = ::mmap(nullptr, (std::size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
            if (p != MAP_FAILED) {
                data_ = static_cast<const char*>(p);
                size_ = (std::size_t)st.st_size;
                ::madvise(p, size_, MADV_WILLNEED);
            }
        }
        ::close(fd);
    }
    ~MappedFile() {
        if (data_) ::munmap(const_cast<char*>(data_), size_);
    }
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;
    const char* data() const { return data_; }
    std::size_t size() const { return size_; }
    std::size_t pos = 0;  // libtiff's read position

private:
    const char* data_ = nullptr;
    std::size_t size_ = 0;
};

// libtiff's I/O procedures over a MappedFile (read only).
tmsize_t mapped_read(thandle_t h, void* buf, tmsize_t n) {
    MappedFile& f = *static_cast<MappedFile*>(h);
    const std::size_t got = f.pos < f.size() ? std::min<std::size_t>((std::size_t)n, f.size() - f.pos) : 0;
    std::memcpy(buf, f.data() + f.pos, got);
    f.pos += got;
    return (tmsize_t)got;
}
tmsize_t mapped_write(thandle_t, void*, tmsize_t) { return -1; }
toff_t mapped_seek(thandle_t h, toff_t off, int whence) {
    MappedFile& f = *static_cast<MappedFile*>(h);
    const std::uint64_t base = whence == SEEK_CUR ? f.pos : whence == SEEK_END ? f.size() : 0;
    f.pos = (std::size_t)(base + off);
    return (toff_t)f.pos;
}
int mapped_close(thandle_t) { return 0; }
toff_t mapped_size(thandle_t h) { return (toff_t) static_cast<MappedFile*>(h)->size(); }
int mapped_map(thandle_t h, void** base, toff_t* size) {
    MappedFile& f = *static_cast<MappedFile*>(h);
    *base = const_cast<char*>(f.data());
    *size = (toff_t)f.size();
    return 1;
}
void mapped_unmap(thandle_t, void*, toff_t) {}

// Collects libtiff's messages for one file and turns failures into DataError("<path>: ...").
class TiffScope {
public:
    explicit TiffScope(std::string path) : path_(std::move(path)) {
        install_handlers();
        prev_ = t_capture;
        t_capture = &msg_;
    }
    ~TiffScope() {
        if (tif_) TIFFClose(tif_);
        t_capture = prev_;
    }
    TiffScope(const TiffScope&) = delete;
    TiffScope& operator=(const TiffScope&) = delete;

    [[noreturn]] void fail(const std::string& what) const {
        std::string m = path_ + ": " + what;
        if (!msg_.empty()) m += " (" + msg_ + ")";
        throw DataError(m);
    }
    void open(const char* mode) {
        tif_ = TIFFOpen(path_.c_str(), mode);
        if (!tif_) fail("cannot open as TIFF");
    }
    // Reads from `file` (outliving this scope) instead of opening the path.
    void open_mapped(MappedFile& file) {
        if (!file.data()) fail("cannot read");
        tif_ = TIFFClientOpen(path_.c_str(), "r", &file, mapped_read, mapped_write, mapped_seek, mapped_close,
                              mapped_size, mapped_map, mapped_unmap);
        if (!tif_) fail("cannot open as TIFF");
    }
    // Closes the file, reporting errors raised while flushing.
    void close() {
        TIFF* t = tif_;
        tif_ = nullptr;
        const bool flushed = TIFFFlush(t) == 1;
        TIFFClose(t);
        if (!flushed || !msg_.empty()) fail("cannot write");
    }
    TIFF* tif() const { return tif_; }
    const std::string& path() const { return path_; }

private:
    std::string path_;
    std::string msg_;
    std::string* prev_ = nullptr;
    TIFF* tif_ = nullptr;
};

// ---- reading ---------------------------------------------------------------------------------

struct PageLayout {
    std::uint32_t width = 0, height = 0;
    int bits = 0;
    int format = SAMPLEFORMAT_UINT;
};

std::string format_name(int format) {
    switch (format) {
        case SAMPLEFORMAT_IEEEFP: return "float";
        case SAMPLEFORMAT_INT: return "int";
        default: return "uint";
    }
}

// A sample as it is stored, converted to the output type.
template <class Out>
struct PlainSample {
    template <class S>
    Out operator()(S v) const { return static_cast<Out>(v); }
};

// A sample into its working units in double precision, rounded once to float.
struct ScaledSample {
    double factor, offset;
    template <class S>
    float operator()(S v) const { return (float)((double)v * factor - offset); }
};

template <class Out, class Convert>
void convert_samples(const unsigned char* src, int bits, int format, std::size_t n, Out* dst, Convert convert) {
    auto copy = [&](auto tag) {
        using S = decltype(tag);
        for (std::size_t i = 0; i < n; ++i) {
            S v;
            std::memcpy(&v, src + i * sizeof(S), sizeof(S));
            dst[i] = convert(v);
        }
    };
    if (format == SAMPLEFORMAT_IEEEFP) {
        if (bits == 32) copy(float{});
        else copy(double{});
    } else if (format == SAMPLEFORMAT_INT) {
        if (bits == 8) copy(std::int8_t{});
        else if (bits == 16) copy(std::int16_t{});
        else copy(std::int32_t{});
    } else {
        if (bits == 8) copy(std::uint8_t{});
        else if (bits == 16) copy(std::uint16_t{});
        else copy(std::uint32_t{});
    }
}

PageLayout read_layout(const TiffScope& s, TiffInfo* info) {
    TIFF* tif = s.tif();
    PageLayout p;
    std::uint16_t spp = 1, bits = 1, format = SAMPLEFORMAT_UINT;
    if (!TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &p.width) || !TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &p.height))
        s.fail("image size missing");
    TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLESPERPIXEL, &spp);
    TIFFGetFieldDefaulted(tif, TIFFTAG_BITSPERSAMPLE, &bits);
    TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLEFORMAT, &format);
    if (format == SAMPLEFORMAT_VOID) format = SAMPLEFORMAT_UINT;
    p.bits = bits;
    p.format = format;

    if (info) {
        info->bits_per_sample = bits;
        info->sample_format = format_name(format);
    }
    if (spp != 1)
        s.fail(std::to_string(spp) + " samples per pixel (colour or multi-channel); expected a single channel");
    if (p.width == 0 || p.height == 0 || p.width > kMaxEdge || p.height > kMaxEdge ||
        std::uint64_t(p.width) * p.height > kMaxPixels)
        s.fail("implausible image size " + std::to_string(p.width) + "x" + std::to_string(p.height));
    const bool ok_format = format == SAMPLEFORMAT_IEEEFP ? (bits == 32 || bits == 64)
                           : (format == SAMPLEFORMAT_INT || format == SAMPLEFORMAT_UINT)
                               ? (bits == 8 || bits == 16 || bits == 32)
                               : false;
    if (!ok_format)
        s.fail("unsupported sample type (" + std::to_string(bits) + "-bit " +
               (format == SAMPLEFORMAT_IEEEFP || format == SAMPLEFORMAT_INT || format == SAMPLEFORMAT_UINT
                    ? format_name(format)
                    : "format " + std::to_string(format)) +
               ")");
    return p;
}

// Metres per unit of ImageJ's `unit=` line (ImageJ writes "micron" for um); 0 for a description
// not ImageJ's, no unit or one that is no length ("pixel").
double imagej_unit_m(const char* description) {
    static const std::map<std::string, double> kUnits = {
        {"m", 1.0},         {"meter", 1.0},      {"cm", 1.0e-2},       {"mm", 1.0e-3},      {"micron", 1.0e-6},
        {"um", 1.0e-6},     {"\xC2\xB5m", 1.0e-6}, {"\xB5m", 1.0e-6},     {"\\u00B5m", 1.0e-6}, {"nm", 1.0e-9},
        {"inch", 0.0254}};
    if (!description || std::strncmp(description, "ImageJ=", 7) != 0) return 0.0;
    std::istringstream lines(description);
    for (std::string line; std::getline(lines, line);) {
        if (line.rfind("unit=", 0) != 0) continue;
        const auto unit = kUnits.find(line.substr(5));
        return unit == kUnits.end() ? 0.0 : unit->second;
    }
    return 0.0;
}

// Below this many pixels per inch (2.54 um a pixel) a resolution is a print or screen hint
// (72, 96, 300 dpi), not an AFM scan's.
constexpr double kMinPhysicalPixelsPerInch = 1.0e4;

// The page's own pixel size (TiffInfo::pixel_size_*_m); left 0 without a physical resolution. A
// missing ResolutionUnit is not taken as TIFF's default inch: writers leave it out when they mean nothing.
void read_pixel_size(TIFF* tif, TiffInfo* info) {
    float x_res = 0.0f, y_res = 0.0f;
    if (!TIFFGetField(tif, TIFFTAG_XRESOLUTION, &x_res) || !(x_res > 0.0f)) return;
    if (!TIFFGetField(tif, TIFFTAG_YRESOLUTION, &y_res) || !(y_res > 0.0f)) y_res = x_res;
    const char* description = nullptr;
    TIFFGetField(tif, TIFFTAG_IMAGEDESCRIPTION, &description);
    double unit_m = imagej_unit_m(description);
    std::uint16_t res_unit = RESUNIT_NONE;
    if (unit_m == 0.0 && TIFFGetField(tif, TIFFTAG_RESOLUTIONUNIT, &res_unit)) {
        const double unit_per_inch = res_unit == RESUNIT_CENTIMETER ? 2.54 : res_unit == RESUNIT_INCH ? 1.0 : 0.0;
        if (std::min(x_res, y_res) * unit_per_inch >= kMinPhysicalPixelsPerInch) unit_m = 0.0254 / unit_per_inch;
    }
    if (unit_m == 0.0) return;
    info->pixel_size_x_m = unit_m / x_res;
    info->pixel_size_y_m = unit_m / y_res;
}

// Where each page (IFD) of a file starts, walked once per version of the file (path, inode, size,
// modification time) and kept: reading page k of a long stack then jumps to it, instead of
// walking and counting the pages before it on every read (quadratic in the stack's length).
// libtiff's directory walk stops at IFD loops, so a corrupt chain cannot make this spin.
struct PageIndex {
    dev_t dev = 0;
    ino_t ino = 0;
    off_t size = 0;
    std::int64_t mtime_ns = 0;
    std::vector<toff_t> offsets;
};

std::vector<toff_t> page_offsets(const TiffScope& s) {
    struct stat st {};
    if (::stat(s.path().c_str(), &st) != 0) s.fail("cannot read");
    const std::int64_t mtime_ns = (std::int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
    static std::mutex mutex;
    static std::map<std::string, PageIndex> cache;
    std::lock_guard<std::mutex> lock(mutex);
    PageIndex& index = cache[s.path()];
    if (index.offsets.empty() || index.dev != st.st_dev || index.ino != st.st_ino || index.size != st.st_size ||
        index.mtime_ns != mtime_ns) {
        index = PageIndex{st.st_dev, st.st_ino, st.st_size, mtime_ns, {}};
        TIFF* tif = s.tif();
        do {
            index.offsets.push_back(TIFFCurrentDirOffset(tif));
        } while (TIFFReadDirectory(tif));
    }
    return index.offsets;
}

// Makes `page` the current one and returns the file's page count; a page past the end names how
// many the file holds.
int select_page(const TiffScope& s, int page) {
    TIFF* tif = s.tif();
    const std::vector<toff_t> offsets = page_offsets(s);
    const int pages = (int)offsets.size();
    if (page < 0 || page >= pages)
        s.fail("page " + std::to_string(page) + " requested but the file holds " + std::to_string(pages) +
               (pages == 1 ? " page (0)" : " pages (0.." + std::to_string(pages - 1) + ")"));
    const toff_t offset = offsets[(std::size_t)page];
    if (TIFFCurrentDirOffset(tif) != offset && !TIFFSetSubDirectory(tif, offset))
        s.fail("cannot read page " + std::to_string(page));
    return pages;
}

// With `sha256`, the file is mapped once, decoded from the mapping and hashed from it.
template <class Out, class Convert = PlainSample<Out>>
Image<Out> read_tiff_impl(const std::string& path, TiffInfo* info, int page = 0, Convert convert = {},
                          std::string* sha256 = nullptr) {
    const std::uint64_t file_bytes = check_input_file(path);
    std::unique_ptr<MappedFile> mapped;
    TiffScope s(path);
    if (sha256) {
        mapped = std::make_unique<MappedFile>(path);
        s.open_mapped(*mapped);
        *sha256 = sha256_bytes(std::string_view(mapped->data(), mapped->size()));
    } else {
        s.open("r");
    }
    TIFF* tif = s.tif();
    const int pages = select_page(s, page);
    if (info) info->pages = pages;
    const PageLayout p = read_layout(s, info);
    if (info) read_pixel_size(tif, info);
    const std::size_t bps = (std::size_t)p.bits / 8;
    std::uint16_t compression = COMPRESSION_NONE;
    TIFFGetFieldDefaulted(tif, TIFFTAG_COMPRESSION, &compression);
    const FileClaim claim{path, file_bytes, compression == COMPRESSION_NONE ? 1 : kMaxTiffExpansion};
    checked_claim(claim, (std::uint64_t)p.width * p.height, bps, sizeof(Out), "pixels");
    Image<Out> img((int)p.width, (int)p.height, kUninitialized);  // every pixel decoded below

    if (TIFFIsTiled(tif)) {
        std::uint32_t tw = 0, th = 0;
        if (!TIFFGetField(tif, TIFFTAG_TILEWIDTH, &tw) || !TIFFGetField(tif, TIFFTAG_TILELENGTH, &th) || tw == 0 ||
            th == 0 || tw > kMaxEdge || th > kMaxEdge)
            s.fail("invalid tile size");
        checked_claim(claim, (std::uint64_t)tw * th, bps, bps, "pixels in a tile");
        const tmsize_t tile_bytes = TIFFTileSize(tif);
        if (tile_bytes < (tmsize_t)((std::size_t)tw * th * bps)) s.fail("invalid tile size");
        std::vector<unsigned char> buf((std::size_t)tile_bytes);
        for (std::uint32_t y0 = 0; y0 < p.height; y0 += th) {
            for (std::uint32_t x0 = 0; x0 < p.width; x0 += tw) {
                const ttile_t t = TIFFComputeTile(tif, x0, y0, 0, 0);
                if (TIFFReadEncodedTile(tif, t, buf.data(), tile_bytes) < 0)
                    s.fail("cannot read tile " + std::to_string(t) + " (truncated or corrupt)");
                const std::uint32_t nx = std::min(tw, p.width - x0), ny = std::min(th, p.height - y0);
                for (std::uint32_t r = 0; r < ny; ++r)
                    convert_samples(buf.data() + (std::size_t)r * tw * bps, p.bits, p.format, nx,
                                    &img.at((int)x0, (int)(y0 + r)), convert);
            }
        }
    } else {
        std::uint32_t rps = 0;
        TIFFGetFieldDefaulted(tif, TIFFTAG_ROWSPERSTRIP, &rps);
        if (rps == 0 || rps > p.height) rps = p.height;
        const std::size_t row_bytes = (std::size_t)p.width * bps;
        std::vector<unsigned char> buf(row_bytes * rps);
        const tstrip_t nstrips = TIFFNumberOfStrips(tif);
        for (std::uint32_t y0 = 0, strip = 0; y0 < p.height; y0 += rps, ++strip) {
            const std::uint32_t rows = std::min(rps, p.height - y0);
            if (strip >= nstrips) s.fail("fewer strips than rows need");
            const tmsize_t got = TIFFReadEncodedStrip(tif, strip, buf.data(), (tmsize_t)(rows * row_bytes));
            if (got < (tmsize_t)(rows * row_bytes))
                s.fail("cannot read strip " + std::to_string(strip) + " (truncated or corrupt)");
            convert_samples(buf.data(), p.bits, p.format, (std::size_t)rows * p.width, &img.at(0, (int)y0), convert);
        }
    }
    return img;
}

// ---- writing ---------------------------------------------------------------------------------

template <class T> struct SampleType;
template <> struct SampleType<float> { static constexpr int bits = 32, format = SAMPLEFORMAT_IEEEFP; };
template <> struct SampleType<double> { static constexpr int bits = 64, format = SAMPLEFORMAT_IEEEFP; };
template <> struct SampleType<std::uint8_t> { static constexpr int bits = 8, format = SAMPLEFORMAT_UINT; };
template <> struct SampleType<std::uint16_t> { static constexpr int bits = 16, format = SAMPLEFORMAT_UINT; };
template <> struct SampleType<std::int16_t> { static constexpr int bits = 16, format = SAMPLEFORMAT_INT; };

// ImageJ-style description: ImageJ/Fiji read it only when it starts with "ImageJ=", then take
// "unit" (of the pixel size, which comes from X/YResolution: pixels per unit, no resolution unit)
// and "vunit" (the value unit of a 32-bit image; it needs no calibration function there). Our own
// line follows; other readers ignore it.
std::string image_description(const TiffCalibration& cal) {
    std::string d;
    const bool sized = cal.pixel_size_x_m > 0.0 && cal.pixel_size_y_m > 0.0;
    if (sized || !cal.value_unit.empty()) d = "ImageJ=1.11a\n";
    if (sized) d += "unit=micron\n";
    if (!cal.value_unit.empty()) d += "vunit=" + cal.value_unit + "\n";
    if (!cal.description.empty()) {
        std::string line = cal.description;
        std::replace(line.begin(), line.end(), '\n', ' ');
        d += "amfm=" + line + "\n";
    }
    return d;
}

// The tags of a single-channel image: layout, compression, description and calibration.
template <class T>
bool set_image_tags(TIFF* tif, const Image<T>& img, const TiffCalibration& cal, std::uint32_t rows_per_strip) {
    using ST = SampleType<T>;
    bool ok = TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, (std::uint32_t)img.nx) &&
              TIFFSetField(tif, TIFFTAG_IMAGELENGTH, (std::uint32_t)img.ny) &&
              TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, (std::uint16_t)1) &&
              TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, (std::uint16_t)ST::bits) &&
              TIFFSetField(tif, TIFFTAG_SAMPLEFORMAT, (std::uint16_t)ST::format) &&
              TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, (std::uint16_t)PHOTOMETRIC_MINISBLACK) &&
              TIFFSetField(tif, TIFFTAG_PLANARCONFIG, (std::uint16_t)PLANARCONFIG_CONTIG) &&
              TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, rows_per_strip) &&
              TIFFSetField(tif, TIFFTAG_SOFTWARE, "amfm " AMFM_VERSION);
    if (cal.compress && TIFFIsCODECConfigured(COMPRESSION_ADOBE_DEFLATE)) {
        // Floats without a predictor: ImageJ does not decode the floating-point one (3). Integers
        // keep horizontal differencing (2), which ImageJ reads.
        ok = ok && TIFFSetField(tif, TIFFTAG_COMPRESSION, (std::uint16_t)COMPRESSION_ADOBE_DEFLATE) &&
             TIFFSetField(tif, TIFFTAG_ZIPQUALITY, 9);
        if (ST::format != SAMPLEFORMAT_IEEEFP)
            ok = ok && TIFFSetField(tif, TIFFTAG_PREDICTOR, (std::uint16_t)PREDICTOR_HORIZONTAL);
    } else {
        ok = ok && TIFFSetField(tif, TIFFTAG_COMPRESSION, (std::uint16_t)COMPRESSION_NONE);
    }
    const std::string desc = image_description(cal);
    if (!desc.empty()) ok = ok && TIFFSetField(tif, TIFFTAG_IMAGEDESCRIPTION, desc.c_str());
    if (cal.pixel_size_x_m > 0.0 && cal.pixel_size_y_m > 0.0) {
        ok = ok && TIFFSetField(tif, TIFFTAG_XRESOLUTION, 1.0e-6 / cal.pixel_size_x_m) &&
             TIFFSetField(tif, TIFFTAG_YRESOLUTION, 1.0e-6 / cal.pixel_size_y_m) &&
             TIFFSetField(tif, TIFFTAG_RESOLUTIONUNIT, (std::uint16_t)RESUNIT_NONE);
    }
    return ok;
}

template <class T>
void write_tiff_impl(const std::string& path, const Image<T>& img, const TiffCalibration& cal) {
    using ST = SampleType<T>;
    if (img.nx <= 0 || img.ny <= 0 || img.px.size() != (std::size_t)img.nx * img.ny)
        throw DataError(path + ": cannot write an empty or inconsistent image (" + std::to_string(img.nx) + "x" +
                        std::to_string(img.ny) + ")");
    if (!(cal.pixel_size_x_m >= 0.0) || !(cal.pixel_size_y_m >= 0.0) || !std::isfinite(cal.pixel_size_x_m) ||
        !std::isfinite(cal.pixel_size_y_m))
        throw DataError(path + ": invalid pixel size for the calibration");
    if (!cal.value_unit.empty() && ST::format != SAMPLEFORMAT_IEEEFP)
        throw DataError(path + ": a value unit ('" + cal.value_unit + "') is written for floating-point maps only");
    if (cal.value_unit.find_first_of("\n\r=\\") != std::string::npos)
        throw DataError(path + ": value unit '" + cal.value_unit + "' holds a newline, '=' or '\\'");

    const std::string partial = path + ".partial";
    try {
        TiffScope s(partial);
        s.open("w");
        TIFF* tif = s.tif();
        const std::size_t row_bytes = (std::size_t)img.nx * sizeof(T);
        // About 64 KiB per strip: small enough for any reader, large enough to compress well.
        const std::uint32_t rps =
            (std::uint32_t)std::clamp<std::size_t>(65536 / row_bytes, 1, (std::size_t)img.ny);
        if (!set_image_tags(tif, img, cal, rps)) s.fail("cannot set TIFF tags");

        // The predictor works in place on the buffer it is given, so each strip goes via a copy.
        std::vector<T> strip_buf;
        for (std::uint32_t y0 = 0, strip = 0; y0 < (std::uint32_t)img.ny; y0 += rps, ++strip) {
            const std::uint32_t rows = std::min<std::uint32_t>(rps, (std::uint32_t)img.ny - y0);
            const T* first = img.data() + (std::size_t)y0 * img.nx;
            strip_buf.assign(first, first + (std::size_t)rows * img.nx);
            if (TIFFWriteEncodedStrip(tif, strip, strip_buf.data(), (tmsize_t)(rows * row_bytes)) < 0)
                s.fail("cannot write strip " + std::to_string(strip));
        }
        if (!TIFFWriteDirectory(tif)) s.fail("cannot write the TIFF directory");
        s.close();
        std::error_code ec;
        fs::rename(partial, path, ec);
        if (ec) throw DataError(path + ": cannot rename " + partial + " (" + ec.message() + ")");
    } catch (const DataError& e) {
        std::error_code ec;
        fs::remove(partial, ec);
        // Name the file the caller asked for, not the temporary one.
        std::string msg = e.what();
        if (msg.rfind(partial + ":", 0) == 0) msg = path + msg.substr(partial.size());
        throw DataError(msg);
    } catch (...) {
        std::error_code ec;
        fs::remove(partial, ec);
        throw;
    }
}

// ---- labels ----------------------------------------------------------------------------------

enum class FileKind { Tiff, Png, Other };

FileKind sniff(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    unsigned char m[8] = {};
    in.read(reinterpret_cast<char*>(m), sizeof m);
    if (in.gcount() >= 4 && ((m[0] == 'I' && m[1] == 'I' && (m[2] == 42 || m[2] == 43) && m[3] == 0) ||
                             (m[0] == 'M' && m[1] == 'M' && m[2] == 0 && (m[3] == 42 || m[3] == 43))))
        return FileKind::Tiff;
    static const unsigned char png[8] = {0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a};
    if (in.gcount() == 8 && std::memcmp(m, png, 8) == 0) return FileKind::Png;
    return FileKind::Other;
}

// The IHDR's width and height (big-endian, right after the signature) against the file's bytes
// (deflate's bound, at least one byte a pixel) before OpenCV allocates the image.
void check_png_size(const std::string& path) {
    const std::uint64_t file_bytes = check_input_file(path);
    std::ifstream in(path, std::ios::binary);
    unsigned char h[24] = {};
    if (!in.read(reinterpret_cast<char*>(h), sizeof h)) throw DataError(path + ": truncated PNG header");
    auto be32 = [&](int at) {
        return (std::uint64_t(h[at]) << 24) | (std::uint64_t(h[at + 1]) << 16) | (std::uint64_t(h[at + 2]) << 8) |
               h[at + 3];
    };
    const std::uint64_t pixels = be32(16) * be32(20);
    checked_claim({path, file_bytes, 1032}, pixels, 1, 8, "pixels");  // 8: four 16-bit channels
}

Image<std::uint16_t> read_png_labels(const std::string& path) {
    check_png_size(path);
    cv::Mat m;
    try {
        m = cv::imread(path, cv::IMREAD_UNCHANGED);
    } catch (const cv::Exception& e) {
        throw DataError(path + ": cannot read PNG (" + e.what() + ")");
    }
    if (m.empty()) throw DataError(path + ": cannot read PNG (corrupt or unsupported)");
    if (m.channels() != 1)
        throw DataError(path + ": label image has " + std::to_string(m.channels()) +
                        " channels (colour); expected a single-channel 8- or 16-bit image");
    if (m.depth() != CV_8U && m.depth() != CV_16U)
        throw DataError(path + ": label image must hold 8- or 16-bit unsigned integers");
    cv::Mat m16;
    m.convertTo(m16, CV_16U);
    Image<std::uint16_t> img(m16.cols, m16.rows);
    for (int y = 0; y < m16.rows; ++y) {
        const std::uint16_t* row = m16.ptr<std::uint16_t>(y);
        std::copy(row, row + m16.cols, &img.at(0, y));
    }
    return img;
}

}  // namespace

Image<float> read_tiff_float(const std::string& path, TiffInfo* info, int page) {
    return read_tiff_impl<float>(path, info, page);
}

Image<double> read_tiff_double(const std::string& path, TiffInfo* info, int page) {
    return read_tiff_impl<double>(path, info, page);
}

Image<float> read_tiff_scaled(const std::string& path, double factor, double offset, TiffInfo* info, int page,
                              std::string* sha256) {
    return read_tiff_impl<float>(path, info, page, ScaledSample{factor, offset}, sha256);
}

int tiff_page_count(const std::string& path) {
    check_input_file(path);
    TiffScope s(path);
    s.open("r");
    return select_page(s, 0);
}

int label_image_pages(const std::string& path) {
    check_input_file(path);
    switch (sniff(path)) {
        case FileKind::Png: return 1;
        case FileKind::Other: throw DataError(path + ": not a TIFF or PNG file");
        case FileKind::Tiff: break;
    }
    return tiff_page_count(path);
}

Image<std::uint16_t> read_label_image(const std::string& path, TiffInfo* info_out, int page) {
    check_input_file(path);
    switch (sniff(path)) {
        case FileKind::Png:
            if (page != 0) throw DataError(path + ": page " + std::to_string(page) + " requested but a PNG holds one");
            if (info_out) *info_out = TiffInfo{};  // one page
            return read_png_labels(path);
        case FileKind::Other: throw DataError(path + ": not a TIFF or PNG file");
        case FileKind::Tiff: break;
    }
    TiffInfo info;
    const Image<double> raw = read_tiff_impl<double>(path, &info, page);
    if (info_out) *info_out = info;
    if (info.sample_format == "float")
        throw DataError(path + ": label image holds floating-point samples; expected 8- or 16-bit integers");
    if (info.bits_per_sample > 16)
        throw DataError(path + ": label image has " + std::to_string(info.bits_per_sample) +
                        "-bit samples; expected 8- or 16-bit integers");
    Image<std::uint16_t> img(raw.nx, raw.ny);
    for (std::size_t i = 0; i < raw.size(); ++i) {
        if (raw.px[i] < 0.0)
            throw DataError(path + ": label image holds a negative label (" + std::to_string((long)raw.px[i]) +
                            ") at pixel (" + std::to_string(i % raw.nx) + ", " + std::to_string(i / raw.nx) + ")");
        img.px[i] = (std::uint16_t)raw.px[i];
    }
    return img;
}

void write_tiff(const std::string& path, const Image<float>& img, const TiffCalibration& cal) {
    write_tiff_impl(path, img, cal);
}
void write_tiff(const std::string& path, const Image<double>& img, const TiffCalibration& cal) {
    write_tiff_impl(path, img, cal);
}
void write_tiff(const std::string& path, const Image<std::uint8_t>& img, const TiffCalibration& cal) {
    write_tiff_impl(path, img, cal);
}
void write_tiff(const std::string& path, const Image<std::uint16_t>& img, const TiffCalibration& cal) {
    write_tiff_impl(path, img, cal);
}
void write_tiff(const std::string& path, const Image<std::int16_t>& img, const TiffCalibration& cal) {
    write_tiff_impl(path, img, cal);
}

}  // namespace amfm
