// Scan configuration: the YAML contract, its defaults, and command-line overrides.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "amfm/kernels/gauss_fit.hpp"
#include "amfm/kernels/physics.hpp"
#include "amfm/kernels/tilt.hpp"
#include "amfm/kernels/tilt_correction.hpp"

namespace amfm {

struct ChannelSpec {
    std::string file;  // absolute after loading (relative paths resolve against the YAML's folder)
    std::string unit;  // as written; checked against the channel's allowed units
    double scale = 1.0;  // raw sample -> value in `unit` (for integer exports)
    bool absolute = false;  // df2 only: the file holds the absolute frequency; f2 is subtracted
    // Page (0-based) of a multi-page TIFF holding one channel per page; -1: not given, the
    // file must then have a single page (or `stack:` is set and page k of every file is scan k).
    int page = -1;
};

// stack: {pages: all | [0, 3, 5]}: every channel file is a multi-page TIFF with one page per
// scan, the same page count in each; page k of every channel is scan k (stack.hpp).
struct StackConfig {
    bool enabled = false;
    std::vector<int> pages;  // 0-based pages to process, ascending; empty: all of them
};

enum class Leveling { None, Plane, Rows };

// The config names of the enums (processing.level, processing.tilt_method); KcModel's are
// kKcModelNames beside the enum.
struct LevelingName {
    Leveling level;
    const char* name;
};
inline constexpr LevelingName kLevelingNames[] = {
    {Leveling::None, "none"}, {Leveling::Plane, "plane"}, {Leveling::Rows, "rows"}};
struct TiltMethodName {
    TiltMethod method;
    const char* name;
};
inline constexpr TiltMethodName kTiltMethodNames[] = {{TiltMethod::CentralDifference, "central"},
                                                      {TiltMethod::LocalPlane, "plane"}};

struct HistogramConfig {
    int bins = 0;                 // 0: automatic (see `rule`)
    std::string rule = "fd";      // fd (Freedman-Diaconis) | sturges | sqrt, when bins == 0
    int min_bins = 10, max_bins = 200;
    bool fixed_range = false;     // false: robust percentiles of each region's values
    double lo_percentile = 0.5, hi_percentile = 99.5;
    double fixed_lo_gpa = 0.0, fixed_hi_gpa = 0.0;
    bool log10_axis = false;
};

// regions: {auto: true, ...}: regions found by segmentation (segmentation.hpp) instead of a file.
struct AutoRegionsConfig {
    bool enabled = false;
    std::string class_feature = "roughness";  // roughness (topography) | modulus: what splits the classes
    double angle_tolerance_deg = 3.0;  // largest angle between a pixel's normal and its facet's mean normal
    double min_area_um2 = 0.1;         // smaller crystals, holes and facets are dropped
    int window_px = 5;                 // local-plane window edge (odd, >= 3) for normals and roughness
    std::string crystal_class = "crystal", binder_class = "b/c";  // class names of facets / the rest
};

struct RegionsConfig {
    std::string labels_file;  // empty: the whole map is one region
    // Page of a multi-page label TIFF: set per page of a stack whose label file has one page per
    // scan (stack.hpp); -1: the file must hold a single image. Not a YAML key.
    int labels_page = -1;
    // Hand-drawn alternatives to a label image (roi_io.hpp), at most one source in all:
    std::string rois_file;                  // ImageJ .roi or RoiSet .zip: ROI k is label k
    std::map<int, std::string> mask_files;  // label -> mask image (e.g. a Gwyddion mask PNG)
    AutoRegionsConfig automatic;
    // Pixels beyond the slope stencil's reach that also leave a region's statistics when they
    // touch another region (regions.hpp, mark_region_edges), for every region source.
    int edge_margin_px = 0;
    std::map<int, std::string> names;
    std::map<int, std::string> classes;
    // The layer the regions are meant to measure (the paper: CEI up to ~20 nm); a region whose
    // median indentation exceeds a fifth of it is warned about (host/method/indentation.hpp).
    double interphase_thickness_nm = 20.0;
};

// Where the tip radius came from (`amfm calibrate-tip` writes these keys into `tip:`). All
// optional: a hand-entered radius has none of them.
struct TipCalibration {
    double radius_uncertainty_m = 0.0;  // 1-sigma; 0: unknown
    std::string reference;              // "polystyrene", "fused-silica" or a modulus as typed
    double reference_modulus_pa = 0.0;  // 0: unknown
    std::string date;                   // ISO 8601, UTC
    std::string source;                 // the reference scan's YAML
    // The cantilever the radius was calibrated with (0: not recorded). R is only valid for the
    // cantilever it was measured with, so the loader rejects a sample with different values.
    double k1_n_per_m = 0.0, f1_hz = 0.0, f2_hz = 0.0;
};

// outputs: {maps, gwy, figures, dpi, colormap, range}: which files a results folder gets besides regions.csv and
// regions.json (always written). Part of the settings, so a series reprocesses a scan whose
// output selection changed.
struct OutputsConfig {
    bool maps = true;      // modulus_gpa.tif, indentation_nm.tif, tilt_deg.tif, mask.tif (labels.tif: automatic regions)
    bool gwy = false;      // results.gwy: the maps as Gwyddion data fields (doubles: ~34 MB per 1024^2 scan)
    // outputs.figures: the figures' file formats ("png", "pdf", "svg"); empty (false): none.
    std::vector<std::string> figures{"png", "pdf"};
    double dpi = 150.0;             // the PNG figures' pixels per inch (maps: one scan pixel per PNG pixel)
    std::string colormap = "viridis";  // the modulus map's colour map
    bool fixed_range = false;       // outputs.range [lo, hi] in GPa: the modulus map's colour range
    double range_lo_gpa = 0.0, range_hi_gpa = 0.0;  // (default: the map's 1st-99th percentiles)
};

struct ScanConfig {
    std::string source;   // the YAML file, or "<defaults>"
    std::vector<std::string> merged_files;  // YAMLs merged over `source` (--config), in order
    std::string sample;   // optional sample name
    int cycle = -1;       // optional cycle number (0 = pristine), -1 unknown

    // The units are the defaults of each channel's `unit` key.
    ChannelSpec height{"", "m"}, phase1{"", "deg"}, df2{"", "Hz"};
    ChannelSpec amplitude1{"", "m"};  // file empty: use a1_set
    double scan_size_x_m = 0.0, scan_size_y_m = 0.0;
    Cantilever cantilever;
    double tip_radius_m = 10.0e-9;
    TipCalibration tip_calibration;
    double k1_uncertainty_n_per_m = 0.0;  // cantilever.k1_uncertainty, 1-sigma; 0: unknown
    std::string cantilever_source;        // cantilever.source ("simulated": the values are a simulation's truth)

    Leveling level = Leveling::None;
    // Labels of the reference area the levelling is fitted on (a flat substrate or binder);
    // empty: every finite pixel. Needs a label image, ROIs or masks (not automatic regions).
    std::vector<int> level_labels;
    TiltMethod tilt_method = TiltMethod::CentralDifference;
    int tilt_window = 3;  // local plane window edge in pixels (odd, >= 3)
    TiltCorrection tilt_correction;
    std::vector<double> kc_covariance;  // tilt_correction.covariance, n x n row by row; empty: not recorded
    HistogramConfig histogram;
    FitOptions fit;
    RegionsConfig regions;
    std::string backend = "auto";
    StackConfig stack;
    OutputsConfig outputs;
};

// Loads and validates a scan YAML. `overrides` are "dotted.key=value" strings applied to the
// YAML before validation (e.g. "tip.radius=8e-9", "processing.level=plane"), so the command
// line is checked by the same rules. Throws ConfigError naming the file and key for unknown
// keys, wrong units, wrong types or out-of-range values.
ScanConfig load_scan_config(const std::string& yaml_path, const std::vector<std::string>& overrides = {});

// Same, with each of `extra_yaml_paths` merged over the scan YAML in order before validation
// (`process --config tip.yaml`): mappings merge key by key, anything else replaces. The
// overrides apply last.
ScanConfig load_scan_config_merged(const std::string& yaml_path, const std::vector<std::string>& extra_yaml_paths,
                                   const std::vector<std::string>& overrides = {});

// Same from YAML text (tests); relative paths resolve against base_dir.
ScanConfig parse_scan_config(const std::string& yaml_text, const std::string& base_dir,
                             const std::string& source_name,
                             const std::vector<std::string>& overrides = {});

// A commented YAML template holding every key with its default (`amfm config`).
std::string default_config_yaml();

// Every parameter actually used, as YAML text (recorded in regions.json's run metadata).
std::string config_to_yaml(const ScanConfig& cfg);

const char* leveling_name(Leveling l);
const char* tilt_method_name(TiltMethod m);
const char* kc_model_name(KcModel m);
// The model of a config name (kKcModelNames); false for an unknown name.
bool kc_model_from_name(const std::string& name, KcModel* model);

}  // namespace amfm
