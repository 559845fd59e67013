// The synthetic-scan generator: determinism, exact facet geometry, labels, modulus truth,
// the AM-FM inversion round trip, and the written scan folder.
#include <gtest/gtest.h>

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <set>

#include "amfm/kernels/error.hpp"
#include "amfm/kernels/physics.hpp"
#include "amfm/kernels/tilt.hpp"
#include "amfm/kernels/tilt_correction.hpp"
#include "host/formats/scan_yaml.hpp"
#include "host/formats/tiff_io.hpp"
#include "host/model/config.hpp"
#include "host/model/scan.hpp"
#include "host/sim/simulate.hpp"
#include "test_util.hpp"

using namespace amfm;

namespace {

SimulationSpec make_spec(int cycle, std::uint64_t seed, bool noise = true, int n = 256) {
    SimulationSpec s;
    s.nx = s.ny = n;
    s.scan_size_m = 8.0e-6;
    s.seed = seed;
    s.cycle = cycle;
    s.regions = paper_region_truths(cycle);
    if (!noise) {
        s.height_noise_m = 0.0;
        s.phase_noise_deg = 0.0;
        s.df2_noise_rel = 0.0;
    }
    return s;
}

// One simulation per configuration, shared by the tests (each costs tens of milliseconds).
const SimulatedScan& noise_free(int cycle) {
    static std::map<int, SimulatedScan> cache;
    auto it = cache.find(cycle);
    if (it == cache.end()) it = cache.emplace(cycle, simulate_scan(make_spec(cycle, 7, false))).first;
    return it->second;
}

std::map<int, long> label_counts(const Image<std::uint16_t>& l) {
    std::map<int, long> c;
    for (auto v : l.px)
        if (v) ++c[v];
    return c;
}

// Optional look at the geometry: AMFM_SIM_DUMP=<folder> writes height and label PNGs there.
void maybe_dump(const SimulatedScan& sim, const std::string& tag) {
    const char* dir = std::getenv("AMFM_SIM_DUMP");
    if (!dir || !*dir) return;
    const int nx = sim.spec.nx, ny = sim.spec.ny;
    cv::Mat h(ny, nx, CV_32F, const_cast<float*>(sim.height_m.data()));
    cv::Mat h8;
    cv::normalize(h, h8, 0, 255, cv::NORM_MINMAX, CV_8U);
    cv::imwrite(std::string(dir) + "/sim_" + tag + "_height.png", h8);
    cv::Mat t(ny, nx, CV_32F, const_cast<float*>(sim.tilt_true_deg.data()));
    cv::Mat t8;
    t.convertTo(t8, CV_8U, 255.0 / 45.0);
    cv::imwrite(std::string(dir) + "/sim_" + tag + "_tilt.png", t8);
    cv::Mat lab(ny, nx, CV_8UC3);
    const cv::Vec3b colours[6] = {{0, 0, 0}, {60, 60, 230}, {60, 200, 60}, {230, 120, 40}, {40, 220, 230}, {150, 150, 150}};
    for (int y = 0; y < ny; ++y)
        for (int x = 0; x < nx; ++x) {
            const int l = sim.labels.at(x, y);
            cv::Vec3b c = colours[std::min(l, 5)];
            if (l == 0) {
                const int g = (int)h8.at<std::uint8_t>(y, x) / 3;
                c = {(std::uint8_t)g, (std::uint8_t)g, (std::uint8_t)g};
            }
            lab.at<cv::Vec3b>(y, x) = c;
        }
    cv::imwrite(std::string(dir) + "/sim_" + tag + "_labels.png", lab);
    for (const auto& kv : label_counts(sim.labels)) std::printf("%s: label %d: %ld px\n", tag.c_str(), kv.first, kv.second);
}

}  // namespace

TEST(PaperRegionTruths, KnownCyclesAndUnknown) {
    const std::map<int, std::vector<std::pair<double, double>>> expected = {
        {0, {{145, 10}, {113, 12}, {117, 11}, {1.9, 0.1}}},
        {5, {{2.3, 0.7}, {3.5, 0.9}, {2.9, 0.6}, {3.3, 0.8}, {1.6, 0.3}}},
        {30, {{2.7, 0.1}, {6.5, 0.7}, {2.0, 0.1}, {5.1, 0.4}, {2.2, 0.7}}},
        {60, {{4.2, 0.2}, {4.9, 1.2}, {5.3, 1.6}, {4.2, 0.3}, {3.5, 1.1}}},
        {200, {{3.6, 0.1}, {3.7, 0.2}, {4.6, 0.5}, {4.6, 0.5}, {3.9, 0.4}}},
    };
    const char* names[] = {"I", "II", "III", "IV"};
    std::map<std::string, std::pair<double, double>> geometry;  // name -> tilt, azimuth
    for (const auto& kv : expected) {
        const auto r = paper_region_truths(kv.first);
        ASSERT_EQ(r.size(), kv.second.size()) << "cycle " << kv.first;
        for (std::size_t i = 0; i < r.size(); ++i) {
            EXPECT_DOUBLE_EQ(r[i].center_gpa, kv.second[i].first) << kv.first << " " << r[i].name;
            EXPECT_DOUBLE_EQ(r[i].sigma_gpa, kv.second[i].second) << kv.first << " " << r[i].name;
            if (i + 1 < r.size()) {
                EXPECT_EQ(r[i].label, (int)i + 1);
                EXPECT_EQ(r[i].name, names[i]);
                EXPECT_EQ(r[i].class_name, "LNMO");
                EXPECT_TRUE(r[i].tilt_deg >= 5.0 && r[i].tilt_deg <= 35.0) << r[i].tilt_deg;
                // the same facet has the same geometry in every cycle
                auto g = geometry.emplace(r[i].name, std::make_pair(r[i].tilt_deg, r[i].azimuth_deg)).first;
                EXPECT_EQ(g->second.first, r[i].tilt_deg);
                EXPECT_EQ(g->second.second, r[i].azimuth_deg);
            } else {
                EXPECT_EQ(r[i].label, 5);
                EXPECT_EQ(r[i].name, "b/c");
                EXPECT_EQ(r[i].class_name, "b/c");
                EXPECT_TRUE(std::isnan(r[i].tilt_deg));
            }
        }
    }
    std::set<double> tilts;
    for (const auto& g : geometry) tilts.insert(g.second.first);
    EXPECT_EQ(tilts.size(), 4u);  // four different facet tilts
    EXPECT_THROW(paper_region_truths(7), ConfigError);
    EXPECT_THROW(paper_region_truths(-1), ConfigError);
}

TEST(Simulate, DeterministicPerSeed) {
    const SimulatedScan a = simulate_scan(make_spec(5, 42, true, 128));
    const SimulatedScan b = simulate_scan(make_spec(5, 42, true, 128));
    const SimulatedScan c = simulate_scan(make_spec(5, 43, true, 128));
    auto same = [](const auto& x, const auto& y) {
        return x.px.size() == y.px.size() &&
               std::memcmp(x.px.data(), y.px.data(), x.px.size() * sizeof(x.px[0])) == 0;
    };
    EXPECT_TRUE(same(a.height_m, b.height_m));
    EXPECT_TRUE(same(a.phase1_deg, b.phase1_deg));
    EXPECT_TRUE(same(a.df2_hz, b.df2_hz));
    EXPECT_TRUE(same(a.labels, b.labels));
    EXPECT_TRUE(same(a.modulus_true_gpa, b.modulus_true_gpa));
    EXPECT_TRUE(same(a.tilt_true_deg, b.tilt_true_deg));
    EXPECT_FALSE(same(a.height_m, c.height_m));
    EXPECT_FALSE(same(a.phase1_deg, c.phase1_deg));
    EXPECT_FALSE(same(a.df2_hz, c.df2_hz));
    EXPECT_FALSE(same(a.modulus_true_gpa, c.modulus_true_gpa));
    // a fixed checksum would catch platform drift, but OpenCV/libm may differ by an ulp; the
    // determinism that matters (same build, same spec) is checked above
}

TEST(Simulate, FacetTiltsExactInNoiseFreeHeight) {
    for (int cycle : {0, 30}) {
        const SimulatedScan& sim = noise_free(cycle);
        maybe_dump(sim, "c" + std::to_string(cycle));
        const double dx = sim.spec.scan_size_m / sim.spec.nx;
        auto z = [&](int x, int y) { return sim.height_m.at(x, y); };
        for (std::size_t r = 0; r + 1 < sim.spec.regions.size(); ++r) {
            const RegionTruth& rt = sim.spec.regions[r];
            long n = 0;
            double worst_tilt = 0, worst_az = 0;
            for (int y = 0; y < sim.spec.ny; ++y)
                for (int x = 0; x < sim.spec.nx; ++x) {
                    if (sim.labels.at(x, y) != rt.label) continue;
                    const Slope s = slope_central(z, sim.spec.nx, sim.spec.ny, x, y, dx, dx);
                    ASSERT_TRUE(s.ok);
                    worst_tilt = std::max(worst_tilt, std::abs(tilt_deg_from_slope(s.gx, s.gy) - rt.tilt_deg));
                    double daz = std::remainder(azimuth_deg_from_slope(s.gx, s.gy) - rt.azimuth_deg, 360.0);
                    worst_az = std::max(worst_az, std::abs(daz));
                    EXPECT_FLOAT_EQ(sim.tilt_true_deg.at(x, y), (float)rt.tilt_deg);
                    ++n;
                }
            EXPECT_GT(n, 0) << rt.name;
            EXPECT_LT(worst_tilt, 0.05) << "cycle " << cycle << " facet " << rt.name;
            EXPECT_LT(worst_az, 0.2) << "cycle " << cycle << " facet " << rt.name;
        }
    }
}

TEST(Simulate, LabelsCoverEveryRegionAwayFromEdges) {
    for (int cycle : {0, 5}) {
        const SimulatedScan& sim = noise_free(cycle);
        const int nx = sim.spec.nx, ny = sim.spec.ny;
        const auto counts = label_counts(sim.labels);
        ASSERT_EQ(counts.size(), sim.spec.regions.size()) << "cycle " << cycle;
        for (std::size_t r = 0; r < sim.spec.regions.size(); ++r) {
            const int l = sim.spec.regions[r].label;
            ASSERT_TRUE(counts.count(l)) << sim.spec.regions[r].name;
            const long minimum = r + 1 < sim.spec.regions.size() ? 300 : 10000;
            EXPECT_GE(counts.at(l), minimum) << sim.spec.regions[r].name;
        }
        long labelled = 0;
        for (const auto& kv : counts) labelled += kv.second;
        EXPECT_LT(labelled, (long)nx * ny * 9 / 10);  // edges and unlabelled facets stay 0

        // Different labels are separated by a gap (>= 2 x margin) ...
        for (int y = 0; y < ny; ++y)
            for (int x = 0; x < nx; ++x) {
                const int l = sim.labels.at(x, y);
                if (!l) continue;
                for (int j = -4; j <= 4; ++j)
                    for (int k = -4; k <= 4; ++k) {
                        const int xx = x + k, yy = y + j;
                        if (xx < 0 || yy < 0 || xx >= nx || yy >= ny || j * j + k * k > 16) continue;
                        const int m = sim.labels.at(xx, yy);
                        ASSERT_TRUE(m == 0 || m == l) << "labels " << l << " and " << m << " touch at " << x << "," << y;
                    }
            }
        // ... and a labelled facet pixel has no ridge next to it: the noise-free height is a
        // plane over its 3x3 neighbourhood and their central-difference stencils (second
        // differences vanish out to 2.2 px).
        const double dx = sim.spec.scan_size_m / nx;
        for (std::size_t r = 0; r + 1 < sim.spec.regions.size(); ++r) {
            const int l = sim.spec.regions[r].label;
            const double tan_t = std::tan(sim.spec.regions[r].tilt_deg * kPi / 180.0);
            for (int y = 3; y < ny - 3; ++y)
                for (int x = 3; x < nx - 3; ++x) {
                    if (sim.labels.at(x, y) != l) continue;
                    for (int j = -1; j <= 1; ++j)
                        for (int k = -1; k <= 1; ++k) {
                            const double c = sim.height_m.at(x + k, y + j);
                            const double d2x = sim.height_m.at(x + k + 1, y + j) + sim.height_m.at(x + k - 1, y + j) - 2 * c;
                            const double d2y = sim.height_m.at(x + k, y + j + 1) + sim.height_m.at(x + k, y + j - 1) - 2 * c;
                            // float rounding of ~1e-6 m heights is ~1e-13 m; a ridge gives >= 1e-10 m
                            ASSERT_LT(std::abs(d2x) + std::abs(d2y), 1e-11 + 1e-6 * tan_t * dx)
                                << "label " << l << " at " << x << "," << y;
                        }
                }
        }
    }
}

TEST(Simulate, InversionReproducesApparentModulus) {
    for (int cycle : {0, 60}) {
        const SimulatedScan& sim = noise_free(cycle);
        const ModulusModel m = make_modulus_model(sim.spec.cantilever, sim.spec.tip_radius_m);
        const TiltCorrection& tc = sim.spec.tilt_correction;
        double worst = 0.0;
        for (std::size_t i = 0; i < sim.df2_hz.size(); ++i) {
            const double theta = std::min((double)sim.tilt_true_deg.px[i], tc.max_angle_deg);
            const double expected = (double)sim.modulus_true_gpa.px[i] * 1e9 * kc_factor(tc, theta);
            const double got = amfm_modulus_pa(m, sim.phase1_deg.px[i], sim.df2_hz.px[i], sim.spec.cantilever.a1_set_m);
            ASSERT_TRUE(std::isfinite(got)) << i;
            worst = std::max(worst, std::abs(got / expected - 1.0));
        }
        // df2 is stored as float32: 1.5 x its half-ulp (6e-8) is the floor of this error
        EXPECT_LT(worst, 3e-7) << "cycle " << cycle;
    }
    // Without the artefact the inversion gives the true modulus.
    SimulationSpec s = make_spec(5, 3, false, 96);
    s.apply_tilt_artefact = false;
    const SimulatedScan sim = simulate_scan(s);
    const ModulusModel m = make_modulus_model(s.cantilever, s.tip_radius_m);
    for (std::size_t i = 0; i < sim.df2_hz.size(); ++i) {
        const double got = amfm_modulus_pa(m, sim.phase1_deg.px[i], sim.df2_hz.px[i], s.cantilever.a1_set_m);
        ASSERT_NEAR(got / (sim.modulus_true_gpa.px[i] * 1e9), 1.0, 3e-7);
    }
}

TEST(Simulate, ModulusTruthMatchesRegionDistributions) {
    for (int cycle : {0, 5, 60}) {
        const SimulatedScan& sim = noise_free(cycle);
        for (const RegionTruth& rt : sim.spec.regions) {
            double n = 0, s = 0, ss = 0, within = 0;
            for (std::size_t i = 0; i < sim.labels.size(); ++i) {
                if (sim.labels.px[i] != rt.label) continue;
                const double e = sim.modulus_true_gpa.px[i];
                n += 1;
                s += e;
                ss += e * e;
                if (std::abs(e - rt.center_gpa) <= rt.sigma_gpa) within += 1;
            }
            ASSERT_GT(n, 100);
            const double mean = s / n, sd = std::sqrt(std::max(0.0, ss / n - mean * mean));
            EXPECT_NEAR(mean, rt.center_gpa, 0.02 * rt.sigma_gpa) << cycle << " " << rt.name;
            EXPECT_NEAR(sd, rt.sigma_gpa, 0.03 * rt.sigma_gpa) << cycle << " " << rt.name;
            EXPECT_NEAR(within / n, 0.683, 0.1) << cycle << " " << rt.name;  // Gaussian shape
        }
        // The field is smooth: neighbouring labelled pixels are correlated.
        const RegionTruth& bc = sim.spec.regions.back();
        double num = 0, den = 0;
        for (int y = 0; y < sim.spec.ny; ++y)
            for (int x = 0; x + 1 < sim.spec.nx; ++x)
                if (sim.labels.at(x, y) == bc.label && sim.labels.at(x + 1, y) == bc.label) {
                    const double a = sim.modulus_true_gpa.at(x, y) - bc.center_gpa;
                    const double b = sim.modulus_true_gpa.at(x + 1, y) - bc.center_gpa;
                    num += a * b;
                    den += a * a;
                }
        EXPECT_GT(num / den, 0.5);
        EXPECT_LT(num / den, 0.95);
        // Every pixel has a positive modulus, unlabelled ones included, at least the floor.
        const double floor = 0.05 * std::min_element(sim.spec.regions.begin(), sim.spec.regions.end(),
                                                     [](auto& a, auto& b) { return a.center_gpa < b.center_gpa; })
                                         ->center_gpa;
        for (float e : sim.modulus_true_gpa.px) ASSERT_GE(e, floor * 0.999);
    }
}

TEST(Simulate, NoiseLevelsAndTiltArtefact) {
    SimulationSpec spec = make_spec(30, 7, true);
    spec.height_noise_m = 1.0e-9;
    spec.df2_noise_rel = 0.01;
    spec.phase_noise_deg = 0.5;
    const SimulatedScan noisy = simulate_scan(spec);
    const SimulatedScan& clean = noise_free(30);
    double sh = 0, sd = 0, sp = 0;
    const double n = (double)clean.height_m.size();
    for (std::size_t i = 0; i < clean.height_m.size(); ++i) {
        const double dh = noisy.height_m.px[i] - clean.height_m.px[i];
        const double dd = noisy.df2_hz.px[i] / clean.df2_hz.px[i] - 1.0;
        const double dp = noisy.phase1_deg.px[i] - clean.phase1_deg.px[i];
        sh += dh * dh;
        sd += dd * dd;
        sp += dp * dp;
    }
    EXPECT_NEAR(std::sqrt(sh / n), 1.0e-9, 0.03e-9);
    EXPECT_NEAR(std::sqrt(sd / n), 0.01, 0.0003);
    EXPECT_NEAR(std::sqrt(sp / n), 0.5, 0.015);
    // The labels and truths do not depend on the noise.
    EXPECT_EQ(noisy.labels.px, clean.labels.px);
    EXPECT_EQ(noisy.modulus_true_gpa.px, clean.modulus_true_gpa.px);

    // Phase: mean + smooth +-3 deg, repulsive regime.
    float lo = 1e9f, hi = -1e9f;
    for (float p : clean.phase1_deg.px) {
        lo = std::min(lo, p);
        hi = std::max(hi, p);
    }
    EXPECT_NEAR(hi - lo, 6.0, 1.5);
    EXPECT_NEAR(0.5 * (hi + lo), spec.phase1_mean_deg, 1.5);

    // The artefact lowers the apparent modulus on steep facets: df2 on facet III (30 deg) is
    // smaller than without it, by Kc^(2/3).
    SimulationSpec flat = make_spec(30, 7, false);
    flat.apply_tilt_artefact = false;
    const SimulatedScan nf = simulate_scan(flat);
    const RegionTruth& iii = clean.spec.regions[2];
    const double kc = kc_factor(clean.spec.tilt_correction, iii.tilt_deg);
    EXPECT_LT(kc, 0.7);
    for (std::size_t i = 0; i < clean.labels.size(); ++i)
        if (clean.labels.px[i] == iii.label) {
            ASSERT_NEAR(clean.df2_hz.px[i] / nf.df2_hz.px[i], std::pow(kc, 2.0 / 3.0), 1e-6);
        }

    // Background tilts are mostly small but varied.
    std::vector<float> bg;
    for (std::size_t i = 0; i < clean.labels.size(); ++i)
        if (clean.labels.px[i] == clean.spec.regions.back().label) bg.push_back(clean.tilt_true_deg.px[i]);
    std::sort(bg.begin(), bg.end());
    EXPECT_GT(bg[bg.size() / 2], 2.0);
    EXPECT_LT(bg[bg.size() / 2], 15.0);
    EXPECT_LT(bg[bg.size() * 95 / 100], 30.0);
}

TEST(Simulate, RejectsBadSpecs) {
    SimulationSpec s = make_spec(5, 1, true, 64);
    auto expect_bad = [](SimulationSpec t) { EXPECT_THROW(simulate_scan(t), ConfigError); };
    {
        SimulationSpec t = s;
        t.regions.insert(t.regions.begin(), t.regions[0]);
        t.regions[0].label = 9;
        expect_bad(t);  // five facets: the geometry has four
    }
    {
        SimulationSpec t = s;
        t.regions[1].label = t.regions[0].label;
        expect_bad(t);
    }
    {
        SimulationSpec t = s;
        t.regions.resize(1);
        expect_bad(t);
    }
    {
        SimulationSpec t = s;
        t.phase1_mean_deg = 89.0;
        expect_bad(t);
    }
    {
        SimulationSpec t = s;
        t.nx = 8;
        expect_bad(t);
    }
    {
        SimulationSpec t = s;
        t.regions[0].center_gpa = 0.0;
        expect_bad(t);
    }
    EXPECT_NO_THROW(simulate_scan(s));
}

TEST(Simulate, WritesScanFolder) {
    amfm_test::TempDir tmp;
    const std::string dir = tmp.file("cycle5");
    const SimulatedScan sim = simulate_scan(make_spec(5, 11, true, 128));
    write_simulated_scan(sim, dir);
    namespace fs = std::filesystem;
    std::set<std::string> files;
    for (const auto& e : fs::directory_iterator(dir)) files.insert(e.path().filename().string());
    EXPECT_EQ(files, (std::set<std::string>{"height.tif", "phase1.tif", "df2.tif", "labels.tif", "scan.yaml",
                                            "truth.json"}));

    const Image<float> h = read_tiff_float(dir + "/height.tif");
    EXPECT_EQ(h.px, sim.height_m.px);
    EXPECT_EQ(read_tiff_float(dir + "/phase1.tif").px, sim.phase1_deg.px);
    EXPECT_EQ(read_tiff_float(dir + "/df2.tif").px, sim.df2_hz.px);
    EXPECT_EQ(read_label_image(dir + "/labels.tif").px, sim.labels.px);
    // compressed: well below the raw 4 x 128 x 128 x 4 bytes
    EXPECT_LT(fs::file_size(dir + "/labels.tif"), 8000u);

    std::ifstream jf(dir + "/truth.json");
    const nlohmann::json j = nlohmann::json::parse(jf);
    EXPECT_EQ(j.at("seed").get<std::uint64_t>(), 11u);
    EXPECT_EQ(j.at("cycle").get<int>(), 5);
    EXPECT_DOUBLE_EQ(j.at("pixel_size_m").at("x").get<double>(), 8.0e-6 / 128);
    EXPECT_DOUBLE_EQ(j.at("tip_radius_m").get<double>(), sim.spec.tip_radius_m);
    EXPECT_EQ(j.at("tilt_correction").at("coefficients").size(), 5u);
    const auto counts = label_counts(sim.labels);
    ASSERT_EQ(j.at("regions").size(), sim.spec.regions.size());
    for (std::size_t r = 0; r < sim.spec.regions.size(); ++r) {
        const auto& jr = j.at("regions")[r];
        const RegionTruth& rt = sim.spec.regions[r];
        EXPECT_EQ(jr.at("label").get<int>(), rt.label);
        EXPECT_EQ(jr.at("name").get<std::string>(), rt.name);
        EXPECT_EQ(jr.at("class").get<std::string>(), rt.class_name);
        EXPECT_DOUBLE_EQ(jr.at("center_gpa").get<double>(), rt.center_gpa);
        EXPECT_EQ(jr.at("labelled_pixels").get<long>(), counts.at(rt.label));
        if (r + 1 < sim.spec.regions.size()) {
            EXPECT_DOUBLE_EQ(jr.at("tilt_deg").get<double>(), rt.tilt_deg);
        } else {
            EXPECT_TRUE(jr.at("tilt_deg").is_null());
        }
    }
    EXPECT_TRUE(j.at("classes").contains("LNMO"));
    EXPECT_TRUE(j.at("classes").contains("b/c"));
    EXPECT_NEAR(j.at("classes").at("b/c").at("true_mean_gpa").get<double>(), 1.6, 0.01);

    const YAML::Node y = YAML::LoadFile(dir + "/scan.yaml");
    EXPECT_EQ(y["sample"]["cycle"].as<int>(), 5);
    EXPECT_EQ(y["sample"]["name"].as<std::string>(), sim.spec.sample);
    EXPECT_EQ(y["channels"]["df2"]["file"].as<std::string>(), "df2.tif");
    EXPECT_EQ(y["channels"]["height"]["unit"].as<std::string>(), "m");
    EXPECT_DOUBLE_EQ(y["scan_size"]["x"].as<double>(), 8.0e-6);
    EXPECT_DOUBLE_EQ(y["cantilever"]["f2"].as<double>(), sim.spec.cantilever.f2_hz);
    EXPECT_DOUBLE_EQ(y["cantilever"]["a1_set"].as<double>(), sim.spec.cantilever.a1_set_m);
    EXPECT_DOUBLE_EQ(y["tip"]["radius"].as<double>(), sim.spec.tip_radius_m);
    EXPECT_EQ(y["tilt_correction"]["model"].as<std::string>(), "polynomial");
    EXPECT_DOUBLE_EQ(y["tilt_correction"]["coefficients"][3].as<double>(), -2.55867e-5);
    EXPECT_EQ(y["regions"]["labels"].as<std::string>(), "labels.tif");
    EXPECT_EQ(y["regions"]["names"][5].as<std::string>(), "b/c");
    EXPECT_EQ(y["regions"]["names"][1].as<std::string>(), "I");
    EXPECT_EQ(y["regions"]["classes"][4].as<std::string>(), "LNMO");
    EXPECT_EQ(y["regions"]["classes"][5].as<std::string>(), "b/c");

    // The project's own loader accepts it and reads back what was simulated.
    const ScanConfig cfg = load_scan_config(dir + "/scan.yaml");
    EXPECT_EQ(cfg.sample, sim.spec.sample);
    EXPECT_EQ(cfg.cycle, 5);
    EXPECT_DOUBLE_EQ(cfg.scan_size_x_m, 8.0e-6);
    EXPECT_DOUBLE_EQ(cfg.scan_size_y_m, 8.0e-6);
    EXPECT_DOUBLE_EQ(cfg.cantilever.k1_n_per_m, sim.spec.cantilever.k1_n_per_m);
    EXPECT_DOUBLE_EQ(cfg.cantilever.a1_free_m, sim.spec.cantilever.a1_free_m);
    EXPECT_DOUBLE_EQ(cfg.tip_radius_m, sim.spec.tip_radius_m);
    EXPECT_EQ(cfg.tilt_correction.model, KcModel::Polynomial);
    EXPECT_EQ(cfg.tilt_correction.n_coefficients, 5);
    for (int i = 0; i < 5; ++i)
        EXPECT_DOUBLE_EQ(cfg.tilt_correction.coefficients[i], sim.spec.tilt_correction.coefficients[i]);
    EXPECT_EQ(cfg.regions.names.at(5), "b/c");
    EXPECT_EQ(cfg.regions.classes.at(1), "LNMO");
    const Scan scan = load_scan(cfg);
    EXPECT_EQ(scan.nx(), 128);
    EXPECT_EQ(scan.df2_hz.px, sim.df2_hz.px);
    EXPECT_EQ(scan.labels.px, sim.labels.px);
    EXPECT_DOUBLE_EQ(scan.pixel_size_x_m(), 8.0e-6 / 128);

    // A cos-power Kc is written in the loader's terms too.
    {
        SimulationSpec cs = make_spec(0, 2, true, 64);
        cs.tilt_correction.model = KcModel::CosPower;
        cs.tilt_correction.cos_exponent = 2.5;
        cs.sample = "name: with \"quotes\" / 1";
        write_simulated_scan(simulate_scan(cs), tmp.file("cos"));
        const ScanConfig cc = load_scan_config(tmp.file("cos") + "/scan.yaml");
        EXPECT_EQ(cc.tilt_correction.model, KcModel::CosPower);
        EXPECT_DOUBLE_EQ(cc.tilt_correction.cos_exponent, 2.5);
        EXPECT_EQ(cc.sample, cs.sample);
        EXPECT_EQ(cc.cycle, 0);
        EXPECT_EQ(cc.regions.names.size(), 4u);
    }

    // Writing again over the same folder is fine and leaves no temporary files.
    write_simulated_scan(sim, dir);
    int n = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++n;
    EXPECT_EQ(n, 6);
}
