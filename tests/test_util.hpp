// Helpers shared by the test files: temporary folders and the shared instrument data.
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <utility>
#include <random>
#include <string>
#include <vector>

namespace amfm_test {

namespace fs = std::filesystem;

// A fresh folder under the system temp dir, removed with everything in it at scope exit.
class TempDir {
public:
    TempDir() {
        std::random_device rd;
        path_ = fs::temp_directory_path() / ("amfm-test-" + std::to_string(rd()) + std::to_string(rd()));
        fs::create_directories(path_);
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const fs::path& path() const { return path_; }
    std::string file(const std::string& name) const { return (path_ / name).string(); }

private:
    fs::path path_;
};

inline fs::path source_dir() { return fs::path(AMFM_SOURCE_DIR); }

// ../shared/data beside the checkout (CI clones with ../shared next to the repository).
inline fs::path shared_data_dir() { return source_dir().parent_path() / "shared" / "data"; }

#define AMFM_REQUIRE_SHARED_DATA()                                                             \
    do {                                                                                       \
        if (!std::filesystem::is_directory(amfm_test::shared_data_dir()))                      \
            GTEST_SKIP() << "shared instrument data not found at "                             \
                         << amfm_test::shared_data_dir().string() << " (clone with ../shared)"; \
    } while (0)

// Runs f, which must throw E with a one-line message containing every one of `parts`
// (errors name the file, key or pixel); returns the message.
template <class E, class F>
std::string expect_error(F&& f, const std::vector<std::string>& parts) {
    try {
        f();
        ADD_FAILURE() << "no error thrown";
    } catch (const E& e) {
        const std::string msg = e.what();
        EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
        for (const std::string& p : parts) EXPECT_NE(msg.find(p), std::string::npos) << "'" << p << "' not in: " << msg;
        return msg;
    }
    return "";
}

// The output of a shell command, or "" when it cannot run.
inline std::string command_output(const std::string& cmd) {
    std::string out;
    FILE* p = popen(cmd.c_str(), "r");
    if (!p) return out;
    char buf[4096];
    while (std::size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
    pclose(p);
    return out;
}

// Segmentation tests: the automatic region that overlaps true plane `plane` most, with that overlap
// in pixels ({0, 0} when none does); `overlap` counts pixels per {true plane, automatic label}.
inline std::pair<int, long long> best_overlap(const std::map<std::pair<int, int>, long long>& overlap, int plane) {
    std::pair<int, long long> best{0, 0};
    for (const auto& kv : overlap)
        if (kv.first.first == plane && kv.second > best.second) best = {kv.first.second, kv.second};
    return best;
}

}  // namespace amfm_test
