// The amfm program as a user runs it: exit codes, one clear line on stderr, outputs.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

#include "amfm/kernels/backend.hpp"
#include "test_util.hpp"

namespace fs = std::filesystem;

namespace {

struct CliRun {
    int code = -1;
    std::string out, err;
};

// Runs `amfm ARGS` in `cwd` with stdout and stderr captured in files.
CliRun run_amfm(const std::string& args, const fs::path& cwd) {
    const fs::path out = cwd / "stdout.txt", err = cwd / "stderr.txt";
    const std::string cmd = "cd '" + cwd.string() + "' && '" AMFM_CLI_PATH "' " + args + " >'" + out.string() +
                            "' 2>'" + err.string() + "'";
    const int status = std::system(cmd.c_str());
    CliRun r;
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    auto slurp = [](const fs::path& p) {
        std::ifstream f(p);
        return std::string(std::istreambuf_iterator<char>(f), {});
    };
    r.out = slurp(out);
    r.err = slurp(err);
    return r;
}

int lines(const std::string& s) {
    int n = 0;
    for (char c : s) n += c == '\n';
    return n;
}

class Cli : public ::testing::Test {
protected:
    void SetUp() override {
        const CliRun sim = run_amfm("simulate --cycle 5 --size 64 --out scan -q", tmp.path());
        ASSERT_EQ(sim.code, 0) << sim.err;
    }
    void write(const std::string& name, const std::string& text) { std::ofstream(tmp.path() / name) << text; }
    std::string read_yaml() {
        std::ifstream f(tmp.path() / "scan" / "scan.yaml");
        return std::string(std::istreambuf_iterator<char>(f), {});
    }
    amfm_test::TempDir tmp;
};

}  // namespace

TEST_F(Cli, ProcessWritesResultsAndExitsZero) {
    const CliRun r = run_amfm("process scan/scan.yaml --out res --backend cpu", tmp.path());
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(fs::exists(tmp.path() / "res" / "regions.json"));
    EXPECT_TRUE(fs::exists(tmp.path() / "res" / "fig_modulus.png"));
    EXPECT_NE(r.out.find("b/c"), std::string::npos);  // the summary table names the regions
}

TEST_F(Cli, NamedOverridesReachTheRunMetadata) {
    const CliRun r = run_amfm("process scan/scan.yaml --out res -q --no-figures --tip-radius 8e-9 --kc cos", tmp.path());
    ASSERT_EQ(r.code, 0) << r.err;
    std::ifstream f(tmp.path() / "res" / "regions.json");
    const std::string json((std::istreambuf_iterator<char>(f)), {});
    EXPECT_NE(json.find("8e-09"), std::string::npos);
    EXPECT_NE(json.find("\"cos\""), std::string::npos);
    EXPECT_FALSE(fs::exists(tmp.path() / "res" / "fig_modulus.png"));
}

// calibrate-tip's tip: block and fit-tilt's tilt_correction: block side by side: --config
// repeats (later files win on a shared key), and neither it nor --set swallows the scan
// argument that follows.
TEST_F(Cli, SeveralConfigsMergeInOrder) {
    write("tip.yaml", "tip: {radius: 7.5e-9}\n");
    write("tilt.yaml", "tilt_correction: {model: cos, cos_exponent: 2.0}\ntip: {radius: 6.5e-9}\n");
    const CliRun r = run_amfm("process --config tip.yaml --config tilt.yaml --set histogram.bins=33 "
                              "scan/scan.yaml --out res -q --no-figures",
                              tmp.path());
    ASSERT_EQ(r.code, 0) << r.err;
    std::ifstream f(tmp.path() / "res" / "regions.json");
    const nlohmann::json j = nlohmann::json::parse(f);
    EXPECT_EQ(j["parameters"]["tip"]["radius"], 6.5e-9);
    EXPECT_EQ(j["parameters"]["tilt_correction"]["model"], "cos");
    EXPECT_EQ(j["parameters"]["histogram"]["bins"], 33);
    int configs = 0;
    for (const auto& in : j["scan"]["inputs"]) configs += in["role"] == "config";
    EXPECT_EQ(configs, 3);  // the scan YAML and both merged files, each with its SHA-256
}

TEST_F(Cli, UnknownKeyIsAConfigErrorNamingKeyAndFile) {
    std::string yaml = read_yaml();
    yaml += "\nhistogramm: {bins: 50}\n";
    write("scan/bad.yaml", yaml);
    const CliRun r = run_amfm("process scan/bad.yaml --out res -q", tmp.path());
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("histogramm"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("bad.yaml"), std::string::npos) << r.err;
    EXPECT_EQ(lines(r.err), 1) << r.err;
    EXPECT_FALSE(fs::exists(tmp.path() / "res"));
}

TEST_F(Cli, BadOverrideValueIsAConfigError) {
    const CliRun r = run_amfm("process scan/scan.yaml --out res --level sideways", tmp.path());
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("level"), std::string::npos) << r.err;
}

TEST_F(Cli, MissingChannelFileIsADataErrorNamingIt) {
    fs::remove(tmp.path() / "scan" / "df2.tif");
    const CliRun r = run_amfm("process scan/scan.yaml --out res -q", tmp.path());
    EXPECT_EQ(r.code, 3);
    EXPECT_NE(r.err.find("df2.tif"), std::string::npos) << r.err;
    EXPECT_EQ(lines(r.err), 1) << r.err;
    EXPECT_FALSE(fs::exists(tmp.path() / "res"));
}

TEST_F(Cli, CorruptTiffIsADataError) {
    std::ofstream(tmp.path() / "scan" / "phase1.tif") << "II*\0garbage";
    const CliRun r = run_amfm("process scan/scan.yaml --out res", tmp.path());
    EXPECT_EQ(r.code, 3);
    EXPECT_NE(r.err.find("phase1.tif"), std::string::npos) << r.err;
}

TEST_F(Cli, UnavailableCudaBackendExitsFour) {
    if (amfm::cuda_device_count() > 0) GTEST_SKIP() << "a CUDA device is present";
    const CliRun r = run_amfm("process scan/scan.yaml --out res --backend cuda", tmp.path());
    EXPECT_EQ(r.code, 4);
    EXPECT_TRUE(r.err.find("built without CUDA") != std::string::npos ||
                r.err.find("no CUDA device") != std::string::npos)
        << r.err;
}

TEST_F(Cli, UsageErrorsExitTwo) {
    EXPECT_EQ(run_amfm("process", tmp.path()).code, 2);
    EXPECT_EQ(run_amfm("process nothing.yaml --out x", tmp.path()).code, 2);
    EXPECT_EQ(run_amfm("frobnicate", tmp.path()).code, 2);
}

TEST_F(Cli, VersionHelpAndConfigTemplate) {
    const CliRun v = run_amfm("--version", tmp.path());
    EXPECT_EQ(v.code, 0);
    EXPECT_NE(v.out.find("amfm " AMFM_VERSION), std::string::npos);
    const CliRun h = run_amfm("--help", tmp.path());
    EXPECT_EQ(h.code, 0);
    EXPECT_NE(h.out.find("Examples"), std::string::npos);
    const CliRun c = run_amfm("config", tmp.path());
    EXPECT_EQ(c.code, 0);
    EXPECT_NE(c.out.find("max_angle_deg"), std::string::npos);
    EXPECT_NE(c.out.find("#"), std::string::npos);  // commented
}

namespace {

// The line of a text that starts with `prefix` (after indentation), or "".
std::string line_with(const std::string& text, const std::string& prefix) {
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        if (line.find_first_not_of(' ') != std::string::npos && line.compare(line.find_first_not_of(' '), prefix.size(), prefix) == 0)
            return line;
    return "";
}

std::string slurp_file(const fs::path& p) {
    std::ifstream f(p);
    return std::string(std::istreambuf_iterator<char>(f), {});
}

}  // namespace

// calibrate-tip and fit-tilt open any scan file: a simulated .ibw gives what its own TIFFs give.
TEST_F(Cli, CalibrateTipAndFitTiltReadAnIbw) {
    ASSERT_EQ(run_amfm("simulate --cycle 5 --size 64 --format ibw --out ibw -q", tmp.path()).code, 0);
    const CliRun from_tiff = run_amfm("calibrate-tip ibw/scan.yaml --reference 3GPa -q", tmp.path());
    const CliRun from_ibw =
        run_amfm("calibrate-tip ibw/scan.ibw --config ibw/ibw_extra.yaml --reference 3GPa -q", tmp.path());
    ASSERT_EQ(from_tiff.code, 0) << from_tiff.err;
    ASSERT_EQ(from_ibw.code, 0) << from_ibw.err;
    EXPECT_NE(line_with(from_ibw.out, "radius:"), "");
    EXPECT_EQ(line_with(from_ibw.out, "radius:"), line_with(from_tiff.out, "radius:"));
    EXPECT_NE(line_with(from_ibw.out, "source:").find("scan.ibw"), std::string::npos) << from_ibw.out;

    ASSERT_EQ(run_amfm("fit-tilt ibw/scan.yaml --out tilt_tiff -q --no-figure", tmp.path()).code, 0);
    const CliRun fit = run_amfm("fit-tilt ibw/scan.ibw --config ibw/ibw_extra.yaml --out tilt_ibw -q --no-figure", tmp.path());
    ASSERT_EQ(fit.code, 0) << fit.err;
    EXPECT_EQ(slurp_file(tmp.path() / "tilt_ibw" / "tilt_bins.csv"), slurp_file(tmp.path() / "tilt_tiff" / "tilt_bins.csv"));

    // A scan YAML has one direction: --direction is a usage error naming the file.
    const CliRun dir = run_amfm("fit-tilt ibw/scan.yaml --direction trace --out t -q", tmp.path());
    EXPECT_EQ(dir.code, 2);
    EXPECT_NE(dir.err.find("--direction"), std::string::npos) << dir.err;
}

// A file no reader recognises: one line naming the formats amfm reads, never a YAML parse error.
TEST_F(Cli, UnknownFormatIsOneLineNamingTheFormats) {
    write("notes.txt", "channels: [unclosed\n");
    for (const std::string command : {"process notes.txt --out res", "info notes.txt", "fit-tilt notes.txt --out t",
                                      "calibrate-tip notes.txt --reference 3GPa"}) {
        const CliRun r = run_amfm(command + " -q", tmp.path());
        EXPECT_EQ(r.code, 3) << command << ": " << r.err;
        EXPECT_EQ(lines(r.err), 1) << command << ": " << r.err;
        EXPECT_NE(r.err.find("notes.txt"), std::string::npos) << r.err;
        EXPECT_NE(r.err.find("scan YAML (.yaml, .yml), Asylum .ibw (.ibw)"), std::string::npos) << r.err;
    }
    // The same bytes as a .ibw reach the wave reader, which says what is wrong with them.
    write("notes.ibw", "channels: [unclosed\n");
    const CliRun r = run_amfm("info notes.ibw", tmp.path());
    EXPECT_EQ(r.code, 3);
    EXPECT_NE(r.err.find("not an Igor binary wave"), std::string::npos) << r.err;
}

// The unit mistakes of issue 13 are never silent: a warning on stderr and in regions.json, or
// exit 3 when nothing valid is left.
std::string warning_codes(const fs::path& regions_json) {
    std::ifstream f(regions_json);
    const nlohmann::json doc = nlohmann::json::parse(f);
    std::string codes;
    for (const auto& w : doc.at("warnings")) codes += w.at("code").get<std::string>() + " ";
    return codes;
}

TEST_F(Cli, CleanScanHasNoWarnings) {
    // 64^2 leaves some facets too few pixels for a fit (a warning); at 192^2 every region has enough.
    ASSERT_EQ(run_amfm("simulate --cycle 5 --size 192 --out clean -q", tmp.path()).code, 0);
    const CliRun r = run_amfm("process clean/scan.yaml --out res --no-figures --strict", tmp.path());
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(warning_codes(tmp.path() / "res" / "regions.json"), "");
    EXPECT_EQ(r.err.find("warning"), std::string::npos) << r.err;
}

TEST_F(Cli, HeightInNmDeclaredMetresExitsThreeNamingTiltAndUnit) {
    // scale 1e9 with unit m: the heights as a file in nm declared m gives them.
    const CliRun r = run_amfm("process scan/scan.yaml --out res -q --set channels.height.scale=1e9", tmp.path());
    EXPECT_EQ(r.code, 3) << r.err;
    EXPECT_EQ(lines(r.err), 1) << r.err;
    EXPECT_NE(r.err.find("every pixel is masked, mostly tilt_over_cutoff"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("channels.height (unit: m)"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(tmp.path() / "res"));
}

TEST_F(Cli, PhaseInDegreesDeclaredRadiansWarns) {
    const CliRun r = run_amfm("process scan/scan.yaml --out res -q --no-figures --set channels.phase1.unit=rad",
                              tmp.path());
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.err.find("amfm: warning: phase_unit: channels.phase1 (unit: rad)"), std::string::npos) << r.err;
    EXPECT_NE(warning_codes(tmp.path() / "res" / "regions.json").find("phase_unit"), std::string::npos);
    const CliRun strict = run_amfm("process scan/scan.yaml --out res2 -q --no-figures --strict "
                                   "--set channels.phase1.unit=rad", tmp.path());
    EXPECT_EQ(strict.code, 3) << strict.err;
    EXPECT_NE(strict.err.find("--strict"), std::string::npos) << strict.err;
    EXPECT_TRUE(fs::exists(tmp.path() / "res2" / "regions.json"));
}

TEST_F(Cli, Df2InHzDeclaredKhzWarns) {
    const CliRun r = run_amfm("process scan/scan.yaml --out res -q --no-figures --set channels.df2.unit=kHz",
                              tmp.path());
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.err.find("amfm: warning: df2_unit: channels.df2 (unit: kHz)"), std::string::npos) << r.err;
    const std::string codes = warning_codes(tmp.path() / "res" / "regions.json");
    EXPECT_NE(codes.find("df2_unit"), std::string::npos) << codes;
    EXPECT_NE(codes.find("modulus_range"), std::string::npos) << codes;
}

TEST_F(Cli, SeriesCarriesWarningsIntoTheReportAndStrictExitsThree) {
    write("series.yaml", "scans:\n  - {scan: scan/scan.yaml, cycle: 5, id: ok}\n"
                         "  - {scan: scan/scan.yaml, cycle: 6, id: khz, settings: {channels.df2.unit: kHz}}\n");
    const CliRun r = run_amfm("series series.yaml --out ser -q --no-figures", tmp.path());
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.err.find("amfm: warning: khz: df2_unit"), std::string::npos) << r.err;
    std::ifstream f(tmp.path() / "ser" / "report.html");
    const std::string html((std::istreambuf_iterator<char>(f)), {});
    EXPECT_NE(html.find("<h2 class=failed>Warnings</h2>"), std::string::npos);
    EXPECT_NE(html.find("df2_unit"), std::string::npos);
    const CliRun strict = run_amfm("series series.yaml --out ser -q --no-figures --strict", tmp.path());
    EXPECT_EQ(strict.code, 3) << strict.err;  // the scans are unchanged (skipped): their warnings are kept
    // The report links the series figures; --self-contained embeds them.
    EXPECT_NE(html.find("src=\"fig_modulus_vs_cycle.png\""), std::string::npos);
    EXPECT_EQ(html.find("data:image"), std::string::npos);
    ASSERT_EQ(run_amfm("series series.yaml --out ser -q --no-figures --self-contained", tmp.path()).code, 0);
    std::ifstream mailed_file(tmp.path() / "ser" / "report.html");
    const std::string mailed((std::istreambuf_iterator<char>(mailed_file)), {});
    EXPECT_EQ(mailed.find("src=\"fig_"), std::string::npos);
    EXPECT_NE(mailed.find("src=\"data:image/png;base64,"), std::string::npos);
}
