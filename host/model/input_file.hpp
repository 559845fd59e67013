// What every reader does before trusting an input file: the file is a regular, readable file
// (a FIFO would block the reader forever), and a count read from it (vertices, entries, pixels)
// is checked against the bytes actually present and against one ceiling before anything of that
// size is allocated. Errors are DataError naming the file.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace amfm {

// The most one claim from one input file may make amfm allocate (1 GiB): far above any real scan
// or ROI set, far below what a corrupt or hostile header can ask for.
constexpr std::uint64_t kMaxClaimBytes = std::uint64_t(1) << 30;

// Bytes of a regular file at `path`. DataError "no such file", "permission denied", "file name
// too long", or "not a regular file (a FIFO | a device | a socket | a folder)" otherwise; stat()
// only, so nothing blocks.
std::uint64_t check_input_file(const std::string& path);

// The whole of a checked input file (at most kMaxClaimBytes).
std::vector<std::uint8_t> read_input_bytes(const std::string& path);

// A count claimed by `source`: `count` items of `item_bytes` each, encoded in `bytes_present`
// bytes at most `max_expansion` to one (1 for raw data, the codec's bound for compressed data).
struct FileClaim {
    std::string source;              // names the file (and the entry) in errors
    std::uint64_t bytes_present = 0;  // bytes that hold the items
    std::uint64_t max_expansion = 1;
    std::uint64_t ceiling_bytes = kMaxClaimBytes;  // a lower one where the format needs no more
};

// `count` as a size_t once `count` x `file_bytes` fits the bytes present and `count` x
// `memory_bytes` (what amfm allocates per item) fits the ceiling; DataError naming the source,
// `what` ("polygon vertices", "pixels") and the limit otherwise.
std::size_t checked_claim(const FileClaim& claim, std::uint64_t count, std::uint64_t file_bytes,
                          std::uint64_t memory_bytes, const std::string& what);

// "Allocate N items of size S from a file claim": the vector, sized after checked_claim.
template <class T>
std::vector<T> claimed_vector(const FileClaim& claim, std::uint64_t count, std::uint64_t file_bytes,
                              const std::string& what) {
    return std::vector<T>(checked_claim(claim, count, file_bytes, sizeof(T), what));
}

}  // namespace amfm
