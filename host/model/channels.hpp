// The channels of an AM-FM scan: the one list of roles (name, canonical unit, whether required,
// where the configuration and the scan keep it) and the units each may be given in.
#pragma once

#include <cstddef>
#include <string>

#include "host/model/config.hpp"
#include "host/model/scan.hpp"

namespace amfm {

struct ChannelUnit {
    const char* name;
    double factor;  // to the canonical unit
};

struct ChannelRole {
    const char* name;            // "height": the key under channels:, the InputFile role
    const char* canonical_unit;  // what the Scan holds ("m", "deg", "Hz")
    bool required;               // amplitude1 is optional (the setpoint is used without it)
    ChannelSpec ScanConfig::*spec;
    Image<float> Scan::*image;
    const char* quantity;        // for messages: "a length"
    const char* units_text;      // for messages: the units listed to users
    ChannelUnit units[4];        // accepted units (factor 0: unused slot)
};

inline constexpr ChannelRole kChannelRoles[] = {
    {"height", "m", true, &ScanConfig::height, &Scan::height_m, "a length", "m, nm, um",
     {{"m", 1.0}, {"nm", 1.0e-9}, {"um", 1.0e-6}, {"\xC2\xB5m", 1.0e-6}}},
    {"phase1", "deg", true, &ScanConfig::phase1, &Scan::phase1_deg, "a phase", "deg, rad",
     {{"deg", 1.0}, {"rad", 180.0 / 3.14159265358979323846}, {"", 0.0}, {"", 0.0}}},
    {"df2", "Hz", true, &ScanConfig::df2, &Scan::df2_hz, "a frequency", "Hz, kHz",
     {{"Hz", 1.0}, {"kHz", 1.0e3}, {"", 0.0}, {"", 0.0}}},
    {"amplitude1", "m", false, &ScanConfig::amplitude1, &Scan::amplitude1_m, "a length", "m, nm, um",
     {{"m", 1.0}, {"nm", 1.0e-9}, {"um", 1.0e-6}, {"\xC2\xB5m", 1.0e-6}}},
};

// The role of that name, or nullptr.
const ChannelRole* find_channel_role(const std::string& name);

// "height, phase1, df2, amplitude1", for messages.
std::string channel_role_names();

// The channels a configuration gives: every required role and the optional ones with a file.
bool channel_given(const ScanConfig& cfg, const ChannelRole& role);

// Factor from a channel's file unit to the canonical unit (m, deg, Hz); ConfigError naming
// the channel for a unit it cannot have.
double channel_unit_factor(const std::string& channel, const std::string& unit);

namespace detail {
// "" when `unit` suits `channel` (and *factor is set), else why not; the config loader uses it
// to name the YAML key in its errors.
std::string channel_unit_problem(const std::string& channel, const std::string& unit, double* factor);
}  // namespace detail

}  // namespace amfm
