// The flat-punch AM-FM modulus equation, its inversions and the indentation depth (SI units throughout).
//
//   E = (pi / R) sqrt(1/6) (k1/Q1 * A1free/A1 * cos Phi1)^(-1/2) (2 k2 df2 / f2)^(3/2)
//
// R: contact radius of the tip, k1/Q1/A1free: first-mode stiffness, quality factor and free
// amplitude, A1: setpoint (or per-pixel) amplitude, Phi1: first-mode phase (90 deg = free,
// repulsive < 90), k2/f2: second-mode stiffness and resonance, df2: second-mode frequency shift.
#pragma once

#include <cmath>

#include "amfm/kernels/fastmath.hpp"
#include "amfm/kernels/hd.hpp"

namespace amfm {

constexpr double kPi = 3.14159265358979323846;
constexpr double kDegPerRad = 180.0 / kPi;

// k2 = k1 (f2 / f1)^2 when the second-mode stiffness is not given.
AMFM_HD double second_mode_stiffness(double k1_n_per_m, double f1_hz, double f2_hz) {
    const double ratio = f2_hz / f1_hz;
    return k1_n_per_m * ratio * ratio;
}

struct Cantilever {
    double k1_n_per_m = 26.0;
    double q1 = 450.0;
    double f1_hz = 300.0e3;
    double f2_hz = 1.71e6;
    double k2_n_per_m = 0.0;  // 0: derive from k1 (f2/f1)^2
    double a1_free_m = 150.0e-9;
    double a1_set_m = 105.0e-9;
};

// The equation split into what is constant over a scan and what varies per pixel, so one
// pixel costs two square roots. Built once on the host, copied by value to a device.
struct ModulusModel {
    double contact_radius_m;
    double k1_over_q1_a1free;  // k1 / Q1 * A1free   [N]
    double a1_set_m;           // used when no per-pixel amplitude is given
    double two_k2_over_f2;     // 2 k2 / f2          [N/m/Hz]
};

AMFM_HD ModulusModel make_modulus_model(const Cantilever& c, double contact_radius_m) {
    const double k2 = c.k2_n_per_m > 0.0 ? c.k2_n_per_m
                                         : second_mode_stiffness(c.k1_n_per_m, c.f1_hz, c.f2_hz);
    ModulusModel m;
    m.contact_radius_m = contact_radius_m;
    m.k1_over_q1_a1free = c.k1_n_per_m / c.q1 * c.a1_free_m;
    m.a1_set_m = c.a1_set_m;
    m.two_k2_over_f2 = 2.0 * k2 / c.f2_hz;
    return m;
}

// First-mode term k1/Q1 * A1free/A1 * cos(Phi1), in N/m, from cos(Phi1).
AMFM_HD double first_mode_term_from_cos(const ModulusModel& m, double cos_phase1, double a1_m) {
    return m.k1_over_q1_a1free / a1_m * cos_phase1;
}

AMFM_HD double first_mode_term(const ModulusModel& m, double phase1_deg, double a1_m) {
    return first_mode_term_from_cos(m, cos_deg(phase1_deg), a1_m);
}

// (pi / R) sqrt(1/6), in 1/m.
AMFM_HD double punch_prefactor(double contact_radius_m) {
    return kPi / contact_radius_m * 0.40824829046386301637;  // sqrt(1/6)
}

// Apparent modulus in Pa from cos(Phi1) with the per-scan constants given: punch_prefactor(R) and
// first_mode_scale = k1/Q1 * A1free/A1 (N/m). Non-physical inputs (cos Phi1 <= 0, df2 <= 0) give
// NaN; the per-pixel stage flags them with mask bits. Written with selects rather than early
// returns so the CPU loop vectorises.
AMFM_HD double amfm_modulus_hoisted_pa(double punch_prefactor_per_m, double two_k2_over_f2,
                                       double first_mode_scale_n_per_m, double cos_phase1, double df2_hz) {
    const double first = first_mode_scale_n_per_m * cos_phase1;
    const double second = two_k2_over_f2 * df2_hz;
    // second^(3/2) / first^(1/2) as second * sqrt(second / first): one root, one division.
    const double e = punch_prefactor_per_m * second * sqrt(second / first);
    return (first > 0.0 && second > 0.0) ? e : NAN;
}

// Apparent modulus in Pa (before any tilt correction) from cos(Phi1).
AMFM_HD double amfm_modulus_from_cos_pa(const ModulusModel& m, double cos_phase1, double df2_hz, double a1_m) {
    return amfm_modulus_hoisted_pa(punch_prefactor(m.contact_radius_m), m.two_k2_over_f2,
                                   m.k1_over_q1_a1free / a1_m, cos_phase1, df2_hz);
}

AMFM_HD double amfm_modulus_pa(const ModulusModel& m, double phase1_deg, double df2_hz, double a1_m) {
    return amfm_modulus_from_cos_pa(m, cos_deg(phase1_deg), df2_hz, a1_m);
}

// Indentation depth of the flat punch at the lower turning point, in m, from cos(Phi1) and df2.
// The first mode's virial gives the mean tip-sample force F = k1 A1free cos(Phi1) / (2 Q1); the
// second mode measures the mean contact stiffness k_ts = 2 k2 df2 / f2. A punch (F = 2 E R d
// while in contact) on a large first-mode amplitude is in contact while d(t) = d_max (1 - u^2)
// > 0, so F / k_ts = d_max * integral (1 - u^2) du / integral du = (2/3) d_max:
//   d_max = (3/2) F / k_ts = 3 k1 A1free cos(Phi1) f2 / (8 Q1 k2 df2).
// Eliminating d_max from the same two averages gives the modulus equation above (README, "The
// method"). No R, no A1 and no tilt enter. NaN for cos Phi1 <= 0 or df2 <= 0, like the modulus.
AMFM_HD double amfm_indentation_from_cos_m(const ModulusModel& m, double cos_phase1, double df2_hz) {
    const double mean_force_n = 0.5 * m.k1_over_q1_a1free * cos_phase1;
    const double contact_stiffness_n_per_m = m.two_k2_over_f2 * df2_hz;
    const double depth_m = 1.5 * mean_force_n / contact_stiffness_n_per_m;
    return (mean_force_n > 0.0 && contact_stiffness_n_per_m > 0.0) ? depth_m : NAN;
}

AMFM_HD double amfm_indentation_m(const ModulusModel& m, double phase1_deg, double df2_hz) {
    return amfm_indentation_from_cos_m(m, cos_deg(phase1_deg), df2_hz);
}

// The equation solved for df2: the shift a surface of modulus E produces (simulation).
AMFM_HD double amfm_df2_for_modulus_hz(const ModulusModel& m, double modulus_pa, double phase1_deg,
                                       double a1_m) {
    const double first = first_mode_term(m, phase1_deg, a1_m);
    if (!(first > 0.0) || !(modulus_pa > 0.0)) return NAN;
    const double second_32 = modulus_pa * sqrt(first) / punch_prefactor(m.contact_radius_m);
    return cbrt(second_32 * second_32) / m.two_k2_over_f2;
}

// The equation solved for R: the contact radius that makes a reference of known modulus read
// right (tip calibration). E is proportional to 1/R, so R = R' E(R') / E_ref for any R'.
AMFM_HD double amfm_contact_radius_m(const ModulusModel& m, double reference_modulus_pa,
                                     double phase1_deg, double df2_hz, double a1_m) {
    ModulusModel unit = m;
    unit.contact_radius_m = 1.0;
    return amfm_modulus_pa(unit, phase1_deg, df2_hz, a1_m) / reference_modulus_pa;
}

}  // namespace amfm
