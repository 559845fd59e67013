// open_scan: the reader picked by name and by content (an .ibw under any name), the one-line
// message for a file no reader knows, the two-step open/load, the channel-role table and the
// one SHA-256.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "amfm/kernels/error.hpp"
#include "host/formats/ibw_scan.hpp"
#include "host/formats/open_scan.hpp"
#include "host/formats/scan_yaml.hpp"
#include "host/model/channels.hpp"
#include "host/model/hash.hpp"
#include "host/sim/simulate.hpp"
#include "host/sim/simulate_ibw.hpp"
#include "test_util.hpp"

namespace fs = std::filesystem;

namespace {

// A small simulated scan as TIFFs + scan.yaml and as scan.ibw + ibw_extra.yaml.
class OpenScan : public ::testing::Test {
protected:
    void SetUp() override {
        amfm::SimulationSpec spec;
        spec.nx = spec.ny = 32;
        spec.scan_size_m = 2.0e-6;
        spec.cycle = 30;
        spec.seed = 3;
        spec.regions = amfm::paper_region_truths(30);
        const amfm::SimulatedScan sim = amfm::simulate_scan(spec);
        amfm::write_simulated_scan(sim, dir.path().string());
        amfm::write_simulated_ibw(sim, dir.path().string());
        ibw_options.extra_yaml = {dir.file("ibw_extra.yaml")};
    }
    std::string copy_ibw_as(const std::string& name) {
        fs::copy_file(dir.file("scan.ibw"), dir.file(name));
        return dir.file(name);
    }
    amfm_test::TempDir dir;
    amfm::OpenScanOptions ibw_options;
};

TEST_F(OpenScan, PicksTheReaderByName) {
    EXPECT_EQ(amfm::find_scan_reader(dir.file("scan.yaml")), &amfm::kScanYamlReader);
    EXPECT_EQ(amfm::find_scan_reader(dir.file("scan.ibw")), &amfm::kIbwScanReader);
    EXPECT_EQ(amfm::find_scan_reader(dir.file("missing.YML")), &amfm::kScanYamlReader);  // name alone, any case
    EXPECT_EQ(amfm::find_scan_reader(dir.file("missing.IBW")), &amfm::kIbwScanReader);
    EXPECT_EQ(amfm::find_scan_reader(dir.file("height.tif")), nullptr);
}

TEST_F(OpenScan, AnIbwIsRecognisedByItsContentUnderAnyName) {
    const amfm::Scan reference = amfm::read_scan(dir.file("scan.ibw"), ibw_options);
    for (const std::string name : {"renamed.yaml", "renamed.dat", "renamed"}) {
        const std::string path = copy_ibw_as(name);
        EXPECT_EQ(amfm::find_scan_reader(path), &amfm::kIbwScanReader) << name;
        const amfm::OpenedScan opened = amfm::open_scan(path, ibw_options);
        EXPECT_EQ(opened.reader, &amfm::kIbwScanReader);
        ASSERT_TRUE(opened.scan.has_value()) << "the .ibw reader reads the file to know its configuration";
        EXPECT_EQ(opened.scan->height_m.px, reference.height_m.px) << name;
        EXPECT_EQ(opened.channel_map.size(), 3u);
        EXPECT_FALSE(opened.parameters.empty());
    }
}

TEST_F(OpenScan, ADamagedIbwGetsTheWaveReadersMessage) {
    std::ofstream(dir.file("broken.ibw")) << "not a wave at all";
    EXPECT_EQ(amfm::find_scan_reader(dir.file("broken.ibw")), &amfm::kIbwScanReader);
    amfm_test::expect_error<amfm::DataError>([&] { amfm::open_scan(dir.file("broken.ibw"), {}); },
                                              {"broken.ibw", "not an Igor binary wave"});
}

TEST_F(OpenScan, AFileNoReaderKnowsGetsOneLineNamingTheFormats) {
    std::ofstream(dir.file("notes.txt")) << "channels: {height: {file: height.tif}}\n";
    for (const std::string name : {"notes.txt", "height.tif"}) {
        try {
            amfm::open_scan(dir.file(name), {});
            ADD_FAILURE() << name << " opened";
        } catch (const amfm::DataError& e) {
            const std::string m = e.what();
            EXPECT_NE(m.find(name), std::string::npos) << m;
            EXPECT_NE(m.find("scan YAML (.yaml, .yml)"), std::string::npos) << m;
            EXPECT_NE(m.find("Asylum .ibw (.ibw)"), std::string::npos) << m;
            EXPECT_EQ(m.find('\n'), std::string::npos) << m;
        }
    }
}

TEST_F(OpenScan, AScanYamlOpensWithoutLoadingAndLoadsAsLoadScan) {
    amfm::OpenScanOptions options;
    options.overrides = {"tip.radius=9e-9"};
    amfm::OpenedScan opened = amfm::open_scan(dir.file("scan.yaml"), options);
    EXPECT_EQ(opened.reader, &amfm::kScanYamlReader);
    EXPECT_FALSE(opened.scan.has_value());
    EXPECT_TRUE(opened.channel_map.empty());
    EXPECT_DOUBLE_EQ(opened.config.tip_radius_m, 9e-9);
    const amfm::Scan direct = amfm::load_scan(opened.config);
    const amfm::Scan loaded = amfm::load_opened_scan(std::move(opened), options);
    EXPECT_EQ(loaded.df2_hz.px, direct.df2_hz.px);
    ASSERT_EQ(loaded.inputs.size(), direct.inputs.size());
    for (std::size_t i = 0; i < loaded.inputs.size(); ++i) EXPECT_EQ(loaded.inputs[i].sha256, direct.inputs[i].sha256);
}

TEST_F(OpenScan, DirectionAppliesToFilesHoldingBoth) {
    amfm::OpenScanOptions options;
    options.direction = amfm::ScanDirection::Retrace;
    amfm_test::expect_error<amfm::ConfigError>([&] { amfm::open_scan(dir.file("scan.yaml"), options); },
                                                {"--direction", ".ibw", "scan.yaml", "scan YAML"});
    ibw_options.direction = amfm::ScanDirection::Trace;  // the simulated file has retrace channels only
    EXPECT_THROW(amfm::open_scan(dir.file("scan.ibw"), ibw_options), amfm::DataError);
    EXPECT_EQ(amfm::parse_scan_direction("trace", "x"), amfm::ScanDirection::Trace);
    amfm_test::expect_error<amfm::ConfigError>([] { amfm::parse_scan_direction("up", "series.yaml"); },
                                                {"series.yaml", "'up'"});
}

TEST_F(OpenScan, BothReadersRecordInputsWithTheSharedHashCache) {
    std::map<std::string, std::string> hashes;
    ibw_options.hashes = &hashes;
    const amfm::Scan s = amfm::read_scan(dir.file("scan.ibw"), ibw_options);
    ASSERT_GE(s.inputs.size(), 3u);  // config, ibw, labels
    EXPECT_EQ(s.inputs[0].role, "config");
    EXPECT_EQ(s.inputs[1].role, "ibw");
    EXPECT_EQ(s.inputs[2].role, "labels");
    for (const amfm::InputFile& in : s.inputs) {
        EXPECT_EQ(hashes.at(in.path), in.sha256);
        EXPECT_EQ(in.sha256, amfm::sha256_file(in.path));
    }
}

TEST(ChannelRoles, OneTableInTheCanonicalOrder) {
    std::string names;
    for (const amfm::ChannelRole& r : amfm::kChannelRoles) names += std::string(r.name) + (r.required ? "* " : " ");
    EXPECT_EQ(names, "height* phase1* df2* amplitude1 ");
    EXPECT_EQ(amfm::channel_role_names(), "height, phase1, df2, amplitude1");
    ASSERT_NE(amfm::find_channel_role("df2"), nullptr);
    EXPECT_STREQ(amfm::find_channel_role("df2")->canonical_unit, "Hz");
    EXPECT_EQ(amfm::find_channel_role("phase2"), nullptr);
    amfm::ScanConfig cfg;
    EXPECT_EQ(&(cfg.*amfm::find_channel_role("phase1")->spec), &cfg.phase1);
    EXPECT_FALSE(amfm::channel_given(cfg, *amfm::find_channel_role("amplitude1")));
    cfg.amplitude1.file = "a1.tif";
    EXPECT_TRUE(amfm::channel_given(cfg, *amfm::find_channel_role("amplitude1")));
}

TEST(Sha256, BytesAndFilesAgreeWithTheStandardVector) {
    const std::string abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    EXPECT_EQ(amfm::sha256_bytes("abc"), abc);
    amfm_test::TempDir dir;
    std::ofstream(dir.file("abc.txt"), std::ios::binary) << "abc";
    EXPECT_EQ(amfm::sha256_file(dir.file("abc.txt")), abc);
    EXPECT_EQ(amfm::sha256_bytes(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

}  // namespace
