// The imperfections of real scans and the per-pixel truth (see realism.hpp).
#include "host/sim/realism.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <random>

#include "amfm/kernels/error.hpp"
#include "host/formats/tiff_io.hpp"
#include "host/sim/crystal_geometry.hpp"
#include "host/sim/random_fields.hpp"

namespace amfm::sim {
namespace {

void require(bool ok, const std::string& what) {
    if (!ok) throw ConfigError("simulation: " + what);
}

// Zero mean, unit RMS over all values (unchanged when they are all equal).
void standardise(std::vector<double>& v) {
    double mean = 0.0, ss = 0.0;
    for (double x : v) mean += x;
    mean /= (double)v.size();
    for (double x : v) ss += (x - mean) * (x - mean);
    const double rms = std::sqrt(ss / (double)v.size());
    for (double& x : v) x = rms > 0.0 ? (x - mean) / rms : 0.0;
}

// out[i] = max_q f[q * stride] - a (i - q)^2 over one line of n samples (a > 0): the upper
// envelope of downward parabolas, by the lower envelope of -f (Felzenszwalb & Huttenlocher).
void dilate_line(double* f, int n, std::size_t stride, double a, std::vector<double>& g, std::vector<int>& v,
                 std::vector<double>& cut) {
    for (int q = 0; q < n; ++q) g[q] = -f[q * stride];
    auto meet = [&](int q, int p) { return ((g[q] + a * q * q) - (g[p] + a * p * p)) / (2.0 * a * (q - p)); };
    int k = 0;
    v[0] = 0;
    cut[0] = -std::numeric_limits<double>::infinity();
    cut[1] = std::numeric_limits<double>::infinity();
    for (int q = 1; q < n; ++q) {
        double s = meet(q, v[k]);
        while (s <= cut[k]) s = meet(q, v[--k]);
        v[++k] = q;
        cut[k] = s;
        cut[k + 1] = std::numeric_limits<double>::infinity();
    }
    k = 0;
    for (int q = 0; q < n; ++q) {
        while (cut[k + 1] < q) ++k;
        f[q * stride] = -(a * (double)(q - v[k]) * (q - v[k]) + g[v[k]]);
    }
}

void set_lost(SimulatedScan& sim, std::size_t i) {
    const float nan = std::numeric_limits<float>::quiet_NaN();
    sim.height_m.px[i] = nan;
    sim.phase1_deg.px[i] = nan;
    sim.df2_hz.px[i] = nan;
}

// Rows where every height pixel is NaN (the lost lines).
std::vector<int> lost_rows(const SimulatedScan& sim) {
    std::vector<int> rows;
    const int nx = sim.spec.nx;
    for (int y = 0; y < sim.spec.ny; ++y) {
        const float* row = sim.height_m.data() + (std::size_t)y * nx;
        if (std::all_of(row, row + nx, [](float h) { return std::isnan(h); })) rows.push_back(y);
    }
    return rows;
}

}  // namespace

void validate_realism(const SimulationSpec& s) {
    const double dx = s.pixel_size_x_m(), dy = s.pixel_size_y_m();
    require(std::isfinite(s.scan_size_y_m) && s.scan_size_y_m >= 0.0, "scan_size_y_m must be >= 0 (0: square pixels)");
    require(dy >= 0.1 * dx && dy <= 10.0 * dx, "pixel aspect (y / x) must be in [0.1, 10]");
    for (double v : {s.height_noise_1f_m, s.line_offset_m, s.tip_convolution_radius_m})
        require(std::isfinite(v) && v >= 0.0,
                "height_noise_1f_m, line_offset_m and tip_convolution_radius_m must be >= 0");
    require(s.dropout_fraction >= 0.0 && s.dropout_fraction <= 0.5, "dropout_fraction must be in [0, 0.5]");
    require(s.lost_lines >= 0 && s.lost_lines <= s.ny / 2, "lost_lines must be in [0, ny / 2]");
    require(s.extra_crystals >= 0 && s.extra_crystals <= 32, "extra_crystals must be in [0, 32]");
}

bool realism_on(const SimulationSpec& s) {
    return s.height_noise_1f_m > 0.0 || s.line_offset_m > 0.0 || s.tip_convolution_radius_m > 0.0 ||
           s.dropout_fraction > 0.0 || s.lost_lines > 0 || s.extra_crystals > 0;
}

std::vector<double> dilate_by_tip(const std::vector<double>& z, int nx, int ny, double dx, double dy,
                                  double radius_m) {
    std::vector<double> out = z;
    const int n = std::max(nx, ny);
    std::vector<double> g(n), cut(n + 1);
    std::vector<int> v(n);
    for (int y = 0; y < ny; ++y) dilate_line(out.data() + (std::size_t)y * nx, nx, 1, dx * dx / (2.0 * radius_m), g, v, cut);
    for (int x = 0; x < nx; ++x) dilate_line(out.data() + x, ny, (std::size_t)nx, dy * dy / (2.0 * radius_m), g, v, cut);
    return out;
}

std::vector<double> pink_noise(std::size_t n, std::uint64_t seed) {
    Normal normal(seed, kStreamPinkNoise);
    std::vector<double> rho, gain, state;
    for (double corner = 0.25; corner * (double)n >= 1.0; corner /= 4.0) {  // cycles per sample
        rho.push_back(std::exp(-2.0 * kPi * corner));
        gain.push_back(std::sqrt(1.0 - rho.back() * rho.back()));
        state.push_back(normal());  // start in the stationary state
    }
    std::vector<double> out(n);
    for (std::size_t i = 0; i < n; ++i) {
        double sum = 0.0;
        for (std::size_t k = 0; k < state.size(); ++k) {
            state[k] = rho[k] * state[k] + gain[k] * normal();
            sum += state[k];
        }
        out[i] = sum;
    }
    standardise(out);
    return out;
}

std::vector<double> recorded_height(const SimulationSpec& s, const std::vector<double>& z0) {
    std::vector<double> z = s.tip_convolution_radius_m > 0.0
                                ? dilate_by_tip(z0, s.nx, s.ny, s.pixel_size_x_m(), s.pixel_size_y_m(),
                                                s.tip_convolution_radius_m)
                                : z0;
    if (s.height_noise_1f_m > 0.0) {
        const std::vector<double> pink = pink_noise(z.size(), s.seed);
        for (std::size_t i = 0; i < z.size(); ++i) z[i] += s.height_noise_1f_m * pink[i];
    }
    if (s.line_offset_m > 0.0) {
        Normal normal(s.seed, kStreamLineOffsets);
        std::vector<double> offset(s.ny);
        for (double& o : offset) o = normal();
        standardise(offset);
        for (int y = 0; y < s.ny; ++y)
            for (int x = 0; x < s.nx; ++x) z[(std::size_t)y * s.nx + x] += s.line_offset_m * offset[y];
    }
    return z;
}

void apply_dropouts(SimulatedScan& sim) {
    const SimulationSpec& s = sim.spec;
    if (s.dropout_fraction > 0.0) {
        std::mt19937_64 rng(stream_seed(s.seed, kStreamDropouts));
        for (std::size_t i = 0; i < sim.height_m.size(); ++i)
            if (uniform01(rng) < s.dropout_fraction) set_lost(sim, i);
    }
    if (s.lost_lines > 0) {
        std::mt19937_64 rng(stream_seed(s.seed, kStreamLostLines));
        std::vector<int> rows(s.ny);
        for (int y = 0; y < s.ny; ++y) rows[y] = y;
        for (int i = 0; i < s.lost_lines; ++i) {  // partial Fisher-Yates: distinct rows
            std::swap(rows[i], rows[i + (int)(rng() % (std::uint64_t)(s.ny - i))]);
            for (int x = 0; x < s.nx; ++x) set_lost(sim, (std::size_t)rows[i] * s.nx + x);
        }
    }
}

std::vector<CrystalDef> extra_crystals(int count, const std::vector<CrystalDef>& taken, double sx_over_s,
                                       double sy_over_s, std::uint64_t seed) {
    std::mt19937_64 rng(stream_seed(seed, kStreamExtraCrystals));
    auto uniform = [&](double lo, double hi) { return lo + (hi - lo) * uniform01(rng); };
    std::vector<CrystalDef> out;
    for (int c = 0; c < count; ++c) {
        CrystalDef d{};
        double best = -1.0;  // the farthest of 32 candidates from every centre so far (Mitchell)
        for (int t = 0; t < 32; ++t) {
            const double x = uniform(0.08, 0.92), y = uniform(0.08, 0.92);
            double nearest = std::numeric_limits<double>::infinity();
            auto closer = [&](const CrystalDef& o) {
                nearest = std::min(nearest, std::hypot((x - o.cx_frac) * sx_over_s, (y - o.cy_frac) * sy_over_s));
            };
            std::for_each(taken.begin(), taken.end(), closer);
            std::for_each(out.begin(), out.end(), closer);
            if (nearest > best) {
                best = nearest;
                d.cx_frac = x;
                d.cy_frac = y;
            }
        }
        const double scale = uniform(0.6, 1.2), turn_deg = uniform(-180.0, 180.0);
        d.top_frac = 0.03 * scale;
        d.planes.push_back({uniform(0.0, 6.0), uniform(-180.0, 180.0), 0.0, -1});
        const int sides = 4 + (int)(rng() % 3);
        for (int k = 0; k < sides; ++k) {
            const double azimuth = std::remainder(turn_deg + 360.0 * k / sides + uniform(-15.0, 15.0), 360.0);
            d.planes.push_back({uniform(10.0, 50.0), azimuth, 0.045 * scale * uniform(0.85, 1.15), -1});
        }
        out.push_back(d);
    }
    return out;
}

void add_realism_truth(nlohmann::ordered_json& j, const SimulatedScan& sim) {
    using nlohmann::ordered_json;
    const SimulationSpec& s = sim.spec;
    if (realism_on(s)) {
        std::size_t lost = 0;
        for (float h : sim.height_m.px) lost += std::isnan(h) ? 1 : 0;
        ordered_json r;
        r["height_noise_1f_m"] = s.height_noise_1f_m;
        r["line_offset_m"] = s.line_offset_m;
        r["tip_convolution_radius_m"] = s.tip_convolution_radius_m;
        r["dropout_fraction"] = s.dropout_fraction;
        r["lost_lines"] = lost_rows(sim);
        r["nan_pixels"] = lost;
        r["extra_crystals"] = s.extra_crystals;
        j["realism"] = r;
    }
    if (!s.write_truth_maps) return;
    j["truth_maps"] = {{"regions", "truth_regions.tif"},
                       {"planes", "truth_planes.tif"},
                       {"tilt_deg", "truth_tilt_deg.tif"},
                       {"modulus_gpa", "truth_modulus_gpa.tif"}};
    ordered_json planes = ordered_json::array();
    for (const SimulatedScan::PlaneTruth& p : sim.planes_true)
        planes.push_back({{"crystal", p.crystal}, {"facet", p.facet}, {"tilt_deg", p.tilt_deg},
                          {"azimuth_deg", p.azimuth_deg}});
    j["planes"] = planes;
}

void write_truth_maps(const SimulatedScan& sim, const std::string& dir) {
    const SimulationSpec& s = sim.spec;
    if (!s.write_truth_maps) return;
    const int nfacets = (int)s.regions.size() - 1;
    Image<std::uint16_t> regions(s.nx, s.ny, 0);
    for (std::size_t i = 0; i < regions.size(); ++i) {
        const int plane = sim.plane_true.px[i];
        const int facet = plane < 0 ? nfacets : sim.planes_true[plane].facet;  // nfacets: the background
        if (plane < 0 || (facet >= 0 && facet < nfacets)) regions.px[i] = (std::uint16_t)s.regions[facet].label;
    }
    TiffCalibration cal;
    cal.pixel_size_x_m = s.pixel_size_x_m();
    cal.pixel_size_y_m = s.pixel_size_y_m();
    cal.compress = true;
    const std::filesystem::path d(dir);
    cal.description = "true region label per pixel (simulated)";
    write_tiff((d / "truth_regions.tif").string(), regions, cal);
    cal.description = "true plane per pixel, index into truth.json planes, -1 background (simulated)";
    write_tiff((d / "truth_planes.tif").string(), sim.plane_true, cal);
    cal.description = "true tilt, deg (simulated)";
    write_tiff((d / "truth_tilt_deg.tif").string(), sim.tilt_true_deg, cal);
    cal.description = "true modulus, GPa (simulated)";
    write_tiff((d / "truth_modulus_gpa.tif").string(), sim.modulus_true_gpa, cal);
}

}  // namespace amfm::sim
