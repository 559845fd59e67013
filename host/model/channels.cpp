// The one table of channel units.
#include "host/model/channels.hpp"

#include "amfm/kernels/error.hpp"

namespace amfm {

namespace detail {

// The one table of channel units; config.cpp uses it to name the YAML key in its errors.
std::string channel_unit_problem(const std::string& channel, const std::string& unit, double* factor) {
    struct Unit {
        const char* name;
        double factor;
    };
    static const Unit length[] = {{"m", 1.0}, {"nm", 1.0e-9}, {"um", 1.0e-6}, {"\xC2\xB5m", 1.0e-6}};
    static const Unit phase[] = {{"deg", 1.0}, {"rad", 180.0 / 3.14159265358979323846}};
    static const Unit frequency[] = {{"Hz", 1.0}, {"kHz", 1.0e3}};
    auto find = [&](const auto& table, const char* kind, const char* allowed) -> std::string {
        for (const Unit& u : table)
            if (unit == u.name) {
                *factor = u.factor;
                return "";
            }
        return "'" + unit + "' is not " + kind + " unit (" + allowed + ")";
    };
    if (channel == "height" || channel == "amplitude1") return find(length, "a length", "m, nm, um");
    if (channel == "phase1") return find(phase, "a phase", "deg, rad");
    if (channel == "df2") return find(frequency, "a frequency", "Hz, kHz");
    return "unknown channel '" + channel + "' (expected one of: height, phase1, df2, amplitude1)";
}

}  // namespace detail

double channel_unit_factor(const std::string& channel, const std::string& unit) {
    double factor = 0.0;
    const std::string problem = detail::channel_unit_problem(channel, unit, &factor);
    if (!problem.empty()) throw ConfigError("channel " + channel + ": " + problem);
    return factor;
}

}  // namespace amfm
