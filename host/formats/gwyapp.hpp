// Every file Gwyddion's own file modules open (libgwyapp: Bruker, JPK, Park, NT-MDT, Nanosurf,
// Asylum, Gwyddion .gwy, ... about 150 formats) as an amfm scan. Built when pkg-config finds
// `gwyddion` (AMFM_HAVE_GWYAPP); Gwyddion is initialised on the first file only amfm's own
// readers do not know, so a scan YAML or an .ibw never pays for it.
//
// Channel rule (by title, case, spaces, '_' and '-' ignored; a title may end in its direction:
// Retrace/Backward/Bwd or Trace/Forward/Fwd; the asked direction first, then titles without one):
//   height     Height, ZSensor, Z Sensor, Height Sensor, Topography, Topo, Z
//   phase1     Phase1, Phase
//   df2        Frequency, Frequency2, df2, Frequency Shift, df
//   amplitude1 Amplitude1 (optional)
// `channels.<role>.channel: TITLE` in a --config YAML (or --set) names a channel explicitly, as
// for an .ibw. Values and units come from the file (a channel in volts needs `unit` and `scale`
// from the user); the scan size from the fields' physical size; the AM-FM parameters from the
// metadata under Asylum's note keys (ibw_scan.hpp) where the file carries them, else YAML/--set.
// The metadata (the first channel's that has any) is kept in regions.json.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "host/formats/channel_file_scan.hpp"
#include "host/formats/open_scan.hpp"
#include "host/model/image.hpp"

namespace amfm {

// Whether this build reads files through Gwyddion's modules.
bool gwyapp_built();

struct GwyappChannel {
    std::string title;
    std::string z_unit, xy_unit;  // Gwyddion's plain unit strings ("m", "deg", "V"; "" unitless)
    double xreal = 0.0, yreal = 0.0;  // physical size in xy_unit
    Image<double> values;             // row 0 at the top, in z_unit
};

struct GwyappFile {
    std::string module;  // the Gwyddion module that read it, e.g. "nanoscope"
    std::vector<GwyappChannel> channels;
    std::map<std::string, std::string> metadata;
};

// The Gwyddion module that would load the file ("" when none; always "" when not built).
std::string gwyapp_detect(const std::string& path);

// Every image channel through gwy_file_load. DataError with Gwyddion's reason for a file it
// cannot read, or when this build has no Gwyddion.
GwyappFile read_gwyapp(const std::string& path);

// Writes `channels` as a Gwyddion file through gwy_file_save (the format by the name's
// extension, e.g. .gwy); `meta` as the first channel's metadata. DataError when it fails.
void write_gwyapp(const std::string& path, const std::vector<GwyappChannel>& channels,
                  const std::map<std::string, std::string>& meta = {});

// The channel for a role by the rule above; "" when the optional amplitude1 is absent.
// DataError listing the file's channels when a required one is missing.
std::string pick_gwyapp_channel(const std::vector<FileChannel>& channels, const std::string& role, ScanDirection dir,
                                const std::string& file);

// Only asked when no other reader knows the file; opens it through Gwyddion (rules above). Files
// only Gwyddion's plain-image modules read (TIFF, PNG, JPEG: channel files a scan YAML names,
// figures) are not scans.
extern const ScanReader kGwyappScanReader;

}  // namespace amfm
