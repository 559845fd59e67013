// Gwyddion Simple Field files (.gsf): one map with its physical size, units and title, the
// format Gwyddion documents for other programs to write. Layout: the line
// "Gwyddion Simple Field 1.0", "Key = value" lines (XRes, YRes, XReal, YReal, XYUnits, ZUnits,
// Title), 1-4 NUL bytes so the data start at a multiple of 4, then XRes*YRes little-endian
// float32, row 0 (the top) first.
#pragma once

#include <map>
#include <string>

#include "host/model/image.hpp"

namespace amfm {

struct GsfField {
    std::string title;         // Gwyddion's channel title
    std::string unit_xy = "m";
    std::string unit_z;        // plain SI unit without prefix ("Pa", "deg"; "" dimensionless): Gwyddion
                               // drops a prefix such as the G of "GPa" without scaling the values
    double xreal = 0.0;        // physical width and height in unit_xy (> 0)
    double yreal = 0.0;
    Image<float> data;         // NaN where undefined: Gwyddion masks those pixels on loading
    std::map<std::string, std::string> meta;  // further header keys (Gwyddion shows them as metadata)
};

// Writes `field` atomically (temporary name, then rename). DataError naming `path` for an empty
// image, a non-positive or non-finite size, or a key/value that would break the header (newline,
// NUL, '=' in a key).
void write_gsf(const std::string& path, const GsfField& field);

// Reads a .gsf as Gwyddion's loader does (size and units from the header; XReal/YReal default
// to 1). DataError naming the file for a wrong magic line, a header without NUL, a missing or
// non-positive XRes/YRes, or a data size that does not match.
GsfField read_gsf(const std::string& path);

}  // namespace amfm
