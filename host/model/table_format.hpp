// How every amfm table writes numbers, text and times: 8 significant digits, undefined values as
// an empty CSV field or JSON null (never "nan"), CSV text valid UTF-8 (text.hpp) and quoted when it
// holds , " or a newline,
// timestamps in UTC as ISO 8601.
#pragma once

#include <cmath>
#include <ctime>
#include <iomanip>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "host/model/text.hpp"

namespace amfm {

inline nlohmann::json json_number(double v) {
    return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
}

inline std::string csv_number(double v) {
    if (!std::isfinite(v)) return "";
    std::ostringstream s;
    s << std::setprecision(8) << v;
    return s.str();
}

inline std::string csv_text(const std::string& text) {
    const std::string t = utf8_text(text);
    if (t.find_first_of(",\"\n") == std::string::npos) return t;
    std::string q = "\"";
    for (char c : t) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
}

// UTC now as ISO 8601 ("2025-01-31T12:00:00Z").
inline std::string utc_now_iso() {
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

}  // namespace amfm
