// Picking a scan reader and opening a scan through it (open_scan.hpp).
#include "host/formats/open_scan.hpp"

#include <filesystem>
#include <fstream>

#include "amfm/kernels/error.hpp"
#include "host/formats/ibw_scan.hpp"
#include "host/formats/scan_yaml.hpp"

namespace amfm {

namespace {

// Every reader amfm has, one line each; on equal scores the earlier one wins.
const ScanReader* const kReaders[] = {
    &kScanYamlReader,
    &kIbwScanReader,
};

constexpr std::size_t kHeadBytes = 512;  // enough for every reader's magic (.ibw: 384 header bytes)

// Empty for anything but a regular file: opening a FIFO would block, and the reader's own
// checks name what the path is.
std::string file_head(const std::string& path) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) return {};
    std::ifstream in(path, std::ios::binary);
    std::string head(kHeadBytes, '\0');
    in.read(&head[0], (std::streamsize)head.size());
    head.resize(in ? head.size() : (std::size_t)std::max<std::streamsize>(in.gcount(), 0));
    return head;
}

std::string formats_text() {
    std::string text;
    for (const ScanReader* r : kReaders) text += (text.empty() ? "" : ", ") + std::string(r->name) + " (" + r->extensions + ")";
    return text;
}

std::string direction_extensions() {
    std::string text;
    for (const ScanReader* r : kReaders)
        if (r->has_directions) text += (text.empty() ? "" : ", ") + std::string(r->extensions);
    return text;
}

}  // namespace

ScanDirection parse_scan_direction(const std::string& text, const std::string& where) {
    if (text == "retrace") return ScanDirection::Retrace;
    if (text == "trace") return ScanDirection::Trace;
    throw ConfigError(where + ": 'direction' is trace or retrace (.ibw channels), got '" + text + "'");
}

const ScanReader* find_scan_reader(const std::string& path) {
    const std::string head = file_head(path);
    const ScanReader* best = nullptr;
    int best_score = 0;
    for (const ScanReader* r : kReaders) {
        const int score = r->recognise(path, head);
        if (score > best_score) best = r, best_score = score;
    }
    return best;
}

const ScanReader& scan_reader_for(const std::string& path) {
    const ScanReader* r = find_scan_reader(path);
    if (!r) throw DataError(path + ": not a scan file amfm reads (by name or content); amfm reads " + formats_text());
    return *r;
}

OpenedScan open_scan(const std::string& path, const OpenScanOptions& options) {
    const ScanReader& reader = scan_reader_for(path);
    if (options.direction && !reader.has_directions)
        throw ConfigError("--direction applies to " + direction_extensions() + " files only; " + path + " is a " +
                          reader.name);
    OpenedScan opened = reader.open(path, options);
    opened.reader = &reader;
    return opened;
}

Scan load_opened_scan(OpenedScan&& opened, const OpenScanOptions& options) {
    if (opened.scan) return std::move(*opened.scan);
    return load_scan(opened.config, options.hashes, options.concurrent);
}

Scan read_scan(const std::string& path, const OpenScanOptions& options) {
    return load_opened_scan(open_scan(path, options), options);
}

}  // namespace amfm
