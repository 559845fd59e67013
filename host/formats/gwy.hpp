// Gwyddion native files (.gwy, "GWYP" serialisation) so results open in Gwyddion with their
// units and titles: each map a GwyDataField, pixels marked undefined as the channel's mask,
// the run's metadata as the channel's meta container.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "host/model/image.hpp"

namespace amfm {

struct GwyChannel {
    std::string title;    // shown in Gwyddion's data browser, e.g. "Modulus (tilt-corrected)"
    std::string unit_z;   // SI unit of the values as stored, e.g. "Pa", "deg", "" (dimensionless)
    Image<double> data;   // row 0 at the top; non-finite values are stored as 0 and masked
    double scale = 1.0;   // stored value = data * scale (e.g. 1e9 to store GPa maps in Pa)
};

// Writes channels /0, /1, ... of one file with physical size xreal x yreal (m). Non-finite
// pixels become 0 with a mask (/k/mask) marking them. `meta` (key -> text) goes to every
// channel's /k/meta container. Written to a temporary name, then renamed.
void write_gwy(const std::string& path, const std::vector<GwyChannel>& channels, double xreal_m, double yreal_m,
               const std::map<std::string, std::string>& meta);

// What a minimal reader gets back (tests, `amfm info`): per channel the data field's values,
// size, units, title, mask, and the metadata.
struct GwyReadChannel {
    int id = 0;
    std::string title, unit_xy, unit_z;
    double xreal = 0, yreal = 0;
    Image<double> data;
    Image<double> mask;  // empty when the channel has none
    std::map<std::string, std::string> meta;
};

// Reads the GwyDataFields of a .gwy file (any GwyContainer layout Gwyddion writes; objects it
// does not need are skipped by their sizes). DataError("<file>: ...") for anything malformed.
std::vector<GwyReadChannel> read_gwy(const std::string& path);

// Same from the file's bytes; `name` is used in the errors (the fuzz target reads this way).
std::vector<GwyReadChannel> read_gwy_bytes(const std::string& bytes, const std::string& name);

}  // namespace amfm
