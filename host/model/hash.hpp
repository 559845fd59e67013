// Content hashes (provenance in regions.json, skip-if-unchanged in a series).
#pragma once

#include <string>
#include <string_view>

namespace amfm {

// SHA-256 of a file's bytes as lowercase hex.
std::string sha256_file(const std::string& path);

// SHA-256 of `bytes` as lowercase hex (a file's bytes already in memory: the same as sha256_file).
std::string sha256_bytes(std::string_view bytes);

}  // namespace amfm
