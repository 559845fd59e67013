// YAML value text (see yaml_text.hpp).
#include "host/model/yaml_text.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace amfm {

std::string yaml_number(double v) {
    if (std::isnan(v)) return ".nan";
    if (std::isinf(v)) return v > 0 ? ".inf" : "-.inf";
    if (v == 0.0) return "0.0";
    char buf[40];
    for (int prec = 0; prec <= 16; ++prec) {
        std::snprintf(buf, sizeof buf, "%.*e", prec, v);
        if (std::strtod(buf, nullptr) == v) break;
    }
    const std::string sci = buf;  // [-]d.ddde[+-]XX
    const bool negative = sci[0] == '-';
    const auto e_pos = sci.find('e');
    std::string digits;
    for (std::size_t i = negative ? 1 : 0; i < e_pos; ++i)
        if (sci[i] != '.') digits += sci[i];
    while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
    const int exp10 = std::atoi(sci.c_str() + e_pos + 1);

    // Places the decimal point after `point` digits (may be <= 0 or past the end).
    auto place = [&](int point) {
        const int n = (int)digits.size();
        if (point <= 0) return "0." + std::string(-point, '0') + digits;
        if (point >= n) return digits + std::string(point - n, '0') + ".0";
        return digits.substr(0, point) + "." + digits.substr(point);
    };
    const std::string body = (exp10 >= -3 && exp10 < 6) ? place(exp10 + 1) : place(1) + "e" + std::to_string(exp10);
    return negative ? "-" + body : body;
}

std::string yaml_number_list(const double* values, int n) {
    std::string s = "[";
    for (int i = 0; i < n; ++i) s += (i ? ", " : "") + yaml_number(values[i]);
    return s + "]";
}

std::string yaml_quoted(const std::string& text) {
    std::string o = "\"";
    for (unsigned char ch : text) {
        if (ch == '"' || ch == '\\') {
            o += '\\';
            o += (char)ch;
        } else if (ch < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", ch);
            o += buf;
        } else {
            o += (char)ch;
        }
    }
    return o + "\"";
}

}  // namespace amfm
