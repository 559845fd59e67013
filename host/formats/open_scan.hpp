// One entry for every scan file amfm reads: open_scan picks the reader by how well each
// recognises the file (its name and its first bytes, as Gwyddion's file modules do) and returns
// the scan configuration, the scan, and what the file itself gave (note parameters, channels).
//
// A reader is one file (scan_yaml.cpp, ibw_scan.cpp, gwyapp.cpp) plus one line in open_scan.cpp's list.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "host/model/config.hpp"
#include "host/model/scan.hpp"

namespace amfm {

// Files that hold both scan directions (.ibw): which one is read.
enum class ScanDirection { Retrace, Trace };

// "trace" or "retrace" (as the CLI and the series file spell it); ConfigError naming `where` otherwise.
ScanDirection parse_scan_direction(const std::string& text, const std::string& where);

// A value a scan file gives for a configuration key (an .ibw's wave note), with its source or
// why it is not used.
struct NoteParameter {
    std::string key;          // the scan YAML key, e.g. "cantilever.k1"
    std::string description;  // e.g. "first-mode spring constant k1 (N/m)"
    double value = 0.0;       // SI; meaningful when usable()
    std::string source;       // e.g. "note SpringConstant (line 12)", "user", or "" when not found
    std::string problem;      // why it is not used (flagged); empty when usable
    std::string warning;      // used, but suspicious (e.g. two note keys disagree)
    bool usable() const { return problem.empty() && !source.empty(); }
};

// What every command passes when it opens a scan.
struct OpenScanOptions {
    // YAMLs merged in order over the scan file (`--config`; a later one wins on a shared key).
    std::vector<std::string> extra_yaml;
    std::vector<std::string> overrides;  // "dotted.key=value" (`--set`), applied last
    // Files holding both directions; none: retrace. Given for any other file: ConfigError.
    std::optional<ScanDirection> direction;
    // path -> SHA-256, used and filled so that files shared between scans (a stack's) are hashed once.
    std::map<std::string, std::string>* hashes = nullptr;
    // Decode a scan's files on a thread each (see stage_threads_have_spare_cores).
    bool concurrent = true;
};

struct ScanReader;

struct OpenedScan {
    const ScanReader* reader = nullptr;
    ScanConfig config;  // the effective configuration (the scan's, once loaded)
    // Set when the reader had to read the whole file to know the configuration (.ibw); else
    // load_opened_scan reads the channel files the configuration names.
    std::optional<Scan> scan;
    std::vector<NoteParameter> parameters;  // what the file gave, as used ("user" where overridden)
    std::vector<std::pair<std::string, std::string>> channel_map;  // role -> channel, where a file holds several
};

struct ScanReader {
    const char* name;        // in messages: "scan YAML", "Asylum .ibw"
    const char* extensions;  // in messages: ".yaml, .yml"
    bool has_directions;     // the file holds trace and retrace channels
    // How well the reader knows the file: 0 not at all; the highest score wins. `head` holds
    // the file's first bytes (fewer for a short file, none for an unreadable one).
    int (*recognise)(const std::string& path, const std::string& head);
    OpenedScan (*open)(const std::string& path, const OpenScanOptions& options);
    // `amfm info FILE`: what the file holds, as text; nullptr where the file is its own description.
    std::string (*describe)(const std::string& path, ScanDirection direction);
    // Asked only when no other reader knows the file: recognising loads a library (Gwyddion).
    bool fallback = false;
};

// The reader that knows the file best; nullptr when none does.
const ScanReader* find_scan_reader(const std::string& path);

// Same; DataError naming the file, every format amfm reads and how to export to one when none does.
const ScanReader& scan_reader_for(const std::string& path);

// The scan files among `paths` (files, and folders: their files, and their sub-folders' with
// `recursive`, else a sub-folder's scan.yaml, .yml or .ibw as the series file takes a folder),
// for `amfm process DIR_OR_FILES...`. A file named directly is always taken; in a folder, a YAML
// that is not a scan YAML (no `channels:` or `stack:`, e.g. a series file), the files a scan
// YAML of the folder names (its channel TIFFs, labels) and files no reader knows (plain images
// among them) are left out. Sorted by path within each folder;
// `exclude` (the results folder) is never entered.
std::vector<std::string> find_scan_files(const std::vector<std::string>& paths, bool recursive,
                                         const std::string& exclude);

// The file's configuration, with the scan where the reader read it already. A scan YAML
// describing a stack opens (its pages are loaded one by one, stack.hpp); loading it whole does not.
OpenedScan open_scan(const std::string& path, const OpenScanOptions& options);

// The scan of an opened file: the one read already, else the files its configuration names
// (load_scan, with the options' hash cache and concurrency).
Scan load_opened_scan(OpenedScan&& opened, const OpenScanOptions& options);

// open_scan + load_opened_scan.
Scan read_scan(const std::string& path, const OpenScanOptions& options);

}  // namespace amfm
