// Height levelling (plane, row median) and region maps from label images.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "amfm/kernels/error.hpp"
#include "host/method/level.hpp"
#include "host/method/regions.hpp"
#include "test_util.hpp"

namespace {

using namespace amfm;
const float kNaN = std::numeric_limits<float>::quiet_NaN();

TEST(LevelPlane, RemovesAnExactPlaneAndKeepsNaN) {
    // Dyadic coefficients: every height is exact in float, so the residual is pure fit error.
    Image<float> z(48, 31);
    for (int y = 0; y < z.ny; ++y)
        for (int x = 0; x < z.nx; ++x) z.at(x, y) = (float)(3.25 + 0.125 * x - 0.0625 * y);
    z.at(0, 0) = kNaN;
    z.at(17, 9) = kNaN;
    z.at(47, 30) = std::numeric_limits<float>::infinity();
    const double range = 0.125 * 47 + 0.0625 * 30;
    level_plane(z);
    EXPECT_TRUE(std::isnan(z.at(0, 0)));
    EXPECT_TRUE(std::isnan(z.at(17, 9)));
    EXPECT_TRUE(std::isinf(z.at(47, 30)));
    for (int y = 0; y < z.ny; ++y)
        for (int x = 0; x < z.nx; ++x)
            if (std::isfinite(z.at(x, y))) {
                ASSERT_LT(std::fabs(z.at(x, y)), 1e-12 * range) << x << "," << y;
            }
}

TEST(LevelPlane, RealisticHeightsToFloatPrecision) {
    // A 20 nm bump on a tilted plane in metres: levelling removes the plane, not the bump.
    Image<float> z(64, 64), bump(64, 64);
    for (int y = 0; y < 64; ++y)
        for (int x = 0; x < 64; ++x) {
            const double b = (x == 10 && y == 12) ? 20e-9 : 0.0;
            bump.at(x, y) = (float)b;
            z.at(x, y) = (float)(1.3e-6 + 3.1e-9 * x - 1.7e-9 * y + b);
        }
    level_plane(z);
    // Expected result: the bump minus its own least-squares plane, which is its mean here
    // (a single pixel at the grid centre's offset contributes a small tilt), so compare to
    // levelling the bump alone.
    level_plane(bump);
    const double range = 3.1e-9 * 63 + 1.7e-9 * 63;
    for (std::size_t i = 0; i < z.size(); ++i) ASSERT_NEAR(z.px[i], bump.px[i], 4e-7 * range) << i;
}

TEST(LevelPlane, SingleRowAndDegenerateInputs) {
    Image<float> row(10, 1);
    for (int x = 0; x < 10; ++x) row.at(x, 0) = (float)(2.0 + 0.5 * x);
    level_plane(row);
    for (float v : row.px) EXPECT_EQ(v, 0.0f);

    Image<float> allnan(3, 3, kNaN);
    level_plane(allnan);
    for (float v : allnan.px) EXPECT_TRUE(std::isnan(v));

    Image<float> one(1, 1, 5.0f);
    level_plane(one);
    EXPECT_EQ(one.px[0], 0.0f);
}

TEST(LevelRows, RemovesPerRowOffsetsExactly) {
    // Every row: a fixed profile (with a fast-axis slope) plus its own offset.
    const float profile[7] = {-1.0f, 0.5f, 2.0f, 0.25f, 3.0f, -0.5f, 1.0f};  // median 0.5
    const float offsets[5] = {10.0f, -3.5f, 0.0f, 1024.0f, 7.25f};
    Image<float> z(7, 5);
    for (int y = 0; y < 5; ++y)
        for (int x = 0; x < 7; ++x) z.at(x, y) = profile[x] + offsets[y];
    z.at(4, 2) = kNaN;  // row 2 then has an even count: median of 0.25 and 0.5... of the rest
    level_rows_median(z);
    for (int y = 0; y < 5; ++y)
        for (int x = 0; x < 7; ++x) {
            if (y == 2 && x == 4) {
                EXPECT_TRUE(std::isnan(z.at(x, y)));
                continue;
            }
            // Row 2 without 3.0: sorted -1, -0.5, 0.25, 0.5, 1, 2 -> median 0.375.
            const float median = y == 2 ? 0.375f : 0.5f;
            EXPECT_EQ(z.at(x, y), profile[x] - median) << x << "," << y;
        }
}

// Levelling on a reference area (processing.level_labels): a tilted substrate (label 1) with a
// crystal (label 2) on it whose facet slopes the other way. Fitted on the substrate alone, the
// substrate comes out exactly flat and the facet keeps its own tilt relative to it; fitted on
// every pixel, the facet drags the plane and the substrate is left tilted.
TEST(LevelReference, PlaneFittedOnTheSubstrateOnly) {
    Image<float> z(40, 30), whole(40, 30);
    Image<std::uint16_t> labels(40, 30);
    for (int y = 0; y < 30; ++y)
        for (int x = 0; x < 40; ++x) {
            const bool crystal = x >= 20 && y >= 10;
            labels.at(x, y) = crystal ? 2 : 1;
            const double substrate = 1.5 + 0.125 * x + 0.0625 * y;  // dyadic: exact in float
            z.at(x, y) = (float)(crystal ? substrate + 4.0 - 0.25 * (x - 20) : substrate);
        }
    whole = z;
    ScanConfig cfg;
    cfg.level_labels = {1};
    const LevelReference use = level_reference(cfg, labels);
    level_plane(z, use);
    level_plane(whole);
    double substrate_left_whole = 0.0;
    for (int y = 0; y < 30; ++y)
        for (int x = 0; x < 40; ++x) {
            if (labels.at(x, y) == 1) {
                ASSERT_NEAR(z.at(x, y), 0.0f, 1e-6f) << x << "," << y;
                substrate_left_whole = std::max(substrate_left_whole, std::fabs((double)whole.at(x, y)));
            } else {
                ASSERT_NEAR(z.at(x, y), 4.0 - 0.25 * (x - 20), 1e-5) << x << "," << y;
            }
        }
    EXPECT_GT(substrate_left_whole, 0.5);  // the whole-map plane is not the substrate's
}

TEST(LevelReference, RowMediansOfTheReferenceColumns) {
    // Rows with their own offsets; the reference (label 1, columns 0-5) is flat, the rest (label 2)
    // a tall feature that would move a whole-row median. Row 3 has no reference pixel: all of it.
    Image<float> z(12, 5);
    Image<std::uint16_t> labels(12, 5);
    const float offsets[5] = {3.0f, -2.0f, 0.5f, 8.0f, -1.25f};
    for (int y = 0; y < 5; ++y)
        for (int x = 0; x < 12; ++x) {
            labels.at(x, y) = x < 6 && y != 3 ? 1 : 2;
            z.at(x, y) = offsets[y] + (x < 6 ? 0.0f : 50.0f);
        }
    ScanConfig cfg;
    cfg.level_labels = {1};
    level_rows_median(z, level_reference(cfg, labels));
    for (int y = 0; y < 5; ++y)
        for (int x = 0; x < 12; ++x) {
            if (y == 3) continue;
            EXPECT_EQ(z.at(x, y), x < 6 ? 0.0f : 50.0f) << x << "," << y;
        }
    // Row 3 (no reference): the median of 6 zeros and 6 fifties is 25.
    EXPECT_EQ(z.at(0, 3), -25.0f);

    cfg.level_labels = {7};
    cfg.source = "scan.yaml";
    try {
        level_reference(cfg, labels);
        FAIL() << "no error for a label that is not in the image";
    } catch (const DataError& e) {
        EXPECT_NE(std::string(e.what()).find("processing.level_labels"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("7"), std::string::npos) << e.what();
    }
    cfg.level_labels.clear();
    EXPECT_TRUE(level_reference(cfg, labels).empty());
}

TEST(Level, ApplyDispatches) {
    Image<float> z(4, 3);
    for (int y = 0; y < 3; ++y)
        for (int x = 0; x < 4; ++x) z.at(x, y) = (float)(1.0 + x + 2.0 * y);
    Image<float> none = z, plane = z, rows = z;
    apply_leveling(Leveling::None, none);
    EXPECT_EQ(none.px, z.px);
    apply_leveling(Leveling::Plane, plane);
    for (float v : plane.px) EXPECT_NEAR(v, 0.0f, 1e-6f);
    apply_leveling(Leveling::Rows, rows);
    for (int y = 0; y < 3; ++y) EXPECT_EQ(rows.at(0, y), -1.5f);  // row 1,2,3,4 - 2.5
}

TEST(Regions, CountsNamesAndClasses) {
    Image<std::uint16_t> labels(5, 4, 0);
    // label 7 x 6 px, label 2 x 5 px, label 300 x 1 px, rest 0.
    for (int x = 0; x < 5; ++x) labels.at(x, 0) = 2;
    for (int x = 0; x < 3; ++x) labels.at(x, 1) = labels.at(x, 2) = 7;
    labels.at(4, 3) = 300;
    RegionsConfig cfg;
    cfg.labels_file = "labels.tif";
    cfg.names = {{2, "II"}, {9, "IX"}};  // 9 is not in the image
    cfg.classes = {{7, "LNMO"}, {2, "b/c"}};
    const RegionMap m = build_region_map(labels, cfg, 5, 4);
    EXPECT_TRUE(m.from_labels);
    ASSERT_EQ(m.regions.size(), 4u);
    const int want_label[4] = {2, 7, 9, 300};
    const char* want_name[4] = {"II", "7", "IX", "300"};
    const char* want_class[4] = {"b/c", "LNMO", "unclassified", "unclassified"};
    for (int i = 0; i < 4; ++i) {
        EXPECT_EQ(m.regions[i].label, want_label[i]);
        EXPECT_EQ(m.regions[i].name, want_name[i]);
        EXPECT_EQ(m.regions[i].class_name, want_class[i]);
    }
    std::vector<int> counts(4, 0);
    int unlabelled = 0;
    ASSERT_EQ(m.index.nx, 5);
    ASSERT_EQ(m.index.ny, 4);
    for (std::size_t i = 0; i < m.index.size(); ++i) {
        const int r = m.index.px[i];
        if (r < 0) {
            ++unlabelled;
            EXPECT_EQ(labels.px[i], 0);
        } else {
            ++counts[r];
            EXPECT_EQ(m.regions[r].label, labels.px[i]);
        }
    }
    EXPECT_EQ(counts, (std::vector<int>{5, 6, 0, 1}));
    EXPECT_EQ(unlabelled, 8);
}

TEST(Regions, WholeMapWithoutLabels) {
    const RegionMap m = build_region_map(Image<std::uint16_t>(), RegionsConfig{}, 6, 3);
    EXPECT_FALSE(m.from_labels);
    ASSERT_EQ(m.regions.size(), 1u);
    EXPECT_EQ(m.regions[0].label, 1);
    EXPECT_EQ(m.regions[0].name, "map");
    EXPECT_EQ(m.regions[0].class_name, "all");
    ASSERT_EQ(m.index.size(), 18u);
    for (std::int32_t v : m.index.px) EXPECT_EQ(v, 0);
}

TEST(Regions, SizeMismatchIsDataError) {
    RegionsConfig cfg;
    cfg.labels_file = "labels.tif";
    try {
        build_region_map(Image<std::uint16_t>(4, 4, 1), cfg, 5, 4);
        FAIL();
    } catch (const DataError& e) {
        const std::string msg = e.what();
        EXPECT_NE(msg.find("labels.tif"), std::string::npos) << msg;
        EXPECT_NE(msg.find("4x4"), std::string::npos) << msg;
        EXPECT_NE(msg.find("5x4"), std::string::npos) << msg;
    }
}

}  // namespace
