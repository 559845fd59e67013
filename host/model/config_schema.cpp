// The scan YAML schema table and the hooks of its structured keys (see config_schema.hpp).
#include "host/model/config_schema.hpp"

#include <algorithm>
#include <cmath>

#include "host/model/channels.hpp"
#include "host/model/config_schema_rows.hpp"
#include "host/model/yaml_text.hpp"

namespace amfm {

namespace {

using namespace schema_rows;

// ---- hooks: lists and maps ------------------------------------------------------------------

void emit_ints(YAML::Emitter& out, const std::vector<int>& v) {
    out << YAML::Flow << YAML::BeginSeq;
    for (int i : v) out << i;
    out << YAML::EndSeq;
}

void emit_numbers(YAML::Emitter& out, std::initializer_list<double> v) {
    out << YAML::Flow << YAML::BeginSeq;
    for (double x : v) out << yaml_number(x);
    out << YAML::EndSeq;
}

void emit_label_map(YAML::Emitter& out, const std::map<int, std::string>& m) {
    out << YAML::BeginMap;
    for (const auto& kv : m) out << YAML::Key << kv.first << YAML::Value << kv.second;
    out << YAML::EndMap;
}

// stack.pages: all | [k, ...]
void read_stack_pages(const ConfigReader& r, const YAML::Node& n, const std::string& key, ScanConfig& c) {
    if (n.IsScalar() && n.Scalar() == "all") return;
    c.stack.pages = r.distinct_integers(n, key, 0, 65535, "page (0-based)", "'all' or 0-based page numbers [0, 3, 5]");
    std::sort(c.stack.pages.begin(), c.stack.pages.end());
}

void emit_stack_pages(YAML::Emitter& out, const ScanConfig& c) {
    if (c.stack.pages.empty())
        out << "all";
    else
        emit_ints(out, c.stack.pages);
}

// Channel `page` keys contradict a stack (there page k of every file is scan k), so they are
// rejected rather than silently ignored.
void finish_stack(const ConfigReader& r, const std::string&, ScanConfig& c) {
    c.stack.enabled = true;
    for (const ChannelRole& role : kChannelRoles)
        if ((c.*role.spec).page >= 0)
            r.fail(std::string("channels.") + role.name + ".page",
                   "not allowed with stack: (page k of every channel file is scan k); use one or the other");
}

void read_level_labels(const ConfigReader& r, const YAML::Node& n, const std::string& key, ScanConfig& c) {
    c.level_labels = r.distinct_integers(n, key, 1, 65535, "label", "[5] (the labels of a flat reference area)");
    if (c.level == Leveling::None) r.fail(key, "a reference area for levelling needs level: plane or rows");
}

void emit_level_labels(YAML::Emitter& out, const ScanConfig& c) { emit_ints(out, c.level_labels); }

void read_coefficients(const ConfigReader& r, const YAML::Node& n, const std::string& key, ScanConfig& c) {
    TiltCorrection& t = c.tilt_correction;
    if (!n.IsSequence() || n.size() < 1 || n.size() > (std::size_t)kMaxKcCoefficients)
        r.fail(key, "expected a list of 1 to " + std::to_string(kMaxKcCoefficients) + " numbers");
    t.n_coefficients = (int)n.size();
    for (int i = 0; i < kMaxKcCoefficients; ++i)
        t.coefficients[i] = i < t.n_coefficients ? r.number(n[i], key + "[" + std::to_string(i) + "]") : 0.0;
}

void emit_coefficients(YAML::Emitter& out, const ScanConfig& c) {
    const TiltCorrection& t = c.tilt_correction;
    out << YAML::Flow << YAML::BeginSeq;
    for (int i = 0; i < t.n_coefficients; ++i) out << yaml_number(t.coefficients[i]);
    out << YAML::EndSeq;
}

// tilt_correction.covariance: the polynomial fit's coefficient covariance, n x n row by row.
void read_kc_covariance(const ConfigReader& r, const YAML::Node& n, const std::string& key, ScanConfig& c) {
    const std::size_t m = (std::size_t)c.tilt_correction.n_coefficients;
    if (!n.IsSequence() || n.size() != m * m)
        r.fail(key, "expected " + std::to_string(m * m) + " numbers (the " + std::to_string(m) + " x " +
                        std::to_string(m) + " covariance of the coefficients, row by row)");
    c.kc_covariance.clear();
    for (std::size_t i = 0; i < n.size(); ++i) c.kc_covariance.push_back(r.number(n[i], key + "[" + std::to_string(i) + "]"));
    for (std::size_t i = 0; i < m; ++i)
        if (!(c.kc_covariance[i * m + i] >= 0.0)) r.fail(key, "a variance (diagonal element) is negative");
}

void emit_kc_covariance(YAML::Emitter& out, const ScanConfig& c) {
    out << YAML::Flow << YAML::BeginSeq;
    for (double v : c.kc_covariance) out << yaml_number(v);
    out << YAML::EndSeq;
}

// histogram.bins: auto | n
void read_bins(const ConfigReader& r, const YAML::Node& n, const std::string& key, ScanConfig& c) {
    if (n.IsScalar() && n.Scalar() == "auto") return;
    const long long b = r.integer(n, key);
    if (b < 1 || b > 1000000) r.fail(key, "expected 'auto' or an integer >= 1, got " + n.Scalar());
    c.histogram.bins = (int)b;
}

void emit_bins(YAML::Emitter& out, const ScanConfig& c) {
    if (c.histogram.bins > 0)
        out << c.histogram.bins;
    else
        out << "auto";
}

// histogram.range: percentile | [lo_gpa, hi_gpa]
void read_histogram_range(const ConfigReader& r, const YAML::Node& n, const std::string& key, ScanConfig& c) {
    if (n.IsScalar()) {
        if (n.Scalar() != "percentile")
            r.fail(key, "expected 'percentile' or [lo_gpa, hi_gpa], got '" + n.Scalar() + "'");
        return;
    }
    const auto lohi = r.range(n, key);
    c.histogram.fixed_range = true;
    c.histogram.fixed_lo_gpa = lohi.first;
    c.histogram.fixed_hi_gpa = lohi.second;
}

void emit_histogram_range(YAML::Emitter& out, const ScanConfig& c) {
    const HistogramConfig& h = c.histogram;
    if (h.fixed_range)
        emit_numbers(out, {h.fixed_lo_gpa, h.fixed_hi_gpa});
    else
        out << "percentile";
}

void read_percentiles(const ConfigReader& r, const YAML::Node& n, const std::string& key, ScanConfig& c) {
    const auto lohi = r.range(n, key);
    if (lohi.first < 0.0 || lohi.second > 100.0) r.fail(key, "must lie within [0, 100]");
    c.histogram.lo_percentile = lohi.first;
    c.histogram.hi_percentile = lohi.second;
}

void emit_percentiles(YAML::Emitter& out, const ScanConfig& c) {
    emit_numbers(out, {c.histogram.lo_percentile, c.histogram.hi_percentile});
}

// outputs.figures: [png, pdf, svg] | true (png and pdf) | false
void read_figure_formats(const ConfigReader& r, const YAML::Node& n, const std::string& key, ScanConfig& c) {
    static const char* const kFormats[] = {"png", "pdf", "svg"};
    const char* expected = "a list of formats [png, pdf, svg], or true (png, pdf) or false";
    if (n.IsScalar() && (n.Scalar() == "true" || n.Scalar() == "false")) {
        c.outputs.figures = r.boolean(n, key) ? std::vector<std::string>{"png", "pdf"} : std::vector<std::string>{};
        return;
    }
    if (!n.IsSequence()) r.fail(key, std::string("expected ") + expected);
    c.outputs.figures.clear();
    for (const YAML::Node& f : n) {
        const std::string name = f.IsScalar() ? f.Scalar() : "";
        if (std::find(std::begin(kFormats), std::end(kFormats), name) == std::end(kFormats))
            r.fail(key, "unknown figure format '" + name + "'; expected " + expected);
        if (std::find(c.outputs.figures.begin(), c.outputs.figures.end(), name) != c.outputs.figures.end())
            r.fail(key, "format '" + name + "' listed twice");
        c.outputs.figures.push_back(name);
    }
}

void emit_figure_formats(YAML::Emitter& out, const ScanConfig& c) {
    if (c.outputs.figures.empty()) {
        out << false;
        return;
    }
    out << YAML::Flow << YAML::BeginSeq;
    for (const std::string& f : c.outputs.figures) out << f;
    out << YAML::EndSeq;
}

// outputs.range: percentile | [lo_gpa, hi_gpa]
void read_colour_range(const ConfigReader& r, const YAML::Node& n, const std::string& key, ScanConfig& c) {
    if (n.IsScalar()) {
        if (n.Scalar() != "percentile") r.fail(key, "expected 'percentile' or [lo_gpa, hi_gpa], got '" + n.Scalar() + "'");
        return;
    }
    const auto lohi = r.range(n, key);
    if (!(lohi.first > 0.0)) r.fail(key, "the modulus map's colour scale is logarithmic: lo must be > 0 GPa");
    c.outputs.fixed_range = true;
    c.outputs.range_lo_gpa = lohi.first;
    c.outputs.range_hi_gpa = lohi.second;
}

void emit_colour_range(YAML::Emitter& out, const ScanConfig& c) {
    if (c.outputs.fixed_range)
        emit_numbers(out, {c.outputs.range_lo_gpa, c.outputs.range_hi_gpa});
    else
        out << "percentile";
}

// regions.masks: {label: mask image, ...}
void read_masks(const ConfigReader& r, const YAML::Node& n, const std::string& key, ScanConfig& c) {
    if (!n.IsMap() || n.size() == 0)
        r.fail(key, "expected a mapping label: mask image (e.g. {1: facet1.png, 2: facet2.png})");
    for (const auto& kv : n) {
        const int label = r.label_key(kv.first, key);
        const std::string at = key + "." + kv.first.Scalar();
        if (c.regions.mask_files.count(label)) r.fail(at, "duplicate label");
        if (!present(kv.second)) r.fail(at, "required key missing (the channel's TIFF file)");
        c.regions.mask_files[label] = r.path(kv.second, at);
        if (c.regions.mask_files[label].empty()) r.fail(at, "required key missing (the channel's TIFF file)");
    }
}

void emit_masks(YAML::Emitter& out, const ScanConfig& c) { emit_label_map(out, c.regions.mask_files); }

// regions.names / regions.classes: {label: text, ...}
void read_label_texts(const ConfigReader& r, const YAML::Node& n, const std::string& key, ScanConfig& c) {
    if (!n.IsMap()) r.fail(key, "expected a mapping label: text (e.g. {1: I, 2: II})");
    auto& dst = key == "regions.names" ? c.regions.names : c.regions.classes;
    for (const auto& kv : n) {
        const int label = r.label_key(kv.first, key);
        const std::string at = key + "." + kv.first.Scalar();
        if (dst.count(label)) r.fail(at, "duplicate label");
        dst[label] = r.text(kv.second, at);
    }
}

void emit_names(YAML::Emitter& out, const ScanConfig& c) { emit_label_map(out, c.regions.names); }
void emit_classes(YAML::Emitter& out, const ScanConfig& c) { emit_label_map(out, c.regions.classes); }

// ---- hooks: checks with their own wording ----------------------------------------------------

// "height" of "channels.height.unit".
std::string channel_role(const std::string& key) {
    const auto first = key.find('.') + 1;
    return key.substr(first, key.find('.', first) - first);
}

const ChannelSpec& channel(const ScanConfig& c, const std::string& role) {
    return c.*find_channel_role(role)->spec;  // the schema's channel keys are the roles
}

// channels.<role>.unit: one of the role's units.
void finish_channel_unit(const ConfigReader& r, const std::string& key, ScanConfig& c) {
    const std::string role = channel_role(key);
    double factor = 0.0;
    const std::string problem = detail::channel_unit_problem(role, channel(c, role).unit, &factor);
    if (!problem.empty()) r.fail(key, problem);
}

void finish_channel_scale(const ConfigReader& r, const std::string& key, ScanConfig& c) {
    if (channel(c, channel_role(key)).scale == 0.0) r.fail(key, "must not be 0");
}

// Relative difference above which the tip's calibration cantilever counts as a different one.
// Thermal-noise calibrations of one cantilever repeat to ~1 %; 2 % leaves room for rounding.
constexpr double kCantileverMatchRel = 0.02;

// A radius calibrated with another cantilever (or another k1 calibration) does not carry over:
// R absorbs k1 and k2, so the sample's modulus would be off by the ratio.
void finish_tip_cantilever(const ConfigReader& r, const std::string& key, ScanConfig& c) {
    const TipCalibration& t = c.tip_calibration;
    const struct {
        const char* key;
        double tip_value, scan_value;
    } checks[] = {{"k1", t.k1_n_per_m, c.cantilever.k1_n_per_m},
                  {"f1", t.f1_hz, c.cantilever.f1_hz},
                  {"f2", t.f2_hz, c.cantilever.f2_hz}};
    for (const auto& ch : checks)
        if (std::abs(ch.tip_value - ch.scan_value) > kCantileverMatchRel * ch.scan_value)
            r.fail(key + "." + ch.key, std::string("the tip radius was calibrated with ") + ch.key + " = " +
                                           yaml_number(ch.tip_value) + " but cantilever." + ch.key + " = " +
                                           yaml_number(ch.scan_value) +
                                           ": a different cantilever or calibration; recalibrate the tip on a "
                                           "reference with this one");
}

void finish_tilt_window(const ConfigReader& r, const std::string& key, ScanConfig& c) {
    if (c.tilt_window % 2 == 0) r.fail(key, "must be odd, got " + std::to_string(c.tilt_window));
}

void finish_max_angle(const ConfigReader& r, const std::string& key, ScanConfig& c) {
    const double a = c.tilt_correction.max_angle_deg;
    if (!(a > 0.0 && a < 90.0)) r.fail(key, "must be in (0, 90) degrees, got " + yaml_number(a));
}

void finish_max_bins(const ConfigReader& r, const std::string& key, ScanConfig& c) {
    const HistogramConfig& h = c.histogram;
    if (h.max_bins < h.min_bins)
        r.fail(key, std::to_string(h.max_bins) + " is below histogram.min_bins (" + std::to_string(h.min_bins) + ")");
}

void finish_axis(const ConfigReader& r, const std::string&, ScanConfig& c) {
    const HistogramConfig& h = c.histogram;
    if (h.log10_axis && h.fixed_range && !(h.fixed_lo_gpa > 0.0))
        r.fail("histogram.range", "a log10 axis needs lo > 0");
}

bool has_region_file(const RegionsConfig& g) {
    return !g.labels_file.empty() || !g.rois_file.empty() || !g.mask_files.empty();
}

// regions.auto: one source of regions in all.
void finish_auto(const ConfigReader& r, const std::string& key, ScanConfig& c) {
    const RegionsConfig& g = c.regions;
    const int sources = !g.labels_file.empty() + !g.rois_file.empty() + !g.mask_files.empty() + g.automatic.enabled;
    if (sources > 1) r.fail("regions", "give one of labels, rois, masks or auto: true, not several");
    if (g.automatic.enabled && !g.labels_file.empty())
        r.fail(key, "give either a label image (labels) or auto: true, not both");
}

void finish_class_feature(const ConfigReader& r, const std::string& key, ScanConfig& c) {
    const std::string& f = c.regions.automatic.class_feature;
    if (f != "roughness" && f != "modulus") r.fail(key, "expected roughness or modulus, got '" + f + "'");
}

void finish_angle_tolerance(const ConfigReader& r, const std::string& key, ScanConfig& c) {
    if (c.regions.automatic.angle_tolerance_deg >= 90.0) r.fail(key, "must be below 90 degrees");
}

void finish_min_area(const ConfigReader& r, const std::string& key, ScanConfig& c) {
    if (c.regions.automatic.min_area_um2 < 0.0) r.fail(key, "must be >= 0 (square micrometres)");
}

void finish_window_px(const ConfigReader& r, const std::string& key, ScanConfig& c) {
    if (c.regions.automatic.window_px % 2 == 0) r.fail(key, "must be odd (a window centred on the pixel)");
}

void finish_regions(const ConfigReader& r, const std::string&, ScanConfig& c) {
    const RegionsConfig& g = c.regions;
    if (!has_region_file(g) && !g.automatic.enabled && (!g.names.empty() || !g.classes.empty()))
        r.fail("regions.labels", "names/classes given without a label image, rois, masks or auto: true");
}

// The echo holds the keys of the one source given, and the interphase thickness.
void emit_regions(YAML::Emitter& out, const ScanConfig& c) {
    const RegionsConfig& g = c.regions;
    std::vector<std::string> keys;
    if (!g.labels_file.empty()) {
        keys = {"labels"};
    } else if (!g.rois_file.empty() || !g.mask_files.empty()) {
        if (!g.rois_file.empty()) keys.push_back("rois");
        if (!g.mask_files.empty()) keys.push_back("masks");
    } else if (g.automatic.enabled) {
        keys = {"auto",      "class_feature", "angle_tolerance_deg", "min_area_um2",
                "window_px", "crystal_class", "binder_class"};
    }
    if (!keys.empty()) {
        keys.push_back("edge_margin_px");
        keys.push_back("names");
        keys.push_back("classes");
    }
    keys.push_back("interphase_thickness_nm");  // also for the whole map as one region
    out << YAML::Key << "regions" << YAML::Value << YAML::BeginMap;
    for (const std::string& k : keys) emit_config_key(out, "regions." + k, c);
    out << YAML::EndMap;
}

// ---- the table -------------------------------------------------------------------------------

// Where a value lives: AT(cantilever.k1_n_per_m); an enum as its int: ENUM_AT(level, Leveling).
#define AT(member) [](ScanConfig& c) { return &c.member; }
#define ENUM_AT(member, Enum) \
    [](const ScanConfig& c) { return (int)c.member; }, [](ScanConfig& c, int v) { c.member = (Enum)v; }

// One channel's keys; `file_doc`, `unit_doc` and `scale_doc` are the template's comments.
#define CHANNEL_KEYS(role, file_need, file_doc, unit_doc, scale_doc)                                        \
    path("channels." #role ".file", file_need, AT(role.file), file_doc)                                     \
        .if_missing("required key missing (the channel's TIFF file)"),                                      \
        text("channels." #role ".unit", Need::Optional, AT(role.unit), unit_doc).then(finish_channel_unit), \
        number("channels." #role ".scale", Need::Optional, AT(role.scale), scale_doc).then(finish_channel_scale)
// TIFF directories are counted in 16 bits by many writers; larger indices are typos.
#define CHANNEL_PAGE(role)                                                   \
    integer("channels." #role ".page", Need::Unset, AT(role.page), 0, 65535, \
            "page of a multi-page TIFF holding one channel per page (0-based)")

// Long: the table itself, one row per key of the scan YAML.
std::vector<ConfigKey> build_schema() {
    const char* metres = "the unit is metres (e.g. 10.0e-6 for 10 um)";
    const char* amplitude_metres = "amplitudes are in metres (e.g. 105.0e-9 for 105 nm)";
    return {
        section("sample", Need::Optional, "optional description of the sample"),
        text("sample.name", Need::Optional, AT(sample), "sample name for reports"),
        integer("sample.cycle", Need::Optional, AT(cycle), -1, 1000000, "cycle number, 0 = pristine, -1 = unknown"),

        section("channels", Need::Required, "single-channel TIFF files, all the same size"),
        section("channels.height", Need::Required, "topography").if_missing("required channel missing"),
        CHANNEL_KEYS(height, Need::Required, "REQUIRED: topography TIFF", "unit of the file's values: m | nm | um",
                     "multiplies raw samples first (integer exports)"),
        CHANNEL_PAGE(height).show("0"),
        note("channels.height", "channel: HeightRetrace",
             ".ibw input (process FILE.ibw --config): the wave's channel name"),
        section("channels.phase1", Need::Required, "first-mode phase (90 deg = free, repulsive < 90)")
            .if_missing("required channel missing"),
        CHANNEL_KEYS(phase1, Need::Required, "REQUIRED: phase TIFF", "deg | rad", "multiplies raw samples first"),
        CHANNEL_PAGE(phase1).hidden(),
        section("channels.df2", Need::Required, "second-mode frequency shift").if_missing("required channel missing"),
        CHANNEL_KEYS(df2, Need::Required, "REQUIRED: frequency shift TIFF", "Hz | kHz", "multiplies raw samples first"),
        boolean("channels.df2.absolute", AT(df2.absolute),
                "true: the file holds f2 + df2; cantilever.f2 is subtracted"),
        CHANNEL_PAGE(df2).hidden(),
        section("channels.amplitude1", Need::Optional, "optional per-pixel first-mode amplitude")
            .when([](const ScanConfig& c) { return !c.amplitude1.file.empty(); }),
        CHANNEL_KEYS(amplitude1, Need::Optional, "empty: use cantilever.a1_set everywhere", "m | nm | um",
                     "multiplies raw samples first"),
        CHANNEL_PAGE(amplitude1).hidden(),
        note("channels.amplitude1", "page / channel", "as for height (.ibw: channel: none uses a1_set)"),

        section("stack", Need::Unset, "optional: every channel file is a multi-page TIFF, one page per scan")
            .then(finish_stack)
            .when([](const ScanConfig& c) { return c.stack.enabled; }),
        custom("stack.pages", Need::Optional, read_stack_pages, emit_stack_pages,
               "all | [0, 3, 5]: 0-based pages; results in page_000/, ... and stack.csv"),

        section("scan_size", Need::Required, "REQUIRED: physical scan size (set for your scan)"),
        number("scan_size.x", Need::Required, AT(scan_size_x_m), "fast axis")
            .in("m")
            .must_be_positive(1.0e-3, metres)
            .show("10.0e-6"),
        number("scan_size.y", Need::Required, AT(scan_size_y_m), "slow axis")
            .in("m")
            .must_be_positive(1.0e-3, metres)
            .show("10.0e-6"),

        section("cantilever", Need::Required, "REQUIRED: set from your cantilever's calibration"),
        number("cantilever.k1", Need::Required, AT(cantilever.k1_n_per_m), "first-mode spring constant")
            .in("N/m")
            .must_be_positive(),
        number("cantilever.q1", Need::Required, AT(cantilever.q1), "first-mode quality factor").must_be_positive(),
        number("cantilever.f1", Need::Required, AT(cantilever.f1_hz), "first-mode resonance")
            .in("Hz")
            .must_be_positive(),
        number("cantilever.f2", Need::Required, AT(cantilever.f2_hz), "second-mode resonance")
            .in("Hz")
            .must_be_positive(),
        number("cantilever.k2", Need::Unset, AT(cantilever.k2_n_per_m), "second-mode spring constant")
            .in("N/m", "; optional, default k1 (f2/f1)^2")
            .must_be_positive(),
        number("cantilever.a1_free", Need::Required, AT(cantilever.a1_free_m), "first-mode free amplitude")
            .in("m")
            .must_be_positive(1.0e-5, amplitude_metres),
        number("cantilever.a1_set", Need::Required, AT(cantilever.a1_set_m), "first-mode amplitude setpoint")
            .in("m")
            .must_be_positive(1.0e-5, amplitude_metres),
        number("cantilever.k1_uncertainty", Need::Unset, AT(k1_uncertainty_n_per_m), "1-sigma of k1")
            .in("N/m", "; optional, for the systematic uncertainty")
            .must_be_positive(),
        text("cantilever.source", Need::Unset, AT(cantilever_source), "where the values come from; simulated: "
             "a simulation's truth (no warning about the template's examples)").show("thermal tune"),

        section("tip", Need::Required, "REQUIRED"),
        number("tip.radius", Need::Required, AT(tip_radius_m), "effective contact radius")
            .in("m", " (from a reference calibration)")
            .must_be_positive(1.0e-5, "the unit is metres (e.g. 10.0e-9)"),
        // Where the radius came from: `amfm calibrate-tip` writes these.
        number("tip.uncertainty", Need::Unset, AT(tip_calibration.radius_uncertainty_m), "1-sigma of the radius")
            .in("m", "; `amfm calibrate-tip` writes it and the keys below")
            .must_be_positive(1.0e-5, "the unit is metres (e.g. 0.2e-9)"),
        text("tip.reference", Need::Unset, AT(tip_calibration.reference),
             "reference sample (reference_modulus: its modulus, Pa)")
            .show("polystyrene"),
        number("tip.reference_modulus", Need::Unset, AT(tip_calibration.reference_modulus_pa),
               "the reference's modulus")
            .in("Pa")
            .must_be_positive()
            .hidden(),
        note("tip", "date / source", "when and from which scan the radius was calibrated"),
        text("tip.date", Need::Unset, AT(tip_calibration.date), "ISO 8601, UTC").hidden(),
        text("tip.source", Need::Unset, AT(tip_calibration.source), "the reference scan's YAML").hidden(),
        section("tip.cantilever", Need::Unset, "the cantilever it was calibrated with (checked)")
            .show("{k1: 26.0, f1: 3.0e5, f2: 1.71e6}")
            .then(finish_tip_cantilever)
            .echo_as_flow()
            .when([](const ScanConfig& c) { return c.tip_calibration.k1_n_per_m > 0.0; }),
        number("tip.cantilever.k1", Need::Required, AT(tip_calibration.k1_n_per_m), "").in("N/m").must_be_positive(),
        number("tip.cantilever.f1", Need::Required, AT(tip_calibration.f1_hz), "").in("Hz").must_be_positive(),
        number("tip.cantilever.f2", Need::Required, AT(tip_calibration.f2_hz), "").in("Hz").must_be_positive(),

        section("processing", Need::Optional, "how the maps are computed"),
        choice("processing.level", ENUM_AT(level, Leveling), names_of(kLevelingNames, &LevelingName::level),
               "height levelling: {} (changes real facet tilt!)"),
        custom("processing.level_labels", Need::Unset, read_level_labels, emit_level_labels,
               "fit the levelling on these labels only (a flat reference area)")
            .show("[5]"),
        choice("processing.tilt_method", ENUM_AT(tilt_method, TiltMethod),
               names_of(kTiltMethodNames, &TiltMethodName::method),
               "slope: central (differences) | plane (local plane fit)"),
        integer("processing.tilt_window", Need::Optional, AT(tilt_window), 3, 255,
                "local plane window edge, pixels (odd, >= 3)")
            .then(finish_tilt_window),
        choice("processing.backend", AT(backend), {"auto", "cpu", "cuda"}, "compute backend: {}"),

        section("tilt_correction", Need::Optional, "corrected E = E / Kc(theta)"),
        choice("tilt_correction.model", ENUM_AT(tilt_correction.model, KcModel),
               names_of(kKcModelNames, &KcModelName::model), "Kc model: {}"),
        custom("tilt_correction.coefficients", Need::Optional, read_coefficients, emit_coefficients,
               "Kc = c0 + c1 theta + ... (theta in deg, up to 8)"),
        custom("tilt_correction.covariance", Need::Unset, read_kc_covariance, emit_kc_covariance,
               "the coefficients' covariance, row by row (`amfm fit-tilt` writes it; uncertainty budget)")
            .hidden(),
        number("tilt_correction.cos_exponent", Need::Optional, AT(tilt_correction.cos_exponent),
               "n in Kc = (cos theta)^n for model cos")
            .must_be_positive(),
        number("tilt_correction.max_angle_deg", Need::Optional, AT(tilt_correction.max_angle_deg),
               "pixels tilted more than this (deg) are masked")
            .then(finish_max_angle),

        section("histogram", Need::Optional, "per-region modulus histograms"),
        custom("histogram.bins", Need::Optional, read_bins, emit_bins, "auto, or a fixed number of bins >= 1"),
        choice("histogram.rule", AT(histogram.rule), {"fd", "sturges", "sqrt"},
               "automatic bin rule: fd | sturges | sqrt"),
        integer("histogram.min_bins", Need::Optional, AT(histogram.min_bins), 1, 1000000,
                "lower bound on automatic bins"),
        integer("histogram.max_bins", Need::Optional, AT(histogram.max_bins), 1, 1000000,
                "upper bound on automatic bins")
            .then(finish_max_bins),
        custom("histogram.range", Need::Optional, read_histogram_range, emit_histogram_range,
               "percentile, or [lo, hi] in GPa (fixed)"),
        custom("histogram.percentiles", Need::Optional, read_percentiles, emit_percentiles,
               "range for 'percentile', percent of each region's values"),
        choice("histogram.axis", ENUM_AT(histogram.log10_axis, bool),
               std::vector<std::pair<int, std::string>>{{0, "linear"}, {1, "log10"}}, "modulus axis: linear | log10")
            .then(finish_axis),

        section("fit", Need::Optional, "Gaussian fit of each region's histogram"),
        boolean("fit.offset", AT(fit.fit_offset), "also fit a constant background, counts"),
        integer("fit.max_iterations", Need::Optional, AT(fit.max_iterations), 1, 1000000,
                "Levenberg-Marquardt iteration limit"),
        number("fit.tolerance", Need::Optional, AT(fit.tolerance), "relative chi^2 change that ends a fit")
            .must_be_positive(),

        section("regions", Need::Optional, "optional label image and its names")
            .then(finish_regions)
            .echo(emit_regions),
        path("regions.labels", Need::Optional, AT(regions.labels_file),
             "8/16-bit TIFF or PNG, 0 = unlabelled; empty: whole map"),
        // Hand-drawn regions (roi_io.hpp).
        path("regions.rois", Need::Optional, AT(regions.rois_file), "ImageJ .roi or RoiSet .zip: ROI k is label k")
            .hidden(),
        custom("regions.masks", Need::Optional, read_masks, emit_masks,
               "label: mask image, e.g. {1: facet1.png, 2: facet2.png}")
            .hidden(),
        integer("regions.edge_margin_px", Need::Optional, AT(regions.edge_margin_px), 0, 100,
                "pixels beyond the slope stencil that keep a region's statistics off its edges"),
        custom("regions.names", Need::Optional, read_label_texts, emit_names,
               "label: name, e.g. {1: I, 2: II}; default the number"),
        custom("regions.classes", Need::Optional, read_label_texts, emit_classes,
               "label: class, e.g. {1: LNMO, 2: b/c}; default unclassified"),
        // Automatic regions (segmentation.hpp).
        boolean("regions.auto", AT(regions.automatic.enabled),
                "true: find crystal facets and binder/carbon instead of a label image")
            .then(finish_auto),
        text("regions.class_feature", Need::Optional, AT(regions.automatic.class_feature),
             "auto: roughness (topography) | modulus splits the classes")
            .then(finish_class_feature),
        number("regions.angle_tolerance_deg", Need::Optional, AT(regions.automatic.angle_tolerance_deg),
               "auto: normals within this angle form a facet")
            .must_be_positive()
            .then(finish_angle_tolerance),
        number("regions.min_area_um2", Need::Optional, AT(regions.automatic.min_area_um2),
               "auto: smallest crystal, hole or facet")
            .in("um^2")
            .then(finish_min_area),
        integer("regions.window_px", Need::Optional, AT(regions.automatic.window_px), 3, 101,
                "auto: local-plane window for normals, roughness (odd)")
            .then(finish_window_px),
        text("regions.crystal_class", Need::Optional, AT(regions.automatic.crystal_class), "auto: class of the facets"),
        text("regions.binder_class", Need::Optional, AT(regions.automatic.binder_class),
             "auto: name and class of the rest"),
        number("regions.interphase_thickness_nm", Need::Optional, AT(regions.interphase_thickness_nm),
               "layer thickness; regions indented > 1/5 of it are warned about")
            .in("nm", " (the paper's CEI: ~20)")
            .must_be_positive(1.0e6, "the unit is nanometres (e.g. 20)"),

        section("outputs", Need::Optional, "what the results folder gets besides regions.csv and regions.json"),
        boolean("outputs.maps", AT(outputs.maps), "modulus_gpa.tif, indentation_nm.tif, tilt_deg.tif, mask.tif (TIFF)"),
        boolean("outputs.gwy", AT(outputs.gwy), "results.gwy for Gwyddion (doubles: ~34 MB per 1024^2 scan)"),
        custom("outputs.figures", Need::Optional, read_figure_formats, emit_figure_formats,
               "figure formats [png, pdf, svg] (maps, mask, histograms with fits), or false"),
        number("outputs.dpi", Need::Optional, AT(outputs.dpi), "PNG figures' pixels per inch (maps: 1 px per scan px)")
            .must_be_positive(2400.0, "pixels per inch, e.g. 150"),
        choice("outputs.colormap", AT(outputs.colormap), {"viridis", "inferno", "grey", "diverging"},
               "modulus map colours: {}"),
        custom("outputs.range", Need::Optional, read_colour_range, emit_colour_range,
               "modulus map colour range: percentile (1-99 %), or [lo, hi] in GPa"),
    };
}

#undef CHANNEL_PAGE
#undef CHANNEL_KEYS
#undef ENUM_AT
#undef AT

}  // namespace

const char* const kConfigTemplateHeader =
    "# amfm scan configuration. SI units unless a key says otherwise; relative paths are\n"
    "# resolved against this file's folder. Unknown keys are rejected.\n";

const std::vector<ConfigKey>& config_schema() {
    static const std::vector<ConfigKey> schema = build_schema();
    return schema;
}

void check_scan_config(const ConfigReader& r, const ScanConfig& c) {
    if (c.level_labels.empty()) return;
    if (c.regions.automatic.enabled)
        r.fail("processing.level_labels",
               "automatic regions are found after levelling; name the reference "
               "area with regions.labels, rois or masks");
    if (!has_region_file(c.regions))
        r.fail("processing.level_labels", "needs regions.labels, rois or masks to say where the labels are");
}

}  // namespace amfm
