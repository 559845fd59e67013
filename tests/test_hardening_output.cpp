// Output folders and text (issue 19): a run killed while writing leaves the previous folder or
// the new one, never a mix, and no partial files; a second run into a folder in use is refused;
// staging folders of dead processes are cleaned up; a rerun leaves nothing of the previous run;
// text that is not UTF-8 comes out as valid UTF-8.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "host/model/output_folder.hpp"
#include "host/model/table_format.hpp"
#include "host/model/text.hpp"
#include "test_util.hpp"

namespace {

using amfm_test::TempDir;
namespace fs = std::filesystem;

std::string slurp(const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), {});
}

// `amfm ARGS` in `cwd`, output in out.txt and err.txt there; its exit code (128 + signal when killed).
int run_cli(const std::string& args, const fs::path& cwd) {
    const std::string cmd = "cd '" + cwd.string() + "' && exec '" AMFM_CLI_PATH "' " + args + " >out.txt 2>err.txt";
    const int status = std::system(cmd.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// `amfm ARGS` started in `cwd` without waiting (stdout and stderr in out.txt, err.txt).
pid_t start_cli(const std::string& args, const fs::path& cwd) {
    const pid_t pid = fork();
    if (pid == 0) {
        const std::string cmd = "cd '" + cwd.string() + "' && exec '" AMFM_CLI_PATH "' " + args + " >out.txt 2>err.txt";
        execl("/bin/sh", "sh", "-c", cmd.c_str(), (char*)nullptr);
        _exit(127);
    }
    return pid;
}

int wait_exit_code(pid_t pid) {
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// The names in `dir` (files and folders, one level).
std::set<std::string> names_in(const fs::path& dir) {
    std::set<std::string> n;
    for (const auto& e : fs::directory_iterator(dir)) n.insert(e.path().filename().string());
    return n;
}

// Every path under `dir` whose name holds `part`.
std::vector<std::string> paths_holding(const fs::path& dir, const std::string& part) {
    std::vector<std::string> found;
    for (const auto& e : fs::recursive_directory_iterator(dir))
        if (e.path().filename().string().find(part) != std::string::npos) found.push_back(e.path().string());
    return found;
}

class OutputFolders : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_EQ(run_cli("simulate --cycle 5 --size 384 --out scan -q", tmp.path()), 0) << slurp(tmp.file("err.txt"));
    }
    TempDir tmp;
};

// SIGTERM while the new folder is being written: exit 143, "interrupted", and res/ is exactly the
// previous run's (figures and all) or exactly the new one's (no figures, other bins), with no
// staging folder, partial file or lock left.
TEST_F(OutputFolders, KillWhileWritingLeavesTheOldOrTheNewFolderNeverAMix) {
    const fs::path dir = tmp.path();
    ASSERT_EQ(run_cli("process scan/scan.yaml --out res -q", dir), 0);
    const std::string new_args = "process scan/scan.yaml -q --no-figures --set histogram.bins=20 --out ";
    ASSERT_EQ(run_cli(new_args + "fresh", dir), 0);  // what the new run writes
    const std::set<std::string> old_names = names_in(dir / "res"), new_names = names_in(dir / "fresh");
    const std::string old_csv = slurp(dir / "res" / "regions.csv"), new_csv = slurp(dir / "fresh" / "regions.csv");
    ASSERT_NE(old_names, new_names);
    ASSERT_NE(old_csv, new_csv);
    int killed_while_writing = 0;
    for (int trial = 0; trial < 20 && killed_while_writing < 3; ++trial) {
        const pid_t pid = start_cli(new_args + "res", dir);
        bool staging_seen = false;
        for (int i = 0; i < 20000 && !staging_seen; ++i) {
            for (const auto& e : fs::directory_iterator(dir))
                staging_seen = staging_seen || e.path().filename().string().rfind("res.partial-", 0) == 0;
            if (!staging_seen) std::this_thread::sleep_for(std::chrono::microseconds(200));
        }
        if (staging_seen) kill(pid, SIGTERM);
        const int code = wait_exit_code(pid);
        SCOPED_TRACE("trial " + std::to_string(trial) + ", exit " + std::to_string(code));
        if (code == 143) {
            ++killed_while_writing;
            EXPECT_EQ(slurp(dir / "err.txt"), "amfm: interrupted\n");
        } else {
            EXPECT_EQ(code, 0) << slurp(dir / "err.txt");
        }
        const std::set<std::string> now = names_in(dir / "res");
        const std::string csv = slurp(dir / "res" / "regions.csv");
        EXPECT_TRUE((now == old_names && csv == old_csv) || (now == new_names && csv == new_csv));
        EXPECT_EQ(paths_holding(dir, ".partial"), std::vector<std::string>{});
        EXPECT_EQ(paths_holding(dir, ".lock"), std::vector<std::string>{});
        if (now == new_names) {
            ASSERT_EQ(run_cli("process scan/scan.yaml --out res -q", dir), 0);  // the old one again
        }
    }
    EXPECT_GT(killed_while_writing, 0) << "no kill landed while the folder was written";
}

// A folder held by another run: refused at once with exit 5, naming the folder and the PID.
TEST_F(OutputFolders, SecondRunIntoAFolderInUseIsRefused) {
    {
        const amfm::OutputLock held(tmp.path() / "res");
        EXPECT_EQ(run_cli("process scan/scan.yaml --out res -q", tmp.path()), 5);
        const std::string err = slurp(tmp.file("err.txt"));
        EXPECT_NE(err.find("output folder res is in use"), std::string::npos) << err;
        EXPECT_NE(err.find("PID " + std::to_string(getpid())), std::string::npos) << err;
        EXPECT_FALSE(fs::exists(tmp.path() / "res"));
        ASSERT_EQ(run_cli("simulate --paper-series --size 32 --out series_scans -q", tmp.path()), 0);
        std::ofstream(tmp.file("s.yaml")) << "scans:\n  - {scan: series_scans/cycle_000/scan.yaml, cycle: 0}\n";
        const amfm::OutputLock held_series(tmp.path() / "ser");
        EXPECT_EQ(run_cli("series s.yaml --out ser -q", tmp.path()), 5);
        EXPECT_THROW(amfm::OutputLock again(tmp.path() / "ser"), amfm::OutputFolderBusy);
    }
    EXPECT_EQ(run_cli("process scan/scan.yaml --out res -q", tmp.path()), 0) << slurp(tmp.file("err.txt"));
    EXPECT_FALSE(fs::exists(tmp.path() / "res.lock"));
}

// What killed runs left (staging folders, partial files) goes when the folder is next locked;
// a live process's partial inside the folder stays.
TEST_F(OutputFolders, StagingOfDeadProcessesIsRemoved) {
    const pid_t dead = fork();
    if (dead == 0) _exit(0);
    waitpid(dead, nullptr, 0);
    const fs::path out = tmp.path() / "ser", scans = out / "scans";
    const std::string dead_partial = ".partial-" + std::to_string(dead);
    const std::string live_partial = ".partial-" + std::to_string(getppid());
    fs::create_directories(scans / ("c0" + dead_partial));
    fs::create_directories(tmp.path() / ("ser" + dead_partial));
    fs::create_directories(tmp.path() / ("ser" + live_partial));  // beside: every writer of ser holds the lock
    std::ofstream(out / ("series.csv" + dead_partial)) << "x";
    std::ofstream(scans / ("c1" + live_partial)) << "x";
    {
        const amfm::OutputLock lock(out);
    }
    EXPECT_EQ(names_in(tmp.path()), (std::set<std::string>{"ser", "scan", "out.txt", "err.txt"}));
    EXPECT_EQ(names_in(out), (std::set<std::string>{"scans"}));
    EXPECT_EQ(names_in(scans), (std::set<std::string>{"c1" + live_partial}));
}

// A rerun replaces the folder: nothing of the previous run stays. A folder amfm did not write is
// not replaced (exit 2, untouched), nor the folder the program runs in.
TEST_F(OutputFolders, RerunReplacesOnlyResultsFolders) {
    const fs::path dir = tmp.path();
    ASSERT_EQ(run_cli("process scan/scan.yaml --out res -q", dir), 0);
    ASSERT_TRUE(fs::exists(dir / "res" / "fig_modulus.png"));
    ASSERT_EQ(run_cli("process scan/scan.yaml --out res -q --no-figures --set outputs.maps=false", dir), 0);
    EXPECT_EQ(names_in(dir / "res"), (std::set<std::string>{"regions.csv", "regions.json"}));
    fs::create_directories(dir / "mine");
    std::ofstream(dir / "mine" / "notes.txt") << "keep";
    EXPECT_EQ(run_cli("process scan/scan.yaml --out mine -q", dir), 2);
    EXPECT_NE(slurp(dir / "err.txt").find("mine: exists and is not an amfm results folder"), std::string::npos);
    EXPECT_EQ(names_in(dir / "mine"), (std::set<std::string>{"notes.txt"}));
    EXPECT_EQ(run_cli("process ../scan/scan.yaml --out . -q", dir / "res"), 2);
    EXPECT_NE(slurp(dir / "res" / "err.txt").find("current folder"), std::string::npos);
    EXPECT_EQ(paths_holding(dir, ".partial"), std::vector<std::string>{});
}

// ---- text ----------------------------------------------------------------------------------------

TEST(Text, Utf8KeptLatin1Decoded) {
    EXPECT_EQ(amfm::utf8_text("plain"), "plain");
    EXPECT_EQ(amfm::utf8_text("caf\xC3\xA9 \xF0\x9F\x94\xAC"), "caf\xC3\xA9 \xF0\x9F\x94\xAC");  // valid: unchanged
    EXPECT_EQ(amfm::utf8_text("caf\xE9"), "caf\xC3\xA9");                                      // Latin-1 e-acute
    EXPECT_EQ(amfm::utf8_text("\xC0\xAF"), "\xC3\x80\xC2\xAF");        // overlong '/': not UTF-8
    EXPECT_EQ(amfm::utf8_text("\xED\xA0\x80"), "\xC3\xAD\xC2\xA0\xC2\x80");  // a surrogate: not UTF-8
    EXPECT_EQ(amfm::utf8_text("\xE2\x82"), "\xC3\xA2\xC2\x82");        // cut short
    EXPECT_EQ(amfm::utf8_text(std::string("a\0b", 3)), std::string("a\0b", 3));
}

TEST(Text, JsonWithLatin1TextIsWrittenAsUtf8) {
    nlohmann::json j = {{"sample", "caf\xE9"}, {"regions", {"r\xF6hre", "ok"}}};
    j["n\xE4me"] = 1;
    try {
        (void)j.dump(2);
        FAIL() << "nlohmann::json dumps invalid UTF-8 now: json_text's fallback is never taken";
    } catch (const nlohmann::json::type_error& e) {
        EXPECT_EQ(e.id, 316);
    }
    const nlohmann::json back = nlohmann::json::parse(amfm::json_text(j, 2));
    EXPECT_EQ(back.at("sample"), "caf\xC3\xA9");
    EXPECT_EQ(back.at("regions").at(0), "r\xC3\xB6hre");
    EXPECT_EQ(back.at("n\xC3\xA4me"), 1);
    EXPECT_EQ(amfm::json_text({{"a", "b"}}, 1), nlohmann::json({{"a", "b"}}).dump(1));
    EXPECT_EQ(amfm::csv_text("caf\xE9, bar"), "\"caf\xC3\xA9, bar\"");
}

// A Latin-1 region name and sample name in a scan YAML: processed (exit 0), and regions.json,
// regions.csv and the figures carry valid UTF-8.
TEST_F(OutputFolders, Latin1RegionAndSampleNamesComeOutAsUtf8) {
    std::string yaml = slurp(tmp.path() / "scan" / "scan.yaml");
    for (const auto& [from, to] : {std::pair<std::string, std::string>{"simulated LNMO", "Probe \xE9t\xE9"},
                                   {"names: {1: \"I\"", "names: {1: \"gr\xFCn\""}}) {
        ASSERT_NE(yaml.find(from), std::string::npos) << from;
        yaml.replace(yaml.find(from), from.size(), to);
    }
    std::ofstream(tmp.path() / "scan" / "latin1.yaml", std::ios::binary) << yaml;
    ASSERT_EQ(run_cli("process scan/latin1.yaml --out res -q", tmp.path()), 0) << slurp(tmp.file("err.txt"));
    const nlohmann::json j = nlohmann::json::parse(slurp(tmp.path() / "res" / "regions.json"));
    EXPECT_EQ(j.at("scan").at("sample"), "Probe \xC3\xA9t\xC3\xA9 electrode, 5 cycles");
    EXPECT_EQ(j.at("regions").at(0).at("name"), "gr\xC3\xBCn");
    EXPECT_NE(slurp(tmp.path() / "res" / "regions.csv").find(",gr\xC3\xBCn,"), std::string::npos);
}

}  // namespace
