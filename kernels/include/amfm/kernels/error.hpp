// Exception types shared by every layer. The CLI maps each to its own exit code.
#pragma once

#include <stdexcept>
#include <string>

namespace amfm {

// A configuration or usage problem: unknown key, wrong unit, bad option value.
struct ConfigError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Input data that cannot be used: missing or corrupt file, mismatched sizes.
struct DataError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// The requested compute backend cannot run here (not compiled, or no device).
struct BackendUnavailable : std::runtime_error {
    using std::runtime_error::runtime_error;
};

}  // namespace amfm
