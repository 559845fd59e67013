// How figures write numbers: fixed decimals, tick labels, compact values, value ± uncertainty
// with the digits the uncertainty allows, and SI prefixes for units (GPa, µm). All with {fmt}.
#pragma once

#include <string>

namespace amfm::plot {

// Fixed decimals (clamped to 0..9), never "-0.0".
std::string format_fixed(double v, int decimals);

// A tick label whose decimals follow the tick step ("1.5", "2e-5" for tiny steps).
std::string format_tick(double v, double step);

// A single value with up to ~3 significant digits, no trailing zeros ("0.2", "150", "2e-5").
std::string format_compact(double v);

// A count with its thousands apart ("41 234", narrow no-break spaces); `short_form`: three
// significant digits and k or M ("41.2k") where columns are narrow.
std::string format_count(long long n, bool short_form = false);

// "2.70 ± 0.11 GPa": the uncertainty to two significant digits, the value to the same decimal
// place; tiny or huge values as "(1.20 ± 0.31) × 10⁻⁵ GPa"; without a usable uncertainty the
// value alone to three significant digits. `unit` may be empty.
std::string format_value_uncertainty(double value, double uncertainty, const std::string& unit);

// An SI prefix that brings `magnitude` (in base units) into [1, 1000): factor 1e9 and "G" for
// 2.7e9. From pico to tera; 1 and "" for zero or non-finite magnitudes.
struct SiPrefix {
    double factor = 1.0;
    std::string symbol;
};
SiPrefix si_prefix_for(double magnitude);

// A length with its prefix, e.g. "2 µm", "500 nm".
std::string length_label(double metres);

}  // namespace amfm::plot
