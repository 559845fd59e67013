// Edge-aware regions: a region pixel whose slope stencil reaches another region (or label 0) gets
// kMaskEdge and leaves its region's and class's statistics, for every region source, so the
// statistics of stiff crystals beside a soft binder hold on realistic simulated scans.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "amfm/kernels/mask.hpp"
#include "host/formats/scan_yaml.hpp"
#include "host/method/pipeline.hpp"
#include "host/method/regions.hpp"
#include "host/sim/simulate.hpp"
#include "test_util.hpp"

using namespace amfm;

namespace {

// 14 x 11 labels: region 1 on the left, region 2 on the right (x >= 7), a 3 x 3 block of label 0
// inside region 1 and a single pixel of region 2 inside region 1.
Image<std::uint16_t> two_region_labels() {
    Image<std::uint16_t> labels(14, 11, 1);
    for (int y = 0; y < 11; ++y)
        for (int x = 7; x < 14; ++x) labels.at(x, y) = 2;
    for (int y = 1; y < 4; ++y)
        for (int x = 1; x < 4; ++x) labels.at(x, y) = 0;
    labels.at(3, 8) = 2;
    return labels;
}

RegionMap region_map(const Image<std::uint16_t>& labels) {
    return build_region_map(labels, RegionsConfig{}, labels.nx, labels.ny);
}

Image<std::uint8_t> edges(const RegionMap& regions, const SlopeStencil& stencil) {
    Image<std::uint8_t> mask(regions.index.nx, regions.index.ny, 0);
    mark_region_edges(regions, stencil, mask);
    return mask;
}

// The rule written out: an offset (i, j) is in the stencil when it lies within margin of the
// stencil's own offsets (the +-1 cross, or the plane's square).
bool in_stencil(const SlopeStencil& s, int i, int j) {
    const int m = s.margin_px;
    if (s.method == TiltMethod::LocalPlane) return std::abs(i) <= s.window_half + m && std::abs(j) <= s.window_half + m;
    return (std::abs(i) <= 1 + m && std::abs(j) <= m) || (std::abs(i) <= m && std::abs(j) <= 1 + m);
}

Image<std::uint8_t> edges_by_hand(const RegionMap& regions, const SlopeStencil& s) {
    const Image<std::int32_t>& index = regions.index;
    Image<std::uint8_t> mask(index.nx, index.ny, 0);
    const int reach = std::max(s.window_half, 1) + s.margin_px;
    for (int y = 0; y < index.ny; ++y)
        for (int x = 0; x < index.nx; ++x) {
            if (index.at(x, y) < 0) continue;
            for (int j = -reach; j <= reach; ++j)
                for (int i = -reach; i <= reach; ++i) {
                    const int xx = x + i, yy = y + j;
                    if (xx < 0 || yy < 0 || xx >= index.nx || yy >= index.ny || !in_stencil(s, i, j)) continue;
                    if (index.at(xx, yy) != index.at(x, y)) mask.at(x, y) = kMaskEdge;
                }
        }
    return mask;
}

std::string picture(const Image<std::uint8_t>& mask) {
    std::string s;
    for (int y = 0; y < mask.ny; ++y) {
        for (int x = 0; x < mask.nx; ++x) s += mask.at(x, y) ? 'E' : '.';
        s += '\n';
    }
    return s;
}

SlopeStencil stencil(TiltMethod method, int window_half, int margin_px) {
    SlopeStencil s;
    s.method = method;
    s.window_half = window_half;
    s.margin_px = margin_px;
    return s;
}

}  // namespace

TEST(Edges, CentralDifferencesMarkTheFourNeighbourReach) {
    const Image<std::uint8_t> mask = edges(region_map(two_region_labels()), stencil(TiltMethod::CentralDifference, 1, 0));
    // Columns 6 and 7 (the +-1 neighbours across x = 6.5), the ring around the hole (not its
    // corners: the cross has no diagonals), the lone pixel and its four neighbours; the hole itself
    // is in no region and carries no edge bit.
    EXPECT_EQ(picture(mask),
              ".EEE..EE......\n"
              "E...E.EE......\n"
              "E...E.EE......\n"
              "E...E.EE......\n"
              ".EEE..EE......\n"
              "......EE......\n"
              "......EE......\n"
              "...E..EE......\n"
              "..EEE.EE......\n"
              "...E..EE......\n"
              "......EE......\n");
}

TEST(Edges, LocalPlaneMarksTheWindowsReach) {
    const Image<std::uint8_t> mask = edges(region_map(two_region_labels()), stencil(TiltMethod::LocalPlane, 2, 0));
    long long count = 0;
    for (std::uint8_t m : mask.px) count += m != 0;
    // Columns 5..8 by the boundary (44); around the hole x 0..5, y 0..5 less the hole and column 5
    // (21); around the lone pixel x 1..5, y 6..10 less column 5 (20).
    EXPECT_EQ(count, 85);
    EXPECT_EQ(mask.at(5, 10), kMaskEdge);
    EXPECT_EQ(mask.at(8, 0), kMaskEdge);
    EXPECT_EQ(mask.at(9, 0), 0);
    EXPECT_EQ(mask.at(0, 5), kMaskEdge);  // two rows below the hole
    EXPECT_EQ(mask.at(0, 6), 0);          // three rows below it, three columns left of the lone pixel
    EXPECT_EQ(mask.at(1, 10), kMaskEdge);
    EXPECT_EQ(mask.at(0, 10), 0);
}

TEST(Edges, EveryStencilAndMarginMatchesTheRuleWrittenOut) {
    const RegionMap regions = region_map(two_region_labels());
    for (TiltMethod method : {TiltMethod::CentralDifference, TiltMethod::LocalPlane})
        for (int half : {1, 2, 3})
            for (int margin : {0, 1, 2}) {
                const SlopeStencil s = stencil(method, half, margin);
                EXPECT_EQ(picture(edges(regions, s)), picture(edges_by_hand(regions, s)))
                    << tilt_method_name(method) << " half " << half << " margin " << margin;
            }
}

TEST(Edges, NoLabelImageHasNoEdges) {
    const RegionMap whole = build_region_map(Image<std::uint16_t>{}, RegionsConfig{}, 9, 7);
    const Image<std::uint8_t> mask = edges(whole, stencil(TiltMethod::CentralDifference, 1, 3));
    EXPECT_TRUE(std::all_of(mask.px.begin(), mask.px.end(), [](std::uint8_t m) { return m == 0; }));
}

namespace {

namespace fs = std::filesystem;

// Issue 12's acceptance case: 0.3 nm white height noise, 1 % df2 noise, stiff facets beside a soft
// binder, rows twice as coarse as columns.
SimulatedScan acceptance_scan() {
    SimulationSpec spec;
    spec.nx = 256;
    spec.ny = 128;
    spec.scan_size_m = 8e-6;
    spec.scan_size_y_m = 8e-6;
    spec.seed = 12;
    spec.cycle = 5;
    spec.regions = stiff_region_truths();
    spec.height_noise_m = 0.3e-9;
    spec.df2_noise_rel = 0.01;
    spec.write_truth_maps = true;
    return simulate_scan(spec);
}

ScanResult process(const SimulatedScan& sim, const fs::path& dir, const std::vector<std::string>& overrides = {}) {
    write_simulated_scan(sim, dir.string());
    const Scan scan = load_scan(load_scan_config((dir / "scan.yaml").string(), overrides));
    auto backend = make_cpu_backend();
    return process_scan(scan, *backend);
}

struct Moments {
    double n = 0, sum = 0, sum_sq = 0;
    void add(double v) {
        n += 1;
        sum += v;
        sum_sq += v * v;
    }
    double mean() const { return sum / n; }
    double sd() const { return std::sqrt(std::max(0.0, (sum_sq - sum * sum / n) / (n - 1))); }
};

}  // namespace

// Labelled as a careful hand would: every pixel of each facet and of the binder, up to their
// boundaries (truth_regions.tif), where central differences blend a facet with its neighbour.
TEST(Edges, StiffCrystalsBesideSoftBinderOnANoisyNonSquareScan) {
    const SimulatedScan sim = acceptance_scan();
    amfm_test::TempDir tmp;
    const ScanResult r = process(sim, tmp.path() / "scan", {"regions.labels=truth_regions.tif"});
    std::map<int, Moments> region_truth;
    std::map<std::string, Moments> class_truth;
    for (std::size_t i = 0; i < r.regions.index.size(); ++i) {
        const int k = r.regions.index.px[i];
        if (k < 0) continue;
        const RegionInfo& info = r.regions.regions[k];
        region_truth[info.label].add(sim.modulus_true_gpa.px[i]);
        class_truth[info.class_name].add(sim.modulus_true_gpa.px[i]);
    }
    for (const RegionStats& s : r.stats.regions) {
        const double truth = region_truth.at(s.info.label).mean();
        std::printf("region %s: centre %.4g GPa, truth %.4g (%+.2f %%), edge pixels %lld of %lld\n",
                    s.info.name.c_str(), s.gaussian.center_gpa, truth, 100.0 * (s.gaussian.center_gpa / truth - 1.0),
                    s.pixels.masked[kMaskEdgeIndex], s.pixels.n_pixels);
        EXPECT_EQ(s.quality, RegionQuality::Ok) << s.info.name;
        EXPECT_NEAR(s.gaussian.center_gpa, truth, 0.02 * truth) << s.info.name;
    }
    for (const ClassStats& c : r.stats.classes) {
        const double truth_sd = class_truth.at(c.class_name).sd();
        std::printf("class %s: SD %.4g GPa, true pixel SD %.4g (%+.1f %%)\n", c.class_name.c_str(), c.pixels.sd_gpa,
                    truth_sd, 100.0 * (c.pixels.sd_gpa / truth_sd - 1.0));
        EXPECT_NEAR(c.pixels.sd_gpa, truth_sd, 0.25 * truth_sd) << c.class_name;
    }
}

// Every region source ends in a region map, and the pipeline marks its edges after the pixel stage:
// the mask carries exactly mark_region_edges' bits, the regions leave those pixels out and the map
// keeps them; the modulus map does not change.
TEST(Edges, ThePipelineMarksEdgesForLabelsAndAutomaticRegions) {
    const SimulatedScan sim = acceptance_scan();
    amfm_test::TempDir tmp;
    for (const std::vector<std::string>& overrides :
         {std::vector<std::string>{}, {"processing.tilt_method=plane", "processing.tilt_window=5"},
          {"regions.labels=", "regions.auto=true"}, {"regions.edge_margin_px=2"}}) {
        const std::string what = overrides.empty() ? "labels" : overrides.back();
        const ScanResult r = process(sim, tmp.path() / what, overrides);
        ASSERT_TRUE(r.regions.from_labels) << what;
        Image<std::uint8_t> expected(r.mask.nx, r.mask.ny, 0);
        ScanConfig cfg;
        cfg.tilt_method = what == "processing.tilt_window=5" ? TiltMethod::LocalPlane : TiltMethod::CentralDifference;
        cfg.tilt_window = 5;
        cfg.regions.edge_margin_px = what == "regions.edge_margin_px=2" ? 2 : 0;
        mark_region_edges(r.regions, slope_stencil(cfg), expected);
        long long edge_valid = 0, edges_in_regions = 0;
        for (std::size_t i = 0; i < r.mask.size(); ++i) {
            ASSERT_EQ(r.mask.px[i] & kMaskEdge, expected.px[i]) << what << " pixel " << i;
            if (!(r.mask.px[i] & kMaskEdge)) continue;
            ++edges_in_regions;
            if (!(r.mask.px[i] & kMaskInvalid)) {
                ++edge_valid;
                ASSERT_TRUE(std::isfinite(r.modulus_gpa.px[i]));
            }
        }
        EXPECT_GT(edge_valid, 100) << what;
        long long region_edges = 0, region_lost = 0, region_valid = 0;
        for (const RegionStats& s : r.stats.regions) {
            region_edges += s.pixels.masked[kMaskEdgeIndex];
            region_lost += s.pixels.lost[kMaskEdgeIndex];
            region_valid += s.pixels.n_valid;
        }
        EXPECT_EQ(region_edges, edges_in_regions) << what;
        EXPECT_EQ(region_lost, edge_valid) << what;
        EXPECT_EQ(r.stats.whole_map.pixels.lost[kMaskEdgeIndex], 0) << what;
        EXPECT_GE(r.stats.whole_map.pixels.n_valid, region_valid + edge_valid) << what;
    }
}
