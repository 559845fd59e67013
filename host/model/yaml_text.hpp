// The one style amfm writes YAML values in, for the config echo, the template, the calibration
// blocks and the simulators' files: numbers that read back exactly, text that stays text.
#pragma once

#include <string>

namespace amfm {

// Shortest decimal text that reads back as exactly the same double, in the style people
// write SI values: 26.0, 300000.0, 0.00161, 1.71e6, 1.5e-7 (always a '.' in the mantissa).
// Non-finite values as YAML's .nan, .inf, -.inf.
std::string yaml_number(double v);

// "[a, b, c]": the first `n` of `values` as yaml_number.
std::string yaml_number_list(const double* values, int n);

// A double-quoted YAML scalar: names such as "b/c", "yes" or "1" stay text.
std::string yaml_quoted(const std::string& text);

}  // namespace amfm
