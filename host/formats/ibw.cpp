// Igor binary wave (.ibw) reading and writing, version 5 (WaveMetrics TN003), written to the
// layout verified on Asylum files: BinHeader5 (64 bytes) + WaveHeader5 (320 bytes) whose 16-bit
// word sum is 0, data at 384, then formula, note, extended units, dimension labels, string
// indices, options; anything after that (Asylum's thumbnail trailer) is ignored.
#include "host/formats/ibw.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <limits>

#include "amfm/kernels/error.hpp"
#include "host/model/file_io.hpp"
#include "host/model/input_file.hpp"

namespace amfm {

namespace {

constexpr std::size_t kBinHeader5 = 64;
constexpr std::size_t kWaveHeader5 = 320;
constexpr std::size_t kLabelField = 32;  // MAX_DIM_LABEL_CHARS + 1 in version 5
constexpr int kComplexBit = 0x01, kUnsignedBit = 0x40;

// Offsets inside WaveHeader5 (TN003).
constexpr std::size_t kNpnts = 12, kType = 16, kName = 28, kNameLen = 32, kNDim = 68, kSfA = 84, kSfB = 116,
                      kDataUnits = 148, kDimUnits = 152;

std::string latin1_to_utf8(const char* s, std::size_t n) {
    std::string out;
    out.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        const unsigned char c = (unsigned char)s[i];
        if (c < 0x80) {
            out += (char)c;
        } else {
            out += (char)(0xC0 | (c >> 6));
            out += (char)(0x80 | (c & 0x3F));
        }
    }
    return out;
}

// Characters above U+00FF have no Latin-1 byte and become '?'.
std::string utf8_to_latin1(const std::string& s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const unsigned char c = (unsigned char)s[i];
        if (c < 0x80) {
            out += (char)c;
        } else if ((c & 0xE0) == 0xC0 && i + 1 < s.size()) {
            const unsigned cp = ((c & 0x1Fu) << 6) | ((unsigned char)s[i + 1] & 0x3Fu);
            out += cp <= 0xFF ? (char)cp : '?';
            ++i;
        } else {
            out += '?';
            while (i + 1 < s.size() && ((unsigned char)s[i + 1] & 0xC0) == 0x80) ++i;
        }
    }
    return out;
}

// A C string in a fixed-size field: up to the first NUL.
std::string fixed_string(const std::uint8_t* p, std::size_t n) {
    std::size_t len = 0;
    while (len < n && p[len] != 0) ++len;
    return latin1_to_utf8((const char*)p, len);
}

class Reader {
public:
    Reader(const std::uint8_t* b, std::size_t n, bool big, const std::string& file)
        : b_(b), n_(n), big_(big), file_(file) {}

    std::uint64_t uint(std::size_t off, int bytes) const {
        if (off > n_ || (std::size_t)bytes > n_ - off) fail("truncated at byte " + std::to_string(off));  // defence in depth
        std::uint64_t v = 0;
        for (int i = 0; i < bytes; ++i) {
            const std::uint8_t byte = b_[off + (big_ ? (std::size_t)i : (std::size_t)(bytes - 1 - i))];
            v = (v << 8) | byte;
        }
        return v;
    }
    std::int16_t i16(std::size_t off) const { return (std::int16_t)(std::uint16_t)uint(off, 2); }
    std::int32_t i32(std::size_t off) const { return (std::int32_t)(std::uint32_t)uint(off, 4); }
    double f64(std::size_t off) const {
        const std::uint64_t u = uint(off, 8);
        double d;
        std::memcpy(&d, &u, 8);
        return d;
    }
    float f32(std::size_t off) const {
        const std::uint32_t u = (std::uint32_t)uint(off, 4);
        float f;
        std::memcpy(&f, &u, 4);
        return f;
    }
    [[noreturn]] void fail(const std::string& what) const { throw DataError(file_ + ": " + what); }

private:
    const std::uint8_t* b_;
    std::size_t n_;
    bool big_;
    const std::string& file_;
};

int element_bytes(int type) {
    switch (type & ~kUnsignedBit) {
        case 2: return 4;    // float32
        case 4: return 8;    // float64
        case 8: return 1;    // int8
        case 16: return 2;   // int16
        case 32: return 4;   // int32
        case 128: return 8;  // int64 (Igor 7)
        default: return 0;
    }
}

double element(const Reader& r, std::size_t off, int type) {
    const bool is_unsigned = (type & kUnsignedBit) != 0;
    switch (type & ~kUnsignedBit) {
        case 2: return r.f32(off);
        case 4: return r.f64(off);
        case 8: return is_unsigned ? (double)(std::uint8_t)r.uint(off, 1) : (double)(std::int8_t)r.uint(off, 1);
        case 16: return is_unsigned ? (double)(std::uint16_t)r.uint(off, 2) : (double)r.i16(off);
        case 32: return is_unsigned ? (double)(std::uint32_t)r.uint(off, 4) : (double)r.i32(off);
        default: return is_unsigned ? (double)r.uint(off, 8) : (double)(std::int64_t)r.uint(off, 8);
    }
}

std::string type_text(int type) {
    if (type == 0) return "a text wave";
    if (type & kComplexBit) return "a complex wave";
    return "Igor data type " + std::to_string(type);
}

}  // namespace

int IbwWave::n_dims() const {
    int n = 0;
    while (n < 4 && dims[(std::size_t)n] > 0) ++n;
    return n;
}

std::int64_t IbwWave::n_points() const {
    std::int64_t p = 1;
    for (int d = 0; d < n_dims(); ++d) p *= dims[(std::size_t)d];
    return n_dims() == 0 ? 0 : p;
}

std::string IbwWave::label(int d, std::int64_t k) const {
    const auto& l = labels[(std::size_t)d];
    return k + 1 < (std::int64_t)l.size() ? l[(std::size_t)(k + 1)] : "";
}

namespace {

// BinHeader5: version, checksum, wfmSize, formulaSize, noteSize, dataEUnitsSize,
// dimEUnitsSize[4], dimLabelsSize[4], sIndicesSize, optionsSize1, optionsSize2.
struct BinHeader5 {
    std::int64_t wfm_size, formula_size, note_size, data_eunits, dim_eunits[4], dim_labels[4], sindices, options1,
        options2;
};

// Where each section starts, checked against the file's size.
struct Sections {
    std::size_t data, note, data_eunits, dim_eunits[4], dim_labels[4];
};

// Byte order and version: the version is a 16-bit integer in the file's byte order, so its
// nonzero byte says which. Only version 5 is read.
void read_version(const std::uint8_t* b, std::size_t size, const std::string& file, IbwWave& w) {
    if (size < 2) throw DataError(file + ": not an Igor binary wave (" + std::to_string(size) + " bytes)");
    if (b[0] == 0 && b[1] != 0) {
        w.big_endian = true;
        w.version = b[1];
    } else if (b[1] == 0 && b[0] != 0) {
        w.big_endian = false;
        w.version = b[0];
    } else {
        throw DataError(file + ": not an Igor binary wave (first two bytes are not a version number)");
    }
    if (w.version == 1 || w.version == 2 || w.version == 3)
        throw DataError(file + ": Igor binary wave version " + std::to_string(w.version) +
                        " is not supported (only version 5, what Igor Pro 3 and later and Asylum write)");
    if (w.version != 5)
        throw DataError(file + ": not an Igor binary wave (version field " + std::to_string(w.version) + ")");
}

// Both version 5 headers present and their 16-bit word sum 0.
bool header_checksum_ok(const Reader& r, std::size_t size) {
    if (size < kBinHeader5 + kWaveHeader5) return false;
    std::uint32_t sum = 0;
    for (std::size_t i = 0; i < kBinHeader5 + kWaveHeader5; i += 2) sum += (std::uint32_t)r.uint(i, 2);
    return (sum & 0xFFFF) == 0;
}

BinHeader5 read_bin_header(const Reader& r) {
    BinHeader5 h{};
    h.wfm_size = r.i32(4);
    h.formula_size = r.i32(8);
    h.note_size = r.i32(12);
    h.data_eunits = r.i32(16);
    for (int d = 0; d < 4; ++d) {
        h.dim_eunits[d] = r.i32(20 + 4 * (std::size_t)d);
        h.dim_labels[d] = r.i32(36 + 4 * (std::size_t)d);
    }
    h.sindices = r.i32(52);
    h.options1 = r.i32(56);
    h.options2 = r.i32(60);
    return h;
}

// WaveHeader5: type, name, dimensions, scaling and units into `w`; returns the point count.
std::int64_t read_wave_header(const Reader& r, const std::uint8_t* b, IbwWave& w) {
    const std::size_t wh = kBinHeader5;
    w.igor_type = r.i16(wh + kType);
    if (w.igor_type == 0 || (w.igor_type & kComplexBit) || element_bytes(w.igor_type) == 0)
        r.fail(type_text(w.igor_type) + " cannot be read as an image (numeric real waves only)");
    w.name = fixed_string(b + wh + kName, kNameLen);
    for (int d = 0; d < 4; ++d) {
        w.dims[(std::size_t)d] = r.i32(wh + kNDim + 4 * (std::size_t)d);
        w.sf_a[(std::size_t)d] = r.f64(wh + kSfA + 8 * (std::size_t)d);
        w.sf_b[(std::size_t)d] = r.f64(wh + kSfB + 8 * (std::size_t)d);
        w.dim_units[(std::size_t)d] = fixed_string(b + wh + kDimUnits + 4 * (std::size_t)d, 4);
    }
    w.data_units = fixed_string(b + wh + kDataUnits, 4);
    return r.i32(wh + kNpnts);
}

// Every count is checked against the file before anything is allocated, in 64-bit arithmetic
// so 2^31-point claims cannot overflow.
void check_dimensions(const Reader& r, const IbwWave& w, std::int64_t npnts, std::int64_t wfm_size, std::size_t size) {
    std::int64_t product = 1;
    for (int d = 0; d < 4; ++d) {
        const std::int64_t n = w.dims[(std::size_t)d];
        if (n < 0) r.fail("negative size " + std::to_string(n) + " along dimension " + std::to_string(d));
        if (n == 0) {
            for (int e = d + 1; e < 4; ++e)
                if (w.dims[(std::size_t)e] != 0) r.fail("dimension " + std::to_string(e) + " follows an empty dimension");
            break;
        }
        product *= n;
        if (product > (std::int64_t)size) r.fail("dimensions claim more points than the file has bytes");
    }
    if (w.dims[0] == 0) r.fail("the wave has no points");
    if (npnts != product)
        r.fail("point count " + std::to_string(npnts) + " does not match the dimensions (" + std::to_string(product) + ")");
    const std::int64_t data_bytes = npnts * element_bytes(w.igor_type);
    if (wfm_size < (std::int64_t)kWaveHeader5 + data_bytes)
        r.fail("wave section of " + std::to_string(wfm_size) + " bytes is smaller than header + data (" +
               std::to_string(kWaveHeader5 + data_bytes) + ")");
}

Sections locate_sections(const Reader& r, const BinHeader5& h, std::size_t size) {
    std::int64_t off = (std::int64_t)kBinHeader5;
    auto section = [&](std::int64_t n, const char* what) -> std::size_t {
        if (n < 0) r.fail(std::string("negative ") + what + " size " + std::to_string(n));
        if (off + n > (std::int64_t)size)
            r.fail(std::string("truncated: the ") + what + " needs bytes " + std::to_string(off) + ".." +
                   std::to_string(off + n) + " but the file has " + std::to_string(size));
        const std::size_t at = (std::size_t)off;
        off += n;
        return at;
    };
    Sections s{};
    s.data = section(h.wfm_size, "wave data") + kWaveHeader5;
    section(h.formula_size, "formula");
    s.note = section(h.note_size, "wave note");
    s.data_eunits = section(h.data_eunits, "extended data units");
    for (int d = 0; d < 4; ++d) s.dim_eunits[d] = section(h.dim_eunits[d], "extended dimension units");
    for (int d = 0; d < 4; ++d) s.dim_labels[d] = section(h.dim_labels[d], "dimension labels");
    section(h.sindices, "string indices");
    section(h.options1, "options");
    section(h.options2, "options");
    return s;
}

void read_dimension_labels(const Reader& r, const std::uint8_t* at, std::int64_t bytes, int d, IbwWave& w) {
    if (bytes % (std::int64_t)kLabelField != 0)
        r.fail("dimension labels of dimension " + std::to_string(d) + " are " + std::to_string(bytes) +
               " bytes, not a multiple of " + std::to_string(kLabelField));
    const std::int64_t count = bytes / (std::int64_t)kLabelField;
    if (count > w.dims[(std::size_t)d] + 1)
        r.fail(std::to_string(count) + " labels for dimension " + std::to_string(d) + " of " +
               std::to_string(w.dims[(std::size_t)d]) + " points");
    for (std::int64_t k = 0; k < count; ++k)
        w.labels[(std::size_t)d].push_back(fixed_string(at + (std::size_t)k * kLabelField, kLabelField));
}

// Data, note, extended units and dimension labels from their (checked) sections.
void read_sections(const Reader& r, const std::uint8_t* b, const BinHeader5& h, const Sections& at, std::int64_t npnts,
                   IbwWave& w) {
    w.data.resize((std::size_t)npnts);
    const int eb = element_bytes(w.igor_type);
    for (std::size_t i = 0; i < (std::size_t)npnts; ++i) w.data[i] = element(r, at.data + i * (std::size_t)eb, w.igor_type);
    w.note = latin1_to_utf8((const char*)b + at.note, (std::size_t)h.note_size);
    if (h.data_eunits > 0) w.data_units = fixed_string(b + at.data_eunits, (std::size_t)h.data_eunits);
    for (int d = 0; d < 4; ++d) {
        if (h.dim_eunits[d] > 0)
            w.dim_units[(std::size_t)d] = fixed_string(b + at.dim_eunits[d], (std::size_t)h.dim_eunits[d]);
        if (h.dim_labels[d] != 0) read_dimension_labels(r, b + at.dim_labels[d], h.dim_labels[d], d, w);
    }
}

}  // namespace

IbwWave parse_ibw(const std::uint8_t* b, std::size_t size, const std::string& file) {
    IbwWave w;
    read_version(b, size, file, w);
    const Reader r(b, size, w.big_endian, file);
    if (size < kBinHeader5 + kWaveHeader5)
        r.fail("truncated: " + std::to_string(size) + " bytes, the version 5 headers alone need " +
               std::to_string(kBinHeader5 + kWaveHeader5));
    if (!header_checksum_ok(r, size)) r.fail("header checksum mismatch (file corrupt or not an Igor binary wave)");
    const BinHeader5 h = read_bin_header(r);
    const std::int64_t npnts = read_wave_header(r, b, w);
    check_dimensions(r, w, npnts, h.wfm_size, size);
    read_sections(r, b, h, locate_sections(r, h, size), npnts, w);
    return w;
}

bool looks_like_ibw(const std::uint8_t* bytes, std::size_t size) {
    const std::string unnamed;
    IbwWave w;
    try {
        read_version(bytes, size, unnamed, w);
    } catch (const DataError&) {
        return false;
    }
    return header_checksum_ok(Reader(bytes, size, w.big_endian, unnamed), size);
}

IbwWave read_ibw(const std::string& path) {
    const std::vector<std::uint8_t> bytes = read_input_bytes(path);
    return parse_ibw(bytes.data(), bytes.size(), path);
}

void write_ibw(const std::string& path, const IbwWave& w) {
    const int nd = w.n_dims();
    if (nd == 0 || (std::int64_t)w.data.size() != w.n_points())
        throw DataError(path + ": cannot write: data holds " + std::to_string(w.data.size()) +
                        " values for dimensions of " + std::to_string(w.n_points()) + " points");
    if (w.n_points() > std::numeric_limits<std::int32_t>::max() / 4)
        throw DataError(path + ": cannot write: too many points for version 5");
    std::vector<std::uint8_t> out;
    auto put = [&](std::size_t at, std::uint64_t v, int bytes) {  // little-endian
        for (int i = 0; i < bytes; ++i) out[at + (std::size_t)i] = (std::uint8_t)(v >> (8 * i));
    };
    auto put_f64 = [&](std::size_t at, double d) {
        std::uint64_t u;
        std::memcpy(&u, &d, 8);
        put(at, u, 8);
    };
    auto put_text = [&](std::size_t at, const std::string& s, std::size_t field) {
        const std::string l = utf8_to_latin1(s);
        std::memcpy(out.data() + at, l.data(), std::min(l.size(), field - 1));
    };
    const std::string note = utf8_to_latin1(w.note);
    const std::string units = utf8_to_latin1(w.data_units);
    const bool ext_units = units.size() > 3;  // the fixed field holds 3 characters + NUL
    std::size_t label_bytes[4] = {};
    for (int d = 0; d < 4; ++d) label_bytes[d] = w.labels[(std::size_t)d].size() * kLabelField;
    const std::size_t data_bytes = w.data.size() * 4;
    const std::size_t wfm = kWaveHeader5 + data_bytes;
    std::size_t total = kBinHeader5 + wfm + note.size() + (ext_units ? units.size() : 0);
    for (std::size_t l : label_bytes) total += l;
    out.assign(total, 0);

    put(0, 5, 2);
    put(4, wfm, 4);
    put(12, note.size(), 4);
    put(16, ext_units ? units.size() : 0, 4);
    for (int d = 0; d < 4; ++d) put(36 + 4 * (std::size_t)d, label_bytes[d], 4);
    const std::size_t wh = kBinHeader5;
    put(wh + kNpnts, (std::uint64_t)w.data.size(), 4);
    put(wh + kType, 2, 2);
    put(wh + 26, 1, 2);  // whVersion
    put_text(wh + kName, w.name, kNameLen);
    for (int d = 0; d < 4; ++d) {
        put(wh + kNDim + 4 * (std::size_t)d, (std::uint64_t)w.dims[(std::size_t)d], 4);
        put_f64(wh + kSfA + 8 * (std::size_t)d, w.sf_a[(std::size_t)d]);
        put_f64(wh + kSfB + 8 * (std::size_t)d, w.sf_b[(std::size_t)d]);
        put_text(wh + kDimUnits + 4 * (std::size_t)d, w.dim_units[(std::size_t)d], 4);
    }
    if (!ext_units) put_text(wh + kDataUnits, w.data_units, 4);
    std::size_t at = kBinHeader5 + kWaveHeader5;
    for (double v : w.data) {
        const float f = (float)v;
        std::uint32_t u;
        std::memcpy(&u, &f, 4);
        put(at, u, 4);
        at += 4;
    }
    std::memcpy(out.data() + at, note.data(), note.size());
    at += note.size();
    if (ext_units) {
        std::memcpy(out.data() + at, units.data(), units.size());
        at += units.size();
    }
    for (int d = 0; d < 4; ++d)
        for (const std::string& l : w.labels[(std::size_t)d]) {
            put_text(at, l, kLabelField);
            at += kLabelField;
        }
    // Checksum: the 16-bit words of both headers must sum to 0.
    std::uint32_t sum = 0;
    for (std::size_t i = 0; i < kBinHeader5 + kWaveHeader5; i += 2) sum += out[i] | (std::uint32_t)out[i + 1] << 8;
    put(2, (0x10000u - (sum & 0xFFFF)) & 0xFFFF, 2);

    write_file_atomic(path, std::string_view((const char*)out.data(), out.size()));
}

// ---- note --------------------------------------------------------------------------------------

WaveNote::WaveNote(const std::string& text) {
    int line_no = 0;
    std::size_t start = 0;
    auto trim = [](const std::string& s) {
        const auto a = s.find_first_not_of(" \t");
        if (a == std::string::npos) return std::string();
        return s.substr(a, s.find_last_not_of(" \t") - a + 1);
    };
    while (start <= text.size()) {
        std::size_t end = text.find_first_of("\r\n", start);
        if (end == std::string::npos) end = text.size();
        const std::string line = text.substr(start, end - start);
        ++line_no;
        const auto colon = line.find(':');
        if (colon != std::string::npos && colon > 0) {
            std::string key = trim(line.substr(0, colon));
            if (!key.empty()) entries_.push_back({key, trim(line.substr(colon + 1)), line_no});
        }
        if (end == text.size()) break;
        start = end + (text.compare(end, 2, "\r\n") == 0 ? 2 : 1);
    }
}

const WaveNote::Entry* WaveNote::find(const std::string& key) const {
    for (const Entry& e : entries_)
        if (e.key == key) return &e;
    return nullptr;
}

std::optional<double> WaveNote::number(const std::string& key) const {
    const Entry* e = find(key);
    if (!e || e->value.empty()) return std::nullopt;
    const char* s = e->value.c_str();
    char* end = nullptr;
    errno = 0;
    const double v = std::strtod(s, &end);  // accepts NaN, inf, +/-inf as Igor writes them
    if (end == s || *end != '\0') return std::nullopt;
    return v;
}

// ---- Asylum images ---------------------------------------------------------------------------

std::string asylum_channel_unit(const std::string& name) {
    auto starts = [&](const char* p) { return name.rfind(p, 0) == 0; };
    if (starts("Phase")) return "deg";
    if (starts("Frequency")) return "Hz";
    if (starts("Height") || starts("ZSensor") || starts("Amplitude") || starts("Deflection")) return "m";
    return "V";
}

std::vector<IbwChannel> ibw_image_channels(const IbwWave& w, const std::string& file) {
    const int nd = w.n_dims();
    auto label_list = [&](int d) {
        std::string s;
        for (std::size_t k = 1; k < w.labels[(std::size_t)d].size(); ++k)
            if (!w.labels[(std::size_t)d][k].empty()) s += (s.empty() ? "" : ", ") + w.labels[(std::size_t)d][k];
        return s;
    };
    if (nd == 2 && !label_list(1).empty())
        throw DataError(file + ": not an image: a " + std::to_string(w.dims[0]) + "x" + std::to_string(w.dims[1]) +
                        " wave whose labels (" + label_list(1) +
                        ") name dimension 1, as in a force curve; amfm needs an image with channels on dimension 2");
    if (nd < 2 || nd > 3)
        throw DataError(file + ": not an image: a " + std::to_string(nd) + "-D wave (images are 2-D, or 3-D with one layer per channel)");
    if (w.dims[0] < 2 || w.dims[1] < 2)
        throw DataError(file + ": not an image: " + std::to_string(w.dims[0]) + "x" + std::to_string(w.dims[1]) + " points");
    if (w.dims[0] > std::numeric_limits<int>::max() / w.dims[1])
        throw DataError(file + ": image too large");
    std::vector<IbwChannel> out;
    if (nd == 2) {
        out.push_back({w.name, asylum_channel_unit(w.name), 0});
        return out;
    }
    for (std::int64_t k = 0; k < w.dims[2]; ++k) {
        std::string name = w.label(2, k);
        if (name.empty()) name = "Channel" + std::to_string(k);
        out.push_back({name, asylum_channel_unit(name), (int)k});
    }
    return out;
}

Image<double> ibw_layer(const IbwWave& w, int layer) {
    const int nx = (int)w.dims[0], ny = (int)w.dims[1];
    const std::int64_t layers = w.n_dims() == 3 ? w.dims[2] : 1;
    if (layer < 0 || layer >= layers || w.n_dims() < 2 || w.n_dims() > 3)
        throw DataError(w.name + ": no layer " + std::to_string(layer));
    Image<double> img(nx, ny);
    const std::size_t base = (std::size_t)layer * (std::size_t)nx * (std::size_t)ny;
    for (int y = 0; y < ny; ++y)
        for (int x = 0; x < nx; ++x) img.at(x, ny - 1 - y) = w.data[base + (std::size_t)y * (std::size_t)nx + (std::size_t)x];
    return img;
}

IbwWave ibw_image_wave(const std::string& wave_name, const std::vector<IbwLayer>& layers, double scan_size_x_m,
                       double scan_size_y_m) {
    if (layers.empty()) throw DataError(wave_name + ": no layers to write");
    const int nx = layers[0].image->nx, ny = layers[0].image->ny;
    IbwWave w;
    w.name = wave_name;
    w.dims = {nx, ny, (std::int64_t)layers.size(), 0};
    w.sf_a[0] = scan_size_x_m / (nx - 1);
    w.sf_a[1] = scan_size_y_m / (ny - 1);
    w.dim_units[0] = w.dim_units[1] = "m";
    w.data_units = "m";  // as Asylum writes for the whole stack
    w.labels[2].push_back("");
    w.data.resize((std::size_t)nx * ny * layers.size());
    for (std::size_t k = 0; k < layers.size(); ++k) {
        const Image<float>& img = *layers[k].image;
        if (img.nx != nx || img.ny != ny) throw DataError(wave_name + ": layer " + layers[k].name + " differs in size");
        w.labels[2].push_back(layers[k].name);
        for (int y = 0; y < ny; ++y)
            for (int x = 0; x < nx; ++x)
                w.data[(k * (std::size_t)ny + (std::size_t)y) * (std::size_t)nx + (std::size_t)x] = img.at(x, ny - 1 - y);
    }
    return w;
}

}  // namespace amfm
