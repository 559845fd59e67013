// The scan YAML reader: a scan described by a YAML naming channel TIFFs (or pages of a
// multi-page TIFF) and the label image, with the hashes of every input file.
#pragma once

#include <map>
#include <string>

#include "host/formats/open_scan.hpp"
#include "host/model/config.hpp"
#include "host/model/scan.hpp"

namespace amfm {

// Recognises .yaml / .yml; opens with load_scan_config_merged (the scan is loaded by load_scan).
extern const ScanReader kScanYamlReader;

// Reads every channel (TIFF; `page` of a multi-page file) and the label image, converts to
// canonical units, hashes the files, and checks that all sizes agree (DataError naming both
// files otherwise). A multi-page channel file without `page`, a page past the end, or a
// `stack:` configuration (stack.hpp processes those page by page) is a ConfigError.
// `hashes` (path -> SHA-256), when given, is used and filled so that a stack's files are
// hashed once. `concurrent`: the files are decoded on a thread each (faster when cores are
// idle; a loop that already overlaps reading with other stages passes whether it has cores to
// spare, see stage_threads_have_spare_cores).
Scan load_scan(const ScanConfig& cfg, std::map<std::string, std::string>* hashes = nullptr, bool concurrent = true);

}  // namespace amfm
