// The minimal .gwy reader (format notes in gwy.cpp). Kept apart from the writer so that the
// libFuzzer target (fuzz/fuzz_gwy.cpp) links it without the rest of the host library.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "amfm/kernels/error.hpp"
#include "host/formats/gwy.hpp"
#include "host/model/input_file.hpp"

namespace amfm {

namespace {

class Parser {
public:
    Parser(const std::string& b, const std::string& file) : b_(b), file_(file) {}
    [[noreturn]] void fail(const std::string& what, std::size_t at) const {
        throw DataError(file_ + ": " + what + " at byte " + std::to_string(at));
    }
    void need(std::size_t at, std::size_t n, std::size_t end) const {
        if (at > end || n > end - at) fail("truncated", at);
    }
    std::string cstr(std::size_t& at, std::size_t end) const {
        const std::size_t z = b_.find('\0', at);
        if (z == std::string::npos || z >= end) fail("unterminated string", at);
        std::string s = b_.substr(at, z - at);
        at = z + 1;
        return s;
    }
    std::uint64_t uint(std::size_t& at, int n, std::size_t end) const {
        need(at, (std::size_t)n, end);
        std::uint64_t v = 0;
        for (int i = n - 1; i >= 0; --i) v = (v << 8) | (unsigned char)b_[at + (std::size_t)i];
        at += (std::size_t)n;
        return v;
    }
    double f64(std::size_t& at, std::size_t end) const {
        const std::uint64_t u = uint(at, 8, end);
        double d;
        std::memcpy(&d, &u, 8);
        return d;
    }

    struct Object {
        std::string type;
        std::size_t body = 0, end = 0;
    };
    Object object(std::size_t& at, std::size_t end) const {
        Object o;
        o.type = cstr(at, end);
        const std::size_t size = (std::size_t)uint(at, 4, end);
        need(at, size, end);
        o.body = at;
        o.end = at + size;
        at = o.end;
        return o;
    }

    // Visits the components of an object: fn(name, type, position of the value, body end);
    // fn returns how it consumed the value (true) or leaves it to be skipped (false).
    template <class F>
    void components(const Object& o, F&& fn) const {
        std::size_t at = o.body;
        while (at < o.end) {
            const std::string name = cstr(at, o.end);
            need(at, 1, o.end);
            const char type = b_[at++];
            std::size_t value = at;
            if (!fn(name, type, value, o.end)) value = skip(type, at, o.end);
            at = value;
        }
    }

    std::size_t skip(char type, std::size_t at, std::size_t end) const {
        const std::size_t item = type == 'b' || type == 'c' || type == 'C' ? 1 : type == 'i' || type == 'I' ? 4 : 8;
        switch (type) {
            case 'b': case 'c': case 'i': case 'q': case 'd': need(at, item, end); return at + item;
            case 's': cstr(at, end); return at;
            case 'o': object(at, end); return at;
            case 'C': case 'I': case 'Q': case 'D': {
                const std::size_t n = (std::size_t)uint(at, 4, end);
                if (n > (end - std::min(at, end)) / item) fail("array longer than the file", at);
                return at + n * item;
            }
            case 'S': case 'O': {
                const std::size_t n = (std::size_t)uint(at, 4, end);
                for (std::size_t i = 0; i < n; ++i) {
                    if (type == 'S') cstr(at, end);
                    else object(at, end);
                }
                return at;
            }
            default: fail(std::string("unknown component type '") + type + "'", at - 1);
        }
    }

    std::string unit(std::size_t& at, std::size_t end) const {
        const Object o = object(at, end);
        std::string u;
        components(o, [&](const std::string& n, char t, std::size_t& v, std::size_t e) {
            if (n != "unitstr" || t != 's') return false;
            u = cstr(v, e);
            return true;
        });
        return u;
    }

    Image<double> field(std::size_t& at, std::size_t end, GwyReadChannel* info) const {
        const Object o = object(at, end);
        if (o.type != "GwyDataField") fail("expected a GwyDataField, found " + o.type, o.body);
        std::int64_t xres = 0, yres = 0;
        PixelVector<double> data;
        components(o, [&](const std::string& n, char t, std::size_t& v, std::size_t e) {
            if (n == "xres" && t == 'i') xres = (std::int32_t)uint(v, 4, e);
            else if (n == "yres" && t == 'i') yres = (std::int32_t)uint(v, 4, e);
            else if (n == "xreal" && t == 'd' && info) info->xreal = f64(v, e);
            else if (n == "yreal" && t == 'd' && info) info->yreal = f64(v, e);
            else if (n == "si_unit_xy" && t == 'o' && info) info->unit_xy = unit(v, e);
            else if (n == "si_unit_z" && t == 'o' && info) info->unit_z = unit(v, e);
            else if (n == "data" && t == 'D') {
                const std::size_t count = (std::size_t)uint(v, 4, e);
                if (count > (e - v) / 8) fail("data array longer than the file", v);
                data.resize(count);
                for (double& d : data) d = f64(v, e);
            } else {
                return false;
            }
            return true;
        });
        if (xres < 1 || yres < 1 || (std::uint64_t)xres * (std::uint64_t)yres != data.size())
            fail("data field of " + std::to_string(xres) + "x" + std::to_string(yres) + " holds " +
                     std::to_string(data.size()) + " values",
                 o.body);
        Image<double> img((int)xres, (int)yres);
        img.px = std::move(data);
        return img;
    }

private:
    const std::string& b_;
    const std::string& file_;
};

GwyReadChannel& channel(std::vector<GwyReadChannel>& out, int id) {
    for (GwyReadChannel& c : out)
        if (c.id == id) return c;
    out.push_back({});
    out.back().id = id;
    return out.back();
}

}  // namespace

std::vector<GwyReadChannel> read_gwy(const std::string& path) {
    const std::vector<std::uint8_t> bytes = read_input_bytes(path);
    return read_gwy_bytes(std::string(bytes.begin(), bytes.end()), path);
}

std::vector<GwyReadChannel> read_gwy_bytes(const std::string& b, const std::string& path) {
    if (b.size() < 4 || b.compare(0, 4, "GWYP") != 0) throw DataError(path + ": not a Gwyddion file (no GWYP magic)");
    const Parser p(b, path);
    std::size_t at = 4;
    const Parser::Object top = p.object(at, b.size());
    if (top.type != "GwyContainer") p.fail("top object is " + top.type + ", not a GwyContainer", 4);
    std::vector<GwyReadChannel> out;
    // Keys "/<id>/data", "/<id>/data/title", "/<id>/mask", "/<id>/meta".
    p.components(top, [&](const std::string& key, char t, std::size_t& v, std::size_t e) {
        int id = -1;
        char rest[64] = {};
        if (std::sscanf(key.c_str(), "/%d/%63s", &id, rest) != 2 || id < 0) return false;
        const std::string r = rest;
        if (r == "data" && t == 'o') {
            GwyReadChannel& c = channel(out, id);
            c.data = p.field(v, e, &c);
        } else if (r == "data/title" && t == 's') {
            channel(out, id).title = p.cstr(v, e);
        } else if (r == "mask" && t == 'o') {
            channel(out, id).mask = p.field(v, e, nullptr);
        } else if (r == "meta" && t == 'o') {
            const Parser::Object m = p.object(v, e);
            GwyReadChannel& c = channel(out, id);
            p.components(m, [&](const std::string& k, char mt, std::size_t& mv, std::size_t me) {
                if (mt != 's') return false;
                c.meta[k] = p.cstr(mv, me);
                return true;
            });
        } else {
            return false;
        }
        return true;
    });
    return out;
}

}  // namespace amfm
