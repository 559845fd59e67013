// Gwyddion .gwy export: written files read back with the minimal reader (values, units, titles,
// masks, metadata); the reader checked on a real Gwyddion file from ../shared/data/gwy; the
// results.gwy of a processed scan against the scan's own maps.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <limits>

#include "amfm/kernels/backend.hpp"
#include "amfm/kernels/error.hpp"
#include "host/formats/gwy.hpp"
#include "host/formats/scan_yaml.hpp"
#include "host/method/pipeline.hpp"
#include "host/model/scan.hpp"
#include "host/report/outputs.hpp"
#include "host/sim/simulate.hpp"
#include "test_util.hpp"

namespace {

TEST(Gwy, WriteThenReadBack) {
    amfm_test::TempDir dir;
    amfm::Image<double> a(4, 3), b(4, 3);
    for (int i = 0; i < 12; ++i) a.px[(std::size_t)i] = 1.5 * i, b.px[(std::size_t)i] = -(double)i;
    a.at(2, 1) = std::numeric_limits<double>::quiet_NaN();
    const std::string path = dir.file("t.gwy");
    amfm::write_gwy(path, {{"Modulus", "Pa", a, 1e9}, {"Tilt", "deg", b, 1.0}}, 4e-6, 3e-6,
                    {{"Sample", "LNMO \xC2\xB5-test"}, {"Cycle", "30"}});
    const auto ch = amfm::read_gwy(path);
    ASSERT_EQ(ch.size(), 2u);
    EXPECT_EQ(ch[0].title, "Modulus");
    EXPECT_EQ(ch[0].unit_z, "Pa");
    EXPECT_EQ(ch[0].unit_xy, "m");
    EXPECT_EQ(ch[1].unit_z, "deg");
    EXPECT_DOUBLE_EQ(ch[0].xreal, 4e-6);
    EXPECT_DOUBLE_EQ(ch[0].yreal, 3e-6);
    ASSERT_EQ(ch[0].data.nx, 4);
    ASSERT_EQ(ch[0].data.ny, 3);
    EXPECT_EQ(ch[0].data.at(3, 2), 1.5 * 11 * 1e9);
    EXPECT_EQ(ch[0].data.at(2, 1), 0.0);  // undefined: stored as 0 ...
    ASSERT_EQ(ch[0].mask.size(), 12u);    // ... and masked
    EXPECT_EQ(ch[0].mask.at(2, 1), 1.0);
    EXPECT_EQ(ch[0].mask.at(1, 1), 0.0);
    EXPECT_TRUE(ch[1].mask.px.empty());   // nothing undefined, no mask
    EXPECT_EQ(ch[1].data.px, b.px);
    EXPECT_EQ(ch[1].meta.at("Sample"), "LNMO \xC2\xB5-test");
    EXPECT_EQ(ch[0].meta.at("Cycle"), "30");

    // Every truncation of the file is a clear error, never a crash.
    std::ifstream f(path, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(f)), {});
    for (std::size_t n : {0ul, 3ul, 4ul, 10ul, 40ul, bytes.size() / 2, bytes.size() - 1}) {
        const std::string cut = dir.file("cut.gwy");
        std::ofstream(cut, std::ios::binary).write(bytes.data(), (std::streamsize)n);
        EXPECT_THROW(amfm::read_gwy(cut), amfm::DataError) << n;
    }
}

TEST(Gwy, ReaderOnARealGwyddionFile) {
    AMFM_REQUIRE_SHARED_DATA();
    const auto ch = amfm::read_gwy((amfm_test::shared_data_dir() / "gwy" / "PTO_110_Virgin0001.gwy").string());
    ASSERT_EQ(ch.size(), 4u);
    for (const auto& c : ch) {
        EXPECT_EQ(c.data.nx, 256);
        EXPECT_EQ(c.data.ny, 256);
        EXPECT_FALSE(c.title.empty());
        EXPECT_EQ(c.unit_xy, "m");
        EXPECT_GT(c.xreal, 0.0);
        EXPECT_LT(c.xreal, 1e-4);
    }
}

TEST(Gwy, ProcessedScanResultsGwyHoldsTheMaps) {
    amfm_test::TempDir dir;
    amfm::SimulationSpec spec;
    spec.nx = spec.ny = 48;
    spec.scan_size_m = 4e-6;
    spec.cycle = 30;
    spec.regions = amfm::paper_region_truths(30);
    amfm::write_simulated_scan(amfm::simulate_scan(spec), dir.file("sim"));
    const amfm::Scan scan =
        amfm::load_scan(amfm::load_scan_config(dir.file("sim/scan.yaml"), {"outputs.gwy=true", "outputs.figures=false"}));
    auto backend = amfm::make_cpu_backend();
    const amfm::ScanResult r = amfm::process_scan(scan, *backend);
    amfm::write_scan_outputs(scan, r, dir.file("out"), amfm::RunInfo{"test", "amfm process test"});
    const auto ch = amfm::read_gwy(dir.file("out/results.gwy"));
    ASSERT_EQ(ch.size(), 4u);
    EXPECT_EQ(ch[0].title, "Modulus (tilt-corrected)");
    EXPECT_EQ(ch[3].title, "Topography (levelled)");
    EXPECT_EQ(ch[3].unit_z, "m");
    EXPECT_EQ(ch[0].unit_z, "Pa");
    EXPECT_EQ(ch[1].unit_z, "deg");
    EXPECT_DOUBLE_EQ(ch[0].xreal, 4e-6);
    EXPECT_EQ(ch[0].meta.at("amfm command"), "amfm process test");
    long long undefined = 0;
    for (std::size_t i = 0; i < r.modulus_gpa.size(); ++i) {
        const float e = r.modulus_gpa.px[i];
        if (std::isfinite(e)) {
            EXPECT_EQ(ch[0].data.px[i], (double)e * 1e9);
            EXPECT_EQ(ch[0].mask.px.empty() ? 0.0 : ch[0].mask.px[i], 0.0);
        } else {
            ++undefined;
            EXPECT_EQ(ch[0].mask.px.at(i), 1.0);
        }
        EXPECT_EQ(ch[2].data.px[i], (double)r.mask.px[i]);
        if (std::isfinite(r.height_leveled_m.px[i])) {
            EXPECT_EQ(ch[3].data.px[i], (double)r.height_leveled_m.px[i]);
        }
        if (std::isfinite(r.tilt_deg.px[i])) {
            EXPECT_EQ(ch[1].data.px[i], (double)r.tilt_deg.px[i]);
        }
    }
    EXPECT_GT(undefined, 0);  // the simulated crystal edges exceed the cutoff
}

}  // namespace
