// Files read through Gwyddion's file modules (host/formats/gwyapp.*): `amfm info` on real
// instrument files, the native .ibw reader against Gwyddion's reading of the same files, a file
// written with Gwyddion's library giving the statistics of the TIFF route, the maps amfm writes
// read back by Gwyddion, and `amfm process DIR` on a folder holding a corrupt file. Skipped
// where the build has no Gwyddion (and, for the instrument files, without ../shared/data).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "amfm/kernels/backend.hpp"
#include "amfm/kernels/error.hpp"
#include "host/formats/gwyapp.hpp"
#include "host/formats/ibw.hpp"
#include "host/formats/open_scan.hpp"
#include "host/formats/scan_yaml.hpp"
#include "host/method/pipeline.hpp"
#include "host/model/config.hpp"
#include "host/report/outputs.hpp"
#include "host/report/stats_table.hpp"
#include "host/sim/simulate.hpp"
#include "test_util.hpp"

namespace fs = std::filesystem;

namespace {

#define AMFM_REQUIRE_GWYAPP()                                                                 \
    do {                                                                                      \
        if (!amfm::gwyapp_built()) GTEST_SKIP() << "built without Gwyddion (libgwyddion20-dev)"; \
    } while (0)

struct CliRun {
    int code = -1;
    std::string out, err;
};

std::string slurp(const fs::path& p) {
    std::ifstream f(p);
    return std::string(std::istreambuf_iterator<char>(f), {});
}

CliRun run_amfm(const std::string& args, const fs::path& cwd) {
    const fs::path out = cwd / "stdout.txt", err = cwd / "stderr.txt";
    const std::string cmd = "cd '" + cwd.string() + "' && '" AMFM_CLI_PATH "' " + args + " >'" + out.string() +
                            "' 2>'" + err.string() + "'";
    const int status = std::system(cmd.c_str());
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(out), slurp(err)};
}

// The line of `text` that starts (after spaces) with `word`; "" when none.
std::string line_of(const std::string& text, const std::string& word) {
    std::size_t start = 0;
    while (start < text.size()) {
        const std::size_t end = std::min(text.find('\n', start), text.size());
        const std::string line = text.substr(start, end - start);
        const std::size_t first = line.find_first_not_of(' ', line.compare(0, 8, "channels") == 0 ? 8 : 0);
        if (first != std::string::npos && line.compare(first, word.size() + 1, word + " ") == 0) return line;
        start = end + 1;
    }
    return "";
}

TEST(GwyappInfo, BrukerDiListsItsFourChannelsWithUnitsAndSize) {
    AMFM_REQUIRE_GWYAPP();
    AMFM_REQUIRE_SHARED_DATA();
    amfm_test::TempDir tmp;
    const CliRun r = run_amfm("info '" + (amfm_test::shared_data_dir() / "bruker" / "di-3.di").string() + "'", tmp.path());
    ASSERT_EQ(r.code, 0) << r.err;
    const std::pair<const char*, const char*> expected[] = {
        {"ZSensor", " m "}, {"AmplitudeError", " V "}, {"Phase", " deg "}, {"Height", " m "}};
    for (const auto& [title, unit] : expected) {
        const std::string line = line_of(r.out, title);
        ASSERT_FALSE(line.empty()) << title << " not listed in:\n" << r.out;
        EXPECT_NE(line.find(unit), std::string::npos) << line;
        EXPECT_NE(line.find("256x256"), std::string::npos) << line;
        EXPECT_NE(line.find("10 x 10 um"), std::string::npos) << line;
    }
    EXPECT_NE(r.out.find("nanoscope"), std::string::npos);
    EXPECT_NE(line_of(r.out, "height").find("Height"), std::string::npos) << r.out;
    EXPECT_NE(line_of(r.out, "df2").find("MISSING"), std::string::npos) << r.out;  // no frequency channel
    EXPECT_NE(line_of(r.out, "cantilever.k1").find("NOT SET"), std::string::npos) << r.out;
}

TEST(GwyappInfo, GwyddionFileListsItsFourFields) {
    AMFM_REQUIRE_GWYAPP();
    AMFM_REQUIRE_SHARED_DATA();
    amfm_test::TempDir tmp;
    const std::string path = (amfm_test::shared_data_dir() / "gwy" / "PTO_110_Virgin0001.gwy").string();
    const CliRun r = run_amfm("info '" + path + "'", tmp.path());
    ASSERT_EQ(r.code, 0) << r.err;
    for (const char* title : {"HeightRetrace", "AmplitudeRetrace", "DeflectionRetrace", "PhaseRetrace"})
        EXPECT_FALSE(line_of(r.out, title).empty()) << title << " not listed in:\n" << r.out;
    EXPECT_NE(line_of(r.out, "PhaseRetrace").find(" deg "), std::string::npos);
    // What amfm's own .gwy reader finds agrees with Gwyddion's reading.
    const amfm::GwyappFile g = amfm::read_gwyapp(path);
    ASSERT_EQ(g.channels.size(), 4u);
    EXPECT_EQ(g.channels[0].values.nx, 256);
    EXPECT_EQ(g.channels[0].xy_unit, "m");
    EXPECT_NEAR(g.channels[0].xreal, 1.00392e-05, 1e-10);
    EXPECT_FALSE(g.metadata.empty());
}

TEST(GwyappInfo, AFileNoReaderKnowsGetsOneLineNamingTheFormats) {
    amfm_test::TempDir tmp;
    std::ofstream(tmp.file("notes.dat")) << "channels: \\x unknown escape\n";
    const CliRun r = run_amfm("info notes.dat", tmp.path());
    EXPECT_EQ(r.code, 3);
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(r.err.find("amfm reads scan YAML"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("export the scan"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("YAML syntax"), std::string::npos) << r.err;
    EXPECT_EQ(run_amfm("process notes.dat --out o", tmp.path()).code, 3);
}

TEST(GwyappIbw, TheNativeReaderAndGwyddionAgreeOnEveryImageWave) {
    AMFM_REQUIRE_GWYAPP();
    AMFM_REQUIRE_SHARED_DATA();
    int compared = 0;
    for (const fs::directory_entry& e : fs::directory_iterator(amfm_test::shared_data_dir() / "ibw")) {
        const std::string path = e.path().string();
        const amfm::IbwWave wave = amfm::read_ibw(path);
        std::vector<amfm::IbwChannel> native;
        try {
            native = amfm::ibw_image_channels(wave, path);
        } catch (const amfm::DataError&) {
            continue;  // a force curve or another non-image wave
        }
        const amfm::GwyappFile g = amfm::read_gwyapp(path);
        ASSERT_EQ(g.channels.size(), native.size()) << path;
        for (std::size_t k = 0; k < native.size(); ++k) {
            const amfm::Image<double> mine = amfm::ibw_layer(wave, native[k].layer);
            const amfm::GwyappChannel& theirs = g.channels[k];
            if (theirs.title.rfind("Unknown channel", 0) != 0) {  // Gwyddion's title where the file names none
                EXPECT_EQ(theirs.title, native[k].name) << path;
            }
            ASSERT_EQ(theirs.values.nx, mine.nx) << path;
            ASSERT_EQ(theirs.values.ny, mine.ny) << path;
            EXPECT_EQ(theirs.values.px, mine.px) << path << " " << native[k].name;
            if (native[k].unit == "m" || native[k].unit == "deg") {
                EXPECT_EQ(theirs.z_unit, native[k].unit) << path;
            }
        }
        ++compared;
    }
    EXPECT_GE(compared, 2);
}

// A simulated scan: TIFFs + scan.yaml, and the same channels with Asylum's note keys as the
// metadata of a .gwy written with Gwyddion's library.
class GwyappScan : public ::testing::Test {
protected:
    void SetUp() override {
        if (!amfm::gwyapp_built()) GTEST_SKIP() << "built without Gwyddion (libgwyddion20-dev)";
        amfm::SimulationSpec spec;
        spec.nx = spec.ny = 64;
        spec.scan_size_m = 4.0e-6;
        spec.cycle = 30;
        spec.seed = 11;
        spec.regions = amfm::paper_region_truths(30);
        amfm::write_simulated_scan(amfm::simulate_scan(spec), dir.path().string());
        tiff_scan = amfm::load_scan(amfm::load_scan_config(dir.file("scan.yaml"), {"outputs.figures=false"}));
    }
    // The channels in canonical units under vendor titles, the cantilever in the metadata.
    void write_gwy(const std::string& path) const {
        const amfm::ScanConfig& c = tiff_scan.config;
        auto channel = [&](const char* title, const char* unit, const amfm::Image<float>& img) {
            amfm::GwyappChannel ch{title, unit, "m", c.scan_size_x_m, c.scan_size_y_m, amfm::Image<double>(img.nx, img.ny)};
            for (std::size_t i = 0; i < img.size(); ++i) ch.values.px[i] = img.px[i];
            return ch;
        };
        auto g = [](double v) {
            char buf[40];
            std::snprintf(buf, sizeof buf, "%.17g", v);
            return std::string(buf);
        };
        const amfm::Cantilever& k = c.cantilever;
        amfm::write_gwyapp(path,
                           {channel("Height Sensor", "m", tiff_scan.height_m), channel("Phase", "deg", tiff_scan.phase1_deg),
                            channel("Frequency Shift", "Hz", tiff_scan.df2_hz)},
                           {{"SpringConstant", g(k.k1_n_per_m)}, {"ThermalQ", g(k.q1)}, {"ResFreq1", g(k.f1_hz)},
                            {"DriveFrequency1", g(k.f2_hz)}, {"FreeAirAmplitude", g(k.a1_free_m)},
                            {"AmplitudeSetpointMeters", g(k.a1_set_m)}, {"Operator", "test"}});
    }
    // What the scan YAML gives beyond the channels, the size and the cantilever (tip, tilt, regions).
    std::string write_extra_yaml() const {
        YAML::Node root = YAML::LoadFile(dir.file("scan.yaml"));
        for (const char* key : {"channels", "scan_size", "cantilever", "sample"}) root.remove(key);
        root["outputs"]["figures"] = false;
        std::ofstream(dir.file("extra.yaml")) << YAML::Dump(root) << "\n";
        return dir.file("extra.yaml");
    }
    amfm_test::TempDir dir;
    amfm::Scan tiff_scan;
};

TEST_F(GwyappScan, AFileWrittenByGwyddionGivesTheStatisticsOfTheTiffRoute) {
    write_gwy(dir.file("scan.gwy"));
    amfm::OpenScanOptions options;
    options.extra_yaml = {write_extra_yaml()};
    const amfm::OpenedScan opened = amfm::open_scan(dir.file("scan.gwy"), options);
    EXPECT_EQ(opened.reader, &amfm::kGwyappScanReader);
    ASSERT_TRUE(opened.scan.has_value());
    const amfm::Scan& gwy_scan = *opened.scan;
    const std::vector<std::pair<std::string, std::string>> channels = {
        {"height", "Height Sensor"}, {"phase1", "Phase"}, {"df2", "Frequency Shift"}};
    EXPECT_EQ(opened.channel_map, channels);
    for (const amfm::NoteParameter& p : opened.parameters)
        if (p.key == "cantilever.k1") {
            EXPECT_EQ(p.source, "metadata SpringConstant");
        }
    EXPECT_EQ(gwy_scan.file_metadata.at("Operator"), "test");
    EXPECT_EQ(gwy_scan.config.cantilever.k1_n_per_m, tiff_scan.config.cantilever.k1_n_per_m);
    EXPECT_EQ(gwy_scan.config.scan_size_x_m, tiff_scan.config.scan_size_x_m);
    EXPECT_EQ(gwy_scan.height_m.px, tiff_scan.height_m.px);
    EXPECT_EQ(gwy_scan.df2_hz.px, tiff_scan.df2_hz.px);
    EXPECT_EQ(gwy_scan.labels.px, tiff_scan.labels.px);

    auto backend = amfm::make_cpu_backend();
    const amfm::Table<amfm::StatsRow> table =
        amfm::stats_cols<amfm::StatsRow>({"kind", "label", "n_valid", "center_gpa", "mean_gpa", "sd_gpa"});
    const std::string via_tiff = amfm::csv_table(table, amfm::scan_rows(amfm::process_scan(tiff_scan, *backend)));
    const amfm::ScanResult via_gwy_result = amfm::process_scan(gwy_scan, *backend);
    EXPECT_EQ(amfm::csv_table(table, amfm::scan_rows(via_gwy_result)), via_tiff);
    EXPECT_GT(std::count(via_tiff.begin(), via_tiff.end(), '\n'), 4);

    amfm::write_scan_outputs(gwy_scan, via_gwy_result, dir.file("out"), amfm::RunInfo{"test", "amfm process test"});
    const nlohmann::json doc = nlohmann::json::parse(slurp(dir.file("out/regions.json")));
    EXPECT_EQ(doc["scan"]["file_metadata"]["Operator"], "test");
    int gwyddion_inputs = 0;
    for (const nlohmann::json& input : doc["scan"]["inputs"]) gwyddion_inputs += input["role"] == "gwyddion";
    EXPECT_EQ(gwyddion_inputs, 1);
}

TEST_F(GwyappScan, ChannelsAreNamedInYamlAsForAnIbw) {
    write_gwy(dir.file("scan.gwy"));
    amfm::OpenScanOptions options;
    options.extra_yaml = {write_extra_yaml()};
    {
        YAML::Node extra = YAML::LoadFile(options.extra_yaml.front());
        extra["channels"]["phase1"]["channel"] = "Frequency Shift";
        std::ofstream(dir.file("named.yaml")) << YAML::Dump(extra) << "\n";
    }
    options.extra_yaml = {dir.file("named.yaml")};  // a frequency as the phase: its unit says no
    amfm_test::expect_error<amfm::ConfigError>([&] { amfm::open_scan(dir.file("scan.gwy"), options); },
                                                {"channels.phase1.unit", "'Hz'"});
    options.overrides = {"channels.phase1.channel=Phase"};  // --set wins over the YAML
    EXPECT_EQ(amfm::open_scan(dir.file("scan.gwy"), options).channel_map.at(1).second, "Phase");
    options.overrides = {"channels.df2.channel=Deflection"};
    amfm_test::expect_error<amfm::DataError>([&] { amfm::open_scan(dir.file("scan.gwy"), options); },
                                              {"scan.gwy", "'Deflection'", "Height Sensor, Phase, Frequency Shift"});
}

TEST_F(GwyappScan, TheModulusMapAmfmWritesOpensInGwyddionWithItsSizeAndUnit) {
    auto backend = amfm::make_cpu_backend();
    const amfm::ScanResult r = amfm::process_scan(tiff_scan, *backend);
    amfm::write_scan_outputs(tiff_scan, r, dir.file("out"), amfm::RunInfo{"test", "amfm process test"});
    const amfm::GwyappFile gsf = amfm::read_gwyapp(dir.file("out/modulus_gpa.gsf"));
    ASSERT_EQ(gsf.channels.size(), 1u);
    const amfm::GwyappChannel& m = gsf.channels[0];
    EXPECT_EQ(m.z_unit, "Pa");
    EXPECT_EQ(m.xy_unit, "m");
    EXPECT_EQ(m.values.nx, 64);
    EXPECT_EQ(m.values.ny, 64);
    EXPECT_NEAR(m.xreal, 4.0e-6, 1e-15);
    EXPECT_NEAR(m.yreal, 4.0e-6, 1e-15);
    // The TIFF opens with its pixels and values (Gwyddion reads neither ImageJ's calibration nor its unit).
    const amfm::GwyappFile tif = amfm::read_gwyapp(dir.file("out/modulus_gpa.tif"));
    ASSERT_EQ(tif.channels.size(), 1u);
    EXPECT_EQ(tif.channels[0].values.nx, 64);
    for (std::size_t i = 0; i < r.modulus_gpa.size(); ++i)
        if (std::isfinite(r.modulus_gpa.px[i])) {
            EXPECT_FLOAT_EQ((float)(m.values.px[i] / 1e9), r.modulus_gpa.px[i]);
            EXPECT_EQ((float)tif.channels[0].values.px[i], r.modulus_gpa.px[i]);
        }
}

TEST(GwyappBatch, AFolderIsProcessedAndACorruptFileIsReportedWhileTheOthersFinish) {
    amfm_test::TempDir tmp;
    fs::copy(amfm_test::source_dir() / "sample_maps", tmp.path() / "maps", fs::copy_options::recursive);
    std::ofstream(tmp.file("maps/cycle_030/corrupt.ibw")) << "not a wave";
    const CliRun r = run_amfm("process maps --out O --no-figures -r", tmp.path());
    EXPECT_EQ(r.code, 3) << r.err;
    const std::string summary = slurp(tmp.path() / "O" / "summary.csv");
    for (const char* scan : {"cycle_000", "cycle_005", "cycle_030", "cycle_060", "cycle_200"}) {
        EXPECT_TRUE(fs::is_regular_file(tmp.path() / "O" / scan / "regions.csv")) << scan;
        EXPECT_NE(summary.find(std::string("\n") + scan + ",maps/" + scan + "/scan.yaml,map,"), std::string::npos)
            << scan << "\n" << summary;
    }
    const std::string failed = slurp(tmp.path() / "O" / "failed.csv");
    EXPECT_NE(failed.find("corrupt.ibw"), std::string::npos) << failed;
    EXPECT_EQ(std::count(failed.begin(), failed.end(), '\n'), 2) << failed;  // header + the corrupt file
    EXPECT_NE(r.err.find("5 processed, 1 failed"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("ETA"), std::string::npos) << r.err;
    // Without -r a sub-folder counts by its scan.yaml; the series file at the top is no scan.
    const CliRun flat = run_amfm("process maps --out F --no-figures", tmp.path());
    EXPECT_EQ(flat.code, 0) << flat.err;
    EXPECT_NE(flat.err.find("5 processed, 0 failed"), std::string::npos) << flat.err;
    EXPECT_FALSE(fs::exists(tmp.path() / "F" / "failed.csv"));
}

}  // namespace
