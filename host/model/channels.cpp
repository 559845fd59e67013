// The channel roles and their units (the table is in channels.hpp).
#include "host/model/channels.hpp"

#include "amfm/kernels/error.hpp"

namespace amfm {

const ChannelRole* find_channel_role(const std::string& name) {
    for (const ChannelRole& r : kChannelRoles)
        if (name == r.name) return &r;
    return nullptr;
}

std::string channel_role_names() {
    std::string names;
    for (const ChannelRole& r : kChannelRoles) names += (names.empty() ? "" : ", ") + std::string(r.name);
    return names;
}

bool channel_given(const ScanConfig& cfg, const ChannelRole& role) {
    return role.required || !(cfg.*role.spec).file.empty();
}

namespace detail {

std::string channel_unit_problem(const std::string& channel, const std::string& unit, double* factor) {
    const ChannelRole* role = find_channel_role(channel);
    if (!role) return "unknown channel '" + channel + "' (expected one of: " + channel_role_names() + ")";
    for (const ChannelUnit& u : role->units)
        if (u.factor != 0.0 && unit == u.name) {
            *factor = u.factor;
            return "";
        }
    return "'" + unit + "' is not " + role->quantity + " unit (" + role->units_text + ")";
}

}  // namespace detail

double channel_unit_factor(const std::string& channel, const std::string& unit) {
    double factor = 0.0;
    const std::string problem = detail::channel_unit_problem(channel, unit, &factor);
    if (!problem.empty()) throw ConfigError("channel " + channel + ": " + problem);
    return factor;
}

}  // namespace amfm
