// ImageJ/Fiji ROI files and mask images -> label images (see roi_io.hpp).
#include "host/formats/roi_io.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>

#include <zip.h>

#include "amfm/kernels/error.hpp"
#include "host/formats/tiff_io.hpp"
#include "host/model/input_file.hpp"

namespace amfm {
namespace {

// Header offsets and codes of ImageJ's RoiDecoder (ij/io/RoiDecoder.java); numbers big-endian.
constexpr int kVersion = 4, kType = 6, kTop = 8, kLeft = 10, kBottom = 12, kRight = 14, kNCoordinates = 16,
              kSize = 18, kShapeRoiSize = 36, kOptions = 50, kCoordinates = 64;
constexpr int kSubPixelResolution = 128;  // options bit: float coordinates follow the shorts
// A RoiSet is small (64 bytes + 12 per vertex per ROI): 256 MiB decompressed in all is over a
// million vertices in every one of 20 ROIs, and bounds what a zip claiming more can cost.
constexpr std::uint64_t kMaxRoiSetBytes = std::uint64_t(256) << 20;
constexpr std::uint64_t kMaxDeflateRatio = 1032;  // deflate's largest output per input byte
// Sub-pixel coordinates beyond this (pixels) are no drawing of a scan, and would overflow the
// rasteriser's integer rows and columns.
constexpr double kMaxRoiCoordinate = 1 << 24;
enum RoiType { kPolygon = 0, kRect = 1, kOval = 2, kLine = 3, kFreeLine = 4, kPolyLine = 5, kNoRoi = 6,
               kFreehand = 7, kTraced = 8, kAngle = 9, kPoint = 10 };

struct Reader {
    const std::vector<std::uint8_t>& b;
    const std::string& what;
    void need(std::size_t end) const {
        if (end > b.size())
            throw DataError(what + ": truncated ImageJ ROI (" + std::to_string(b.size()) + " bytes, needs " +
                            std::to_string(end) + ")");
    }
    int u16(std::size_t at) const {
        need(at + 2);
        return (b[at] << 8) | b[at + 1];
    }
    int s16(std::size_t at) const { return (std::int16_t)u16(at); }
    std::int32_t s32(std::size_t at) const {
        need(at + 4);
        return (std::int32_t)(((std::uint32_t)b[at] << 24) | ((std::uint32_t)b[at + 1] << 16) |
                              ((std::uint32_t)b[at + 2] << 8) | b[at + 3]);
    }
    float f32(std::size_t at) const {
        const std::uint32_t u = (std::uint32_t)s32(at);
        float f;
        std::memcpy(&f, &u, 4);
        return f;
    }
};

std::string stem_of(const std::string& name) {
    std::string s = name.substr(name.find_last_of('/') + 1);
    if (s.size() > 4 && s.compare(s.size() - 4, 4, ".roi") == 0) s.resize(s.size() - 4);
    return s;
}

// libzip: every entry of the archive, in the archive's order, with its bytes.
// Each entry's size is checked against its compressed bytes (deflate's ratio) and the running
// total against kMaxRoiSetBytes before it is inflated, so a bomb costs nothing.
std::vector<std::pair<std::string, std::vector<std::uint8_t>>> read_zip(const std::string& path) {
    int err = 0;
    std::unique_ptr<zip_t, decltype(&zip_discard)> z(zip_open(path.c_str(), ZIP_RDONLY, &err), &zip_discard);
    if (!z) {
        zip_error_t e;
        zip_error_init_with_code(&e, err);
        const std::string msg = zip_error_strerror(&e);
        zip_error_fini(&e);
        throw DataError(path + ": not a readable zip archive (" + msg + ")");
    }
    std::vector<std::pair<std::string, std::vector<std::uint8_t>>> out;
    std::uint64_t total = 0;
    const zip_int64_t n = zip_get_num_entries(z.get(), 0);
    for (zip_int64_t i = 0; i < n; ++i) {
        zip_stat_t st;
        if (zip_stat_index(z.get(), i, 0, &st) != 0 || !(st.valid & ZIP_STAT_NAME) || !(st.valid & ZIP_STAT_SIZE) ||
            !(st.valid & ZIP_STAT_COMP_SIZE))
            throw DataError(path + ": zip entry " + std::to_string(i) + " cannot be read");
        const std::string name = st.name;
        if (!name.empty() && name.back() == '/') continue;  // a folder
        const FileClaim claim{path + " [" + name + "]", st.comp_size, kMaxDeflateRatio, kMaxRoiSetBytes - total};
        std::vector<std::uint8_t> bytes = claimed_vector<std::uint8_t>(claim, st.size, 1, "bytes");
        total += st.size;
        std::unique_ptr<zip_file_t, decltype(&zip_fclose)> f(zip_fopen_index(z.get(), i, 0), &zip_fclose);
        if (!f || zip_fread(f.get(), bytes.data(), st.size) != (zip_int64_t)st.size)
            throw DataError(path + ": zip entry " + name + " cannot be read (" + zip_strerror(z.get()) + ")");
        out.emplace_back(name, std::move(bytes));
    }
    return out;
}

}  // namespace

ImageJRoi decode_imagej_roi(const std::vector<std::uint8_t>& bytes, const std::string& what) {
    const Reader r{bytes, what};
    r.need(kCoordinates);
    if (std::memcmp(bytes.data(), "Iout", 4) != 0) throw DataError(what + ": not an ImageJ ROI (no 'Iout' magic)");
    const int version = r.u16(kVersion), type = bytes[kType];
    if (r.s32(kShapeRoiSize) > 0)
        throw DataError(what + ": composite (shape) ROIs are not supported; convert it to a polygon in Fiji "
                               "(Edit > Selection > Interpolate, or split it)");
    ImageJRoi roi;
    roi.top = r.s16(kTop);
    roi.left = r.s16(kLeft);
    roi.bottom = r.s16(kBottom);
    roi.right = r.s16(kRight);
    switch (type) {
        case kRect:
            roi.shape = ImageJRoi::Shape::Rectangle;
            break;
        case kOval:
            roi.shape = ImageJRoi::Shape::Oval;
            break;
        case kPolygon:
        case kFreehand:
        case kTraced: {
            roi.shape = ImageJRoi::Shape::Polygon;
            long n = r.u16(kNCoordinates);
            if (n == 0) n = r.s32(kSize);  // more than 65535 vertices (ImageJ >= 1.52)
            if (n < 3) throw DataError(what + ": polygon ROI with " + std::to_string(n) + " vertices encloses no area");
            const bool sub_pixel = version >= 222 && (r.u16(kOptions) & kSubPixelResolution);
            const FileClaim claim{what, bytes.size() - kCoordinates};
            roi.x = claimed_vector<double>(claim, (std::uint64_t)n, sub_pixel ? 12 : 4, "polygon vertices");
            roi.y.resize(roi.x.size());
            if (sub_pixel) {  // absolute float coordinates after the shorts
                const std::size_t base = kCoordinates + 4 * (std::size_t)n;
                for (long i = 0; i < n; ++i) {
                    roi.x[i] = r.f32(base + 4 * i);
                    roi.y[i] = r.f32(base + 4 * (n + i));
                    if (!(std::fabs(roi.x[i]) <= kMaxRoiCoordinate && std::fabs(roi.y[i]) <= kMaxRoiCoordinate))
                        throw DataError(what + ": vertex " + std::to_string(i) + " is not a finite coordinate "
                                        "within " + std::to_string((long)kMaxRoiCoordinate) + " pixels");
                }
            } else {  // shorts relative to the bounds' top-left corner
                for (long i = 0; i < n; ++i) {
                    roi.x[i] = roi.left + r.s16(kCoordinates + 2 * i);
                    roi.y[i] = roi.top + r.s16(kCoordinates + 2 * (n + i));
                }
            }
            break;
        }
        case kLine:
        case kFreeLine:
        case kPolyLine:
        case kNoRoi:
        case kAngle:
        case kPoint:
            throw DataError(what + ": ImageJ ROI type " + std::to_string(type) +
                            " (line, point or angle) encloses no area; draw a polygon, rectangle or oval");
        default:
            throw DataError(what + ": unknown ImageJ ROI type " + std::to_string(type));
    }
    if (roi.shape != ImageJRoi::Shape::Polygon && (roi.right <= roi.left || roi.bottom <= roi.top))
        throw DataError(what + ": ROI bounds are empty");
    return roi;
}

std::vector<ImageJRoi> read_imagej_rois(const std::string& path) {
    const std::vector<std::uint8_t> head = read_input_bytes(path);
    std::vector<ImageJRoi> rois;
    if (head.size() >= 4 && std::memcmp(head.data(), "PK\x03\x04", 4) == 0) {
        for (const auto& entry : read_zip(path)) {
            rois.push_back(decode_imagej_roi(entry.second, path + " [" + entry.first + "]"));
            rois.back().name = stem_of(entry.first);
        }
        if (rois.empty()) throw DataError(path + ": the zip archive holds no ROI");
    } else {
        rois.push_back(decode_imagej_roi(head, path));
        rois.back().name = stem_of(path);
    }
    return rois;
}

void rasterise_roi(const ImageJRoi& roi, Image<std::uint16_t>& labels, std::uint16_t label) {
    const int nx = labels.nx, ny = labels.ny;
    // Pixel x is inside a span [a, b) of a row when a <= x + 0.5 < b.
    // Spans and rows are clamped to the map as doubles first: a far-off (or NaN) coordinate must
    // not reach an int cast.
    auto clamp_to = [](double v, int n) { return v >= 0.0 ? (v <= n ? v : (double)n) : 0.0; };
    auto fill_span = [&](int y, double a, double b) {
        const int x0 = (int)std::ceil(clamp_to(a - 0.5, nx)), x1 = (int)std::ceil(clamp_to(b - 0.5, nx));
        for (int x = x0; x < x1; ++x) labels.at(x, y) = label;
    };
    if (roi.shape == ImageJRoi::Shape::Rectangle) {
        for (int y = std::max(0, roi.top); y < std::min(ny, roi.bottom); ++y) fill_span(y, roi.left, roi.right);
        return;
    }
    if (roi.shape == ImageJRoi::Shape::Oval) {
        const double cx = 0.5 * (roi.left + roi.right), cy = 0.5 * (roi.top + roi.bottom);
        const double rx = 0.5 * (roi.right - roi.left), ry = 0.5 * (roi.bottom - roi.top);
        for (int y = std::max(0, roi.top); y < std::min(ny, roi.bottom); ++y) {
            const double v = (y + 0.5 - cy) / ry;
            if (v * v >= 1.0) continue;
            const double h = rx * std::sqrt(1.0 - v * v);
            fill_span(y, cx - h, cx + h);
        }
        return;
    }
    // Polygon, even-odd: crossings of the row's centre line with each edge (half-open in y, so
    // a vertex on the line counts once), filled between pairs.
    const std::size_t n = roi.x.size();
    const double ymin = *std::min_element(roi.y.begin(), roi.y.end());
    const double ymax = *std::max_element(roi.y.begin(), roi.y.end());
    std::vector<double> xs;
    const int y_end = (int)std::ceil(clamp_to(ymax + 1.0, ny));
    for (int y = (int)std::floor(clamp_to(ymin, ny)); y < y_end; ++y) {
        const double yc = y + 0.5;
        xs.clear();
        for (std::size_t i = 0, j = n - 1; i < n; j = i++) {
            const double y0 = roi.y[j], y1 = roi.y[i];
            if ((y0 <= yc && yc < y1) || (y1 <= yc && yc < y0))
                xs.push_back(roi.x[j] + (yc - y0) * (roi.x[i] - roi.x[j]) / (y1 - y0));
        }
        std::sort(xs.begin(), xs.end());
        for (std::size_t k = 0; k + 1 < xs.size(); k += 2) fill_span(y, xs[k], xs[k + 1]);
    }
}

Image<std::uint16_t> labels_from_rois(const std::string& path, int nx, int ny, std::vector<std::string>* names) {
    const std::vector<ImageJRoi> rois = read_imagej_rois(path);
    if (rois.size() > 65535) throw DataError(path + ": more than 65535 ROIs");
    Image<std::uint16_t> labels(nx, ny, 0);
    for (std::size_t k = 0; k < rois.size(); ++k) rasterise_roi(rois[k], labels, (std::uint16_t)(k + 1));
    if (names) {
        names->clear();
        for (const ImageJRoi& r : rois) names->push_back(r.name);
    }
    return labels;
}

Image<std::uint16_t> labels_from_masks(const std::map<int, std::string>& masks, int nx, int ny) {
    Image<std::uint16_t> labels(nx, ny, 0);
    for (const auto& kv : masks) {
        if (kv.first < 1 || kv.first > 65535)
            throw DataError(kv.second + ": mask label " + std::to_string(kv.first) + " outside 1..65535");
        const Image<std::uint16_t> m = read_label_image(kv.second);
        if (m.nx != nx || m.ny != ny)
            throw DataError(kv.second + ": mask size " + std::to_string(m.nx) + "x" + std::to_string(m.ny) +
                            " does not match the scan (" + std::to_string(nx) + "x" + std::to_string(ny) + ")");
        for (std::size_t i = 0; i < m.size(); ++i) {
            if (m.px[i] == 0) continue;
            if (labels.px[i] != 0)
                throw DataError(kv.second + ": pixel (" + std::to_string(i % nx) + ", " + std::to_string(i / nx) +
                                ") is also in the mask of label " + std::to_string(labels.px[i]));
            labels.px[i] = (std::uint16_t)kv.first;
        }
    }
    return labels;
}

Image<std::uint16_t> hand_drawn_labels(const RegionsConfig& regions, int nx, int ny) {
    if (!regions.rois_file.empty()) return labels_from_rois(regions.rois_file, nx, ny);
    if (!regions.mask_files.empty()) return labels_from_masks(regions.mask_files, nx, ny);
    return {};
}

std::vector<std::string> hand_drawn_files(const RegionsConfig& regions) {
    std::vector<std::string> files;
    if (!regions.rois_file.empty()) files.push_back(regions.rois_file);
    for (const auto& kv : regions.mask_files) files.push_back(kv.second);
    return files;
}

}  // namespace amfm
