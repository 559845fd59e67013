// results.gwy (see results_gwy.hpp).
#include "host/report/results_gwy.hpp"

#include <cstdio>
#include <map>
#include <vector>

#include "host/formats/gwy.hpp"

namespace amfm {

namespace {

template <class T>
Image<double> to_double(const Image<T>& img) {
    Image<double> out(img.nx, img.ny);
    for (std::size_t i = 0; i < img.size(); ++i) out.px[i] = (double)img.px[i];
    return out;
}

std::string g(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.9g", v);
    return buf;
}

}  // namespace

void write_scan_gwy(const std::string& path, const Scan& scan, const ScanResult& result, const RunInfo& run) {
    const ScanConfig& c = scan.config;
    const Cantilever& k = c.cantilever;
    std::map<std::string, std::string> meta = {
        {"amfm version", run.version},
        {"amfm command", run.command_line},
        {"Backend", result.backend_name + " (" + result.backend_device + ")"},
        {"Source", c.source},
        {"Spring constant k1 (N/m)", g(k.k1_n_per_m)},
        {"Quality factor Q1", g(k.q1)},
        {"Resonance f1 (Hz)", g(k.f1_hz)},
        {"Resonance f2 (Hz)", g(k.f2_hz)},
        {"Free amplitude A1 (m)", g(k.a1_free_m)},
        {"Setpoint amplitude A1 (m)", g(k.a1_set_m)},
        {"Tip contact radius R (m)", g(c.tip_radius_m)},
        {"Tilt correction", std::string(kc_model_name(c.tilt_correction.model)) + ", cutoff " +
                                g(c.tilt_correction.max_angle_deg) + " deg"},
        {"Mask bits", "1 tilt>cutoff, 2 cos(phi1)<=0, 4 df2<=0, 8 non-finite input, 16 unlabelled"}};
    if (k.k2_n_per_m > 0) meta["Spring constant k2 (N/m)"] = g(k.k2_n_per_m);
    if (!c.sample.empty()) meta["Sample"] = c.sample;
    if (c.cycle >= 0) meta["Cycle"] = std::to_string(c.cycle);
    std::vector<GwyChannel> ch(4);
    ch[0] = {"Modulus (tilt-corrected)", "Pa", to_double(result.modulus_gpa), 1.0e9};
    ch[1] = {"Tilt", "deg", to_double(result.tilt_deg), 1.0};
    ch[2] = {"Mask reason bits", "", to_double(result.mask), 1.0};
    // The topography the tilt came from, so that Gwyddion shows modulus and height side by side.
    ch[3] = {"Topography (levelled)", "m", to_double(result.height_leveled_m), 1.0};
    write_gwy(path, ch, c.scan_size_x_m, c.scan_size_y_m, meta);
}

}  // namespace amfm
