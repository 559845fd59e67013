#include "host/model/input_file.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "amfm/kernels/error.hpp"

namespace amfm {

namespace {

std::string file_kind(mode_t mode) {
    if (S_ISDIR(mode)) return "a folder";
    if (S_ISFIFO(mode)) return "a FIFO";
    if (S_ISSOCK(mode)) return "a socket";
    if (S_ISCHR(mode) || S_ISBLK(mode)) return "a device";
    return "not a plain file";
}

std::string bytes_text(std::uint64_t n) {
    constexpr std::uint64_t MiB = std::uint64_t(1) << 20, GiB = MiB << 10;
    if (n >= GiB && n % GiB == 0) return std::to_string(n / GiB) + " GiB";
    if (n >= MiB && n % MiB == 0) return std::to_string(n / MiB) + " MiB";
    return std::to_string(n) + " bytes";
}

}  // namespace

std::uint64_t check_input_file(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        const int err = errno;
        if (err == ENOENT || err == ENOTDIR) throw DataError(path + ": no such file");
        if (err == ENAMETOOLONG) throw DataError(path + ": file name too long");
        if (err == EACCES) throw DataError(path + ": permission denied");
        throw DataError(path + ": cannot read (" + std::strerror(err) + ")");
    }
    if (!S_ISREG(st.st_mode))
        throw DataError(path + ": not a regular file (" + file_kind(st.st_mode) + "); amfm reads regular files only");
    if (::access(path.c_str(), R_OK) != 0) throw DataError(path + ": permission denied");
    return (std::uint64_t)st.st_size;
}

std::vector<std::uint8_t> read_input_bytes(const std::string& path) {
    const std::uint64_t size = check_input_file(path);
    std::vector<std::uint8_t> bytes = claimed_vector<std::uint8_t>({path, size}, size, 1, "bytes");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw DataError(path + ": cannot open");
    if (!in.read((char*)bytes.data(), (std::streamsize)bytes.size())) throw DataError(path + ": read error");
    return bytes;
}

std::size_t checked_claim(const FileClaim& claim, std::uint64_t count, std::uint64_t file_bytes,
                          std::uint64_t memory_bytes, const std::string& what) {
    const std::uint64_t ceiling = std::min(claim.ceiling_bytes, kMaxClaimBytes);
    const std::uint64_t item_bytes = std::max<std::uint64_t>({file_bytes, memory_bytes, 1});
    if (count > ceiling / item_bytes)
        throw DataError(claim.source + ": claims " + std::to_string(count) + " " + what + ", over the " +
                        bytes_text(ceiling) + " amfm allocates for one input");
    const std::uint64_t expansion = std::max<std::uint64_t>(claim.max_expansion, 1);
    const std::uint64_t present = claim.bytes_present;
    const std::uint64_t can_hold = present > ceiling / expansion ? ceiling : present * expansion;
    if (count * file_bytes > can_hold)
        throw DataError(claim.source + ": claims " + std::to_string(count) + " " + what + " (" +
                        bytes_text(count * file_bytes) + ") but holds only " + bytes_text(present) +
                        (expansion > 1 ? " (at most " + std::to_string(expansion) + " times that decompressed)"
                                       : std::string()) +
                        "; the file is truncated or corrupt");
    return (std::size_t)count;
}

}  // namespace amfm
