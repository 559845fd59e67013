// Content hashes (provenance in regions.json, skip-if-unchanged in a series).
#pragma once

#include <string>

namespace amfm {

// SHA-256 of a file's bytes as lowercase hex.
std::string sha256_file(const std::string& path);

// SHA-256 of `bytes` as lowercase hex.
std::string sha256_bytes(const std::string& bytes);

}  // namespace amfm
