// Multi-page TIFF stacks processed page by page (rules in stack.hpp).
#include "host/batch/stack.hpp"

#include <cstdio>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>

#include "amfm/kernels/error.hpp"
#include "host/batch/pipelined.hpp"
#include "host/batch/series.hpp"
#include "host/formats/scan_yaml.hpp"
#include "host/formats/tiff_io.hpp"
#include "host/method/pipeline.hpp"
#include "host/model/channels.hpp"
#include "host/model/file_io.hpp"
#include "host/model/output_folder.hpp"
#include "host/model/scan.hpp"
#include "host/model/text.hpp"

namespace amfm {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct Channel {
    const char* role;
    const ChannelSpec* spec;
};

std::vector<Channel> channel_files(const ScanConfig& cfg) {
    std::vector<Channel> ch;
    for (const ChannelRole& role : kChannelRoles)
        if (channel_given(cfg, role)) ch.push_back({role.name, &(cfg.*role.spec)});
    return ch;
}

std::string pages_text(int n) { return std::to_string(n) + (n == 1 ? " page" : " pages"); }

void append_rows(int page, const ScanResult& result, std::vector<StackRow>& rows) {
    for (std::size_t i = 0; i < result.stats.regions.size(); ++i)
        rows.push_back({page, region_row(result.stats.regions[i], result.uncertainty.regions.at(i))});
    for (const ClassStats& c : result.stats.classes) rows.push_back({page, class_row(c)});
}

}  // namespace

int stack_page_count(const ScanConfig& cfg) {
    const std::vector<Channel> ch = channel_files(cfg);
    const int n = tiff_page_count(ch.front().spec->file);
    for (std::size_t i = 1; i < ch.size(); ++i) {
        const int m = tiff_page_count(ch[i].spec->file);
        if (m != n)
            throw DataError(ch[i].spec->file + ": stack channel " + ch[i].role + " holds " + pages_text(m) +
                            " but the height stack " + ch.front().spec->file + " holds " + pages_text(n) +
                            "; page k of every channel file must be scan k");
    }
    // A label image for every page, or one label stack with a page per scan.
    if (!cfg.regions.labels_file.empty()) {
        const int m = label_image_pages(cfg.regions.labels_file);
        if (m != 1 && m != n)
            throw DataError(cfg.regions.labels_file + ": the label stack holds " + pages_text(m) + " but the height stack " +
                            ch.front().spec->file + " holds " + pages_text(n) +
                            "; give one label image for every page or one label page per scan");
    }
    return n;
}

std::vector<int> stack_pages(const ScanConfig& cfg, int page_count) {
    if (cfg.stack.pages.empty()) {
        std::vector<int> all((std::size_t)page_count);
        for (int k = 0; k < page_count; ++k) all[(std::size_t)k] = k;
        return all;
    }
    for (int p : cfg.stack.pages)
        if (p >= page_count)
            throw ConfigError(cfg.source + ": stack.pages: page " + std::to_string(p) + " is past the end of " +
                              cfg.height.file + ", which holds " + pages_text(page_count) + " (0.." +
                              std::to_string(page_count - 1) + ")");
    return cfg.stack.pages;
}

ScanConfig stack_page_config(const ScanConfig& cfg, int page) {
    ScanConfig c = cfg;
    c.stack = StackConfig{};
    for (const ChannelRole& role : kChannelRoles) (c.*role.spec).page = page;
    if (!c.regions.labels_file.empty() && label_image_pages(c.regions.labels_file) > 1) c.regions.labels_page = page;
    c.sample = (c.sample.empty() ? std::string() : c.sample + ", ") + "page " + std::to_string(page);
    return c;
}

std::string stack_page_folder(int page) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "page_%03d", page);
    return buf;
}

const Table<StackRow>& stack_csv_table() {
    static const Table<StackRow> t = {
        {"page", [](const StackRow& r) { return count_cell(r.page); }, "", {}},
        stats_col<StackRow>("kind"),
        stats_col<StackRow>("label"),
        stats_col<StackRow>("region"),
        stats_col<StackRow>("class"),
        stats_col<StackRow>("n_pixels", "pixels"),
        stats_col<StackRow>("n_valid", "valid"),
        stats_col<StackRow>("center_gpa", "gaussian_center_gpa"),
        stats_col<StackRow>("sigma_gpa", "gaussian_sigma_gpa"),
        stats_col<StackRow>("fit_state"),
        stats_col<StackRow>("mean_gpa"),
        stats_col<StackRow>("sd_gpa"),
        stats_col<StackRow>("quality"),
        stats_col<StackRow>("valid_fraction"),
    };
    return t;
}

std::string stack_csv(const std::vector<StackRow>& rows) { return csv_table(stack_csv_table(), rows); }

namespace {

constexpr const char* kPageRecord = "stack_page.json";

// A page on its way through the stages: processed (scan and result), or unchanged since the
// recorded run (its stack.csv lines taken from the record).
struct Page {
    std::string hash;
    std::optional<Scan> scan;
    std::optional<ScanResult> result;
    std::vector<std::string> csv_lines;  // this page's rows of stack.csv
};

std::vector<std::string> page_csv_lines(int page, const ScanResult& r) {
    std::vector<StackRow> rows;
    append_rows(page, r, rows);
    std::vector<std::string> lines;
    for (const StackRow& row : rows) lines.push_back(csv_line(stack_csv_table(), row));
    return lines;
}

// The recorded lines when the folder holds a complete page of the same inputs and settings.
std::optional<std::vector<std::string>> unchanged_page(const fs::path& dir, const std::string& hash) {
    std::error_code ec;
    if (!fs::is_regular_file(dir / kPageRecord, ec) || !fs::is_regular_file(dir / "regions.json", ec)) return {};
    try {
        const json j = json::parse(read_file(dir / kPageRecord));
        if (j.at("input_hash").get<std::string>() != hash) return {};
        return j.at("stack_csv_lines").get<std::vector<std::string>>();
    } catch (const std::exception&) {
        return {};  // damaged: processed again
    }
}

// page_NNN/ with its record, swapped in whole.
void write_page(const fs::path& dir, int page, const Page& p, const RunInfo& run) {
    StagedFolder folder(dir);
    write_scan_files(*p.scan, *p.result, folder.path(), run);
    const json record = {{"format", "amfm stack page"}, {"page", page}, {"input_hash", p.hash},
                         {"stack_csv_lines", p.csv_lines}};
    write_file_atomic(folder.path() / kPageRecord, json_text(record, 2) + "\n");
    folder.commit();
}

}  // namespace

StackRun process_stack(const ScanConfig& cfg, Backend& backend, const std::string& out_dir, const RunInfo& run,
                       const std::function<void(const std::string&)>& progress, bool overlap, bool force) {
    if (!cfg.stack.enabled) throw ConfigError(cfg.source + ": process_stack needs a stack: section");
    StackRun result;
    result.pages = stack_pages(cfg, stack_page_count(cfg));
    // Each stack file hashed once, not once per page; only the reading stage uses it, and reads
    // never run concurrently.
    std::map<std::string, std::string> hashes;
    std::string csv = csv_header(stack_csv_table());
    auto folder = [&](std::size_t i) { return fs::path(out_dir) / stack_page_folder(result.pages[i]); };
    run_pipelined(
        result.pages.size(), overlap,
        [&](std::size_t i) {
            Page p;
            const ScanConfig page_cfg = stack_page_config(cfg, result.pages[i]);
            p.hash = entry_input_hash(page_cfg, {}, &hashes);
            if (auto lines = force ? std::nullopt : unchanged_page(folder(i), p.hash)) p.csv_lines = std::move(*lines);
            else p.scan = load_scan(page_cfg, &hashes, stage_threads_have_spare_cores(overlap));
            return p;
        },
        [&](std::size_t i, Page&& p, double) {
            if (p.scan) {
                p.result = process_scan_taking_height(*p.scan, backend);
                p.csv_lines = page_csv_lines(result.pages[i], *p.result);
            }
            return std::move(p);
        },
        [&](std::size_t i, Page&& p) {
            if (p.scan) write_page(folder(i), result.pages[i], p, run);
            return std::move(p);
        },
        [&](std::size_t i, Page&& p) {
            for (const std::string& line : p.csv_lines) csv += line;
            std::string what = "unchanged (skipped)";
            if (p.scan) {
                append_rows(result.pages[i], *p.result, result.rows);
                what = std::to_string(p.scan->nx()) + " x " + std::to_string(p.scan->ny()) + " px";
            } else {
                result.skipped.push_back(result.pages[i]);
            }
            if (progress)
                progress("[" + std::to_string(i + 1) + "/" + std::to_string(result.pages.size()) + "] page " +
                         std::to_string(result.pages[i]) + " (" + what + "): " + folder(i).string());
        });
    write_file_atomic(fs::path(out_dir) / "stack.csv", csv);
    return result;
}

}  // namespace amfm
