// Tilt from heights: analytic planes and spheres, borders, NaN neighbours, the fused stage.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "amfm/kernels/backend.hpp"

using namespace amfm;

namespace {

struct Field {
    int nx, ny;
    double dx, dy;
    std::vector<float> z;
    float operator()(int x, int y) const { return z[(size_t)y * nx + x]; }
};

// z = tan(tilt) * (cos(az) x + sin(az) y) over physical coordinates, plus an offset.
Field tilted_plane(int nx, int ny, double dx, double dy, double tilt_deg, double az_deg) {
    Field f{nx, ny, dx, dy, std::vector<float>((size_t)nx * ny)};
    const double g = std::tan(tilt_deg * kPi / 180.0);
    const double gx = g * std::cos(az_deg * kPi / 180.0), gy = g * std::sin(az_deg * kPi / 180.0);
    for (int y = 0; y < ny; ++y)
        for (int x = 0; x < nx; ++x) f.z[(size_t)y * nx + x] = (float)(1e-7 + gx * (x - nx / 2) * dx + gy * (y - ny / 2) * dy);
    return f;
}

}  // namespace

TEST(Tilt, PlaneOfAnyOrientationGivesItsTiltEverywhereIncludingBorders) {
    for (double tilt : {0.0, 3.0, 17.5, 30.0, 44.0, 60.0})
        for (double az : {0.0, 33.0, 90.0, 145.0, 200.0, 300.0}) {
            const Field f = tilted_plane(23, 17, 20e-9, 25e-9, tilt, az);
            for (int y = 0; y < f.ny; ++y)
                for (int x = 0; x < f.nx; ++x) {
                    const Slope c = slope_central(f, f.nx, f.ny, x, y, f.dx, f.dy);
                    ASSERT_TRUE(c.ok);
                    // float storage of ~100 nm heights limits the slope to ~1e-5 relative
                    ASSERT_NEAR(tilt_deg_from_slope(c.gx, c.gy), tilt, 2e-3) << x << "," << y;
                    const Slope p = slope_local_plane(f, f.nx, f.ny, x, y, f.dx, f.dy, 2);
                    ASSERT_TRUE(p.ok);
                    ASSERT_NEAR(tilt_deg_from_slope(p.gx, p.gy), tilt, 2e-3) << x << "," << y;
                    if (tilt > 1.0) {
                        double d = azimuth_deg_from_slope(c.gx, c.gy) - az;
                        d = std::remainder(d, 360.0);
                        ASSERT_NEAR(d, 0.0, 1e-2);
                    }
                }
        }
}

TEST(Tilt, SphericalCapGivesAsinOfRadialDistance) {
    // z = sqrt(R^2 - r^2): the surface normal makes angle asin(r/R) with the vertical.
    const int n = 201;
    const double px = 10e-9, radius = 1.0e-6;
    Field f{n, n, px, px, std::vector<float>((size_t)n * n)};
    for (int y = 0; y < n; ++y)
        for (int x = 0; x < n; ++x) {
            const double u = (x - 100) * px, v = (y - 100) * px, r2 = u * u + v * v;
            f.z[(size_t)y * n + x] = (float)std::sqrt(std::max(radius * radius - r2, 0.0));
        }
    double worst = 0.0;
    for (int y = 1; y < n - 1; ++y)
        for (int x = 1; x < n - 1; ++x) {
            const double r = std::hypot((x - 100) * px, (y - 100) * px);
            if (r > 0.7 * radius) continue;  // asin(0.7) = 44 deg, the range the method uses
            const Slope s = slope_central(f, n, n, x, y, px, px);
            const double expected = std::asin(r / radius) * 180.0 / kPi;
            worst = std::max(worst, std::fabs(tilt_deg_from_slope(s.gx, s.gy) - expected));
        }
    // Central differences err by O(h^2 z'''): under 0.05 deg for h = R/100 up to 44 deg.
    EXPECT_LT(worst, 0.05);
}

TEST(Tilt, OneSidedNextToNaNAndAtBorders) {
    Field f = tilted_plane(5, 5, 1e-8, 1e-8, 20.0, 0.0);
    f.z[2 * 5 + 3] = NAN;  // right neighbour of the centre
    const Slope s = slope_central(f, 5, 5, 2, 2, 1e-8, 1e-8);
    ASSERT_TRUE(s.ok);
    EXPECT_NEAR(tilt_deg_from_slope(s.gx, s.gy), 20.0, 1e-3);
    const Slope nan_centre = slope_central(f, 5, 5, 3, 2, 1e-8, 1e-8);
    EXPECT_FALSE(nan_centre.ok);
    EXPECT_TRUE(std::isnan(nan_centre.gx));
}

TEST(Tilt, IsolatedPixelHasNoSlope) {
    Field f{3, 3, 1e-8, 1e-8, std::vector<float>(9, NAN)};
    f.z[4] = 1e-8f;
    EXPECT_FALSE(slope_central(f, 3, 3, 1, 1, 1e-8, 1e-8).ok);
    EXPECT_FALSE(slope_local_plane(f, 3, 3, 1, 1, 1e-8, 1e-8, 1).ok);
}

TEST(Tilt, OnePixelWideMapsUseTheAxisThatExists) {
    const Field row = tilted_plane(9, 1, 1e-8, 1e-8, 25.0, 0.0);
    for (int x = 0; x < 9; ++x) {
        const Slope s = slope_central(row, 9, 1, x, 0, 1e-8, 1e-8);
        ASSERT_TRUE(s.ok);
        EXPECT_NEAR(tilt_deg_from_slope(s.gx, s.gy), 25.0, 1e-3);
        const Slope p = slope_local_plane(row, 9, 1, x, 0, 1e-8, 1e-8, 1);
        ASSERT_TRUE(p.ok);
        EXPECT_NEAR(tilt_deg_from_slope(p.gx, p.gy), 25.0, 1e-3);
    }
    const Field col = tilted_plane(1, 9, 1e-8, 1e-8, 25.0, 90.0);
    EXPECT_NEAR(tilt_deg_from_slope(slope_central(col, 1, 9, 0, 4, 1e-8, 1e-8).gx,
                                    slope_central(col, 1, 9, 0, 4, 1e-8, 1e-8).gy),
                25.0, 1e-3);
    const Field dot = tilted_plane(1, 1, 1e-8, 1e-8, 25.0, 0.0);
    const Slope s = slope_central(dot, 1, 1, 0, 0, 1e-8, 1e-8);
    EXPECT_TRUE(s.ok);
    EXPECT_EQ(tilt_deg_from_slope(s.gx, s.gy), 0.0);
}

TEST(PixelStage, MasksEachReasonAndCorrectsByKc) {
    // A 30 deg plane: every pixel's modulus is E_apparent / Kc(30).
    const int nx = 8, ny = 6;
    const Field f = tilted_plane(nx, ny, 20e-9, 20e-9, 30.0, 45.0);
    std::vector<float> phase(nx * ny, 50.0f), df2(nx * ny, 30000.0f);
    std::vector<std::int32_t> region(nx * ny, 0);
    phase[1] = 95.0f;         // not repulsive
    df2[2] = -5.0f;           // negative shift
    df2[3] = NAN;             // missing
    region[4] = -1;           // unlabelled: masked bit, value kept
    std::vector<float> tilt(nx * ny), mod(nx * ny);
    std::vector<std::uint8_t> mask(nx * ny);
    PixelParams p;
    p.nx = nx;
    p.ny = ny;
    p.dx_m = p.dy_m = 20e-9;
    p.model = make_modulus_model(Cantilever{}, 10e-9);
    PixelInputs in{f.z.data(), phase.data(), df2.data(), nullptr, region.data()};
    PixelOutputs out{tilt.data(), mod.data(), mask.data()};
    make_cpu_backend()->pixel_stage(in, p, out);

    const double expected = amfm_modulus_pa(p.model, 50.0, 30000.0, Cantilever{}.a1_set_m) /
                            kc_factor(p.correction, 30.0) * 1e-9;
    EXPECT_EQ(mask[0], 0);
    EXPECT_NEAR(mod[0] / expected, 1.0, 1e-4);  // tilt from float heights: ~1e-5 deg
    EXPECT_EQ(mask[1], kMaskPhaseNotRepulsive);
    EXPECT_EQ(mask[2], kMaskDf2NotPositive);
    EXPECT_EQ(mask[3], kMaskNonFinite);
    EXPECT_EQ(mask[4], kMaskUnlabelled);
    EXPECT_TRUE(std::isfinite(mod[4]));
    EXPECT_TRUE(std::isnan(mod[1]) && std::isnan(mod[2]) && std::isnan(mod[3]));

    p.correction.max_angle_deg = 29.0;  // now the whole plane is over the cutoff
    make_cpu_backend()->pixel_stage(in, p, out);
    EXPECT_EQ(mask[0], kMaskTiltOverCutoff);
    EXPECT_TRUE(std::isnan(mod[0]));
    EXPECT_NEAR(tilt[0], 30.0, 1e-3);  // the tilt map keeps the value
}

TEST(PixelStage, PerPixelAmplitudeReplacesSetpoint) {
    const Field f = tilted_plane(3, 3, 20e-9, 20e-9, 0.0, 0.0);
    std::vector<float> phase(9, 40.0f), df2(9, 20000.0f), amp(9, 52.5e-9f);
    std::vector<float> tilt(9), mod(9);
    std::vector<std::uint8_t> mask(9);
    PixelParams p;
    p.nx = p.ny = 3;
    p.dx_m = p.dy_m = 20e-9;
    p.model = make_modulus_model(Cantilever{}, 10e-9);
    p.correction.model = KcModel::None;
    PixelInputs in{f.z.data(), phase.data(), df2.data(), nullptr, nullptr};
    PixelOutputs out{tilt.data(), mod.data(), mask.data()};
    make_cpu_backend()->pixel_stage(in, p, out);
    const float with_setpoint = mod[4];
    in.amplitude1_m = amp.data();  // half the 105 nm setpoint: first-mode term doubles
    make_cpu_backend()->pixel_stage(in, p, out);
    EXPECT_NEAR(mod[4] / with_setpoint, 1.0 / std::sqrt(2.0), 1e-6);
}
