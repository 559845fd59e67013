// Colour maps and the categorical palette of the figures: viridis (the default), inferno, grey,
// a diverging blue-white-red map for signed values, and Okabe-Ito's colour-blind-safe palette.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace amfm::plot {

struct Rgb {
    double r = 0, g = 0, b = 0;  // 0..1
};

Rgb rgb_hex(std::uint32_t hex);  // 0xRRGGBB

enum class Colormap { Viridis, Inferno, Grey, Diverging };

// Config names (outputs.colormap), in enum order.
inline constexpr const char* kColormapNames[] = {"viridis", "inferno", "grey", "diverging"};

// The 256 colours of a map, index 0 the low end, as 0xRRGGBB.
const std::array<std::uint32_t, 256>& colormap_table(Colormap map);

// Okabe & Ito (2008): eight colours told apart with every common colour-vision deficiency,
// ordered so the first ones read best on white; repeats after eight.
Rgb categorical_colour(std::size_t i);

}  // namespace amfm::plot
