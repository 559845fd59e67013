// The imperfections of real scans for the electrode simulator (SimulationSpec's realism
// fields), and the per-pixel truth written beside a scan. Each imperfection draws from its own
// random stream, so switching one on changes no other field, and none of them changes a truth.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "host/sim/random_fields.hpp"
#include "host/sim/simulate.hpp"

namespace amfm::sim {

// Throws ConfigError naming the field when a realism field is out of range.
void validate_realism(const SimulationSpec& spec);

// Whether any imperfection beyond the white channel noise is switched on.
bool realism_on(const SimulationSpec& spec);

// Grey-scale dilation of a height map (rows of nx, pitch dx, dy) by a paraboloid tip
// z = r^2 / (2 R), the image a tip of apex radius R records: edges and ridges come out rounded,
// valleys narrower. Separable and exact: per line the upper envelope of parabolas
// (Felzenszwalb & Huttenlocher), linear in pixels whatever R.
std::vector<double> dilate_by_tip(const std::vector<double>& z, int nx, int ny, double dx, double dy,
                                  double radius_m);

// Zero-mean noise of unit RMS (over the n samples) with a 1/f spectrum in raster order: a sum
// of first-order low-pass processes of equal variance, corners a factor 4 apart.
std::vector<double> pink_noise(std::size_t n, std::uint64_t seed);

// The height the instrument records before its white noise: the noise-free height, dilated by
// the tip, plus the 1/f noise and the scan-line offsets. `z0` itself when none is on.
std::vector<double> recorded_height(const SimulationSpec& spec, const std::vector<double>& z0);

// NaN in every measured channel at the dropout pixels and on the lost lines.
void apply_dropouts(SimulatedScan& sim);

// truth.json fields of the imperfections ("realism") and of the truth maps ("truth_maps",
// "planes"); nothing when neither is on, so default files keep their bytes.
void add_realism_truth(nlohmann::ordered_json& truth, const SimulatedScan& sim);

// truth_regions.tif (uint16: the region label of every pixel by the noise-free geometry,
// without the labels' margin; 0 on unlabelled crystal facets), truth_planes.tif (int16: index
// into truth.json "planes", -1 background), truth_tilt_deg.tif and truth_modulus_gpa.tif
// (float32), when spec.write_truth_maps.
void write_truth_maps(const SimulatedScan& sim, const std::string& dir);

}  // namespace amfm::sim
