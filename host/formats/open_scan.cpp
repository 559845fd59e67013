// Picking a scan reader and opening a scan through it (open_scan.hpp).
#include "host/formats/open_scan.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

#include "amfm/kernels/error.hpp"
#include "host/formats/gwyapp.hpp"
#include "host/formats/ibw_scan.hpp"
#include "host/formats/scan_yaml.hpp"
#include "host/model/channels.hpp"
#include "host/model/yaml_load.hpp"

namespace amfm {

namespace {

// Every reader amfm has, one line each; on equal scores the earlier one wins.
const ScanReader* const kReaders[] = {
    &kScanYamlReader,
    &kIbwScanReader,
#ifdef AMFM_HAVE_GWYAPP
    &kGwyappScanReader,
#endif
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

namespace fs = std::filesystem;

std::string normal(const fs::path& p) { return fs::absolute(p).lexically_normal().string(); }

// A scan YAML names its channels (or a stack of them); a series file or a --config fragment does not.
bool is_scan_yaml(const std::string& path) {
    try {
        const YAML::Node root = parse_yaml_file(path);
        return root.IsMap() && (root["channels"].IsDefined() || root["stack"].IsDefined());
    } catch (const std::exception&) {
        return true;  // unreadable: opening it says why
    }
}

// The files a scan YAML reads besides itself; none when it does not load (opening it says why).
void add_named_files(const std::string& yaml, std::set<std::string>& named) {
    try {
        const ScanConfig cfg = load_scan_config(yaml);
        for (const ChannelRole& role : kChannelRoles)
            if (!(cfg.*role.spec).file.empty()) named.insert(normal((cfg.*role.spec).file));
        for (const std::string& f : {cfg.regions.labels_file, cfg.regions.rois_file})
            if (!f.empty()) named.insert(normal(f));
        for (const auto& kv : cfg.regions.mask_files) named.insert(normal(kv.second));
    } catch (const std::exception&) {
    }
}

// The scan files directly in `dir` (rules in open_scan.hpp); its sub-folders into `folders`.
std::vector<std::string> scan_files_in(const fs::path& dir, std::vector<fs::path>& folders) {
    std::vector<fs::path> entries;
    for (const fs::directory_entry& e : fs::directory_iterator(dir)) entries.push_back(e.path());
    std::sort(entries.begin(), entries.end());
    std::vector<std::string> candidates;
    std::set<std::string> named;
    for (const fs::path& p : entries) {
        std::error_code ec;
        if (fs::is_directory(p, ec)) {
            folders.push_back(p);
            continue;
        }
        const ScanReader* r = find_scan_reader(p.string());
        if (!r || (r == &kScanYamlReader && !is_scan_yaml(p.string()))) continue;
        if (r == &kScanYamlReader) add_named_files(p.string(), named);
        candidates.push_back(p.string());
    }
    std::vector<std::string> out;
    for (const std::string& c : candidates)
        if (!named.count(normal(c))) out.push_back(c);
    return out;
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
    for (const bool fallback : {false, true}) {
        for (const ScanReader* r : kReaders) {
            if (r->fallback != fallback) continue;
            const int score = r->recognise(path, head);
            if (score > best_score) best = r, best_score = score;
        }
        if (best) return best;
    }
    return nullptr;
}

const ScanReader& scan_reader_for(const std::string& path) {
    const ScanReader* r = find_scan_reader(path);
    if (!r)
        throw DataError(path + ": not a scan file amfm reads (by name or content); amfm reads " + formats_text() +
                        "; export the scan from the instrument's software as one of these, or name its channel "
                        "TIFFs in a scan YAML (amfm config prints one)");
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

std::vector<std::string> find_scan_files(const std::vector<std::string>& paths, bool recursive,
                                         const std::string& exclude) {
    const std::string excluded = exclude.empty() ? "" : normal(exclude);
    std::vector<std::string> out;
    for (const std::string& path : paths) {
        std::error_code ec;
        if (!fs::is_directory(path, ec)) {
            out.push_back(path);
            continue;
        }
        std::vector<fs::path> pending = {path};
        while (!pending.empty()) {
            const fs::path dir = pending.front();
            pending.erase(pending.begin());
            std::vector<fs::path> folders;
            for (std::string& f : scan_files_in(dir, folders)) out.push_back(std::move(f));
            for (const fs::path& f : folders) {
                if (normal(f) == excluded) continue;
                if (recursive) {
                    pending.push_back(f);
                    continue;
                }
                for (const char* name : {"scan.yaml", "scan.yml", "scan.ibw"})
                    if (fs::is_regular_file(f / name, ec)) {
                        out.push_back((f / name).string());
                        break;
                    }
            }
        }
    }
    return out;
}

}  // namespace amfm
