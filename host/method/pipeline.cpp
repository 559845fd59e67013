// One scan through the method on a backend.
#include "host/method/pipeline.hpp"

#include <chrono>

#include "host/method/level.hpp"
#include "host/method/sanity.hpp"
#include "host/method/uncertainty.hpp"
#include "amfm/kernels/mask.hpp"

namespace amfm {

namespace {

// What the pixel stage does with a region index: the unlabelled bit for pixels in no region.
// The bit invalidates nothing (it is not in kMaskInvalid), so tilt and modulus do not depend on
// the regions and a segmentation found after the stage only needs this pass, not the stage again.
void mark_unlabelled(const RegionMap& regions, Image<std::uint8_t>& mask) {
    const std::int32_t* index = regions.index.data();
    std::uint8_t* m = mask.data();
    const long long n = (long long)mask.size();
    for (long long i = 0; i < n; ++i)
        if (index[i] < 0) m[i] |= kMaskUnlabelled;
}

}  // namespace

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

namespace {

// process_scan; with `height_to_take` (the scan's own height channel) and levelling off, the
// heights move into the result instead of being copied.
ScanResult process(const Scan& scan, Image<float>* height_to_take, Backend& backend, const ProcessOptions& options) {
    using clock = std::chrono::steady_clock;
    const ScanConfig& cfg = scan.config;
    const int nx = scan.nx(), ny = scan.ny();

    ScanResult r;
    r.backend_name = backend.name();
    r.backend_device = backend.device_description();
    r.warnings = check_scan_inputs(scan);  // before the heights may move
    if (height_to_take && cfg.level == Leveling::None) {
        r.height_leveled_m = std::move(*height_to_take);
    } else {
        r.height_leveled_m = scan.height_m;
        apply_leveling(cfg.level, r.height_leveled_m, level_reference(cfg, scan.labels));
    }
    // regions.auto with the roughness feature segments the topography before the pixel stage;
    // the modulus feature needs the modulus map, so it segments after a first pass (below).
    const AutoRegionsConfig& seg_cfg = cfg.regions.automatic;
    const bool segment_first = seg_cfg.enabled && seg_cfg.class_feature != "modulus";
    auto segment = [&](const Image<float>& modulus_gpa) {
        r.segmentation = segment_scan(r.height_leveled_m, modulus_gpa, scan.pixel_size_x_m(),
                                      scan.pixel_size_y_m(), seg_cfg);
        r.segmented = true;
        r.regions = build_region_map(r.segmentation.labels,
                                     segmentation_regions_config(r.segmentation, cfg.regions), nx, ny);
    };
    if (segment_first)
        segment(Image<float>());
    else
        r.regions = build_region_map(scan.labels, cfg.regions, nx, ny);

    // Every pixel is written by the stage.
    r.tilt_deg = Image<float>(nx, ny, kUninitialized);
    r.modulus_gpa = Image<float>(nx, ny, kUninitialized);
    r.mask = Image<std::uint8_t>(nx, ny, kUninitialized);

    PixelInputs in;
    in.height_m = r.height_leveled_m.data();
    in.phase1_deg = scan.phase1_deg.data();
    in.df2_hz = scan.df2_hz.data();
    in.amplitude1_m = scan.amplitude1_m.px.empty() ? nullptr : scan.amplitude1_m.data();
    in.region = r.regions.from_labels ? r.regions.index.data() : nullptr;
    PixelOutputs out{r.tilt_deg.data(), r.modulus_gpa.data(), r.mask.data()};

    const auto t0 = clock::now();
    backend.pixel_stage(in, make_pixel_params(cfg, nx, ny), out);
    if (seg_cfg.enabled && !segment_first) {
        segment(r.modulus_gpa);
        mark_unlabelled(r.regions, r.mask);
    }
    // Edges on the host, once the regions are known, so both backends' masks stay identical.
    mark_region_edges(r.regions, slope_stencil(cfg), r.mask);
    const auto t1 = clock::now();
    r.stats = compute_statistics(r.modulus_gpa, r.mask, r.regions, cfg.histogram, cfg.fit, backend,
                                 options.keep_class_values);
    r.uncertainty = scan_uncertainty(cfg, r.stats, r.regions, r.height_leveled_m, r.tilt_deg, r.mask);
    r.indentation_nm = indentation_map_nm(scan, r.mask);
    r.indentation = indentation_stats(r.indentation_nm, r.regions, r.stats);
    for (SanityWarning& w : check_scan_result(scan, r)) r.warnings.push_back(std::move(w));
    for (SanityWarning& w : indentation_warnings(r.stats, r.indentation, cfg.regions.interphase_thickness_nm))
        r.warnings.push_back(std::move(w));
    require_valid_pixels(scan, r);
    const auto t2 = clock::now();
    r.seconds_pixel_stage = std::chrono::duration<double>(t1 - t0).count();
    r.seconds_statistics = std::chrono::duration<double>(t2 - t1).count();
    return r;
}

}  // namespace

ScanResult process_scan(const Scan& scan, Backend& backend, const ProcessOptions& options) {
    return process(scan, nullptr, backend, options);
}

ScanResult process_scan_taking_height(Scan& scan, Backend& backend, const ProcessOptions& options) {
    return process(scan, &scan.height_m, backend, options);
}

}  // namespace amfm
