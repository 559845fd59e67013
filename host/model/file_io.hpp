// Whole files in and out, the one way amfm writes them.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace amfm {

// Writes `bytes` to a temporary name beside `path` and renames it over `path`: a reader never
// sees half a file and a failed write leaves none behind. DataError naming `path` on failure.
void write_file_atomic(const std::filesystem::path& path, std::string_view bytes);

// The whole file. DataError naming `path` when it cannot be opened or read.
std::string read_file(const std::filesystem::path& path);

}  // namespace amfm
