// Igor binary waves: the reader on every real file in ../shared/data/ibw (values checked against
// raw bytes read here at the TN003 offsets), the note parser, corrupt files, the writer, the
// AM-FM channel/parameter mapping, and a simulated AM-FM .ibw processed end to end.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <sys/wait.h>

#include "amfm/kernels/backend.hpp"
#include "amfm/kernels/error.hpp"
#include "host/formats/ibw.hpp"
#include "host/formats/ibw_scan.hpp"
#include "host/formats/scan_yaml.hpp"
#include "host/method/pipeline.hpp"
#include "host/model/config.hpp"
#include "host/model/scan.hpp"
#include "host/sim/simulate.hpp"
#include "host/sim/simulate_ibw.hpp"
#include "test_util.hpp"

namespace {

using amfm::DataError;
using Bytes = std::vector<std::uint8_t>;

std::string ibw_path(const std::string& name) { return (amfm_test::shared_data_dir() / "ibw" / name).string(); }

Bytes slurp(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    return Bytes(std::istreambuf_iterator<char>(f), {});
}

// Independent raw access: little- or big-endian integers and float32 at byte offsets.
std::uint64_t raw_uint(const Bytes& b, std::size_t off, int n, bool big) {
    std::uint64_t v = 0;
    for (int i = 0; i < n; ++i) v = (v << 8) | b.at(off + (std::size_t)(big ? i : n - 1 - i));
    return v;
}
float raw_f32(const Bytes& b, std::size_t off, bool big) {
    const std::uint32_t u = (std::uint32_t)raw_uint(b, off, 4, big);
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}
double raw_f64(const Bytes& b, std::size_t off, bool big) {
    const std::uint64_t u = raw_uint(b, off, 8, big);
    double d;
    std::memcpy(&d, &u, 8);
    return d;
}
// Data start: 64-byte BinHeader5 + 320-byte WaveHeader5.
constexpr std::size_t kData = 384;

amfm::IbwWave parse(const Bytes& b) { return amfm::parse_ibw(b.data(), b.size(), "mem.ibw"); }

// Rewrites the checksum so that a deliberately edited header still passes it.
void fix_checksum(Bytes& b) {
    b[2] = b[3] = 0;
    std::uint32_t sum = 0;
    for (std::size_t i = 0; i < 384; i += 2) sum += b[i] | (std::uint32_t)b[i + 1] << 8;  // little-endian files
    const std::uint16_t c = (std::uint16_t)(0x10000u - (sum & 0xFFFF));
    b[2] = (std::uint8_t)(c & 0xFF);
    b[3] = (std::uint8_t)(c >> 8);
}

void expect_data_error(const Bytes& b, const std::string& fragment) {
    try {
        parse(b);
        ADD_FAILURE() << "no error; expected one containing '" << fragment << "'";
    } catch (const DataError& e) {
        EXPECT_NE(std::string(e.what()).find("mem.ibw: "), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
}

// ---- real files ---------------------------------------------------------------------------

TEST(IbwRealFiles, ByteOrderSamplesGiveTheSameWave) {
    AMFM_REQUIRE_SHARED_DATA();
    const Bytes win = slurp(ibw_path("win-version5.ibw")), mac = slurp(ibw_path("mac-version5.ibw"));
    const amfm::IbwWave w = parse(win), m = parse(mac);
    EXPECT_FALSE(w.big_endian);
    EXPECT_TRUE(m.big_endian);
    for (const amfm::IbwWave* x : {&w, &m}) {
        EXPECT_EQ(x->version, 5);
        EXPECT_EQ(x->name, "version5");
        EXPECT_EQ(x->n_dims(), 1);
        EXPECT_EQ(x->dims[0], 5);
        EXPECT_EQ(x->note, "This is a test.");
        EXPECT_EQ(x->igor_type, 2);
        ASSERT_EQ(x->data.size(), 5u);
    }
    for (std::size_t i = 0; i < 5; ++i) {
        EXPECT_EQ(w.data[i], (double)raw_f32(win, kData + 4 * i, false));
        EXPECT_EQ(m.data[i], (double)raw_f32(mac, kData + 4 * i, true));
        EXPECT_EQ(w.data[i], m.data[i]);
    }
    // Not an image: the AM-FM loader says so.
    EXPECT_THROW(amfm::ibw_image_channels(w, "win-version5.ibw"), DataError);
}

TEST(IbwRealFiles, GwyddionExportWithoutNameOrNote) {
    AMFM_REQUIRE_SHARED_DATA();
    const Bytes b = slurp(ibw_path("10x10-one_channel_without_name.ibw"));
    const amfm::IbwWave w = parse(b);
    EXPECT_EQ(w.n_dims(), 3);
    EXPECT_EQ(w.dims[0], 10);
    EXPECT_EQ(w.dims[1], 10);
    EXPECT_EQ(w.dims[2], 1);
    EXPECT_TRUE(w.note.empty());
    const auto ch = amfm::ibw_image_channels(w, "x.ibw");
    ASSERT_EQ(ch.size(), 1u);
    EXPECT_EQ(ch[0].name, "Channel0");
    const amfm::Image<double> img = amfm::ibw_layer(w, 0);
    // Row 0 of the image is Igor's last y index (y grows upwards in Igor).
    for (int y : {0, 3, 9})
        for (int x : {0, 4, 9})
            EXPECT_EQ(img.at(x, 9 - y), (double)raw_f32(b, kData + 4 * (std::size_t)(x + 10 * y), false)) << x << "," << y;
}

struct AsylumCase {
    const char* file;
    std::vector<std::string> channels;
    std::vector<std::string> units;
    std::size_t note_keys_min;
};

class IbwAsylum : public ::testing::TestWithParam<AsylumCase> {};

TEST_P(IbwAsylum, DimensionsChannelsUnitsScalingAndPixels) {
    AMFM_REQUIRE_SHARED_DATA();
    const AsylumCase& c = GetParam();
    const Bytes b = slurp(ibw_path(c.file));
    const amfm::IbwWave w = parse(b);
    const std::size_t layers = c.channels.size();
    EXPECT_FALSE(w.big_endian);
    EXPECT_EQ(w.n_dims(), 3);
    EXPECT_EQ(w.dims[0], 256);
    EXPECT_EQ(w.dims[1], 256);
    EXPECT_EQ(w.dims[2], (std::int64_t)layers);
    EXPECT_EQ(w.data_units, "m");
    EXPECT_EQ(w.dim_units[0], "m");
    // Scaling: straight from WaveHeader5 (sfA at 64+84, sfB at 64+116), and = 2 um / 255.
    EXPECT_EQ(w.sf_a[0], raw_f64(b, 64 + 84, false));
    EXPECT_EQ(w.sf_b[1], raw_f64(b, 64 + 116 + 8, false));
    EXPECT_NEAR(w.sf_a[0] * 255, 2.0e-6, 1e-18);
    const auto ch = amfm::ibw_image_channels(w, c.file);
    ASSERT_EQ(ch.size(), layers);
    for (std::size_t k = 0; k < layers; ++k) {
        EXPECT_EQ(ch[k].name, c.channels[k]);
        EXPECT_EQ(ch[k].unit, c.units[k]) << ch[k].name;
        EXPECT_EQ(ch[k].layer, (int)k);
    }
    const amfm::WaveNote note(w.note);
    EXPECT_GE(note.entries().size(), c.note_keys_min);
    EXPECT_DOUBLE_EQ(*note.number("FastScanSize"), 2.0e-6);
    EXPECT_EQ(note.find("ImagingMode")->value, "PFM Mode");  // written "ImagingMode:PFM Mode"
    // Pixels: layer k, Igor index (x, y) at 384 + 4 (x + 256 y + 65536 k); image row = 255 - y.
    for (std::size_t k = 0; k < layers; ++k) {
        const amfm::Image<double> img = amfm::ibw_layer(w, (int)k);
        for (int y : {0, 17, 128, 255})
            for (int x : {0, 99, 255})
                EXPECT_EQ(img.at(x, 255 - y),
                          (double)raw_f32(b, kData + 4 * ((std::size_t)x + 256 * (std::size_t)y + 65536 * k), false));
    }
    // Heights are nanometre-scale topography in metres, phases degrees.
    const amfm::Image<double> h = amfm::ibw_layer(w, 0);
    EXPECT_LT(std::fabs(h.at(128, 128)), 1.0e-6);
}

INSTANTIATE_TEST_SUITE_P(
    RealFiles, IbwAsylum,
    ::testing::Values(AsylumCase{"IgorIBWReader_ImageStack_BTFO_DSO.ibw",
                                 {"HeightRetrace", "AmplitudeRetrace", "DeflectionRetrace", "PhaseRetrace"},
                                 {"m", "m", "m", "deg"},
                                 500},
                      AsylumCase{"IgorIBWReader_P0089OP0027.ibw",
                                 {"HeightRetrace", "AmplitudeRetrace", "DeflectionRetrace", "PhaseRetrace",
                                  "UserIn0Retrace"},
                                 {"m", "m", "m", "deg", "V"},
                                 500}));

TEST(IbwRealFiles, ForceCurveIsRejectedAsAnImage) {
    AMFM_REQUIRE_SHARED_DATA();
    const std::string path = ibw_path("IgorIBWReader_ForceCurve.ibw");
    const amfm::IbwWave w = amfm::read_ibw(path);  // a valid wave ...
    EXPECT_EQ(w.dims[0], 1261);
    EXPECT_EQ(w.dims[1], 3);
    EXPECT_EQ(w.label(1, 0), "Raw");
    EXPECT_EQ(w.label(1, 2), "ZSnsr");
    try {  // ... but not an image
        amfm::ibw_image_channels(w, path);
        ADD_FAILURE() << "force curve accepted as an image";
    } catch (const DataError& e) {
        const std::string m = e.what();
        EXPECT_NE(m.find("force curve"), std::string::npos) << m;
        EXPECT_NE(m.find("Raw, Defl, ZSnsr"), std::string::npos) << m;
    }
    EXPECT_THROW(amfm::load_ibw_scan(path, {}), DataError);
}

TEST(IbwRealFiles, NoteParametersWithSourcesAndFlags) {
    AMFM_REQUIRE_SHARED_DATA();
    const amfm::IbwWave w = amfm::read_ibw(ibw_path("IgorIBWReader_P0089OP0027.ibw"));
    const auto params = amfm::amfm_note_parameters(amfm::WaveNote(w.note), w);
    auto get = [&](const std::string& key) {
        for (const auto& p : params)
            if (p.key == key) return p;
        ADD_FAILURE() << key;
        return amfm::NoteParameter{};
    };
    EXPECT_DOUBLE_EQ(get("cantilever.k1").value, 8.3589);
    EXPECT_NE(get("cantilever.k1").source.find("SpringConstant"), std::string::npos);
    EXPECT_DOUBLE_EQ(get("cantilever.q1").value, 134.21);  // ThermalQ before TuneQResult
    EXPECT_DOUBLE_EQ(get("cantilever.f1").value, 3.4989e5);  // ResFreq1
    const auto f2 = get("cantilever.f2");
    EXPECT_DOUBLE_EQ(f2.value, 4.5e5);  // DriveFrequency1 ...
    EXPECT_NE(f2.warning.find("FrequencyRatio"), std::string::npos);  // ... disagrees with 6.338 x f1
    EXPECT_FALSE(get("cantilever.a1_free").usable());  // FreeAirAmplitude: NaN
    EXPECT_NE(get("cantilever.a1_free").problem.find("NaN"), std::string::npos);
    EXPECT_DOUBLE_EQ(get("cantilever.a1_set").value, 1.0e-8);
    EXPECT_FALSE(get("cantilever.a1_set").warning.empty());  // 0.8 V x 44.8 nm/V = 35.8 nm
    EXPECT_DOUBLE_EQ(get("scan_size.x").value, 2.0e-6);
    EXPECT_DOUBLE_EQ(get("scan_size.y").value, 2.0e-6);
    EXPECT_FALSE(get("tip.radius").usable());

    // A PFM scan has no frequency channel: the message lists what the file holds.
    try {
        amfm::load_ibw_scan(ibw_path("IgorIBWReader_P0089OP0027.ibw"), {});
        ADD_FAILURE() << "PFM scan loaded as AM-FM";
    } catch (const DataError& e) {
        const std::string m = e.what();
        EXPECT_NE(m.find("no df2 channel (FrequencyRetrace or Frequency2Retrace)"), std::string::npos) << m;
        EXPECT_NE(m.find("UserIn0Retrace"), std::string::npos) << m;
    }
    // A volts channel named as df2 needs a unit and scale from the user, and then loads.
    amfm::OpenScanOptions opt;
    opt.overrides = {"tip.radius=8e-9", "cantilever.a1_free=2e-8", "channels.df2.channel=UserIn0Retrace"};
    try {
        amfm::load_ibw_scan(ibw_path("IgorIBWReader_P0089OP0027.ibw"), opt);
        ADD_FAILURE() << "volts accepted as Hz";
    } catch (const amfm::ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("channels.df2.unit: 'V' is not a frequency unit"), std::string::npos)
            << e.what();
    }
    opt.overrides.insert(opt.overrides.end(), {"channels.df2.unit=kHz", "channels.df2.scale=2"});
    const amfm::OpenedScan s = amfm::load_ibw_scan(ibw_path("IgorIBWReader_P0089OP0027.ibw"), opt);
    const amfm::Image<double> volts = amfm::ibw_layer(amfm::read_ibw(ibw_path("IgorIBWReader_P0089OP0027.ibw")), 4);
    EXPECT_FLOAT_EQ(s.scan->df2_hz.at(10, 20), (float)(volts.at(10, 20) * 2.0 * 1e3));
    EXPECT_EQ(s.scan->phase1_deg.px.size(), 65536u);  // PhaseRetrace stands in for Phase1Retrace
}

// ---- corrupt files ---------------------------------------------------------------------------

TEST(IbwCorrupt, EveryTruncationIsAClearError) {
    AMFM_REQUIRE_SHARED_DATA();
    const Bytes b = slurp(ibw_path("win-version5.ibw"));
    const std::size_t full = 384 + 20 + 15 + 64;  // headers, 5 float32, note, one dim-0 label pair
    ASSERT_EQ(b.size(), full);
    for (std::size_t n = 0; n < b.size(); ++n) {
        const Bytes cut(b.begin(), b.begin() + (std::ptrdiff_t)n);
        EXPECT_THROW(parse(cut), DataError) << n << " bytes";
    }
    const Bytes asylum = slurp(ibw_path("IgorIBWReader_P0089OP0027.ibw"));
    for (std::size_t n : {100ul, 384ul, 1000ul, 1311000ul, 1311104ul, 1332432ul}) {
        const Bytes cut(asylum.begin(), asylum.begin() + (std::ptrdiff_t)n);
        EXPECT_THROW(parse(cut), DataError) << n << " bytes";
    }
}

TEST(IbwCorrupt, ChecksumTypeAndAbsurdDimensions) {
    AMFM_REQUIRE_SHARED_DATA();
    const Bytes good = slurp(ibw_path("win-version5.ibw"));
    Bytes b = good;
    b[64 + 30] ^= 0x01;  // a name byte: checksum no longer 0
    expect_data_error(b, "checksum");

    b = good;  // 2^31 - 1 points claimed, checksum made consistent: refused before allocating
    for (int i = 0; i < 4; ++i) b[64 + 68 + (std::size_t)i] = i == 3 ? 0x7F : 0xFF;
    for (int i = 0; i < 4; ++i) b[64 + 12 + (std::size_t)i] = i == 3 ? 0x7F : 0xFF;
    fix_checksum(b);
    expect_data_error(b, "more points than the file has bytes");

    b = good;  // npnts disagreeing with the dimensions
    b[64 + 12] = 6;
    fix_checksum(b);
    expect_data_error(b, "does not match the dimensions");

    b = good;  // a text wave
    b[64 + 16] = 0;
    fix_checksum(b);
    expect_data_error(b, "text wave");

    b = good;  // note size past the end of file
    b[12] = 0xF0;
    fix_checksum(b);
    expect_data_error(b, "truncated");

    b = good;
    b[0] = 2;
    expect_data_error(b, "version 2 is not supported");
    b[0] = 0x47;
    expect_data_error(b, "not an Igor binary wave");
}

// ---- note ------------------------------------------------------------------------------------

TEST(WaveNote, AsylumLineRules) {
    const amfm::WaveNote n(
        "ScanSize: 2e-06\rImagingMode:PFM Mode\rCypher Temps Start\rLastSaveTime: 12:34:56\r\rFreeAirAmplitude: "
        "NaN\rThermalQ: inf\rEmpty:\rSpringConstant: 1\rSpringConstant: 2\rCRLF: 3\r\nLF: 4\nGain: 3 V");
    EXPECT_DOUBLE_EQ(*n.number("ScanSize"), 2e-6);
    EXPECT_EQ(n.find("ImagingMode")->value, "PFM Mode");
    EXPECT_EQ(n.find("LastSaveTime")->value, "12:34:56");  // the key ends at the first colon
    EXPECT_EQ(n.find("Cypher Temps Start"), nullptr);       // no colon: not an entry
    EXPECT_TRUE(std::isnan(*n.number("FreeAirAmplitude")));
    EXPECT_TRUE(std::isinf(*n.number("ThermalQ")));
    EXPECT_FALSE(n.number("Empty").has_value());
    EXPECT_FALSE(n.number("Gain").has_value());  // trailing text: not a number
    EXPECT_FALSE(n.number("Missing").has_value());
    EXPECT_DOUBLE_EQ(*n.number("SpringConstant"), 1.0);  // first occurrence
    EXPECT_EQ(n.find("SpringConstant")->line, 9);
    EXPECT_DOUBLE_EQ(*n.number("CRLF"), 3.0);
    EXPECT_DOUBLE_EQ(*n.number("LF"), 4.0);
}

TEST(WaveNote, UncalibratedSpringConstantIsFlagged) {
    amfm::IbwWave w;
    w.dims = {4, 4, 1, 0};
    const auto params = amfm::amfm_note_parameters(amfm::WaveNote("SpringConstant: 1\rThermalQ: 0\rTuneQResult: 300"), w);
    EXPECT_FALSE(params[0].usable());
    EXPECT_NE(params[0].problem.find("uncalibrated default"), std::string::npos) << params[0].problem;
    EXPECT_DOUBLE_EQ(params[1].value, 300.0);  // ThermalQ 0 is skipped for TuneQResult
    EXPECT_NE(params[1].source.find("TuneQResult (line 3)"), std::string::npos) << params[1].source;
}

// ---- writer ------------------------------------------------------------------------------------

TEST(IbwWriter, RoundTripWithLatin1UnitsAndLabels) {
    amfm_test::TempDir dir;
    amfm::Image<float> a(3, 2), b(3, 2);
    for (int i = 0; i < 6; ++i) a.px[(std::size_t)i] = 0.5f * (float)i, b.px[(std::size_t)i] = -1.0f - (float)i;
    amfm::IbwWave w = amfm::ibw_image_wave("Test0001", {{"HeightRetrace", &a}, {"PhaseRetrace", &b}}, 3e-6, 1e-6);
    w.note = "Operator: J\xC3\xBCrgen\rScanSize: 3e-06";
    w.data_units = "\xC2\xB5m";  // µm: one Latin-1 byte in the file
    const std::string path = dir.file("t.ibw");
    amfm::write_ibw(path, w);
    const Bytes raw = slurp(path);
    EXPECT_EQ(raw_uint(raw, 64 + 148, 1, false), 0xB5u);
    const amfm::IbwWave r = amfm::read_ibw(path);  // checksum verified by the reader
    EXPECT_EQ(r.name, "Test0001");
    EXPECT_EQ(r.data_units, "\xC2\xB5m");
    EXPECT_EQ(r.note, w.note);
    EXPECT_DOUBLE_EQ(r.sf_a[0], 1.5e-6);
    EXPECT_DOUBLE_EQ(r.sf_a[1], 1.0e-6);
    const auto ch = amfm::ibw_image_channels(r, path);
    ASSERT_EQ(ch.size(), 2u);
    EXPECT_EQ(ch[1].name, "PhaseRetrace");
    const amfm::Image<double> ra = amfm::ibw_layer(r, 0), rb = amfm::ibw_layer(r, 1);
    for (std::size_t i = 0; i < 6; ++i) {
        EXPECT_EQ(ra.px[i], a.px[i]);
        EXPECT_EQ(rb.px[i], b.px[i]);
    }
    // Igor's y = 0 is the image's bottom row: a(0, 1) is stored first.
    EXPECT_EQ(raw_f32(raw, kData, false), a.at(0, 1));
}

// ---- AM-FM end to end ------------------------------------------------------------------------

amfm::SimulatedScan small_simulation() {
    amfm::SimulationSpec spec;
    spec.nx = spec.ny = 64;
    spec.scan_size_m = 4.0e-6;
    spec.cycle = 30;
    spec.seed = 7;
    spec.regions = amfm::paper_region_truths(30);
    return amfm::simulate_scan(spec);
}

TEST(IbwAmfm, SimulatedIbwGivesTheSameScanAndResultsAsTheTiffs) {
    amfm_test::TempDir dir;
    const amfm::SimulatedScan sim = small_simulation();
    amfm::write_simulated_scan(sim, dir.path().string());
    amfm::write_simulated_ibw(sim, dir.path().string());

    amfm::OpenScanOptions opt;
    opt.extra_yaml = {dir.file("ibw_extra.yaml")};
    const amfm::OpenedScan from_ibw = amfm::load_ibw_scan(dir.file("scan.ibw"), opt);
    const amfm::Scan from_tiff = amfm::load_scan(amfm::load_scan_config(dir.file("scan.yaml")));
    const amfm::Scan& s = *from_ibw.scan;

    ASSERT_EQ(s.nx(), 64);
    EXPECT_EQ(s.height_m.px, from_tiff.height_m.px);
    EXPECT_EQ(s.phase1_deg.px, from_tiff.phase1_deg.px);
    EXPECT_EQ(s.df2_hz.px, from_tiff.df2_hz.px);
    EXPECT_EQ(s.labels.px, from_tiff.labels.px);
    const amfm::Cantilever &a = s.config.cantilever, &b = from_tiff.config.cantilever;
    EXPECT_EQ(a.k1_n_per_m, b.k1_n_per_m);
    EXPECT_EQ(a.q1, b.q1);
    EXPECT_EQ(a.f1_hz, b.f1_hz);
    EXPECT_EQ(a.f2_hz, b.f2_hz);
    EXPECT_EQ(a.a1_free_m, b.a1_free_m);
    EXPECT_EQ(a.a1_set_m, b.a1_set_m);
    EXPECT_EQ(s.config.scan_size_x_m, from_tiff.config.scan_size_x_m);
    EXPECT_EQ(s.config.tip_radius_m, from_tiff.config.tip_radius_m);
    EXPECT_EQ(s.config.regions.names, from_tiff.config.regions.names);
    for (const auto& p : from_ibw.parameters) {
        if (p.key == "tip.radius") {
            EXPECT_EQ(p.source, "user");
        } else if (p.key != "cantilever.k2") {
            EXPECT_NE(p.source.find("note "), std::string::npos) << p.key;
        }
        EXPECT_TRUE(p.warning.empty()) << p.key << ": " << p.warning;
    }
    ASSERT_EQ(from_ibw.channel_map.size(), 3u);
    EXPECT_EQ(from_ibw.channel_map[2].second, "FrequencyRetrace");

    auto backend = amfm::make_cpu_backend();
    const amfm::ScanResult r1 = amfm::process_scan(s, *backend), r2 = amfm::process_scan(from_tiff, *backend);
    ASSERT_EQ(r1.stats.regions.size(), r2.stats.regions.size());
    for (std::size_t i = 0; i < r1.stats.regions.size(); ++i) {
        EXPECT_EQ(r1.stats.regions[i].pixels.n_valid, r2.stats.regions[i].pixels.n_valid);
        EXPECT_EQ(r1.stats.regions[i].quality, r2.stats.regions[i].quality);
        EXPECT_EQ(r1.stats.regions[i].gaussian.fit.center, r2.stats.regions[i].gaussian.fit.center);  // centre or not
    }
}

TEST(IbwAmfm, MissingTipRadiusAndOverrides) {
    amfm_test::TempDir dir;
    const amfm::SimulatedScan sim = small_simulation();
    amfm::write_simulated_scan(sim, dir.path().string());
    amfm::write_simulated_ibw(sim, dir.path().string());
    const std::string ibw = dir.file("scan.ibw");
    try {  // no extra YAML: the tip radius is never taken from the note
        amfm::load_ibw_scan(ibw, {});
        ADD_FAILURE() << "loaded without a tip radius";
    } catch (const amfm::ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("tip.radius"), std::string::npos) << e.what();
    }
    amfm::OpenScanOptions opt;
    opt.overrides = {"tip.radius=8e-9", "cantilever.k1=30"};
    const amfm::OpenedScan s = amfm::load_ibw_scan(ibw, opt);
    EXPECT_DOUBLE_EQ(s.scan->config.tip_radius_m, 8e-9);
    EXPECT_DOUBLE_EQ(s.scan->config.cantilever.k1_n_per_m, 30.0);
    EXPECT_EQ(s.parameters[0].source, "user");
    EXPECT_DOUBLE_EQ(s.parameters[0].value, 30.0);

    opt.direction = amfm::ScanDirection::Trace;  // the file has Retrace channels only
    try {
        amfm::load_ibw_scan(ibw, opt);
        ADD_FAILURE() << "trace channels found";
    } catch (const DataError& e) {
        EXPECT_NE(std::string(e.what()).find("HeightTrace"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("the file holds: HeightRetrace, Phase1Retrace, FrequencyRetrace"),
                  std::string::npos)
            << e.what();
    }
    opt.direction = amfm::ScanDirection::Retrace;  // explicit channel naming
    opt.overrides.push_back("channels.phase1.channel=HeightRetrace");
    EXPECT_THROW(amfm::load_ibw_scan(ibw, opt), amfm::ConfigError);  // 'm' is not a phase unit
    opt.overrides.back() = "channels.df2.channel=Nope";
    EXPECT_THROW(amfm::load_ibw_scan(ibw, opt), DataError);

    // The same in the extra YAML; a channel file there contradicts the .ibw.
    opt.overrides.clear();
    const std::string extra = dir.file("extra.yaml");
    opt.extra_yaml = {extra};
    std::ofstream(extra) << "tip: {radius: 9.0e-9}\nchannels: {df2: {channel: FrequencyRetrace}, "
                            "amplitude1: {channel: none}}\n";
    const amfm::OpenedScan y = amfm::load_ibw_scan(ibw, opt);
    EXPECT_DOUBLE_EQ(y.scan->config.tip_radius_m, 9e-9);
    EXPECT_EQ(y.channel_map.size(), 3u);
    // Several YAMLs merge in order (calibrate-tip's tip: block, then fit-tilt's tilt_correction:):
    // each adds its keys, the later one wins where both set one, and each is hashed as an input.
    const std::string tilt = dir.file("tilt.yaml");
    std::ofstream(tilt) << "tilt_correction: {model: cos, cos_exponent: 2.0}\ntip: {radius: 8.0e-9}\n";
    opt.extra_yaml = {extra, tilt};
    const amfm::OpenedScan both = amfm::load_ibw_scan(ibw, opt);
    EXPECT_DOUBLE_EQ(both.scan->config.tip_radius_m, 8e-9);
    EXPECT_EQ(both.scan->config.tilt_correction.model, amfm::KcModel::CosPower);
    EXPECT_EQ(both.channel_map.size(), 3u);  // amplitude1: none from the first file still holds
    int configs = 0;
    for (const auto& in : both.scan->inputs) configs += in.role == "config";
    EXPECT_EQ(configs, 2);
    opt.extra_yaml = {extra};
    std::ofstream(extra) << "tip: {radius: 9.0e-9}\nchannels: {height: {file: height.tif}}\n";
    EXPECT_THROW(amfm::load_ibw_scan(ibw, opt), amfm::ConfigError);
}

TEST(IbwAmfm, CliProcessAndInfo) {
    amfm_test::TempDir dir;
    const std::string cli = AMFM_CLI_PATH;
    const std::string sim = dir.file("sim");
    ASSERT_EQ(std::system((cli + " -q simulate --size 48 --format ibw --out " + sim).c_str()), 0);
    const std::string info = dir.file("info.txt");
    ASSERT_EQ(std::system((cli + " info " + sim + "/scan.ibw > " + info).c_str()), 0);
    std::ifstream f(info);
    const std::string text((std::istreambuf_iterator<char>(f)), {});
    EXPECT_NE(text.find("FrequencyRetrace"), std::string::npos) << text;
    EXPECT_NE(text.find("cantilever.k1"), std::string::npos) << text;
    EXPECT_NE(text.find("from note SpringConstant"), std::string::npos) << text;
    EXPECT_NE(text.find("tip.radius"), std::string::npos) << text;
    const std::string out = dir.file("res");
    ASSERT_EQ(std::system((cli + " -q process " + sim + "/scan.ibw --config " + sim + "/ibw_extra.yaml --no-figures --out " + out).c_str()), 0);
    EXPECT_TRUE(std::filesystem::exists(out + "/modulus_gpa.tif"));
    // Without the tip radius: a configuration error (exit 2).
    const int rc = std::system((cli + " -q process " + sim + "/scan.ibw --out " + dir.file("res2") + " 2>/dev/null").c_str());
    EXPECT_EQ(WEXITSTATUS(rc), 2);
}

}  // namespace
