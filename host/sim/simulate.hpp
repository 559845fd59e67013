// Deterministic synthetic AM-FM scans of a composite electrode, with ground truth.
//
// Faceted crystals (each facet a plane of known tilt and azimuth; a crystal is the lower
// envelope of its facet planes) sit on a rough binder/carbon background. Each region has a
// true modulus distribution; the tilt artefact of the paper is applied
// (E_apparent = E_true * Kc(theta_true)); df2 is obtained by inverting the AM-FM equation; every
// channel gets noise. The same seed gives the same bytes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "host/model/config.hpp"
#include "host/model/image.hpp"

namespace amfm {

struct RegionTruth {
    int label = 0;
    std::string name;        // "I", "II", ..., "b/c"
    std::string class_name;  // "LNMO" or "b/c"
    double center_gpa = 0.0;  // true modulus distribution: normal(center, sigma)
    double sigma_gpa = 0.0;
    double tilt_deg = 0.0;     // facets: true plane tilt and azimuth (background: NaN)
    double azimuth_deg = 0.0;
    // The facet geometry is fixed per position in SimulationSpec::regions (facet i of the one
    // labelled crystal, at most 4), so a series is comparable; simulate_scan fills tilt_deg and
    // azimuth_deg of its result's spec from it. Azimuth: direction of steepest ascent,
    // atan2(dz/dy, dz/dx) as in tilt.hpp (y = row index).
};

struct SimulationSpec {
    int nx = 256, ny = 256;
    double scan_size_m = 8.0e-6;    // scan width (x, along the fast axis)
    double scan_size_y_m = 0.0;     // scan height; 0: square pixels (ny * scan_size_m / nx)
    std::uint64_t seed = 1;
    int cycle = 0;
    std::string sample = "simulated LNMO electrode";
    std::vector<RegionTruth> regions;  // label 1..N; the last one is the binder/carbon background
    // Noise levels of 0 give the noise-free channels (tests); the truths do not depend on them.
    double height_noise_m = 0.15e-9;   // white noise RMS on the topography
    double phase_noise_deg = 0.3;
    double df2_noise_rel = 0.005;       // relative RMS on df2
    double phase1_mean_deg = 50.0;       // first-mode phase on the surface (repulsive regime)
    bool apply_tilt_artefact = true;
    Cantilever cantilever;
    double tip_radius_m = 10.0e-9;
    TiltCorrection tilt_correction;  // the true Kc curve applied

    // Imperfections of real scans (realism.hpp); all off by default, so a default spec gives
    // the same bytes as before they existed. None of them changes the truths.
    double height_noise_1f_m = 0.0;          // 1/f height noise along the raster (time order), RMS
    double line_offset_m = 0.0;              // a constant height offset per scan line, RMS
    double tip_convolution_radius_m = 0.0;   // edges rounded by a paraboloid tip of this apex radius
    double dropout_fraction = 0.0;           // each pixel NaN in every channel with this probability
    int lost_lines = 0;                      // whole scan lines NaN in every channel
    int extra_crystals = 0;                  // further unlabelled crystals at seeded places
    bool write_truth_maps = false;           // write_simulated_scan also writes truth_*.tif

    double pixel_size_x_m() const { return scan_size_m / nx; }
    double pixel_size_y_m() const { return scan_size_y_m > 0.0 ? scan_size_y_m / ny : pixel_size_x_m(); }
};

struct SimulatedScan {
    SimulationSpec spec;
    Image<float> height_m, phase1_deg, df2_hz;
    Image<std::uint16_t> labels;
    Image<float> modulus_true_gpa;  // true (tilt-free) modulus per pixel
    Image<float> tilt_true_deg;     // true surface tilt per pixel
    // Ground truth for segmentation: which plane forms each pixel's surface (index into
    // planes_true, every plane of every crystal, labelled or not; -1: binder/carbon background).
    struct PlaneTruth {
        double tilt_deg, azimuth_deg;
        int crystal;  // 0: the labelled crystal, 1: the small unlabelled one, 2...: extra crystals
        int facet;    // 0..3: facet I..IV (label facet + 1 when labelled), -1: unlabelled
    };
    std::vector<PlaneTruth> planes_true;
    Image<std::int16_t> plane_true;
};

// The paper's regions for a cycle number (Fig. 2 / Table 1 values): facets I-III (pristine) or
// I-IV (labels 1-4, class "LNMO"), then b/c (label 5 in every cycle, class "b/c").
// Unknown cycle numbers throw ConfigError.
std::vector<RegionTruth> paper_region_truths(int cycle);

// Stiff crystals beside a soft binder (issue 12's acceptance case): facets I-IV at 100, 115,
// 130 and 150 GPa (SD 4 GPa), then b/c at 2 GPa (SD 0.1); labels as paper_region_truths(5).
std::vector<RegionTruth> stiff_region_truths();

SimulatedScan simulate_scan(const SimulationSpec& spec);

// The `tilt_correction:` and `regions:` lines of a simulated scan's YAML (scan.yaml and the .ibw's
// ibw_extra.yaml): the Kc model with its parameters, labels.tif with the region names and classes.
std::string simulated_kc_and_regions_yaml(const SimulationSpec& spec);

// Writes height.tif, phase1.tif, df2.tif, labels.tif (float32 / uint16), scan.yaml pointing at
// them with the simulation's parameters, and truth.json, into `dir` (created). With
// spec.write_truth_maps also the per-pixel truth (write_truth_maps in realism.hpp).
void write_simulated_scan(const SimulatedScan& sim, const std::string& dir);

}  // namespace amfm
