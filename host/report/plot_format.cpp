// How figures write numbers (see plot_format.hpp).
#include "host/report/plot_format.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include <fmt/format.h>

namespace amfm::plot {
namespace {

std::string trim_zeros(std::string s) {
    if (s.find('.') == std::string::npos) return s;
    while (!s.empty() && s.back() == '0') s.pop_back();
    if (!s.empty() && s.back() == '.') s.pop_back();
    return s;
}

// "2.5e-9": mantissa without trailing zeros, exponent without '+' or leading zeros.
std::string format_scientific(double v, int mantissa_decimals) {
    if (v == 0.0) return "0";
    int e = (int)std::floor(std::log10(std::fabs(v)));
    std::string m = fmt::format("{:.{}f}", v / std::pow(10.0, e), mantissa_decimals);
    if (std::fabs(std::stod(m)) >= 10.0) {  // rounding carried into the next decade
        ++e;
        m = fmt::format("{:.{}f}", v / std::pow(10.0, e), mantissa_decimals);
    }
    return trim_zeros(m) + "e" + std::to_string(e);
}

// "⁻⁵": an exponent in superscript digits.
std::string superscript(int e) {
    static const char* const digits[] = {"⁰", "¹", "²", "³", "⁴", "⁵", "⁶", "⁷", "⁸", "⁹"};
    std::string s = e < 0 ? "⁻" : "";
    for (char c : std::to_string(std::abs(e))) s += digits[c - '0'];
    return s;
}

std::string with_unit(const std::string& number, const std::string& unit) {
    return unit.empty() ? number : number + " " + unit;
}

}  // namespace

std::string format_fixed(double v, int decimals) {
    std::string s = fmt::format("{:.{}f}", v, std::clamp(decimals, 0, 9));
    if (s[0] == '-' && s.find_first_not_of("-0.") == std::string::npos) s.erase(0, 1);  // no "-0.0"
    return s;
}

std::string format_tick(double v, double step) {
    if (!std::isfinite(v)) return "nan";
    if (std::fabs(v) < std::fabs(step) * 1e-6) v = 0.0;
    const double mag = std::max(std::fabs(v), std::fabs(step));
    if (mag >= 1e6 || (step > 0.0 && step < 1e-4)) {
        // Enough mantissa digits to tell neighbouring ticks apart.
        const double e = std::floor(std::log10(mag));
        const int d = std::clamp((int)std::ceil(e - std::log10(step) - 1e-9), 0, 6);
        return format_scientific(v, d);
    }
    const int decimals = step > 0.0 ? std::max(0, (int)std::ceil(-std::log10(step) - 1e-9)) : 2;
    return format_fixed(v, decimals);
}

std::string format_compact(double v) {
    if (!std::isfinite(v)) return "nan";
    if (v == 0.0) return "0";
    const double a = std::fabs(v);
    if (a >= 1e5 || a < 1e-3) return format_scientific(v, 2);
    const int e = (int)std::floor(std::log10(a));
    return trim_zeros(format_fixed(v, std::max(0, 2 - e)));
}

std::string format_count(long long n, bool short_form) {
    const long long a = n < 0 ? -n : n;
    if (short_form && a >= 1000) {
        const bool mega = a >= 1000000;
        return format_compact((double)n / (mega ? 1e6 : 1e3)) + (mega ? "M" : "k");
    }
    std::string digits = std::to_string(a), out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) out += "\u202f";
        out += digits[i];
    }
    return n < 0 ? "−" + out : out;
}

std::string format_value_uncertainty(double value, double uncertainty, const std::string& unit) {
    if (!std::isfinite(value)) return with_unit("nan", unit);
    const bool has_u = std::isfinite(uncertainty) && uncertainty > 0.0;
    const double lead = has_u ? std::max(std::fabs(value), uncertainty) : std::fabs(value);
    if (lead == 0.0) return with_unit("0", unit);
    // The last digit shown: the uncertainty's second significant one, or the value's third.
    const int last = has_u ? (int)std::floor(std::log10(uncertainty)) - 1
                           : (int)std::floor(std::log10(std::fabs(value))) - 2;
    const int lead_exp = (int)std::floor(std::log10(lead));
    if (lead_exp >= 5 || lead_exp <= -4) {  // scientific, one exponent for both
        const double scale = std::pow(10.0, lead_exp);
        const int d = std::max(0, lead_exp - last);
        const std::string v = format_fixed(value / scale, d);
        if (!has_u) return with_unit(v + " × 10" + superscript(lead_exp), unit);
        return with_unit("(" + v + " ± " + format_fixed(uncertainty / scale, d) + ") × 10" + superscript(lead_exp),
                         unit);
    }
    const int d = std::max(0, -last);
    auto rounded = [last](double x) {  // to the last digit shown, also left of the point
        if (last <= 0) return x;
        const double q = std::pow(10.0, last);
        return std::round(x / q) * q;
    };
    const std::string v = format_fixed(rounded(value), d);
    return with_unit(has_u ? v + " ± " + format_fixed(rounded(uncertainty), d) : v, unit);
}

SiPrefix si_prefix_for(double magnitude) {
    struct Row {
        double factor;
        const char* symbol;
    };
    static const Row rows[] = {{1e12, "T"}, {1e9, "G"}, {1e6, "M"}, {1e3, "k"}, {1.0, ""},
                               {1e-3, "m"}, {1e-6, "µ"}, {1e-9, "n"}, {1e-12, "p"}};
    const double a = std::fabs(magnitude);
    if (!(a > 0.0) || !std::isfinite(a)) return {};
    for (const Row& r : rows)
        if (a >= r.factor * (1.0 - 1e-9)) return {r.factor, r.symbol};
    return {1e-12, "p"};
}

std::string length_label(double metres) {
    const SiPrefix p = si_prefix_for(metres);
    return format_compact(metres / p.factor) + " " + p.symbol + "m";
}

}  // namespace amfm::plot
