// The CPU-side parts of the kernels' efficiency work: per-scan constants hoisted out of the
// per-pixel stage equal the expressions each pixel evaluated before, the Kc polynomial over its
// zero-padded coefficients, histogram specs checked before a backend uses them, and the rule by
// which `auto` chooses a GPU.
#include <gtest/gtest.h>

#include <climits>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "amfm/kernels/backend.hpp"
#include "amfm/kernels/error.hpp"

namespace {

using namespace amfm;

PixelParams scan_params() {
    PixelParams p;
    p.nx = 64;
    p.ny = 48;
    p.dx_m = 7.8125e-9;
    p.dy_m = 1.3e-8;
    Cantilever cl;
    cl.a1_set_m = 97e-9;
    p.model = make_modulus_model(cl, 11e-9);
    p.correction.n_coefficients = 3;
    p.correction.coefficients[3] = 5.0;  // past the count: must not enter
    p.correction.coefficients[7] = -2.0;
    return p;
}

TEST(PixelConstants, EqualThePerPixelExpressionsTheyReplace) {
    const PixelParams p = scan_params();
    const PixelConstants c = make_pixel_constants(p);
    EXPECT_EQ(c.inv_dx_per_m, 1.0 / p.dx_m);
    EXPECT_EQ(c.inv_dx_per_m, 128000000.0);  // 1 / 7.8125e-9, exact in binary
    EXPECT_EQ(c.inv_dy_per_m, 1.0 / p.dy_m);
    EXPECT_EQ(c.punch_prefactor_per_m, kPi / p.model.contact_radius_m * 0.40824829046386301637);
    EXPECT_EQ(c.first_mode_scale_set_n_per_m, p.model.k1_over_q1_a1free / p.model.a1_set_m);
    // The hoisted modulus equals the equation evaluated from the model, bit for bit.
    for (double cos_phase : {0.1, 0.5, 0.93})
        for (double df2 : {15.0, 820.0, 4000.0}) {
            const double hoisted = amfm_modulus_hoisted_pa(c.punch_prefactor_per_m, p.model.two_k2_over_f2,
                                                           c.first_mode_scale_set_n_per_m, cos_phase, df2);
            EXPECT_EQ(hoisted, amfm_modulus_from_cos_pa(p.model, cos_phase, df2, p.model.a1_set_m));
        }
}

TEST(PixelConstants, KcCoefficientsArePaddedWithExactZeros) {
    const PixelParams p = scan_params();
    const KcCoefficients k = make_pixel_constants(p).kc;
    for (int i = 0; i < 3; ++i) EXPECT_EQ(k.c[i], p.correction.coefficients[i]);
    for (int i = 3; i < kMaxKcCoefficients; ++i) EXPECT_EQ(k.c[i], 0.0) << "term " << i;
}

TEST(PixelConstants, KcPolynomialIsHornerOverThePaddedTerms) {
    TiltCorrection tc;
    tc.n_coefficients = 3;
    tc.coefficients[0] = 1.0;
    tc.coefficients[1] = 0.5;
    tc.coefficients[2] = 0.25;
    tc.coefficients[3] = 1e6;  // ignored
    // 1 + 0.5 t + 0.25 t^2 at t = 2, 4: 3 and 7, exact in binary.
    EXPECT_EQ(kc_factor_for<KcModel::Polynomial>(tc, 2.0), 3.0);
    EXPECT_EQ(kc_factor_for<KcModel::Polynomial>(tc, 4.0), 7.0);
    EXPECT_EQ(kc_factor(tc, 0.0), 1.0);
    tc.n_coefficients = 0;
    EXPECT_EQ(kc_factor(tc, 10.0), 0.0);
}

// ---- histogram specs ------------------------------------------------------------------------

HistSpec spec(double lo, double hi, int nbins, int offset) {
    HistSpec h;
    h.lo = lo;
    h.hi = hi;
    h.nbins = nbins;
    h.offset = offset;
    return h;
}

std::string validation_message(const std::vector<HistSpec>& specs) {
    try {
        validate_hist_specs(specs.data(), (int)specs.size(), "region_histograms");
    } catch (const DataError& e) {
        return e.what();
    }
    return "";
}

TEST(HistSpecValidation, AcceptsValidSpecsAndEmptyOnes) {
    EXPECT_EQ(validation_message({spec(0.0, 1.0, 10, 0), spec(-1.0, 2.0, 1, 10), spec(0.0, 0.0, 0, 11)}), "");
    EXPECT_EQ(validation_message({spec(0.0, 1.0, 1, INT_MAX - 1)}), "");
}

TEST(HistSpecValidation, NamesTheBadSpecAndTheProblem) {
    const HistSpec ok = spec(0.0, 1.0, 10, 0);
    struct Bad {
        HistSpec h;
        const char* problem;
    } cases[] = {{spec(0.0, 1.0, 10, -1), "negative offset"},
                 {spec(0.0, 1.0, -3, 0), "negative bin count"},
                 {spec(0.0, 1.0, 2, INT_MAX - 1), "bins past INT_MAX"},
                 {spec(1.0, 1.0, 5, 0), "range not finite"},
                 {spec(2.0, 1.0, 5, 0), "range not finite"},
                 {spec(0.0, INFINITY, 5, 0), "range not finite"},
                 {spec(NAN, 1.0, 5, 0), "range not finite"}};
    for (const Bad& b : cases) {
        const std::string msg = validation_message({ok, b.h});
        EXPECT_NE(msg.find("region_histograms: histogram spec 1 "), std::string::npos) << msg;
        EXPECT_NE(msg.find(b.problem), std::string::npos) << msg;
    }
}

TEST(HistSpecValidation, CpuBackendRejectsBadSpecsBeforeTouchingCounts) {
    auto cpu = make_cpu_backend();
    const float modulus[2] = {1.0f, 2.0f};
    const std::uint8_t mask[2] = {0, 0};
    std::uint32_t counts[4] = {7, 7, 7, 7};
    const HistSpec bad = spec(0.0, 3.0, 4, -2);
    EXPECT_THROW(cpu->region_histograms(modulus, mask, nullptr, 2, &bad, 1, false, counts), DataError);
    EXPECT_EQ(counts[0], 7u);
    FitResult result;
    EXPECT_THROW(cpu->fit_gaussians(counts, &bad, 1, FitOptions{}, &result), DataError);
    const HistSpec good = spec(0.0, 3.0, 4, 0);
    cpu->region_histograms(modulus, mask, nullptr, 2, &good, 1, false, counts);
    EXPECT_EQ(counts[0] + counts[1] + counts[2] + counts[3], 2u);
}

// ---- auto backend ---------------------------------------------------------------------------

TEST(AutoBackend, PrefersOnlyGpusWithFullRateFp64) {
    EXPECT_TRUE(auto_prefers_gpu(2));   // A100, H100, H200
    EXPECT_TRUE(auto_prefers_gpu(1));
    EXPECT_FALSE(auto_prefers_gpu(32));  // consumer and workstation GPUs
    EXPECT_FALSE(auto_prefers_gpu(64));
    EXPECT_FALSE(auto_prefers_gpu(0));   // unknown: the CPU
}

}  // namespace
