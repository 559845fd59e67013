// Synthetic calibration scans with ground truth, so tests can prove both calibrations:
//  * a flat reference film (polystyrene, fused silica or any modulus) measured with a tip of
//    known contact radius R;
//  * a sphere field: silica spheres (radius ~1.5 um, the paper's SS04N) resting on a flat
//    polystyrene film, with a known tilt artefact E_apparent = E_nominal * Kc_true(theta) and
//    pixels beyond the slide angle left undefined (df2 = NaN), as the instrument masks them.
// Every channel gets noise; df2 comes from the inverted AM-FM equation (physics.hpp). The same
// seed gives the same bytes.
#pragma once

#include <cstdint>
#include <string>

#include "amfm/kernels/physics.hpp"
#include "amfm/kernels/tilt_correction.hpp"
#include "host/model/image.hpp"

namespace amfm {

struct CalibrationNoise {
    double height_m = 0.15e-9;
    double phase_deg = 0.3;
    double df2_rel = 0.005;
};

struct ReferenceScanSpec {
    int nx = 128, ny = 128;
    double scan_size_m = 2.0e-6;
    std::uint64_t seed = 1;
    std::string reference = "polystyrene";
    double modulus_pa = 3.0e9;
    double roughness_m = 0.5e-9;  // smooth film roughness (RMS)
    double phase1_mean_deg = 50.0;
    CalibrationNoise noise;
    Cantilever cantilever;
    double tip_radius_m = 10.0e-9;  // the truth calibrate-tip must recover
};

struct SphereFieldSpec {
    int nx = 256, ny = 256;
    double scan_size_m = 10.0e-6;
    std::uint64_t seed = 1;
    double sphere_radius_m = 1.5e-6;
    int spheres_per_side = 2;  // a grid of spheres, jittered by the seed, never touching
    double sphere_modulus_pa = 70.0e9;
    double film_modulus_pa = 3.0e9;
    double phase1_mean_deg = 50.0;
    double slide_angle_deg = 70.0;  // beyond: the tip slides, df2 undefined
    CalibrationNoise noise;
    Cantilever cantilever;
    double tip_radius_m = 10.0e-9;
    // The true Kc: (cos theta)^2.5 by default, so both fitted models have a truth to meet.
    TiltCorrection kc_true = [] {
        TiltCorrection t;
        t.model = KcModel::CosPower;
        t.cos_exponent = 2.5;
        t.max_angle_deg = 89.0;
        return t;
    }();
};

struct SimulatedCalibrationScan {
    std::string kind;  // "reference" or "sphere-field"
    int nx = 0, ny = 0;
    double scan_size_m = 0.0;
    Cantilever cantilever;
    double tip_radius_m = 0.0;
    Image<float> height_m, phase1_deg, df2_hz;
    Image<float> tilt_true_deg;
    std::string truth_json;  // written as truth.json
};

SimulatedCalibrationScan simulate_reference_scan(const ReferenceScanSpec& spec);
SimulatedCalibrationScan simulate_sphere_field(const SphereFieldSpec& spec);

// height.tif, phase1.tif, df2.tif, truth.json and scan.yaml (last) into `dir` (created).
void write_calibration_scan(const SimulatedCalibrationScan& sim, const std::string& dir);

}  // namespace amfm
