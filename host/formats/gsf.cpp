// Gwyddion Simple Field files (see gsf.hpp); the layout follows Gwyddion's own gsffile module.
#include "host/formats/gsf.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "amfm/kernels/error.hpp"
#include "host/model/file_io.hpp"

namespace amfm {
namespace {

constexpr char kMagic[] = "Gwyddion Simple Field 1.0\n";
constexpr std::size_t kMagicSize = sizeof(kMagic) - 1;

// Shortest text that reads back as the same double, independent of the locale.
std::string number_text(double v) {
    char buf[32];
    const auto end = std::to_chars(buf, buf + sizeof buf, v).ptr;
    return std::string(buf, end);
}

void check_header_text(const std::string& path, const std::string& key, const std::string& value) {
    if (key.empty() || key.find_first_of("=\n\r", 0) != std::string::npos || key.find('\0') != std::string::npos ||
        key.front() == ' ' || key.back() == ' ')
        throw DataError(path + ": GSF header key '" + key + "' is empty or holds '=', a newline or outer spaces");
    if (value.find_first_of("\n\r") != std::string::npos || value.find('\0') != std::string::npos)
        throw DataError(path + ": GSF header value of '" + key + "' holds a newline or NUL");
}

// The floats as little-endian bytes: on a little-endian host one copy of the whole map.
void append_floats_le(std::string& out, const PixelVector<float>& values) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    out.append(reinterpret_cast<const char*>(values.data()), sizeof(float) * values.size());
#else
    for (const float v : values) {
        std::uint32_t bits = 0;
        std::memcpy(&bits, &v, sizeof bits);
        for (int b = 0; b < 4; ++b) out += (char)((bits >> (8 * b)) & 0xffu);
    }
#endif
}

float float_le(const unsigned char* p) {
    const std::uint32_t bits = (std::uint32_t)p[0] | (std::uint32_t)p[1] << 8 | (std::uint32_t)p[2] << 16 |
                               (std::uint32_t)p[3] << 24;
    float v = 0.0f;
    std::memcpy(&v, &bits, sizeof v);
    return v;
}

std::string trim(const std::string& s) {
    const auto first = s.find_first_not_of(" \t\r");
    if (first == std::string::npos) return "";
    return s.substr(first, s.find_last_not_of(" \t\r") - first + 1);
}

// The header's "Key = value" lines; lines without '=' are ignored, as Gwyddion's parser does.
std::map<std::string, std::string> parse_header(const std::string& text) {
    std::map<std::string, std::string> keys;
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t eol = text.find('\n', pos);
        if (eol == std::string::npos) eol = text.size();
        const std::string line = text.substr(pos, eol - pos);
        pos = eol + 1;
        const std::size_t eq = line.find('=');
        if (eq != std::string::npos) keys[trim(line.substr(0, eq))] = trim(line.substr(eq + 1));
    }
    return keys;
}

int pixel_count(const std::string& path, std::map<std::string, std::string>& keys, const char* key) {
    const auto it = keys.find(key);
    if (it == keys.end()) throw DataError(path + ": GSF header has no " + key);
    int n = 0;
    const std::string& s = it->second;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec != std::errc() || end != s.data() + s.size() || n <= 0)
        throw DataError(path + ": GSF " + key + " = '" + s + "' is not a positive whole number");
    keys.erase(it);
    return n;
}

// XReal/YReal as Gwyddion reads them: absent, zero or unreadable becomes 1.
double real_size(std::map<std::string, std::string>& keys, const char* key) {
    const auto it = keys.find(key);
    if (it == keys.end()) return 1.0;
    const double v = std::fabs(std::strtod(it->second.c_str(), nullptr));
    keys.erase(it);
    return v > 0.0 && std::isfinite(v) ? v : 1.0;
}

std::string take(std::map<std::string, std::string>& keys, const char* key) {
    const auto it = keys.find(key);
    if (it == keys.end()) return "";
    std::string v = it->second;
    keys.erase(it);
    return v;
}

}  // namespace

void write_gsf(const std::string& path, const GsfField& f) {
    const Image<float>& img = f.data;
    if (img.nx <= 0 || img.ny <= 0 || img.px.size() != (std::size_t)img.nx * img.ny)
        throw DataError(path + ": cannot write an empty or inconsistent image (" + std::to_string(img.nx) + "x" +
                        std::to_string(img.ny) + ")");
    if (!(f.xreal > 0.0) || !(f.yreal > 0.0) || !std::isfinite(f.xreal) || !std::isfinite(f.yreal))
        throw DataError(path + ": GSF physical size must be positive and finite (" + number_text(f.xreal) + " x " +
                        number_text(f.yreal) + ")");
    std::string bytes = kMagic;
    auto line = [&](const std::string& key, const std::string& value) {
        check_header_text(path, key, value);
        bytes += key + " = " + value + "\n";
    };
    line("XRes", std::to_string(img.nx));
    line("YRes", std::to_string(img.ny));
    line("XReal", number_text(f.xreal));
    line("YReal", number_text(f.yreal));
    line("XYUnits", f.unit_xy);
    if (!f.unit_z.empty()) line("ZUnits", f.unit_z);
    line("Title", f.title);
    for (const auto& [key, value] : f.meta) line(key, value);
    // At least one NUL ends the header; up to four bring the data to a multiple of 4 bytes.
    bytes.append(4 - bytes.size() % 4, '\0');
    bytes.reserve(bytes.size() + 4 * img.size());
    append_floats_le(bytes, img.px);
    write_file_atomic(path, bytes);
}

GsfField read_gsf(const std::string& path) {
    const std::string bytes = read_file(path);
    if (bytes.size() < kMagicSize || bytes.compare(0, kMagicSize, kMagic) != 0)
        throw DataError(path + ": not a Gwyddion Simple Field file (no 'Gwyddion Simple Field 1.0' line)");
    const std::size_t nul = bytes.find('\0', kMagicSize);
    if (nul == std::string::npos) throw DataError(path + ": GSF header is not ended by a NUL byte");
    std::map<std::string, std::string> keys = parse_header(bytes.substr(kMagicSize, nul - kMagicSize));
    GsfField f;
    const int nx = pixel_count(path, keys, "XRes"), ny = pixel_count(path, keys, "YRes");
    const std::size_t data_at = nul + 4 - nul % 4;
    const std::uint64_t expected = data_at + 4ull * (std::uint64_t)nx * (std::uint64_t)ny;
    if (expected != bytes.size())
        throw DataError(path + ": GSF of " + std::to_string(nx) + "x" + std::to_string(ny) + " pixels needs " +
                        std::to_string(expected) + " bytes, the file has " + std::to_string(bytes.size()));
    f.xreal = real_size(keys, "XReal");
    f.yreal = real_size(keys, "YReal");
    f.unit_xy = take(keys, "XYUnits");
    f.unit_z = take(keys, "ZUnits");
    f.title = take(keys, "Title");
    f.data = Image<float>(nx, ny);
    const auto* p = reinterpret_cast<const unsigned char*>(bytes.data()) + data_at;
    for (std::size_t i = 0; i < f.data.size(); ++i) f.data.px[i] = float_le(p + 4 * i);
    f.meta = std::move(keys);
    return f;
}

}  // namespace amfm
