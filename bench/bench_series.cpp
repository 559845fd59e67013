// amfm-bench-series: a cycle-number series of synthetic scans from files on disk (issue 7,
// item 6): scans/s, MB/s of input read, where the time goes (reading the inputs vs the
// pipeline vs writing the outputs) and peak RSS, one scan at a time ("sequential") and with
// reading, processing and writing overlapped as `amfm series` runs by default ("overlapped").
//
//   amfm-bench-series [--scans 200] [--size 1024] [--mode both|sequential|overlapped]
//                     [--backend auto|cpu|cuda] [--no-figures] [--gwy] [--warm] [--dir DIR] [--keep]
//
// The scans are generated first (not timed) into a fresh folder under $TMPDIR (or --dir), which
// is deleted afterwards unless --keep. Each mode runs in a child process so that its peak RSS
// (ru_maxrss) is its own, not the generator's or the other mode's. Before each mode the input
// files are flushed and dropped from the page cache (posix_fadvise DONTNEED, no root needed), so
// "read" means from the disk; --warm keeps them cached.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "host/batch/series.hpp"
#include "host/sim/simulate.hpp"

namespace {

namespace fs = std::filesystem;

struct Options {
    int scans = 200, size = 1024;
    std::string mode = "both", backend = "auto", dir;
    bool figures = true, gwy = false, warm = false, keep = false;
};

[[noreturn]] void usage(const char* why) {
    std::fprintf(stderr,
                 "amfm-bench-series: %s\nusage: amfm-bench-series [--scans N] [--size PX] "
                 "[--mode both|sequential|overlapped] [--backend auto|cpu|cuda] [--no-figures] [--gwy] [--warm] [--dir DIR] "
                 "[--keep]\n",
                 why);
    std::exit(2);
}

Options parse(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) usage((a + " needs a value").c_str());
            return argv[++i];
        };
        if (a == "--scans") o.scans = std::atoi(value().c_str());
        else if (a == "--size") o.size = std::atoi(value().c_str());
        else if (a == "--mode") o.mode = value();
        else if (a == "--backend") o.backend = value();
        else if (a == "--dir") o.dir = value();
        else if (a == "--no-figures") o.figures = false;
        else if (a == "--gwy") o.gwy = true;
        else if (a == "--warm") o.warm = true;
        else if (a == "--keep") o.keep = true;
        else usage(("unknown argument " + a).c_str());
    }
    if (o.scans < 1 || o.size < 16) usage("--scans >= 1 and --size >= 16");
    if (o.mode != "both" && o.mode != "sequential" && o.mode != "overlapped")
        usage("--mode both|sequential|overlapped");
    return o;
}

// The paper's five cycle numbers in turn; five distinct simulated scans, copied for the rest
// (simulating a 1024^2 scan takes longer than processing it; the content does not matter here).
std::string generate(const Options& o, const fs::path& dir) {
    const int cycles[] = {0, 5, 30, 60, 200};
    std::string yaml = "name: amfm-bench-series\nscans:\n";
    for (int k = 0; k < o.scans; ++k) {
        char id[32];
        std::snprintf(id, sizeof id, "scan_%04d", k);
        const int cycle = cycles[k % 5];
        if (k < 5) {
            amfm::SimulationSpec spec;
            spec.nx = spec.ny = o.size;
            spec.cycle = cycle;
            spec.seed = 1000 + (std::uint64_t)k;
            spec.regions = amfm::paper_region_truths(cycle);
            amfm::write_simulated_scan(amfm::simulate_scan(spec), (dir / id).string());
        } else {
            char from[32];
            std::snprintf(from, sizeof from, "scan_%04d", k % 5);
            fs::copy(dir / from, dir / id, fs::copy_options::recursive);
        }
        yaml += std::string("  - {scan: ") + id + ", cycle: " + std::to_string(cycle) + "}\n";
    }
    std::ofstream(dir / "series.yaml") << yaml;
    return (dir / "series.yaml").string();
}

// Flushes and drops every input file from the page cache, so the series reads from the disk.
void drop_from_cache(const fs::path& dir) {
    for (const auto& de : fs::recursive_directory_iterator(dir)) {
        if (!de.is_regular_file() || de.path().extension() != ".tif") continue;
        const int fd = ::open(de.path().c_str(), O_RDONLY);
        if (fd < 0) continue;
        ::fdatasync(fd);
        ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
        ::close(fd);
    }
}

struct Totals {
    double prepare = 0, load = 0, process = 0, write = 0, waiting = 0;
    double bytes = 0;
    int processed = 0, failed = 0;
};

// One mode, in the calling (child) process; prints its figures.
int run_mode(const Options& o, const std::string& series_yaml, const fs::path& out, bool overlap) {
    std::vector<std::string> sets;
    if (!o.figures) sets.push_back("outputs.figures=false");
    if (o.gwy) sets.push_back("outputs.gwy=true");
    const amfm::SeriesSpec spec = amfm::load_series_spec(series_yaml, sets);
    amfm::SeriesRunOptions ro;
    ro.out_dir = out.string();
    ro.backend = o.backend;
    ro.overlap = overlap;
    ro.run = amfm::RunInfo{AMFM_VERSION, "amfm-bench-series"};
    Totals t;
    ro.on_progress = [&](const amfm::SeriesProgress& p) {
        t.prepare += p.seconds_prepare;
        t.load += p.seconds_load;
        t.process += p.seconds_process;
        t.write += p.seconds_write;
        t.waiting += p.seconds_waiting_for_inputs;
        t.bytes += (double)p.input_bytes;
        if (p.status == "failed") std::fprintf(stderr, "  %s failed: %s\n", p.entry->id.c_str(), p.reason.c_str());
    };
    const auto t0 = std::chrono::steady_clock::now();
    const amfm::SeriesRunCounts c = amfm::run_series(spec, ro);
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const auto t1 = std::chrono::steady_clock::now();
    amfm::write_series_outputs(spec, out.string());
    const double tables = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    double written = 0;
    for (const auto& de : fs::recursive_directory_iterator(out / "scans"))
        if (de.is_regular_file()) written += (double)de.file_size();
    const double mb = t.bytes / 1e6, n = c.selected;
    const double read_ms = 1e3 * (t.prepare + t.load) / n, pipeline_ms = 1e3 * t.process / n;
    std::printf("%-10s %d scans (%d processed, %d failed) in %.1f s: %.2f scans/s, %.0f MB read (%.1f MB/s), "
                "%.0f MB written\n",
                overlap ? "overlapped" : "sequential", c.selected, c.processed, c.failed, wall, n / wall, mb,
                mb / wall, written / 1e6);
    std::printf("           per scan: reading %.0f ms (content hash %.0f ms + load %.0f ms, %.0f MB/s), pipeline %.0f ms, "
                "writing %.0f ms (%.1f MB)\n",
                read_ms, 1e3 * t.prepare / n, 1e3 * t.load / n, mb / (t.prepare + t.load), pipeline_ms,
                1e3 * t.write / n, written / 1e6 / n);
    std::printf("           share of wall time: main thread waiting for inputs %.1f %%, reading %.1f %%, pipeline %.1f %%, "
                "writing %.1f %%%s\n",
                100 * t.waiting / wall, 100 * (t.prepare + t.load) / wall, 100 * t.process / wall,
                100 * t.write / wall, overlap ? " (stages overlap: shares add up to more than 100 %)" : "");
    std::printf("           processing costs %s than reading the files (pipeline %.0f ms vs reading %.0f ms a scan)\n",
                pipeline_ms < read_ms ? "less" : "MORE", pipeline_ms, read_ms);
    std::printf("           series tables + report %.2f s; peak RSS %.0f MB\n", tables, ru.ru_maxrss / 1024.0);
    std::fflush(stdout);
    return c.failed ? 3 : 0;
}

std::string read_text(const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}

}  // namespace

int main(int argc, char** argv) {
    const Options o = parse(argc, argv);
    fs::path dir;
    if (o.dir.empty()) {
        const char* tmp = std::getenv("TMPDIR");
        std::string templ = std::string(tmp && *tmp ? tmp : "/tmp") + "/amfm-bench-series-XXXXXX";
        if (!mkdtemp(templ.data())) {
            std::perror("amfm-bench-series: mkdtemp");
            return 1;
        }
        dir = templ;
    } else {
        dir = o.dir;
        fs::create_directories(dir);
    }
    std::printf("amfm-bench-series %s: %d scans of %d^2 px in %s (%s page cache), figures %s\n", AMFM_VERSION, o.scans,
                o.size, o.dir.empty() && !o.keep ? "a temporary folder" : dir.c_str(), o.warm ? "warm" : "cold",
                o.figures ? "on" : "off");
    std::fflush(stdout);
    int rc = 0;
    try {
        // Generated in a child too: its memory would otherwise count in the modes' peak RSS.
        const pid_t gen = fork();
        if (gen == 0) {
            try {
                generate(o, dir);
            } catch (const std::exception& e) {
                std::fprintf(stderr, "amfm-bench-series: generating: %s\n", e.what());
                _exit(1);
            }
            _exit(0);
        }
        int status = 0;
        waitpid(gen, &status, 0);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) throw std::runtime_error("generating the scans failed");
        const std::string series_yaml = (dir / "series.yaml").string();

        std::vector<bool> modes;
        if (o.mode != "overlapped") modes.push_back(false);
        if (o.mode != "sequential") modes.push_back(true);
        for (bool overlap : modes) {
            if (!o.warm) drop_from_cache(dir);
            const pid_t child = fork();
            if (child == 0) {
                int code = 1;
                try {
                    code = run_mode(o, series_yaml, dir / (overlap ? "out_overlapped" : "out_sequential"), overlap);
                } catch (const std::exception& e) {
                    std::fprintf(stderr, "amfm-bench-series: %s\n", e.what());
                }
                std::fflush(stdout);
                _exit(code);
            }
            waitpid(child, &status, 0);
            if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) rc = 1;
        }
        if (modes.size() == 2 && rc == 0) {
            // The two modes must agree byte for byte in the tables and every scan's summary.
            bool same = read_text(dir / "out_sequential" / "series.csv") == read_text(dir / "out_overlapped" / "series.csv");
            for (int k = 0; k < o.scans && same; ++k) {
                char id[32];
                std::snprintf(id, sizeof id, "scan_%04d", k);
                for (const char* f : {"series_entry.json", "regions.csv", "modulus_gpa.tif"})
                    same = same && read_text(dir / "out_sequential" / "scans" / id / f) ==
                                       read_text(dir / "out_overlapped" / "scans" / id / f);
            }
            std::printf("outputs of the two modes identical: %s\n", same ? "yes" : "NO");
            if (!same) rc = 1;
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "amfm-bench-series: %s\n", e.what());
        rc = 1;
    }
    if (!o.keep) {
        std::error_code ec;
        fs::remove_all(dir, ec);
    }
    return rc;
}
