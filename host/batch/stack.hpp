// Multi-page TIFF stacks: `stack: {pages: all | [0, 3, 5]}` in a scan YAML makes every channel
// file a stack with one page per scan (the same page count in each file); page k of every
// channel is scan k; `regions.labels` is one image for every page or a stack with a page per
// scan. Pages are loaded, processed and written in turn (overlapped: reading the next and
// writing the previous while one is processed), so memory holds at most three pages whatever
// the stack's length.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "amfm/kernels/backend.hpp"
#include "host/model/config.hpp"
#include "host/report/outputs.hpp"
#include "host/report/stats_table.hpp"

namespace amfm {

// The page count every channel file of the stack shares. DataError naming both files and their
// counts when they differ (page k would not be the same scan in each), or when a multi-page
// label file (regions.labels: one label page per scan) has another count.
int stack_page_count(const ScanConfig& cfg);

// The pages to process: stack.pages, or 0..page_count-1 for `all`. ConfigError naming
// stack.pages, the height file and its page count for a page past the end.
std::vector<int> stack_pages(const ScanConfig& cfg, int page_count);

// The single-scan configuration of one page: every channel reads `page` (and so does a
// multi-page label file), `stack` is off, and the sample name gains ", page k" so figures and
// metadata say which page they show.
ScanConfig stack_page_config(const ScanConfig& cfg, int page);

// "page_007": the results folder of page 7 inside the stack's output folder.
std::string stack_page_folder(int page);

// One page's region or class as stack.csv holds it.
struct StackRow {
    int page = 0;
    StatsRow stats;
};

// stack.csv: page, then the region's or class's statistics (schema columns, under the names
// stack.csv has always used); undefined numbers are empty fields.
const Table<StackRow>& stack_csv_table();
std::string stack_csv(const std::vector<StackRow>& rows);

struct StackRun {
    std::vector<int> pages;  // selected, in order
    std::vector<StackRow> rows;  // each processed page's regions, then its classes
    std::vector<int> skipped;  // pages unchanged since the recorded run (their rows are in stack.csv only)
};

// Processes every selected page of a stack on `backend`: writes out_dir/page_NNN/ as `process`
// writes a single scan's folder, plus stack_page.json (the page's input hash and stack.csv rows),
// each page folder swapped in whole; then out_dir/stack.csv. A page whose folder records the same
// inputs and settings is not processed again unless `force` (an interrupted stack resumes where it
// stopped). The caller holds out_dir's OutputLock. `progress` (optional) receives one line per
// page, in page order. `overlap`: the next page is read and the previous one written while one is
// processed (run_pipelined; at most three pages in memory), else one page at a time. Same outputs.
StackRun process_stack(const ScanConfig& cfg, Backend& backend, const std::string& out_dir, const RunInfo& run,
                       const std::function<void(const std::string&)>& progress = {}, bool overlap = true,
                       bool force = false);

}  // namespace amfm
