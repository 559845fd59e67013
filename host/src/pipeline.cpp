// One scan through the method on a backend.
#include "amfm/host/pipeline.hpp"

#include <chrono>

#include "amfm/host/level.hpp"

namespace amfm {

PixelParams make_pixel_params(const ScanConfig& cfg, int nx, int ny) {
    PixelParams p;
    p.nx = nx;
    p.ny = ny;
    p.dx_m = cfg.scan_size_x_m / nx;
    p.dy_m = cfg.scan_size_y_m / ny;
    p.tilt_method = cfg.tilt_method;
    p.window_half = cfg.tilt_window / 2;
    p.model = make_modulus_model(cfg.cantilever, cfg.tip_radius_m);
    p.correction = cfg.tilt_correction;
    return p;
}

ScanResult process_scan(const Scan& scan, Backend& backend) {
    using clock = std::chrono::steady_clock;
    const ScanConfig& cfg = scan.config;
    const int nx = scan.nx(), ny = scan.ny();

    ScanResult r;
    r.backend_name = backend.name();
    r.backend_device = backend.device_description();
    r.height_leveled_m = scan.height_m;
    apply_leveling(cfg.level, r.height_leveled_m);
    r.regions = build_region_map(scan.labels, cfg.regions, nx, ny);

    r.tilt_deg = Image<float>(nx, ny);
    r.modulus_gpa = Image<float>(nx, ny);
    r.mask = Image<std::uint8_t>(nx, ny);

    PixelInputs in;
    in.height_m = r.height_leveled_m.data();
    in.phase1_deg = scan.phase1_deg.data();
    in.df2_hz = scan.df2_hz.data();
    in.amplitude1_m = scan.amplitude1_m.px.empty() ? nullptr : scan.amplitude1_m.data();
    in.region = r.regions.from_labels ? r.regions.index.data() : nullptr;
    PixelOutputs out{r.tilt_deg.data(), r.modulus_gpa.data(), r.mask.data()};

    const auto t0 = clock::now();
    backend.pixel_stage(in, make_pixel_params(cfg, nx, ny), out);
    const auto t1 = clock::now();
    r.stats = compute_statistics(r.modulus_gpa.px, r.mask.px, r.regions, cfg.histogram, cfg.fit, backend);
    const auto t2 = clock::now();
    r.seconds_pixel_stage = std::chrono::duration<double>(t1 - t0).count();
    r.seconds_statistics = std::chrono::duration<double>(t2 - t1).count();
    return r;
}

}  // namespace amfm
