// The scan YAML contract: exact parsing, every class of error naming file and key,
// overrides, the commented template and the config echo round trip.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "amfm/kernels/error.hpp"
#include "host/model/config.hpp"
#include "test_util.hpp"

namespace {

using namespace amfm;
namespace fs = std::filesystem;

const char* kContract = R"(
sample: {name: "LNMO pristine", cycle: 0}
channels:
  height:     {file: height.tif, unit: nm, scale: 0.5}
  phase1:     {file: phase1.tif, unit: deg}
  df2:        {file: sub/df2.tif, unit: kHz, absolute: true}
  amplitude1: {file: amp1.tif, unit: um}
scan_size: {x: 10.0e-6, y: 5.0e-6}
cantilever: {k1: 26.0, q1: 450.0, f1: 300.0e3, f2: 1.71e6, a1_free: 150.0e-9, a1_set: 105.0e-9}
tip: {radius: 10.0e-9}
processing: {level: plane, tilt_method: plane, tilt_window: 5, backend: cpu}
tilt_correction: {model: polynomial, coefficients: [1.00031, 0.00161, -1.43861e-4, -2.55867e-5, 4.53632e-7], cos_exponent: 2.5, max_angle_deg: 45}
histogram: {bins: auto, rule: sturges, min_bins: 12, max_bins: 150, range: percentile, percentiles: [1, 99], axis: log10}
fit: {offset: true, max_iterations: 50, tolerance: 1.0e-7}
regions: {labels: labels.tif, names: {1: I, 2: II}, classes: {1: LNMO, 2: "b/c"}}
)";

// The same base folder on every machine, without writing a machine path into a file.
const std::string kBase = (fs::temp_directory_path() / "scans").string();

std::string abs_in_base(const std::string& rel) {
    return fs::absolute(fs::path(kBase) / rel).lexically_normal().string();
}

ScanConfig parse(const std::string& text, const std::vector<std::string>& ov = {}) {
    return parse_scan_config(text, kBase, "scan.yaml", ov);
}

// A ConfigError whose message holds every one of `parts` (file, key, ...).
void expect_config_error(const std::string& text, std::initializer_list<std::string> parts,
                         const std::vector<std::string>& ov = {}) {
    try {
        parse(text, ov);
        FAIL() << "no ConfigError; expected one mentioning " << *parts.begin();
    } catch (const ConfigError& e) {
        const std::string msg = e.what();
        EXPECT_EQ(msg.rfind("scan.yaml", 0), 0u) << msg;
        for (const std::string& p : parts) EXPECT_NE(msg.find(p), std::string::npos) << "'" << p << "' not in: " << msg;
    }
}

std::string replace(std::string s, const std::string& from, const std::string& to) {
    const auto pos = s.find(from);
    EXPECT_NE(pos, std::string::npos) << from;
    if (pos != std::string::npos) s.replace(pos, from.size(), to);
    return s;
}

const char* kMinimal = R"(
channels:
  height: {file: h.tif}
  phase1: {file: p.tif}
  df2: {file: d.tif}
scan_size: {x: 2.0e-6, y: 2.0e-6}
cantilever: {k1: 2, q1: 100, f1: 70.0e3, f2: 440.0e3, a1_free: 80.0e-9, a1_set: 60.0e-9}
tip: {radius: 8.0e-9}
)";

TEST(Config, ContractExampleParsesExactly) {
    const ScanConfig c = parse(kContract);
    EXPECT_EQ(c.source, "scan.yaml");
    EXPECT_EQ(c.sample, "LNMO pristine");
    EXPECT_EQ(c.cycle, 0);
    EXPECT_EQ(c.height.file, abs_in_base("height.tif"));
    EXPECT_EQ(c.height.unit, "nm");
    EXPECT_EQ(c.height.scale, 0.5);
    EXPECT_FALSE(c.height.absolute);
    EXPECT_EQ(c.phase1.file, abs_in_base("phase1.tif"));
    EXPECT_EQ(c.phase1.unit, "deg");
    EXPECT_EQ(c.phase1.scale, 1.0);
    EXPECT_EQ(c.df2.file, abs_in_base("sub/df2.tif"));
    EXPECT_EQ(c.df2.unit, "kHz");
    EXPECT_TRUE(c.df2.absolute);
    EXPECT_EQ(c.amplitude1.file, abs_in_base("amp1.tif"));
    EXPECT_EQ(c.amplitude1.unit, "um");
    EXPECT_EQ(c.scan_size_x_m, 10.0e-6);
    EXPECT_EQ(c.scan_size_y_m, 5.0e-6);
    EXPECT_EQ(c.cantilever.k1_n_per_m, 26.0);
    EXPECT_EQ(c.cantilever.q1, 450.0);
    EXPECT_EQ(c.cantilever.f1_hz, 300.0e3);
    EXPECT_EQ(c.cantilever.f2_hz, 1.71e6);
    EXPECT_EQ(c.cantilever.k2_n_per_m, 0.0);
    EXPECT_EQ(c.cantilever.a1_free_m, 150.0e-9);
    EXPECT_EQ(c.cantilever.a1_set_m, 105.0e-9);
    EXPECT_EQ(c.tip_radius_m, 10.0e-9);
    EXPECT_EQ(c.level, Leveling::Plane);
    EXPECT_EQ(c.tilt_method, TiltMethod::LocalPlane);
    EXPECT_EQ(c.tilt_window, 5);
    EXPECT_EQ(c.backend, "cpu");
    EXPECT_EQ(c.tilt_correction.model, KcModel::Polynomial);
    ASSERT_EQ(c.tilt_correction.n_coefficients, 5);
    const double coeffs[5] = {1.00031, 0.00161, -1.43861e-4, -2.55867e-5, 4.53632e-7};
    for (int i = 0; i < 5; ++i) EXPECT_EQ(c.tilt_correction.coefficients[i], coeffs[i]);
    EXPECT_EQ(c.tilt_correction.cos_exponent, 2.5);
    EXPECT_EQ(c.tilt_correction.max_angle_deg, 45.0);
    EXPECT_EQ(c.histogram.bins, 0);
    EXPECT_EQ(c.histogram.rule, "sturges");
    EXPECT_EQ(c.histogram.min_bins, 12);
    EXPECT_EQ(c.histogram.max_bins, 150);
    EXPECT_FALSE(c.histogram.fixed_range);
    EXPECT_EQ(c.histogram.lo_percentile, 1.0);
    EXPECT_EQ(c.histogram.hi_percentile, 99.0);
    EXPECT_TRUE(c.histogram.log10_axis);
    EXPECT_EQ(c.fit.fit_offset, 1);
    EXPECT_EQ(c.fit.max_iterations, 50);
    EXPECT_EQ(c.fit.tolerance, 1.0e-7);
    EXPECT_EQ(c.regions.labels_file, abs_in_base("labels.tif"));
    EXPECT_EQ(c.regions.names, (std::map<int, std::string>{{1, "I"}, {2, "II"}}));
    EXPECT_EQ(c.regions.classes, (std::map<int, std::string>{{1, "LNMO"}, {2, "b/c"}}));
}

TEST(Config, DefaultsForOptionalSections) {
    const ScanConfig c = parse(kMinimal);
    const ScanConfig d;
    EXPECT_EQ(c.sample, "");
    EXPECT_EQ(c.cycle, -1);
    EXPECT_EQ(c.height.unit, "m");
    EXPECT_EQ(c.phase1.unit, "deg");
    EXPECT_EQ(c.df2.unit, "Hz");
    EXPECT_TRUE(c.amplitude1.file.empty());
    EXPECT_EQ(c.level, Leveling::None);
    EXPECT_EQ(c.tilt_method, TiltMethod::CentralDifference);
    EXPECT_EQ(c.tilt_window, 3);
    EXPECT_EQ(c.backend, "auto");
    EXPECT_EQ(c.tilt_correction.n_coefficients, d.tilt_correction.n_coefficients);
    for (int i = 0; i < kMaxKcCoefficients; ++i)
        EXPECT_EQ(c.tilt_correction.coefficients[i], d.tilt_correction.coefficients[i]);
    EXPECT_EQ(c.histogram.bins, 0);
    EXPECT_EQ(c.histogram.rule, "fd");
    EXPECT_EQ(c.histogram.min_bins, 10);
    EXPECT_EQ(c.histogram.max_bins, 200);
    EXPECT_EQ(c.fit.max_iterations, 100);
    EXPECT_TRUE(c.regions.labels_file.empty());
}

TEST(Config, FixedRangeAndKnobs) {
    const ScanConfig c = parse(replace(kMinimal, "k1: 2,", "k1: 2, k2: 80,") +
                               "histogram: {bins: 40, range: [0.5, 250]}\n"
                               "tilt_correction: {model: cos, cos_exponent: 3, coefficients: [1, 0.01]}\n"
                               "fit: {offset: false}\n");
    EXPECT_EQ(c.histogram.bins, 40);
    EXPECT_TRUE(c.histogram.fixed_range);
    EXPECT_EQ(c.histogram.fixed_lo_gpa, 0.5);
    EXPECT_EQ(c.histogram.fixed_hi_gpa, 250.0);
    EXPECT_EQ(c.tilt_correction.model, KcModel::CosPower);
    EXPECT_EQ(c.tilt_correction.cos_exponent, 3.0);
    EXPECT_EQ(c.tilt_correction.n_coefficients, 2);
    EXPECT_EQ(c.tilt_correction.coefficients[1], 0.01);
    EXPECT_EQ(c.tilt_correction.coefficients[2], 0.0);  // the default's third term is gone
    EXPECT_EQ(c.cantilever.k2_n_per_m, 80.0);
    EXPECT_EQ(c.fit.fit_offset, 0);
}

TEST(Config, UnknownKeys) {
    expect_config_error(replace(kContract, "  height:", "  heigth:"),
                        {"unknown key 'channels.heigth'", "expected one of: height, phase1, df2, amplitude1"});
    expect_config_error(std::string(kMinimal) + "tips: {radius: 1.0e-9}\n", {"unknown key 'tips'", "tip"});
    expect_config_error(replace(kContract, "cos_exponent", "cos_exponant"),
                        {"unknown key 'tilt_correction.cos_exponant'"});
    expect_config_error(replace(kMinimal, "{file: h.tif}", "{file: h.tif, absolute: true}"),
                        {"unknown key 'channels.height.absolute'"});
}

TEST(Config, WrongUnits) {
    expect_config_error(replace(kContract, "unit: deg", "unit: m"),
                        {"channels.phase1.unit: 'm' is not a phase unit (deg, rad)"});
    expect_config_error(replace(kContract, "unit: nm", "unit: mm"), {"channels.height.unit", "'mm'"});
    expect_config_error(replace(kContract, "unit: kHz", "unit: deg"), {"channels.df2.unit", "Hz, kHz"});
    expect_config_error(replace(kContract, "unit: um", "unit: Hz"), {"channels.amplitude1.unit"});
    // SI values given in other units are caught by plausibility limits.
    expect_config_error(replace(kContract, "x: 10.0e-6", "x: 10.0"), {"scan_size.x", "metres"});
    expect_config_error(replace(kContract, "radius: 10.0e-9", "radius: 10"), {"tip.radius", "metres"});
}

TEST(Config, MissingRequiredKeys) {
    expect_config_error(replace(kContract, "tip: {radius: 10.0e-9}", ""), {"tip", "required"});
    expect_config_error(replace(kContract, "q1: 450.0, ", ""), {"cantilever.q1", "required"});
    expect_config_error(replace(kContract, "  phase1:     {file: phase1.tif, unit: deg}\n", ""),
                        {"channels.phase1", "required"});
    expect_config_error(replace(kContract, "{file: height.tif, unit: nm, scale: 0.5}", "{unit: nm}"),
                        {"channels.height.file", "required"});
    expect_config_error(replace(kContract, "scan_size: {x: 10.0e-6, y: 5.0e-6}", "scan_size: {x: 10.0e-6}"),
                        {"scan_size.y", "required"});
    expect_config_error("", {"channels", "required"});
}

// processing.level_labels: the reference area of the levelling, checked against the rest of the
// file (a levelling to fit, a label image to take the labels from) and echoed back.
TEST(Config, LevelLabels) {
    const std::string with = replace(kContract, "level: plane,", "level: plane, level_labels: [2, 1],");
    const ScanConfig c = parse(with);
    EXPECT_EQ(c.level_labels, (std::vector<int>{2, 1}));
    EXPECT_EQ(parse_scan_config(config_to_yaml(c), "elsewhere", "scan.yaml").level_labels, c.level_labels);
    EXPECT_TRUE(parse(kContract).level_labels.empty());
    expect_config_error(replace(with, "level: plane,", "level: none,"), {"processing.level_labels", "plane or rows"});
    expect_config_error(replace(with, "[2, 1]", "[2, 2]"), {"processing.level_labels[1]", "twice"});
    expect_config_error(replace(with, "[2, 1]", "[0]"), {"processing.level_labels[0]", "1..65535"});
    expect_config_error(replace(with, "[2, 1]", "5"), {"processing.level_labels", "list"});
    expect_config_error(replace(with, "regions: {labels: labels.tif, names: {1: I, 2: II}, classes: {1: LNMO, 2: \"b/c\"}}", ""),
                        {"processing.level_labels", "regions.labels"});
    expect_config_error(replace(with, "labels: labels.tif,", "auto: true,"), {"processing.level_labels", "automatic"});
}

TEST(Config, WrongTypesAndRanges) {
    expect_config_error(replace(kContract, "k1: 26.0", "k1: stiff"), {"cantilever.k1", "number", "'stiff'"});
    expect_config_error(replace(kContract, "k1: 26.0", "k1: [26]"), {"cantilever.k1", "number"});
    expect_config_error(replace(kContract, "k1: 26.0", "k1: -26.0"), {"cantilever.k1", "> 0"});
    expect_config_error(replace(kContract, "tilt_window: 5", "tilt_window: 4"), {"processing.tilt_window", "odd"});
    expect_config_error(replace(kContract, "tilt_window: 5", "tilt_window: 1"), {"processing.tilt_window"});
    expect_config_error(replace(kContract, "tilt_window: 5", "tilt_window: 5.5"),
                        {"processing.tilt_window", "integer"});
    expect_config_error(replace(kContract, "max_angle_deg: 45", "max_angle_deg: 90"),
                        {"tilt_correction.max_angle_deg"});
    expect_config_error(replace(kContract, "offset: true", "offset: maybe"), {"fit.offset", "true or false"});
    expect_config_error(replace(kContract, "percentiles: [1, 99]", "percentiles: [99, 1]"),
                        {"histogram.percentiles", "lo < hi"});
    expect_config_error(replace(kContract, "range: percentile", "range: [5, 1]"), {"histogram.range"});
    expect_config_error(replace(kContract, "range: percentile", "range: [0, 10]"), {"histogram.range", "log10"});
    expect_config_error(replace(kContract, "bins: auto", "bins: 0"), {"histogram.bins"});
    expect_config_error(replace(kContract, "min_bins: 12", "min_bins: 500"), {"histogram.max_bins"});
    expect_config_error(replace(kContract, "coefficients: [", "coefficients: [1, 2, 3, 4, "),
                        {"tilt_correction.coefficients", "1 to 8"});
    expect_config_error(replace(kContract, "names: {1: I, 2: II}", "names: {0: bg}"), {"regions.names.0"});
    expect_config_error(replace(kContract, "labels: labels.tif, ", ""), {"regions.labels"});
    expect_config_error(replace(kMinimal, "tip: {radius: 8.0e-9}", "tip: 8.0e-9"), {"tip", "mapping"});
}

TEST(Config, DuplicateKeys) {
    expect_config_error(std::string(kMinimal) + "tip: {radius: 9.0e-9}\n", {"tip", "duplicate"});
    expect_config_error(replace(kContract, "names: {1: I,", "names: {1: I, 1: one,"), {"regions.names.1", "duplicate"});
}

TEST(Config, BadEnumValues) {
    expect_config_error(replace(kContract, "level: plane", "level: planar"),
                        {"processing.level", "'planar'", "none, plane, rows"});
    expect_config_error(replace(kContract, "model: polynomial", "model: poly"), {"tilt_correction.model"});
    expect_config_error(replace(kContract, "backend: cpu", "backend: gpu"), {"processing.backend", "cuda"});
    expect_config_error(replace(kContract, "rule: sturges", "rule: scott"), {"histogram.rule"});
    expect_config_error(replace(kContract, "axis: log10", "axis: log"), {"histogram.axis"});
}

TEST(Config, YamlSyntaxErrorNamesLine) {
    expect_config_error("channels:\n  height: {file: h.tif\n  phase1: x\n", {"syntax", "line"});
    try {
        parse("sample: {name: x}\ntip: {radius: 1}\nfit: a: b\nhistogram: {}\n");
        FAIL();
    } catch (const ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("line 3"), std::string::npos) << e.what();
    }
}

TEST(Config, OverridesChangeValuesAndAreValidated) {
    const ScanConfig c = parse(kContract, {"tip.radius=8e-9", "processing.level=rows",
                                           "tilt_correction.coefficients=[1,0.01]", "sample.name=cycle 5",
                                           "histogram.range=[1, 2]", "regions.names.3=III",
                                           "channels.height.unit=um", "cantilever.k2=90"});
    EXPECT_EQ(c.tip_radius_m, 8e-9);
    EXPECT_EQ(c.level, Leveling::Rows);
    EXPECT_EQ(c.tilt_correction.n_coefficients, 2);
    EXPECT_EQ(c.tilt_correction.coefficients[0], 1.0);
    EXPECT_EQ(c.tilt_correction.coefficients[1], 0.01);
    EXPECT_EQ(c.sample, "cycle 5");
    EXPECT_TRUE(c.histogram.fixed_range);
    EXPECT_EQ(c.histogram.fixed_hi_gpa, 2.0);
    EXPECT_EQ(c.regions.names.at(3), "III");
    EXPECT_EQ(c.height.unit, "um");
    EXPECT_EQ(c.cantilever.k2_n_per_m, 90.0);

    // Intermediate maps are created: a section absent from the file.
    const ScanConfig m = parse(kMinimal, {"fit.tolerance=1e-6"});
    EXPECT_EQ(m.fit.tolerance, 1e-6);

    // Overrides go through the same checks as the file.
    expect_config_error(kContract, {"processing.level", "'sideways'"}, {"processing.level=sideways"});
    expect_config_error(kContract, {"unknown key 'tip.radius_nm'"}, {"tip.radius_nm=8"});
    expect_config_error(kContract, {"channels.phase1.unit", "'m'"}, {"channels.phase1.unit=m"});
    expect_config_error(kContract, {"override", "tip.radius"}, {"tip.radius"});
    expect_config_error(kContract, {"override", "=8"}, {"=8"});
    expect_config_error(kContract, {"override", "tip..radius"}, {"tip..radius=1"});
    expect_config_error(kContract, {"override", "[1,"}, {"tilt_correction.coefficients=[1,"});
    expect_config_error(kContract, {"override", "'k1'"}, {"cantilever.k1.x=3"});
}

TEST(Config, LoadFromFileResolvesAgainstItsFolder) {
    amfm_test::TempDir d;
    fs::create_directories(d.path() / "run");
    const std::string path = (d.path() / "run" / "scan.yaml").string();
    {
        std::ofstream out(path);
        out << kContract;
    }
    const ScanConfig c = load_scan_config(path, {"fit.max_iterations=7"});
    EXPECT_EQ(c.source, path);
    EXPECT_EQ(fs::path(c.height.file), (d.path() / "run" / "height.tif").lexically_normal());
    EXPECT_EQ(fs::path(c.df2.file), (d.path() / "run" / "sub" / "df2.tif").lexically_normal());
    EXPECT_EQ(c.fit.max_iterations, 7);

    {
        std::ofstream out(path);
        out << replace(kContract, "  height:", "  heigth:");
    }
    try {
        load_scan_config(path);
        FAIL();
    } catch (const ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find(path + ": unknown key 'channels.heigth'"), std::string::npos) << e.what();
    }
    EXPECT_THROW(load_scan_config(d.file("absent.yaml")), ConfigError);
}

TEST(Config, TemplateParsesAfterFillingFilesAndHoldsDefaults) {
    const std::string tpl = default_config_yaml();
    // Every key present and commented.
    for (const char* key : {"sample:", "name:", "cycle:", "channels:", "height:", "phase1:", "df2:", "amplitude1:",
                            "file:", "unit:", "scale:", "absolute:", "scan_size:", "cantilever:", "k1:", "q1:",
                            "f1:", "f2:", "k2:", "a1_free:", "a1_set:", "tip:", "radius:", "processing:", "level:",
                            "tilt_method:", "tilt_window:", "backend:", "tilt_correction:", "model:",
                            "coefficients:", "cos_exponent:", "max_angle_deg:", "histogram:", "bins:", "rule:",
                            "min_bins:", "max_bins:", "range:", "percentiles:", "axis:", "fit:", "offset:",
                            "max_iterations:", "tolerance:", "regions:", "labels:", "names:", "classes:"})
        EXPECT_NE(tpl.find(key), std::string::npos) << key;
    std::istringstream lines(tpl);
    for (std::string line; std::getline(lines, line);)
        if (line.find(':') != std::string::npos && line.find(':') < line.find('#')) {
            EXPECT_NE(line.find('#'), std::string::npos) << "uncommented key line: " << line;
        }

    // As written, the required files are missing.
    expect_config_error(tpl, {"channels.height.file", "required"});

    std::string filled = tpl;
    int n = 0;
    for (const char* f : {"h.tif", "p.tif", "d.tif"}) {
        const auto pos = filled.find("file: \"\"");
        ASSERT_NE(pos, std::string::npos);
        filled.replace(pos, 8, std::string("file: ") + f);
        ++n;
    }
    const ScanConfig c = parse(filled);
    const ScanConfig d;
    EXPECT_EQ(c.height.file, abs_in_base("h.tif"));
    EXPECT_TRUE(c.amplitude1.file.empty());
    EXPECT_TRUE(c.regions.labels_file.empty());
    EXPECT_EQ(c.cycle, d.cycle);
    EXPECT_EQ(c.cantilever.k1_n_per_m, d.cantilever.k1_n_per_m);
    EXPECT_EQ(c.cantilever.q1, d.cantilever.q1);
    EXPECT_EQ(c.cantilever.f1_hz, d.cantilever.f1_hz);
    EXPECT_EQ(c.cantilever.f2_hz, d.cantilever.f2_hz);
    EXPECT_EQ(c.cantilever.k2_n_per_m, d.cantilever.k2_n_per_m);
    EXPECT_EQ(c.cantilever.a1_free_m, d.cantilever.a1_free_m);
    EXPECT_EQ(c.cantilever.a1_set_m, d.cantilever.a1_set_m);
    EXPECT_EQ(c.tip_radius_m, d.tip_radius_m);
    EXPECT_EQ(c.level, d.level);
    EXPECT_EQ(c.tilt_method, d.tilt_method);
    EXPECT_EQ(c.tilt_window, d.tilt_window);
    EXPECT_EQ(c.backend, d.backend);
    EXPECT_EQ(c.tilt_correction.model, d.tilt_correction.model);
    EXPECT_EQ(c.tilt_correction.n_coefficients, d.tilt_correction.n_coefficients);
    for (int i = 0; i < kMaxKcCoefficients; ++i)
        EXPECT_EQ(c.tilt_correction.coefficients[i], d.tilt_correction.coefficients[i]);
    EXPECT_EQ(c.tilt_correction.cos_exponent, d.tilt_correction.cos_exponent);
    EXPECT_EQ(c.tilt_correction.max_angle_deg, d.tilt_correction.max_angle_deg);
    EXPECT_EQ(c.histogram.bins, d.histogram.bins);
    EXPECT_EQ(c.histogram.rule, d.histogram.rule);
    EXPECT_EQ(c.histogram.min_bins, d.histogram.min_bins);
    EXPECT_EQ(c.histogram.max_bins, d.histogram.max_bins);
    EXPECT_EQ(c.histogram.fixed_range, d.histogram.fixed_range);
    EXPECT_EQ(c.histogram.lo_percentile, d.histogram.lo_percentile);
    EXPECT_EQ(c.histogram.hi_percentile, d.histogram.hi_percentile);
    EXPECT_EQ(c.histogram.log10_axis, d.histogram.log10_axis);
    EXPECT_EQ(c.fit.fit_offset, d.fit.fit_offset);
    EXPECT_EQ(c.fit.max_iterations, d.fit.max_iterations);
    EXPECT_EQ(c.fit.tolerance, d.fit.tolerance);
}

void expect_same(const ScanConfig& a, const ScanConfig& b) {
    EXPECT_EQ(a.sample, b.sample);
    EXPECT_EQ(a.cycle, b.cycle);
    for (auto ch : {&ScanConfig::height, &ScanConfig::phase1, &ScanConfig::df2, &ScanConfig::amplitude1}) {
        EXPECT_EQ((a.*ch).file, (b.*ch).file);
        EXPECT_EQ((a.*ch).unit, (b.*ch).unit);
        EXPECT_EQ((a.*ch).scale, (b.*ch).scale);
        EXPECT_EQ((a.*ch).absolute, (b.*ch).absolute);
    }
    EXPECT_EQ(a.scan_size_x_m, b.scan_size_x_m);
    EXPECT_EQ(a.scan_size_y_m, b.scan_size_y_m);
    EXPECT_EQ(a.cantilever.k1_n_per_m, b.cantilever.k1_n_per_m);
    EXPECT_EQ(a.cantilever.q1, b.cantilever.q1);
    EXPECT_EQ(a.cantilever.f1_hz, b.cantilever.f1_hz);
    EXPECT_EQ(a.cantilever.f2_hz, b.cantilever.f2_hz);
    EXPECT_EQ(a.cantilever.k2_n_per_m, b.cantilever.k2_n_per_m);
    EXPECT_EQ(a.cantilever.a1_free_m, b.cantilever.a1_free_m);
    EXPECT_EQ(a.cantilever.a1_set_m, b.cantilever.a1_set_m);
    EXPECT_EQ(a.tip_radius_m, b.tip_radius_m);
    EXPECT_EQ(a.level, b.level);
    EXPECT_EQ(a.tilt_method, b.tilt_method);
    EXPECT_EQ(a.tilt_window, b.tilt_window);
    EXPECT_EQ(a.backend, b.backend);
    EXPECT_EQ(a.tilt_correction.model, b.tilt_correction.model);
    EXPECT_EQ(a.tilt_correction.n_coefficients, b.tilt_correction.n_coefficients);
    for (int i = 0; i < kMaxKcCoefficients; ++i)
        EXPECT_EQ(a.tilt_correction.coefficients[i], b.tilt_correction.coefficients[i]) << i;
    EXPECT_EQ(a.tilt_correction.cos_exponent, b.tilt_correction.cos_exponent);
    EXPECT_EQ(a.tilt_correction.max_angle_deg, b.tilt_correction.max_angle_deg);
    EXPECT_EQ(a.histogram.bins, b.histogram.bins);
    EXPECT_EQ(a.histogram.rule, b.histogram.rule);
    EXPECT_EQ(a.histogram.min_bins, b.histogram.min_bins);
    EXPECT_EQ(a.histogram.max_bins, b.histogram.max_bins);
    EXPECT_EQ(a.histogram.fixed_range, b.histogram.fixed_range);
    EXPECT_EQ(a.histogram.lo_percentile, b.histogram.lo_percentile);
    EXPECT_EQ(a.histogram.hi_percentile, b.histogram.hi_percentile);
    EXPECT_EQ(a.histogram.fixed_lo_gpa, b.histogram.fixed_lo_gpa);
    EXPECT_EQ(a.histogram.fixed_hi_gpa, b.histogram.fixed_hi_gpa);
    EXPECT_EQ(a.histogram.log10_axis, b.histogram.log10_axis);
    EXPECT_EQ(a.fit.fit_offset, b.fit.fit_offset);
    EXPECT_EQ(a.fit.max_iterations, b.fit.max_iterations);
    EXPECT_EQ(a.fit.tolerance, b.fit.tolerance);
    EXPECT_EQ(a.regions.labels_file, b.regions.labels_file);
    EXPECT_EQ(a.regions.names, b.regions.names);
    EXPECT_EQ(a.regions.classes, b.regions.classes);
}

TEST(Config, EchoRoundTripsEveryField) {
    const ScanConfig a = parse(kContract);
    const std::string text = config_to_yaml(a);
    expect_same(parse_scan_config(text, "elsewhere", "scan.yaml"), a);

    // Awkward values: odd doubles, a name YAML would misread, a fixed range, k2, 8 coefficients.
    ScanConfig b = parse(kMinimal, {"sample.name='yes: no # 1'", "sample.cycle=12", "cantilever.k2=0.1234567890123",
                                    "histogram.range=[0.1, 300.5]", "histogram.bins=64",
                                    "tilt_correction.coefficients=[1, 2e-3, 3e-4, 4e-5, 5e-6, 6e-7, 7e-8, 0.1]",
                                    "tilt_correction.model=none", "processing.tilt_method=plane",
                                    "channels.df2.absolute=true", "channels.height.scale=3.0517578125e-05",
                                    "regions.labels=l.png", "regions.classes.7=b/c"});
    b.tip_radius_m = 1.0 / 3.0 * 1e-8;
    const ScanConfig b2 = parse_scan_config(config_to_yaml(b), "elsewhere", "scan.yaml");
    EXPECT_EQ(b2.sample, "yes: no # 1");
    expect_same(b2, b);
}

// Every optional part of the schema away from its default: the echo reads back to the same
// configuration, and echoing that again gives the same text.
TEST(Config, EchoOfNonDefaultConfigParsesBack) {
    const std::vector<std::string> common = {
        "sample.cycle=7", "channels.height.page=2", "channels.phase1.page=0", "channels.df2.page=1",
        "channels.amplitude1.page=3", "cantilever.k2=80", "cantilever.k1_uncertainty=0.4", "tip.uncertainty=2.0e-10",
        "tip.reference=polystyrene", "tip.reference_modulus=3.3e9", "tip.date=2024-05-01T10:00:00Z",
        "tip.source=ref/scan.yaml", "tip.cantilever={k1: 26.1, f1: 3.0e5, f2: 1.71e6}",
        "tilt_correction.model=cos", "tilt_correction.max_angle_deg=60", "histogram.bins=64",
        "histogram.range=[0.5, 250]", "histogram.axis=linear", "fit.offset=false", "outputs.maps=false",
        "outputs.gwy=true", "outputs.figures=false"};
    const std::vector<std::vector<std::string>> variants = {
        {"regions.labels=l.tif", "regions.names={1: I}", "regions.classes={2: b/c}", "processing.level_labels=[2, 1]"},
        {"regions.labels=", "regions.rois=r.zip", "regions.names={1: I}", "processing.level_labels=[1]",
         "regions.edge_margin_px=1"},
        {"regions.labels=", "regions.masks={4: m4.png, 1: m1.png}", "regions.classes={4: x}",
         "processing.level_labels=[4]"},
        {"regions.labels=", "regions.auto=true", "regions.class_feature=modulus", "regions.window_px=7",
         "regions.edge_margin_px=2", "regions.min_area_um2=0.5", "regions.angle_tolerance_deg=5",
         "regions.crystal_class=LNMO", "regions.binder_class=CB", "processing.level=none"},
    };
    for (const auto& variant : variants) {
        std::vector<std::string> ov = common;
        ov.insert(ov.end(), variant.begin(), variant.end());
        const ScanConfig a = parse(kContract, ov);
        const std::string text = config_to_yaml(a);
        const ScanConfig b = parse_scan_config(text, "elsewhere", "scan.yaml");
        expect_same(b, a);
        EXPECT_EQ(config_to_yaml(b), text);
        EXPECT_EQ(b.height.page, 2);
        EXPECT_EQ(b.amplitude1.page, 3);
        EXPECT_EQ(b.level_labels, a.level_labels);
        EXPECT_EQ(b.k1_uncertainty_n_per_m, 0.4);
        EXPECT_EQ(b.tip_calibration.radius_uncertainty_m, 2.0e-10);
        EXPECT_EQ(b.tip_calibration.reference, "polystyrene");
        EXPECT_EQ(b.tip_calibration.reference_modulus_pa, 3.3e9);
        EXPECT_EQ(b.tip_calibration.date, "2024-05-01T10:00:00Z");
        EXPECT_EQ(b.tip_calibration.source, "ref/scan.yaml");
        EXPECT_EQ(b.tip_calibration.k1_n_per_m, 26.1);
        EXPECT_EQ(b.tip_calibration.f2_hz, 1.71e6);
        EXPECT_EQ(b.regions.rois_file, a.regions.rois_file);
        EXPECT_EQ(b.regions.mask_files, a.regions.mask_files);
        EXPECT_EQ(b.regions.automatic.enabled, a.regions.automatic.enabled);
        EXPECT_EQ(b.regions.automatic.class_feature, a.regions.automatic.class_feature);
        EXPECT_EQ(b.regions.automatic.window_px, a.regions.automatic.window_px);
        EXPECT_EQ(b.regions.edge_margin_px, a.regions.edge_margin_px);
        EXPECT_EQ(b.regions.automatic.min_area_um2, a.regions.automatic.min_area_um2);
        EXPECT_EQ(b.regions.automatic.angle_tolerance_deg, a.regions.automatic.angle_tolerance_deg);
        EXPECT_EQ(b.regions.automatic.crystal_class, a.regions.automatic.crystal_class);
        EXPECT_EQ(b.regions.automatic.binder_class, a.regions.automatic.binder_class);
        EXPECT_FALSE(b.outputs.maps);
        EXPECT_TRUE(b.outputs.gwy);
        EXPECT_TRUE(b.outputs.figures.empty());
    }

    // A stack: the channel pages give way to stack.pages.
    const ScanConfig s = parse(kContract, {"stack.pages=[5, 0, 3]"});
    const ScanConfig s2 = parse_scan_config(config_to_yaml(s), "elsewhere", "scan.yaml");
    EXPECT_TRUE(s2.stack.enabled);
    EXPECT_EQ(s2.stack.pages, (std::vector<int>{0, 3, 5}));
    EXPECT_TRUE(parse_scan_config(config_to_yaml(parse(kContract, {"stack={}"})), "e", "scan.yaml").stack.enabled);
}

TEST(Config, EchoKeepsEveryDoubleExactly) {
    ScanConfig a = parse(kMinimal);
    std::mt19937_64 rng(42);
    std::uniform_real_distribution<double> mantissa(1.0, 10.0);
    std::uniform_int_distribution<int> exponent(-12, 12);
    for (int i = 0; i < 500; ++i) {
        a.cantilever.k1_n_per_m = mantissa(rng) * std::pow(10.0, exponent(rng));
        a.tilt_correction.coefficients[1] = -mantissa(rng) * std::pow(10.0, exponent(rng));
        const ScanConfig b = parse_scan_config(config_to_yaml(a), "elsewhere", "scan.yaml");
        ASSERT_EQ(b.cantilever.k1_n_per_m, a.cantilever.k1_n_per_m) << config_to_yaml(a);
        ASSERT_EQ(b.tilt_correction.coefficients[1], a.tilt_correction.coefficients[1]);
    }
}

TEST(Config, Names) {
    EXPECT_STREQ(leveling_name(Leveling::None), "none");
    EXPECT_STREQ(leveling_name(Leveling::Plane), "plane");
    EXPECT_STREQ(leveling_name(Leveling::Rows), "rows");
    EXPECT_STREQ(tilt_method_name(TiltMethod::CentralDifference), "central");
    EXPECT_STREQ(tilt_method_name(TiltMethod::LocalPlane), "plane");
    EXPECT_STREQ(kc_model_name(KcModel::Polynomial), "polynomial");
    EXPECT_STREQ(kc_model_name(KcModel::CosPower), "cos");
    EXPECT_STREQ(kc_model_name(KcModel::None), "none");
}

}  // namespace
