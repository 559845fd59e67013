// Gwyddion .gwy writing and a minimal reader. The format ("GWYP" + one serialised
// GwyContainer): an object is its type name (NUL-terminated), a uint32 LE byte count, then
// components, each a name (NUL-terminated), a one-character type and the value: b bool, c char,
// i int32, q int64, d double, s NUL-terminated string, o object; upper case = array with a
// uint32 count first. All little-endian.
#include "amfm/host/gwy.hpp"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "amfm/host/file_io.hpp"
#include "amfm/kernels/error.hpp"

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

// ---- scan results ---------------------------------------------------------------------------------

namespace {

template <class T>
Image<double> to_double(const Image<T>& img) {
    Image<double> out(img.nx, img.ny);
    for (std::size_t i = 0; i < img.size(); ++i) out.px[i] = (double)img.px[i];
    return out;
}

std::string g(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.9g", v);
    return buf;
}

}  // namespace

void write_scan_gwy(const std::string& path, const Scan& scan, const ScanResult& result, const RunInfo& run) {
    const ScanConfig& c = scan.config;
    const Cantilever& k = c.cantilever;
    std::map<std::string, std::string> meta = {
        {"amfm version", run.version},
        {"amfm command", run.command_line},
        {"Backend", result.backend_name + " (" + result.backend_device + ")"},
        {"Source", c.source},
        {"Spring constant k1 (N/m)", g(k.k1_n_per_m)},
        {"Quality factor Q1", g(k.q1)},
        {"Resonance f1 (Hz)", g(k.f1_hz)},
        {"Resonance f2 (Hz)", g(k.f2_hz)},
        {"Free amplitude A1 (m)", g(k.a1_free_m)},
        {"Setpoint amplitude A1 (m)", g(k.a1_set_m)},
        {"Tip contact radius R (m)", g(c.tip_radius_m)},
        {"Tilt correction", std::string(kc_model_name(c.tilt_correction.model)) + ", cutoff " +
                                g(c.tilt_correction.max_angle_deg) + " deg"},
        {"Mask bits", "1 tilt>cutoff, 2 cos(phi1)<=0, 4 df2<=0, 8 non-finite input, 16 unlabelled"}};
    if (k.k2_n_per_m > 0) meta["Spring constant k2 (N/m)"] = g(k.k2_n_per_m);
    if (!c.sample.empty()) meta["Sample"] = c.sample;
    if (c.cycle >= 0) meta["Cycle"] = std::to_string(c.cycle);
    std::vector<GwyChannel> ch(3);
    ch[0] = {"Modulus (tilt-corrected)", "Pa", to_double(result.modulus_gpa), 1.0e9};
    ch[1] = {"Tilt", "deg", to_double(result.tilt_deg), 1.0};
    ch[2] = {"Mask reason bits", "", to_double(result.mask), 1.0};
    write_gwy(path, ch, c.scan_size_x_m, c.scan_size_y_m, meta);
}

}  // namespace amfm
