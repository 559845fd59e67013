// A series run: the shard's entries processed into scans/<id>/ (read ahead, write behind), the
// manifest, shards and their merge. The series file is read in series_spec.cpp, an entry's inputs
// and summary are series_entry.cpp's.
#include "host/batch/series.hpp"

#include <chrono>
#include <exception>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "amfm/kernels/backend.hpp"
#include "amfm/kernels/error.hpp"
#include "host/batch/pipelined.hpp"
#include "host/batch/series_shards.hpp"
#include "host/method/pipeline.hpp"
#include "host/model/channels.hpp"
#include "host/model/config.hpp"
#include "host/model/file_io.hpp"
#include "host/model/output_folder.hpp"
#include "host/model/scan.hpp"
#include "host/model/text.hpp"

namespace amfm {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kEntryFile = "series_entry.json";
constexpr const char* kManifestFile = "series_manifest.json";

json entry_ref_json(const SeriesEntry& e) {
    return {{"id", e.id}, {"scan", e.scan}, {"cycle", e.cycle}, {"sample", e.sample}, {"notes", e.notes}};
}

json manifest_json(const SeriesSpec& spec, const Shard& shard) {
    json entries = json::array();
    for (const auto& e : spec.entries) entries.push_back(entry_ref_json(e));
    return {{"format", "amfm series manifest"},
            {"format_version", 1},
            {"series_file", spec.source},
            {"name", spec.name},
            {"error_bars", error_bars_name(spec.error_bars)},
            {"shard", std::to_string(shard.index) + "/" + std::to_string(shard.count)},
            {"entries", entries}};
}

void write_manifest(const SeriesSpec& spec, const Shard& shard, const fs::path& out) {
    write_file_atomic(out / kManifestFile, json_text(manifest_json(spec, shard), 2) + "\n");
}

EntrySummary failed_summary(const SeriesEntry& e, const std::string& reason, const std::string& hash) {
    EntrySummary s;
    set_entry_metadata(s, e);
    s.status = "failed";
    s.reason = reason;
    s.input_hash = hash;
    return s;
}

// scans/<id>/ holding only the record of the entry's failure, swapped in whole.
void write_failed_entry(const SeriesEntry& e, const fs::path& dir, const std::string& reason, const std::string& hash) {
    StagedFolder folder(dir);
    write_file_atomic(folder.path() / kEntryFile, entry_summary_json(failed_summary(e, reason, hash)));
    folder.commit();
}

}  // namespace

Shard parse_shard(const std::string& text) {
    Shard s;
    const auto slash = text.find('/');
    try {
        if (slash == std::string::npos) throw std::invalid_argument("no slash");
        std::size_t used_i = 0, used_n = 0;
        s.index = std::stoi(text.substr(0, slash), &used_i);
        s.count = std::stoi(text.substr(slash + 1), &used_n);
        if (used_i != slash || used_n != text.size() - slash - 1) throw std::invalid_argument("trailing");
    } catch (const std::exception&) {
        throw ConfigError("--shard '" + text + "': expected i/n, e.g. 0/4 (0-based: i = 0..n-1)");
    }
    if (s.count < 1 || s.index < 0 || s.index >= s.count)
        throw ConfigError("--shard '" + text + "': need n >= 1 and 0 <= i < n");
    return s;
}

bool shard_contains(const Shard& shard, std::size_t entry_index) {
    return (int)(entry_index % (std::size_t)shard.count) == shard.index;
}

namespace {

// Everything a scan needs before the pipeline: the reading part of an entry, which may run on
// the read-ahead thread (it writes nothing).
struct Fetched {
    std::exception_ptr error;
    std::string hash;                       // "" when preparing failed
    std::optional<EntrySummary> unchanged;  // set: same inputs and settings as the recorded run
    std::optional<Scan> scan;               // set: to be processed
    double seconds_prepare = 0.0, seconds_load = 0.0;
    std::uint64_t input_bytes = 0;
};

std::uint64_t input_bytes_of(const ScanConfig& cfg) {
    std::set<std::string> files;
    for (const ChannelRole& role : kChannelRoles)
        if (!(cfg.*role.spec).file.empty()) files.insert((cfg.*role.spec).file);
    if (!cfg.regions.labels_file.empty()) files.insert(cfg.regions.labels_file);
    if (!cfg.regions.rois_file.empty()) files.insert(cfg.regions.rois_file);
    for (const auto& [label, file] : cfg.regions.mask_files) files.insert(file);
    std::uint64_t n = 0;
    for (const std::string& f : files) {
        std::error_code ec;
        const auto size = fs::file_size(f, ec);
        if (!ec) n += size;
    }
    return n;
}

Fetched fetch_entry(const SeriesEntry& e, const fs::path& dir, bool force, bool concurrent) {
    using clock = std::chrono::steady_clock;
    Fetched f;
    try {
        const auto t0 = clock::now();
        EntryInput in = prepare_entry(e);
        f.hash = in.hash;
        f.input_bytes = input_bytes_of(in.opened.config);
        const fs::path entry_file = dir / kEntryFile;
        std::error_code ec;
        if (!force && fs::is_regular_file(entry_file, ec) && fs::is_regular_file(dir / "regions.json", ec)) {
            EntrySummary old = read_entry_summary(entry_file.string());
            if (old.status == "ok" && old.input_hash == f.hash) f.unchanged = std::move(old);
        }
        const auto t1 = clock::now();
        f.seconds_prepare = std::chrono::duration<double>(t1 - t0).count();
        if (!f.unchanged) {
            f.scan = load_entry_scan(std::move(in), concurrent);
            f.seconds_load = std::chrono::duration<double>(clock::now() - t1).count();
        }
    } catch (...) {
        f.error = std::current_exception();
    }
    return f;
}

// Writes scans/<id>/ with its series_entry.json, swapped in whole (the record and the results it
// describes appear together); a failure is recorded there with its reason. Sets p's status,
// reason and writing time.
void write_entry(const SeriesEntry& e, const fs::path& dir, const Scan& scan, const ScanResult& result,
                 const std::string& hash, const RunInfo& run, SeriesProgress& p) {
    const auto t0 = std::chrono::steady_clock::now();
    try {
        StagedFolder folder(dir);
        write_scan_files(scan, result, folder.path(), run);
        write_file_atomic(folder.path() / kEntryFile, entry_summary_json(summarize_scan(e, result, hash)));
        folder.commit();
        p.status = "processed";
    } catch (const std::exception& ex) {
        write_failed_entry(e, dir, ex.what(), hash);
        p.status = "failed";
        p.reason = ex.what();
    }
    p.seconds_write = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// One entry's way through the stages: its progress record, and what the writer needs.
struct Processed {
    SeriesProgress p;
    std::string hash;
    std::optional<Scan> scan;  // empty: nothing to write (skipped or failed)
    std::optional<ScanResult> result;
};

// The processing stage of one entry (main thread): a scan whose inputs and settings are unchanged
// is skipped (its recorded summary takes the series file's metadata), any other is processed; a
// failure is recorded in dir with its reason. Only an unavailable backend stops the run.
Processed process_entry(const SeriesEntry& e, const fs::path& dir, Fetched&& f, Backend& backend, SeriesProgress p) {
    const fs::path entry_file = dir / kEntryFile;
    Processed item;
    item.p = std::move(p);
    item.p.seconds_prepare = f.seconds_prepare;
    item.p.seconds_load = f.seconds_load;
    item.p.input_bytes = f.input_bytes;
    item.hash = f.hash;
    try {
        if (f.error) std::rethrow_exception(f.error);
        if (f.unchanged) {
            EntrySummary& old = *f.unchanged;
            set_entry_metadata(old, e);  // cycle, sample, notes may be edited without reprocessing
            const std::string text = entry_summary_json(old);
            if (read_file(entry_file) != text) write_file_atomic(entry_file, text);
            item.p.status = "skipped";
        } else {
            item.scan = std::move(f.scan);
            const auto t1 = std::chrono::steady_clock::now();
            item.result = process_scan_taking_height(*item.scan, backend, ProcessOptions{true});
            item.p.seconds_process = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
        }
    } catch (const BackendUnavailable&) {
        throw;
    } catch (const std::exception& ex) {
        item.scan.reset();
        write_failed_entry(e, dir, ex.what(), f.hash);
        item.p.status = "failed";
        item.p.reason = ex.what();
    }
    return item;
}

// Counts the run's scans and times them for the progress reports.
class RunProgress {
public:
    explicit RunProgress(const std::function<void(const SeriesProgress&)>& on_progress, std::size_t n_selected)
        : on_progress_(on_progress) {
        counts.selected = (int)n_selected;
    }

    // Reports one scan, in series order, once its outputs are on disk. Its `seconds` are the wall
    // time since the previous report: with overlap, what the scan added to the run. The ETA
    // extrapolates the scans processed so far (skipped ones take no time).
    void report(SeriesProgress& p) {
        if (p.status == "processed") ++counts.processed;
        else if (p.status == "failed") {
            ++counts.failed;
            counts.failures.emplace_back(p.entry->id, p.reason);
        }
        else ++counts.skipped;
        const auto now = clock::now();
        p.seconds = std::chrono::duration<double>(now - last_report_).count();
        last_report_ = now;
        if (p.status != "skipped") processed_seconds_ += p.seconds;
        p.elapsed_seconds = std::chrono::duration<double>(now - start_).count();
        p.scans_per_second = p.elapsed_seconds > 0 ? (double)p.position / p.elapsed_seconds : 0.0;
        const std::size_t worked = (std::size_t)(counts.processed + counts.failed);
        const double per_scan = worked ? processed_seconds_ / (double)worked : 0.0;
        p.eta_seconds = per_scan * (double)(p.total - p.position);
        if (on_progress_) on_progress_(p);
    }

    SeriesRunCounts counts;

private:
    using clock = std::chrono::steady_clock;
    const std::function<void(const SeriesProgress&)>& on_progress_;
    const clock::time_point start_ = clock::now();
    clock::time_point last_report_ = start_;
    double processed_seconds_ = 0.0;
};

}  // namespace

SeriesRunCounts run_series(const SeriesSpec& spec, const SeriesRunOptions& o) {
    // Prepare: the output folder with the manifest, the backend, and the shard's entries.
    const fs::path out(o.out_dir), scans_dir = out / "scans";
    fs::create_directories(scans_dir);
    write_manifest(spec, o.shard, out);
    auto backend = make_backend(parse_backend_kind(o.backend));
    std::vector<const SeriesEntry*> selected;
    for (std::size_t k = 0; k < spec.entries.size(); ++k)
        if (shard_contains(o.shard, k)) selected.push_back(&spec.entries[k]);
    RunProgress progress(o.on_progress, selected.size());

    // Each entry is read (ahead, with overlap), processed, written (behind), then reported.
    auto read = [&](std::size_t pos) {
        const SeriesEntry& e = *selected[pos];
        return fetch_entry(e, scans_dir / e.id, o.force, stage_threads_have_spare_cores(o.overlap));
    };
    auto process = [&](std::size_t pos, Fetched&& f, double waited) {
        const SeriesEntry& e = *selected[pos];
        SeriesProgress p;
        p.position = pos + 1;
        p.total = selected.size();
        p.entry = &e;
        p.seconds_waiting_for_inputs = waited;
        return process_entry(e, scans_dir / e.id, std::move(f), *backend, std::move(p));
    };
    auto write = [&](std::size_t pos, Processed&& item) {
        if (item.result) {
            const SeriesEntry& e = *selected[pos];
            write_entry(e, scans_dir / e.id, *item.scan, *item.result, item.hash, o.run, item.p);
        }
        return std::move(item.p);
    };
    run_pipelined(selected.size(), o.overlap, read, process, write,
                  [&](std::size_t, SeriesProgress&& p) { progress.report(p); });
    return progress.counts;
}

SeriesSpec read_series_manifest(const std::string& out_dir, Shard* shard) {
    const fs::path path = fs::path(out_dir) / kManifestFile;
    std::ifstream f(path);
    if (!f) throw ConfigError(path.string() + ": not found (not an `amfm series` output folder)");
    SeriesSpec spec;
    try {
        const json j = json::parse(f);
        spec.source = j.at("series_file");
        spec.name = j.at("name");
        // Manifests written before error_bars existed: the default.
        spec.error_bars = parse_error_bars(j.value("error_bars", "auto"), path.string() + ": error_bars");
        for (const auto& e : j.at("entries")) {
            SeriesEntry se;
            se.id = e.at("id");
            // The id names a folder merge writes and removes: only what sanitize_id lets through.
            if (se.id != sanitize_id(se.id))
                throw ConfigError(path.string() + ": entry id '" + se.id +
                                  "' is not a plain folder name (letters, digits, '-', '_', '.'); the manifest "
                                  "was edited or damaged");
            se.scan = e.at("scan");
            se.cycle = e.at("cycle");
            se.sample = e.at("sample");
            se.notes = e.at("notes");
            spec.entries.push_back(std::move(se));
        }
        if (shard) *shard = parse_shard(j.at("shard").get<std::string>());
    } catch (const json::exception& e) {
        throw ConfigError(path.string() + ": not a series manifest (" + e.what() + ")");
    }
    return spec;
}

namespace {

std::string shard_text(const Shard& s) { return std::to_string(s.index) + "/" + std::to_string(s.count); }

// A merge takes every shard of one split exactly once, each finished with every scan of it
// recorded (ok or failed); otherwise it names what is missing. The series are compared apart.
void check_shard_set(const SeriesSpec& spec, const std::vector<std::string>& dirs, const std::vector<Shard>& shards) {
    std::map<int, std::string> given;
    for (std::size_t s = 0; s < dirs.size(); ++s) {
        if (shards[s].count != shards.front().count)
            throw ConfigError("merge: " + dirs[s] + " is shard " + shard_text(shards[s]) + " but " + dirs.front() +
                              " is shard " + shard_text(shards.front()) + " (different splits)");
        const auto [it, fresh] = given.emplace(shards[s].index, dirs[s]);
        if (!fresh)
            throw ConfigError("merge: shard " + shard_text(shards[s]) + " given twice (" + it->second + ", " + dirs[s] + ")");
        if (const auto status = read_shard_status(dirs[s]); status && status->state == "running")
            throw DataError("merge: " + dirs[s] + " (shard " + shard_text(shards[s]) +
                            ") has not finished: its shard_status.json says running (still running, or killed)");
        std::string lacking;
        for (std::size_t k = 0; k < spec.entries.size(); ++k) {
            std::error_code ec;
            if (shard_contains(shards[s], k) &&
                !fs::is_regular_file(fs::path(dirs[s]) / "scans" / spec.entries[k].id / kEntryFile, ec))
                lacking += (lacking.empty() ? "" : ", ") + spec.entries[k].id;
        }
        if (!lacking.empty())
            throw DataError("merge: " + dirs[s] + " (shard " + shard_text(shards[s]) + ") lacks scans " + lacking +
                            " (not processed: rerun the shard)");
    }
    std::string missing;
    for (int i = 0; i < shards.front().count; ++i) {
        if (given.count(i)) continue;
        std::string ids;
        for (std::size_t k = 0; k < spec.entries.size(); ++k)
            if (shard_contains({i, shards.front().count}, k)) ids += (ids.empty() ? "" : " ") + spec.entries[k].id;
        missing += (missing.empty() ? "" : "; ") + std::to_string(i) + "/" + std::to_string(shards.front().count) +
                   " (" + ids + ")";
    }
    if (!missing.empty()) throw DataError("merge: shards missing: " + missing + "; give every shard folder");
}

}  // namespace

SeriesOutcome merge_series(const std::vector<std::string>& shard_dirs, const std::string& out_dir) {
    if (shard_dirs.empty()) throw ConfigError("merge: no shard folders given");
    std::vector<SeriesSpec> specs;
    std::vector<Shard> shards;
    for (const auto& d : shard_dirs) {
        Shard sh;
        specs.push_back(read_series_manifest(d, &sh));
        shards.push_back(sh);
        const json a = manifest_json(specs.front(), Shard{}), b = manifest_json(specs.back(), Shard{});
        if (a.at("entries") != b.at("entries") || a.at("name") != b.at("name"))
            throw ConfigError("merge: " + d + " holds a different series than " + shard_dirs.front());
    }
    check_shard_set(specs.front(), shard_dirs, shards);
    const fs::path out(out_dir);
    fs::create_directories(out / "scans");
    const SeriesSpec& spec = specs.front();
    for (std::size_t k = 0; k < spec.entries.size(); ++k) {
        const std::string& id = spec.entries[k].id;
        for (std::size_t s = 0; s < shard_dirs.size(); ++s) {
            const fs::path src = fs::path(shard_dirs[s]) / "scans" / id, dst = out / "scans" / id;
            const fs::path rel = dst.lexically_normal().lexically_relative((out / "scans").lexically_normal());
            if (rel.empty() || rel.begin()->string() == ".." || rel.has_parent_path())
                throw ConfigError("merge: entry '" + id + "' would write outside " + (out / "scans").string());
            std::error_code ec;
            if (!shard_contains(shards[s], k) || !fs::is_regular_file(src / kEntryFile, ec)) continue;
            if (!fs::exists(dst, ec) || !fs::equivalent(src, dst, ec)) {
                StagedFolder copy(dst);
                fs::copy(src, copy.path(), fs::copy_options::recursive);
                copy.commit();
            }
            break;
        }
    }
    write_manifest(spec, Shard{}, out);
    return write_series_outputs(spec, out_dir);
}

}  // namespace amfm
