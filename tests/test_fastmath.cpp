// The polynomial atan and cos of the per-pixel stage against libm over their whole domain.
#include <gtest/gtest.h>

#include <cmath>

#include "amfm/kernels/fastmath.hpp"

using amfm::atan_nonneg;
using amfm::cos_deg;

TEST(FastMath, AtanMatchesLibmEverywhere) {
    double worst = 0.0;
    for (double x = 0.0; x < 20.0; x += 1.3e-5) worst = std::max(worst, std::fabs(atan_nonneg(x) - std::atan(x)));
    for (double x = 20.0; x < 1e12; x *= 1.01) worst = std::max(worst, std::fabs(atan_nonneg(x) - std::atan(x)));
    EXPECT_LT(worst, 2e-15);
    EXPECT_DOUBLE_EQ(atan_nonneg(INFINITY), M_PI / 2);
    EXPECT_EQ(atan_nonneg(0.0), 0.0);
    EXPECT_TRUE(std::isnan(atan_nonneg(NAN)));
    EXPECT_NEAR(atan_nonneg(1.0), M_PI / 4, 1e-16);  // tan 45 deg: the tilt cutoff
}

TEST(FastMath, CosDegMatchesLibmAndIsExactlyZeroAtRightAngles) {
    double worst = 0.0;
    for (double d = -400.0; d < 400.0; d += 1.7e-4)
        worst = std::max(worst, std::fabs(cos_deg(d) - std::cos(d * M_PI / 180.0)));
    EXPECT_LT(worst, 2e-15);
    for (double d : {90.0, -90.0, 270.0, -270.0, 450.0}) EXPECT_EQ(cos_deg(d), 0.0) << d;
    EXPECT_EQ(cos_deg(0.0), 1.0);
    EXPECT_EQ(cos_deg(180.0), -1.0);
    EXPECT_GT(cos_deg(89.999999), 0.0);
    EXPECT_LT(cos_deg(90.000001), 0.0);
    EXPECT_TRUE(std::isnan(cos_deg(NAN)));
}
