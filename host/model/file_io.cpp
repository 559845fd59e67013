#include "host/model/file_io.hpp"

#include <fstream>
#include <sstream>

#include "amfm/kernels/error.hpp"
#include "host/model/output_folder.hpp"

namespace amfm {

namespace fs = std::filesystem;

void write_file_atomic(const fs::path& path, std::string_view bytes) {
    // The process id keeps two processes writing into one folder (series shards) apart; an
    // interruption removes the partial file (output_folder.hpp).
    const fs::path tmp = partial_path(path);
    std::error_code ec;
    std::ofstream f;
    create_partial(tmp, [&] { f.open(tmp, std::ios::binary | std::ios::trunc); });
    if (!f) {
        settle_partial(tmp, [] {});
        throw DataError(path.string() + ": cannot open for writing");
    }
    f.write(bytes.data(), (std::streamsize)bytes.size());
    f.close();
    if (!f) {
        settle_partial(tmp, [&] { fs::remove(tmp, ec); });
        throw DataError(path.string() + ": cannot write (disk full?)");
    }
    settle_partial(tmp, [&] { fs::rename(tmp, path, ec); });
    if (ec) {
        std::error_code ignore;
        fs::remove(tmp, ignore);
        throw DataError(path.string() + ": cannot move the written file into place (" + ec.message() + ")");
    }
}

std::string read_file(const fs::path& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) throw DataError(path.string() + ": cannot open");
    std::ostringstream s;
    s << f.rdbuf();
    if (f.bad()) throw DataError(path.string() + ": cannot read");
    return s.str();
}

}  // namespace amfm
