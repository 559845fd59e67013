// The channels of an AM-FM scan and the units each may be given in.
#pragma once

#include <string>

namespace amfm {

// Factor from a channel's file unit to the canonical unit (m, deg, Hz); ConfigError naming
// the channel for a unit it cannot have.
double channel_unit_factor(const std::string& channel, const std::string& unit);

namespace detail {
// "" when `unit` suits `channel` (and *factor is set), else why not; the config loader uses it
// to name the YAML key in its errors.
std::string channel_unit_problem(const std::string& channel, const std::string& unit, double* factor);
}  // namespace detail

}  // namespace amfm
