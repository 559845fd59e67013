// A simulated scan as an Asylum-style AM-FM .ibw (see simulate_ibw.hpp).
#include "host/sim/simulate_ibw.hpp"

#include <cstdio>
#include <filesystem>
#include <sstream>

#include "amfm/kernels/error.hpp"
#include "host/formats/ibw.hpp"
#include "host/model/file_io.hpp"
#include "host/model/yaml_text.hpp"

namespace amfm {

void write_simulated_ibw(const SimulatedScan& sim, const std::string& dir) {
    const SimulationSpec& s = sim.spec;
    const Cantilever& c = s.cantilever;
    const std::filesystem::path d(dir);
    const double size_x = s.scan_size_m, size_y = s.scan_size_y_m > 0.0 ? s.scan_size_y_m : s.scan_size_m * s.ny / s.nx;
    IbwWave w = ibw_image_wave("AMFM0000",
                               {{"HeightRetrace", &sim.height_m}, {"Phase1Retrace", &sim.phase1_deg},
                                {"FrequencyRetrace", &sim.df2_hz}},
                               size_x, size_y);
    const double amp_invols = 100.0e-9;  // m/V, a typical AC cantilever value
    // Numbers as in ibw_extra.yaml (exact round trip), so the note gives the very parameters of scan.yaml.
    std::ostringstream note;
    const std::pair<const char*, std::string> keys[] = {
        {"ImagingMode", "AM-FM Mode"},
        {"ScanSize", yaml_number(size_x)},
        {"FastScanSize", yaml_number(size_x)},
        {"SlowScanSize", yaml_number(size_y)},
        {"ScanPoints", std::to_string(s.nx)},
        {"ScanLines", std::to_string(s.ny)},
        {"SpringConstant", yaml_number(c.k1_n_per_m)},
        {"AmpInvOLS", yaml_number(amp_invols)},
        {"AmplitudeSetpointVolts", yaml_number(c.a1_set_m / amp_invols)},
        {"AmplitudeSetpointMeters", yaml_number(c.a1_set_m)},
        {"DriveFrequency", yaml_number(c.f1_hz)},
        {"DriveFrequency1", yaml_number(c.f2_hz)},
        {"FreeAirAmplitude", yaml_number(c.a1_free_m)},
        {"ThermalQ", yaml_number(c.q1)},
        {"FrequencyRatio", yaml_number(c.f2_hz / c.f1_hz)},
        {"ResFreq1", yaml_number(c.f1_hz)},
        {"Sample", s.sample},
        {"Generator", "amfm simulate (seed " + std::to_string(s.seed) + ")"}};
    for (const auto& kv : keys) note << kv.first << ": " << kv.second << "\r";
    if (c.k2_n_per_m > 0) note << "SpringConstant2: " << yaml_number(c.k2_n_per_m) << "\r";
    w.note = note.str();
    write_ibw((d / "scan.ibw").string(), w);

    std::ostringstream y;
    y << "# What the wave note of scan.ibw does not hold. Use: amfm process scan.ibw --config ibw_extra.yaml\n";
    y << "sample: {cycle: " << s.cycle << "}\n";
    y << "tip: {radius: " << yaml_number(s.tip_radius_m) << "}\n";
    y << simulated_kc_and_regions_yaml(s);
    write_file_atomic(d / "ibw_extra.yaml", y.str());
}

}  // namespace amfm
