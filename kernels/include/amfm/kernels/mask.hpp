// Reason bits of the per-pixel mask (mask.tif, uint8). A pixel may carry several.
#pragma once

#include <cstdint>

namespace amfm {

enum MaskBit : std::uint8_t {
    kMaskTiltOverCutoff = 1u << 0,   // local tilt above the cutoff angle (45 deg by default)
    kMaskPhaseNotRepulsive = 1u << 1,  // cos(Phi1) <= 0: no repulsive contact, equation undefined
    kMaskDf2NotPositive = 1u << 2,   // df2 <= 0: equation undefined
    kMaskNonFinite = 1u << 3,        // a needed input (or its slope neighbourhood) is NaN/inf
    kMaskUnlabelled = 1u << 4,       // label 0: in no region (the modulus is still mapped)
    kMaskEdge = 1u << 5,             // the slope stencil reaches into another region: its tilt blends two
                                     // surfaces, so the pixel counts in no region (the modulus is still mapped)
};

// Bits that make a pixel's modulus undefined: modulus_gpa.tif holds NaN there.
constexpr std::uint8_t kMaskInvalid =
    kMaskTiltOverCutoff | kMaskPhaseNotRepulsive | kMaskDf2NotPositive | kMaskNonFinite;

// Bits that keep a pixel out of its region's and class's statistics (the whole map keeps edges).
constexpr std::uint8_t kMaskOutOfRegion = kMaskInvalid | kMaskEdge;

constexpr int kMaskBitCount = 6;
constexpr int kMaskEdgeIndex = 5;  // kMaskEdge's place in per-bit arrays (PixelStats::masked, lost)
static_assert(kMaskEdge == 1u << kMaskEdgeIndex, "the edge bit's index");

inline const char* mask_bit_name(int bit) {
    switch (bit) {
        case 0: return "tilt_over_cutoff";
        case 1: return "phase_not_repulsive";
        case 2: return "df2_not_positive";
        case 3: return "non_finite_input";
        case 4: return "unlabelled";
        case 5: return "edge";
        default: return "unknown";
    }
}

}  // namespace amfm
