// Gwyddion .gwy writing and a minimal reader. The format ("GWYP" + one serialised
// GwyContainer): an object is its type name (NUL-terminated), a uint32 LE byte count, then
// components, each a name (NUL-terminated), a one-character type and the value: b bool, c char,
// i int32, q int64, d double, s NUL-terminated string, o object; upper case = array with a
// uint32 count first. All little-endian.
#include "host/formats/gwy.hpp"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "amfm/kernels/error.hpp"
#include "host/model/file_io.hpp"

namespace amfm {

namespace {

class Writer {
public:
    std::string bytes;
    void u32(std::uint32_t v) {
        for (int i = 0; i < 4; ++i) bytes += (char)(v >> (8 * i));
    }
    void f64(double d) {
        std::uint64_t u;
        std::memcpy(&u, &d, 8);
        for (int i = 0; i < 8; ++i) bytes += (char)(u >> (8 * i));
    }
    void cstr(const std::string& s) {
        bytes += s;
        bytes += '\0';
    }
    void name(const std::string& n, char type) {
        cstr(n);
        bytes += type;
    }
    void integer(const std::string& n, std::int32_t v) {
        name(n, 'i');
        u32((std::uint32_t)v);
    }
    void real(const std::string& n, double v) {
        name(n, 'd');
        f64(v);
    }
    void text(const std::string& n, const std::string& v) {
        name(n, 's');
        cstr(v);
    }
    void boolean(const std::string& n, bool v) {
        name(n, 'b');
        bytes += (char)(v ? 1 : 0);
    }
    // An object component: the body is serialised by `fill` into a nested writer.
    template <class F>
    void object(const std::string& n, const std::string& type, F&& fill) {
        name(n, 'o');
        Writer body;
        fill(body);
        cstr(type);
        u32((std::uint32_t)body.bytes.size());
        bytes += body.bytes;
    }
};

void unit(Writer& w, const std::string& n, const std::string& u) {
    w.object(n, "GwySIUnit", [&](Writer& o) { o.text("unitstr", u); });
}

void data_field(Writer& w, const std::string& key, const Image<double>& img, double scale, double xr, double yr,
                const std::string& unit_z) {
    w.object(key, "GwyDataField", [&](Writer& o) {
        o.integer("xres", img.nx);
        o.integer("yres", img.ny);
        o.real("xreal", xr);
        o.real("yreal", yr);
        unit(o, "si_unit_xy", "m");
        unit(o, "si_unit_z", unit_z);
        o.name("data", 'D');
        o.u32((std::uint32_t)img.size());
        for (double v : img.px) o.f64(std::isfinite(v) ? v * scale : 0.0);
    });
}

}  // namespace

void write_gwy(const std::string& path, const std::vector<GwyChannel>& channels, double xreal_m, double yreal_m,
               const std::map<std::string, std::string>& meta) {
    if (!(xreal_m > 0 && yreal_m > 0)) throw DataError(path + ": cannot write: physical size must be > 0");
    Writer file;
    file.bytes = "GWYP";
    file.object("", "GwyContainer", [&](Writer& c) {
        for (std::size_t k = 0; k < channels.size(); ++k) {
            const GwyChannel& ch = channels[k];
            if (ch.data.nx < 1 || ch.data.ny < 1) throw DataError(path + ": cannot write empty channel " + ch.title);
            const std::string p = "/" + std::to_string(k);
            data_field(c, p + "/data", ch.data, ch.scale, xreal_m, yreal_m, ch.unit_z);
            c.text(p + "/data/title", ch.title);
            bool any_undefined = false;
            Image<double> mask(ch.data.nx, ch.data.ny);
            for (std::size_t i = 0; i < ch.data.size(); ++i)
                if (!std::isfinite(ch.data.px[i])) mask.px[i] = 1.0, any_undefined = true;
            if (any_undefined) data_field(c, p + "/mask", mask, 1.0, xreal_m, yreal_m, "");
            if (!meta.empty())
                c.object(p + "/meta", "GwyContainer", [&](Writer& m) {
                    for (const auto& kv : meta) m.text(kv.first, kv.second);
                });
        }
    });
    // The serialiser's "" name before the top object is not part of the format: drop the component header.
    // (Writer::object wrote: "" NUL, 'o', then the object.) Remove those two bytes after the magic.
    file.bytes.erase(4, 2);

    write_file_atomic(path, file.bytes);
}

}  // namespace amfm
