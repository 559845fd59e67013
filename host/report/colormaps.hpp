// Colour maps and the categorical palette of the figures: viridis (the default), inferno, grey,
// a diverging blue-white-red map for signed values, Okabe-Ito's colour-blind-safe palette, and a
// hue-saturation colour wheel for directions.
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

// A colour wheel (HSV at full value): hue from the angle (0 red, 2π/3 green, 4π/3 blue),
// saturation 0..1 from white to the pure hue; as 0xRRGGBB. The surface-normal figure's azimuth
// and tilt, and the automatic regions' tints.
std::uint32_t wheel_colour(double angle_rad, double saturation);

// Okabe & Ito (2008): eight colours told apart with every common colour-vision deficiency,
// ordered so the first ones read best on white; repeats after eight.
Rgb categorical_colour(std::size_t i);

}  // namespace amfm::plot
