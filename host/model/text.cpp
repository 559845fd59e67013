#include "host/model/text.hpp"

namespace amfm {

namespace {

// Well-formed UTF-8 as RFC 3629 defines it: no overlong forms, no surrogates, at most U+10FFFF.
bool valid_utf8(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        const unsigned char c = (unsigned char)s[i];
        int extra = 0;
        unsigned char lo = 0x80, hi = 0xBF;  // the range of the byte after the lead
        if (c < 0x80) extra = 0;
        else if (c >= 0xC2 && c <= 0xDF) extra = 1;
        else if (c >= 0xE0 && c <= 0xEF) extra = 2, lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
        else if (c >= 0xF0 && c <= 0xF4) extra = 3, lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
        else return false;
        if (s.size() - i <= (std::size_t)extra) return false;  // cut short
        for (int k = 1; k <= extra; ++k) {
            const unsigned char b = (unsigned char)s[i + (std::size_t)k];
            if (b < (k == 1 ? lo : 0x80) || b > (k == 1 ? hi : 0xBF)) return false;
        }
        i += (std::size_t)extra + 1;
    }
    return true;
}

nlohmann::json utf8_json(const nlohmann::json& j) {
    if (j.is_string()) return utf8_text(j.get_ref<const std::string&>());
    if (j.is_array()) {
        nlohmann::json a = nlohmann::json::array();
        for (const auto& e : j) a.push_back(utf8_json(e));
        return a;
    }
    if (j.is_object()) {
        nlohmann::json o = nlohmann::json::object();
        for (auto it = j.begin(); it != j.end(); ++it) o[utf8_text(it.key())] = utf8_json(it.value());
        return o;
    }
    return j;
}

}  // namespace

std::string utf8_text(std::string_view bytes) {
    if (valid_utf8(bytes)) return std::string(bytes);
    std::string out;
    out.reserve(bytes.size() * 2);
    for (const char ch : bytes) {
        const unsigned char c = (unsigned char)ch;
        if (c < 0x80) {
            out += ch;
        } else {
            out += (char)(0xC0 | (c >> 6));
            out += (char)(0x80 | (c & 0x3F));
        }
    }
    return out;
}

std::string json_text(const nlohmann::json& j, int indent) {
    try {
        return j.dump(indent);
    } catch (const nlohmann::json::type_error&) {
        return utf8_json(j).dump(indent);  // only text that is not UTF-8 takes this way
    }
}

}  // namespace amfm
