// The AM-FM modulus equation, its inversions, the indentation depth and the tilt correction Kc.
#include <gtest/gtest.h>

#include <cmath>

#include "amfm/kernels/physics.hpp"
#include "amfm/kernels/tilt_correction.hpp"

using namespace amfm;

// The cantilever both hand-worked values use: k1/Q1 = 2, A1free = A1set, f2/f1 = 6, k2 = 3; R = pi.
constexpr double kHandWorkedA1SetM = 1.0e-7;
ModulusModel hand_worked_model() {
    Cantilever c;
    c.k1_n_per_m = 2.0;
    c.q1 = 1.0;
    c.f1_hz = 1.0;
    c.f2_hz = 6.0;
    c.k2_n_per_m = 3.0;
    c.a1_free_m = kHandWorkedA1SetM;
    c.a1_set_m = kHandWorkedA1SetM;
    return make_modulus_model(c, kPi);
}

TEST(ModulusEquation, MatchesValueWorkedByHand) {
    // k1/Q1 * A1free/A1set * cos(60 deg) = 2/1 * 1 * 0.5 = 1; 2 k2 df2 / f2 = 2*3*4/6 = 4;
    // E = (pi/R) sqrt(1/6) * 1^(-1/2) * 4^(3/2) with R = pi  ->  8 / sqrt(6).
    const ModulusModel m = hand_worked_model();
    EXPECT_NEAR(amfm_modulus_pa(m, 60.0, 4.0, kHandWorkedA1SetM), 8.0 / std::sqrt(6.0), 1e-14);
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

TEST(Indentation, MatchesValueWorkedByHand) {
    // Mean force k1/Q1 * A1free * cos(60 deg) / 2 = 2 * 1e-7 * 0.5 / 2 = 5e-8 N; contact stiffness
    // 2 k2 df2 / f2 = 4 N/m; punch depth (3/2) F / k_ts = 1.875e-8 m.
    const ModulusModel m = hand_worked_model();
    EXPECT_NEAR(amfm_indentation_m(m, 60.0, 4.0) / 1.875e-8, 1.0, 1e-14);
}

TEST(Indentation, PaperCantileverOnLnmoIsAboutATenthOfANanometre) {
    // 3 k1 A1free cos(Phi1) f2 / (8 Q1 k2 df2) at the df2 that reads 126 GPa (above); no R in it.
    Cantilever c;
    const double k2 = 26.0 * 5.7 * 5.7;
    const double expected = 3.0 * 26.0 * 150e-9 * std::cos(50.0 * kPi / 180.0) * 1.71e6 / (8.0 * 450.0 * k2 * 37600.0);
    EXPECT_NEAR(amfm_indentation_m(make_modulus_model(c, 10e-9), 50.0, 37600.0) / expected, 1.0, 1e-13);
    EXPECT_NEAR(amfm_indentation_m(make_modulus_model(c, 3e-9), 50.0, 37600.0) / expected, 1.0, 1e-13);
    EXPECT_NEAR(expected * 1e9, 0.1125, 0.0005);  // the paper: "below 2 nm"
}

// The depth and the modulus equation come from the same two cycle averages: eliminating df2,
// d = (3 pi F sqrt(A1 / 2) / (4 E R))^(2/3) with F = k1 A1free cos(Phi1) / (2 Q1).
TEST(Indentation, ConsistentWithTheModulusEquation) {
    Cantilever c;
    for (double e_gpa : {2.0, 4.0, 126.0})
        for (double phase_deg : {30.0, 50.0, 70.0}) {
            const ModulusModel m = make_modulus_model(c, 10e-9);
            const double df2 = amfm_df2_for_modulus_hz(m, e_gpa * 1e9, phase_deg, c.a1_set_m);
            const double force = c.k1_n_per_m * c.a1_free_m * std::cos(phase_deg * kPi / 180.0) / (2.0 * c.q1);
            const double by_modulus =
                std::cbrt(std::pow(3.0 * kPi * force * std::sqrt(c.a1_set_m / 2.0) / (4.0 * e_gpa * 1e9 * 10e-9), 2.0));
            EXPECT_NEAR(amfm_indentation_m(m, phase_deg, df2) / by_modulus, 1.0, 1e-12) << e_gpa << " GPa " << phase_deg;
        }
}

TEST(Indentation, UndefinedWhereContactIsNotRepulsive) {
    const ModulusModel m = make_modulus_model(Cantilever{}, 10e-9);
    EXPECT_TRUE(std::isnan(amfm_indentation_m(m, 90.0, 1000.0)));
    EXPECT_TRUE(std::isnan(amfm_indentation_m(m, 120.0, 1000.0)));
    EXPECT_TRUE(std::isnan(amfm_indentation_m(m, 50.0, 0.0)));
    EXPECT_TRUE(std::isnan(amfm_indentation_m(m, 50.0, -5.0)));
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
