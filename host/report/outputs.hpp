// Writing a processed scan's results folder: TIFF maps, regions.csv/json, figures.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "host/method/pipeline.hpp"
#include "host/model/scan.hpp"
#include "host/report/stats_table.hpp"

namespace amfm {

struct RunInfo {
    std::string version;
    std::string command_line;
};

// Writes the outputs the scan's `outputs:` settings ask for into `out_dir`; regions.csv and
// regions.json always. The folder is built beside it and swapped in whole (StagedFolder): a
// failure or an interruption leaves the previous folder as it was, and nothing of a previous run
// stays in the new one. The caller holds out_dir's OutputLock (or one above it).
void write_scan_outputs(const Scan& scan, const ScanResult& result, const std::string& out_dir,
                        const RunInfo& run);

// The same files written into `dir`, an existing empty folder (a staging folder the caller
// commits, with files of its own beside them).
void write_scan_files(const Scan& scan, const ScanResult& result, const std::filesystem::path& dir, const RunInfo& run);
// Runs independent jobs on up to four threads (this one included), each taking the next job:
// the figures share no state, and drawing plus PNG encoding is most of a results folder's cost.
// The first exception is rethrown once every thread is done.
void run_concurrently(const std::vector<std::function<void()>>& jobs);

// The tables alone (used by write_scan_outputs and by tests). regions.csv: one row per region,
// class and the map (scan_rows), the columns of regions_csv_table.
const Table<StatsRow>& regions_csv_table();
std::string regions_csv(const ScanResult& result);
std::string regions_json(const Scan& scan, const ScanResult& result, const RunInfo& run);

}  // namespace amfm
