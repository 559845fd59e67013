// The crystal tables of the electrode simulator (simulate.cpp places them, realism.cpp adds
// seeded extra crystals): planes by tilt, azimuth and where they pass the crystal's top.
#pragma once

#include <cstdint>
#include <vector>

namespace amfm::sim {

struct PlaneDef {
    double tilt_deg;
    double azimuth_deg;  // direction of steepest ascent (toward the crystal's centre)
    double r_frac;       // where the plane passes the top height, from the centre (fraction of S)
    int facet;           // 0..3: labelled facet I..IV; -1: unlabelled (top, corners, crystal B)
};

struct CrystalDef {
    double cx_frac, cy_frac;  // centre, fraction of the field's width / height
    double top_frac;          // top height Zc above the background's mean, fraction of S
    std::vector<PlaneDef> planes;
};

// `count` unlabelled crystals at seeded places away from the fixed ones (centres given in
// `taken`, fractions of width / height), each a top facet and 4-6 side facets of 10-50 deg;
// sx_over_s, sy_over_s: the field's sides over its shorter side S.
std::vector<CrystalDef> extra_crystals(int count, const std::vector<CrystalDef>& taken, double sx_over_s,
                                       double sy_over_s, std::uint64_t seed);

}  // namespace amfm::sim
