// The AM-FM modulus equation, its inversions and the tilt correction Kc.
#include <gtest/gtest.h>

#include <cmath>

#include "amfm/kernels/physics.hpp"
#include "amfm/kernels/tilt_correction.hpp"

using namespace amfm;

TEST(ModulusEquation, MatchesValueWorkedByHand) {
    // k1/Q1 * A1free/A1set * cos(60 deg) = 2/1 * 1 * 0.5 = 1; 2 k2 df2 / f2 = 2*3*4/6 = 4;
    // E = (pi/R) sqrt(1/6) * 1^(-1/2) * 4^(3/2) with R = pi  ->  8 / sqrt(6).
    Cantilever c;
    c.k1_n_per_m = 2.0;
    c.q1 = 1.0;
    c.f1_hz = 1.0;
    c.f2_hz = 6.0;
    c.k2_n_per_m = 3.0;
    c.a1_free_m = 1.0e-7;
    c.a1_set_m = 1.0e-7;
    const ModulusModel m = make_modulus_model(c, kPi);
    EXPECT_NEAR(amfm_modulus_pa(m, 60.0, 4.0, c.a1_set_m), 8.0 / std::sqrt(6.0), 1e-14);
}

TEST(ModulusEquation, PaperCantileverGivesLnmoModulus) {
    // 160AC-NA-like cantilever of the paper: k2 from k1 (f2/f1)^2 = 26 * 5.7^2.
    Cantilever c;  // defaults: k1 26, Q1 450, f1 300 kHz, f2 1.71 MHz, 150/105 nm
    EXPECT_NEAR(second_mode_stiffness(26.0, 300e3, 1.71e6), 26.0 * 5.7 * 5.7, 1e-9);
    const ModulusModel m = make_modulus_model(c, 10e-9);
    const double first = 26.0 / 450.0 * 150.0 / 105.0 * std::cos(50.0 * kPi / 180.0);
    const double second = 2.0 * 26.0 * 5.7 * 5.7 * 37600.0 / 1.71e6;
    const double expected = kPi / 10e-9 * std::sqrt(1.0 / 6.0) / std::sqrt(first) * std::pow(second, 1.5);
    EXPECT_NEAR(amfm_modulus_pa(m, 50.0, 37600.0, c.a1_set_m) / expected, 1.0, 1e-13);
    EXPECT_NEAR(expected * 1e-9, 126.07, 0.01);  // the pristine-LNMO order of magnitude
}

TEST(ModulusEquation, GivenK2OverridesDerivedOne) {
    Cantilever c;
    c.k2_n_per_m = 1000.0;
    const ModulusModel given = make_modulus_model(c, 10e-9);
    EXPECT_DOUBLE_EQ(given.two_k2_over_f2, 2.0 * 1000.0 / c.f2_hz);
}

TEST(ModulusEquation, UndefinedWhereContactIsNotRepulsive) {
    const ModulusModel m = make_modulus_model(Cantilever{}, 10e-9);
    EXPECT_TRUE(std::isnan(amfm_modulus_pa(m, 90.0, 1000.0, 105e-9)));   // cos = 0
    EXPECT_TRUE(std::isnan(amfm_modulus_pa(m, 120.0, 1000.0, 105e-9)));  // cos < 0
    EXPECT_TRUE(std::isnan(amfm_modulus_pa(m, 50.0, 0.0, 105e-9)));
    EXPECT_TRUE(std::isnan(amfm_modulus_pa(m, 50.0, -10.0, 105e-9)));
}

TEST(ModulusEquation, ScalesAsDf2ToThreeHalvesAndInverseRadius) {
    const ModulusModel m = make_modulus_model(Cantilever{}, 10e-9);
    const double e1 = amfm_modulus_pa(m, 45.0, 1000.0, 105e-9);
    EXPECT_NEAR(amfm_modulus_pa(m, 45.0, 4000.0, 105e-9) / e1, 8.0, 1e-12);
    const ModulusModel half_r = make_modulus_model(Cantilever{}, 5e-9);
    EXPECT_NEAR(amfm_modulus_pa(half_r, 45.0, 1000.0, 105e-9) / e1, 2.0, 1e-12);
}

TEST(ModulusEquation, InversionsRoundTrip) {
    const Cantilever c;
    const ModulusModel m = make_modulus_model(c, 12e-9);
    for (double e_gpa : {0.5, 1.9, 4.2, 73.0, 145.0}) {
        for (double phase : {20.0, 45.0, 70.0}) {
            const double df2 = amfm_df2_for_modulus_hz(m, e_gpa * 1e9, phase, c.a1_set_m);
            EXPECT_NEAR(amfm_modulus_pa(m, phase, df2, c.a1_set_m) / (e_gpa * 1e9), 1.0, 1e-12);
            EXPECT_NEAR(amfm_contact_radius_m(m, e_gpa * 1e9, phase, df2, c.a1_set_m) / 12e-9, 1.0, 1e-12);
        }
    }
}

TEST(TiltCorrection, PaperPolynomialAtReferenceAngles) {
    const TiltCorrection tc;  // the paper's coefficients
    auto poly = [](double t) {
        return 1.00031 + 0.00161 * t - 1.43861e-4 * t * t - 2.55867e-5 * t * t * t + 4.53632e-7 * t * t * t * t;
    };
    EXPECT_DOUBLE_EQ(kc_factor(tc, 0.0), 1.00031);
    EXPECT_NEAR(kc_factor(tc, 30.0), poly(30.0), 1e-15);
    EXPECT_NEAR(kc_factor(tc, 45.0), poly(45.0), 1e-15);
    EXPECT_NEAR(kc_factor(tc, 30.0), 0.5957361, 1e-7);  // worked out by hand
    EXPECT_NEAR(kc_factor(tc, 45.0), 0.3100282, 1e-7);
}

TEST(TiltCorrection, CosPowerAndNone) {
    TiltCorrection tc;
    tc.model = KcModel::CosPower;
    tc.cos_exponent = 2.5;
    EXPECT_NEAR(kc_factor(tc, 60.0), std::pow(0.5, 2.5), 1e-15);
    EXPECT_DOUBLE_EQ(kc_factor(tc, 0.0), 1.0);
    tc.model = KcModel::None;
    EXPECT_DOUBLE_EQ(kc_factor(tc, 30.0), 1.0);
}

TEST(TiltCorrection, CustomCoefficientsUseHornerOrder) {
    TiltCorrection tc;
    tc.n_coefficients = 3;
    tc.coefficients[0] = 2.0;
    tc.coefficients[1] = -0.5;
    tc.coefficients[2] = 0.25;
    EXPECT_DOUBLE_EQ(kc_factor(tc, 2.0), 2.0 - 1.0 + 1.0);
}
