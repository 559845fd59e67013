// Synthetic calibration scans (see simulate_calibration.hpp).
#include "host/sim/simulate_calibration.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <random>
#include <system_error>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "amfm/kernels/error.hpp"
#include "host/formats/tiff_io.hpp"
#include "host/model/config.hpp"
#include "host/model/file_io.hpp"

namespace amfm {
namespace {

namespace fs = std::filesystem;

// Standard normals from one seeded stream (Box-Muller by hand: std::normal_distribution
// differs between standard libraries, and the scans must be the same bytes everywhere).
class Gauss {
public:
    Gauss(std::uint64_t seed, std::uint64_t stream) : rng_(seed * 0x9E3779B97F4A7C15ull + stream) {}
    double operator()() {
        const double u1 = ((rng_() >> 11) + 1) * 0x1.0p-53;
        const double u2 = (rng_() >> 11) * 0x1.0p-53;
        return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * kPi * u2);
    }
    double uniform() { return (rng_() >> 11) * 0x1.0p-53; }

private:
    std::mt19937_64 rng_;
};

enum : std::uint64_t { kRoughness = 1, kHeightNoise = 2, kPhaseNoise = 3, kDf2Noise = 4, kPlacement = 5 };

// Film height: white noise blurred to ~5 px correlation, scaled to `rms_m`.
std::vector<double> film_height(int nx, int ny, double rms_m, std::uint64_t seed) {
    cv::Mat m(ny, nx, CV_64F);
    Gauss g(seed, kRoughness);
    for (int y = 0; y < ny; ++y)
        for (int x = 0; x < nx; ++x) m.at<double>(y, x) = g();
    cv::GaussianBlur(m, m, cv::Size(21, 21), 2.5, 2.5, cv::BORDER_REFLECT_101);
    cv::Scalar mean, sd;
    cv::meanStdDev(m, mean, sd);
    std::vector<double> out((std::size_t)nx * ny);
    for (int y = 0; y < ny; ++y)
        for (int x = 0; x < nx; ++x)
            out[(std::size_t)y * nx + x] = (m.at<double>(y, x) - mean[0]) / (sd[0] > 0 ? sd[0] : 1.0) * rms_m;
    return out;
}

void check_common(int nx, int ny, double size_m, const Cantilever& c, double r_m, double phase_deg,
                  const CalibrationNoise& n) {
    auto require = [](bool ok, const std::string& what) {
        if (!ok) throw ConfigError("calibration simulation: " + what);
    };
    require(nx >= 32 && ny >= 32 && nx <= 8192 && ny <= 8192, "size must be 32..8192 pixels");
    require(size_m > 0.0, "scan size must be > 0");
    require(c.k1_n_per_m > 0 && c.q1 > 0 && c.f1_hz > 0 && c.f2_hz > 0 && c.a1_free_m > 0 && c.a1_set_m > 0,
            "cantilever parameters must be > 0");
    require(r_m > 0.0, "tip radius must be > 0");
    require(phase_deg >= 5.0 && phase_deg <= 80.0, "phase1 mean must be 5..80 deg (repulsive)");
    require(n.height_m >= 0 && n.phase_deg >= 0 && n.df2_rel >= 0, "noise levels must be >= 0");
}

// The three measured channels from the noise-free height and the apparent modulus per pixel
// (NaN: undefined contact, df2 = NaN).
void measure(SimulatedCalibrationScan& sim, const std::vector<double>& z0, const std::vector<double>& e_app_pa,
             double phase_mean_deg, const CalibrationNoise& noise, std::uint64_t seed) {
    const ModulusModel model = make_modulus_model(sim.cantilever, sim.tip_radius_m);
    sim.height_m = Image<float>(sim.nx, sim.ny);
    sim.phase1_deg = Image<float>(sim.nx, sim.ny);
    sim.df2_hz = Image<float>(sim.nx, sim.ny);
    Gauss gh(seed, kHeightNoise), gp(seed, kPhaseNoise), gd(seed, kDf2Noise);
    for (std::size_t i = 0; i < z0.size(); ++i) {
        const double nh = gh(), np = gp(), nd = gd();  // drawn whatever the levels
        const double df2 = amfm_df2_for_modulus_hz(model, e_app_pa[i], phase_mean_deg, sim.cantilever.a1_set_m);
        sim.height_m.px[i] = (float)(z0[i] + noise.height_m * nh);
        sim.phase1_deg.px[i] = (float)(phase_mean_deg + noise.phase_deg * np);
        sim.df2_hz.px[i] = (float)(df2 * (1.0 + noise.df2_rel * nd));
    }
}

nlohmann::ordered_json cantilever_json(const Cantilever& c) {
    return {{"k1", c.k1_n_per_m}, {"q1", c.q1},           {"f1", c.f1_hz},          {"f2", c.f2_hz},
            {"k2", c.k2_n_per_m}, {"a1_free", c.a1_free_m}, {"a1_set", c.a1_set_m}};
}

nlohmann::ordered_json noise_json(const CalibrationNoise& n) {
    return {{"height_m", n.height_m}, {"phase1_deg", n.phase_deg}, {"df2_rel", n.df2_rel}};
}

}  // namespace

SimulatedCalibrationScan simulate_reference_scan(const ReferenceScanSpec& s) {
    check_common(s.nx, s.ny, s.scan_size_m, s.cantilever, s.tip_radius_m, s.phase1_mean_deg, s.noise);
    if (!(s.modulus_pa > 0.0)) throw ConfigError("calibration simulation: reference modulus must be > 0");
    SimulatedCalibrationScan sim;
    sim.kind = "reference";
    sim.nx = s.nx;
    sim.ny = s.ny;
    sim.scan_size_m = s.scan_size_m;
    sim.cantilever = s.cantilever;
    sim.tip_radius_m = s.tip_radius_m;
    const std::vector<double> z0 = film_height(s.nx, s.ny, s.roughness_m, s.seed);
    // A flat reference reads its modulus everywhere: the film's tilt is a fraction of a degree,
    // so no tilt artefact is applied (the paper calibrates R on flat films).
    const std::vector<double> e(z0.size(), s.modulus_pa);
    measure(sim, z0, e, s.phase1_mean_deg, s.noise, s.seed);
    sim.tilt_true_deg = Image<float>(s.nx, s.ny, 0.0f);

    nlohmann::ordered_json j;
    j["generator"] = "amfm simulate --reference";
    j["kind"] = sim.kind;
    j["seed"] = s.seed;
    j["nx"] = s.nx;
    j["ny"] = s.ny;
    j["scan_size_m"] = s.scan_size_m;
    j["reference"] = s.reference;
    j["reference_modulus_pa"] = s.modulus_pa;
    j["tip_radius_m"] = s.tip_radius_m;
    j["roughness_rms_m"] = s.roughness_m;
    j["phase1_mean_deg"] = s.phase1_mean_deg;
    j["noise"] = noise_json(s.noise);
    j["cantilever"] = cantilever_json(s.cantilever);
    sim.truth_json = j.dump(2) + "\n";
    return sim;
}

namespace {

struct Sphere {
    double cx, cy;  // centre on the film, m
};

// Sphere centres: one per grid cell, jittered so that spheres stay inside their cell.
std::vector<Sphere> place_spheres(const SphereFieldSpec& s, double cell) {
    std::vector<Sphere> spheres;
    Gauss place(s.seed, kPlacement);
    const double slack = 0.5 * cell - 1.1 * s.sphere_radius_m;
    for (int j = 0; j < s.spheres_per_side; ++j)
        for (int i = 0; i < s.spheres_per_side; ++i) {
            const double jx = (2.0 * place.uniform() - 1.0) * slack, jy = (2.0 * place.uniform() - 1.0) * slack;
            spheres.push_back({(i + 0.5) * cell + jx, (j + 0.5) * cell + jy});
        }
    return spheres;
}

// The spheres drawn over the film: their height, tilt and apparent modulus (NaN where the tip
// slides) per pixel, counting the sphere and sliding pixels.
void draw_spheres(const SphereFieldSpec& s, const std::vector<Sphere>& spheres, std::vector<double>& z0,
                  std::vector<double>& e_app_pa, Image<float>& tilt_deg, long long& n_sphere, long long& n_slide) {
    const double dx = s.scan_size_m / s.nx;  // square pixels
    const double r = s.sphere_radius_m;
    for (int y = 0; y < s.ny; ++y)
        for (int x = 0; x < s.nx; ++x) {
            const std::size_t k = (std::size_t)y * s.nx + x;
            const double px = (x + 0.5) * dx, py = (y + 0.5) * dx;
            for (const Sphere& sp : spheres) {
                const double d = std::hypot(px - sp.cx, py - sp.cy);
                if (d >= r) continue;
                // Upper hemisphere of a sphere resting on the film: z = r + sqrt(r^2 - d^2),
                // surface tilt asin(d / r).
                z0[k] = r + std::sqrt(r * r - d * d);
                const double tilt = std::asin(d / r) * kDegPerRad;
                tilt_deg.px[k] = (float)tilt;
                ++n_sphere;
                if (tilt > s.slide_angle_deg) {
                    e_app_pa[k] = NAN;  // sliding tip: no defined contact, the instrument masks it
                    ++n_slide;
                } else {
                    e_app_pa[k] = s.sphere_modulus_pa * kc_factor(s.kc_true, tilt);
                }
            }
        }
}

std::string sphere_field_truth_json(const SphereFieldSpec& s, const std::vector<Sphere>& spheres, long long n_sphere,
                                    long long n_slide) {
    nlohmann::ordered_json j;
    j["generator"] = "amfm simulate --sphere-field";
    j["kind"] = "sphere-field";
    j["seed"] = s.seed;
    j["nx"] = s.nx;
    j["ny"] = s.ny;
    j["scan_size_m"] = s.scan_size_m;
    j["sphere_radius_m"] = s.sphere_radius_m;
    j["sphere_modulus_pa"] = s.sphere_modulus_pa;
    j["film_modulus_pa"] = s.film_modulus_pa;
    nlohmann::ordered_json centres = nlohmann::ordered_json::array();
    for (const Sphere& sp : spheres) centres.push_back({{"x_m", sp.cx}, {"y_m", sp.cy}});
    j["sphere_centres"] = centres;
    j["sphere_pixels"] = n_sphere;
    j["sliding_pixels"] = n_slide;
    j["slide_angle_deg"] = s.slide_angle_deg;
    {
        nlohmann::ordered_json k;
        k["model"] = kc_model_name(s.kc_true.model);
        k["coefficients"] =
            std::vector<double>(s.kc_true.coefficients, s.kc_true.coefficients + s.kc_true.n_coefficients);
        k["cos_exponent"] = s.kc_true.cos_exponent;
        j["kc_true"] = k;
    }
    j["tip_radius_m"] = s.tip_radius_m;
    j["phase1_mean_deg"] = s.phase1_mean_deg;
    j["noise"] = noise_json(s.noise);
    j["cantilever"] = cantilever_json(s.cantilever);
    j["notes"] = "E_apparent = sphere_modulus * Kc_true(theta_true) on the spheres, theta_true = asin(d / r); "
                 "df2 = NaN above slide_angle_deg; the film reads film_modulus_pa";
    return j.dump(2) + "\n";
}

}  // namespace

SimulatedCalibrationScan simulate_sphere_field(const SphereFieldSpec& s) {
    check_common(s.nx, s.ny, s.scan_size_m, s.cantilever, s.tip_radius_m, s.phase1_mean_deg, s.noise);
    const double cell = s.scan_size_m / std::max(1, s.spheres_per_side);
    if (!(s.sphere_radius_m > 0.0) || s.spheres_per_side < 1 || 2.2 * s.sphere_radius_m > cell)
        throw ConfigError("calibration simulation: spheres of radius " + std::to_string(s.sphere_radius_m) +
                          " m do not fit " + std::to_string(s.spheres_per_side) + " per side of the scan");
    if (!(s.slide_angle_deg > 0.0 && s.slide_angle_deg < 90.0))
        throw ConfigError("calibration simulation: slide angle must be in (0, 90) deg");
    SimulatedCalibrationScan sim;
    sim.kind = "sphere-field";
    sim.nx = s.nx;
    sim.ny = s.ny;
    sim.scan_size_m = s.scan_size_m;
    sim.cantilever = s.cantilever;
    sim.tip_radius_m = s.tip_radius_m;

    const std::vector<Sphere> spheres = place_spheres(s, cell);
    std::vector<double> z0 = film_height(s.nx, s.ny, 0.5e-9, s.seed);
    std::vector<double> e(z0.size(), s.film_modulus_pa);
    sim.tilt_true_deg = Image<float>(s.nx, s.ny, 0.0f);
    long long n_sphere = 0, n_slide = 0;
    draw_spheres(s, spheres, z0, e, sim.tilt_true_deg, n_sphere, n_slide);
    measure(sim, z0, e, s.phase1_mean_deg, s.noise, s.seed);
    sim.truth_json = sphere_field_truth_json(s, spheres, n_sphere, n_slide);
    return sim;
}

void write_calibration_scan(const SimulatedCalibrationScan& sim, const std::string& dir) {
    const fs::path d(dir);
    std::error_code ec;
    fs::create_directories(d, ec);
    if (ec || !fs::is_directory(d)) throw DataError(dir + ": cannot create folder");
    TiffCalibration cal;
    cal.pixel_size_x_m = cal.pixel_size_y_m = sim.scan_size_m / sim.nx;
    cal.compress = true;
    cal.description = "height, m (simulated " + sim.kind + ")";
    write_tiff((d / "height.tif").string(), sim.height_m, cal);
    cal.description = "phase1, deg (simulated " + sim.kind + ")";
    write_tiff((d / "phase1.tif").string(), sim.phase1_deg, cal);
    cal.description = "df2, Hz (simulated " + sim.kind + ")";
    write_tiff((d / "df2.tif").string(), sim.df2_hz, cal);
    write_file_atomic(d / "truth.json", sim.truth_json);

    // scan.yaml through the config writer, so it is exactly what the loader accepts.
    ScanConfig c;
    c.sample = "simulated " + sim.kind;
    c.height = {"height.tif", "m", 1.0, false};
    c.phase1 = {"phase1.tif", "deg", 1.0, false};
    c.df2 = {"df2.tif", "Hz", 1.0, false};
    c.scan_size_x_m = sim.scan_size_m;
    c.scan_size_y_m = sim.scan_size_m * sim.ny / sim.nx;
    c.cantilever = sim.cantilever;
    c.tip_radius_m = sim.tip_radius_m;
    c.cantilever_source = "simulated";  // the simulation's truth: no warning about the template's examples
    write_file_atomic(d / "scan.yaml", "# Simulated " + sim.kind + " scan (amfm simulate); truth in truth.json\n" +
                                    config_to_yaml(c));
}

}  // namespace amfm
