// Deterministic synthetic AM-FM scans of a composite electrode (see simulate.hpp).
//
// Geometry (fixed per facet index, so a cycle series is comparable; only the background
// roughness and the noise change with the seed). Lengths are fractions of the field's shorter
// side S, so the picture is the same at any scan size; tilts are exact at any size.
//  * Crystal A (labelled): the lower envelope of a nearly flat top facet (2 deg, unlabelled),
//    four labelled side facets I 8, II 22, III 30, IV 15 deg, and four steep unlabelled corner
//    facets. Each plane is z = Zc + tan(tilt) ((p - c) . e + r), e the unit vector of its
//    azimuth (direction of steepest ascent, atan2(dz/dy, dz/dx) as in tilt.hpp, y = row index,
//    growing down the image), so its analytic gradient is exactly tan(tilt) e.
//  * Crystal B (never labelled): a smaller faceted crystal near the top-right corner.
//  * Background (binder/carbon): white noise blurred to a correlation length of ~300 nm and
//    renormalised to 30 nm RMS; the crystals show where their envelope is above it.
// Labels: a pixel is labelled when every pixel within 3 px has the same owner (plane or
// background), like a hand-drawn mask; ridges, edges and unlabelled facets stay 0.
// Modulus truth: per region a smooth field (white noise blurred 1.2 px) standardised over the
// region's labelled pixels, centre + sigma * field, clamped to >= 5 % of the centre (a floor
// that keeps df2 defined; it touches only > 3 sigma tails of the paper's values). Unlabelled
// crystal pixels take their facet's distribution if it is labelled, else the first facet's.
// Channels: theta_true from the noise-free geometry, E_apparent = E_true Kc(min(theta, max)),
// df2 from the inverted AM-FM equation at the true phase; then the noise: height + white,
// phase1 + white, df2 * (1 + white).
// Random numbers: std::mt19937_64 streams derived from the seed with splitmix64, one stream per
// purpose (changing a noise level does not change any other field), and a hand-written
// Box-Muller normal (std::normal_distribution differs between standard libraries). Smooth fields
// are blurred in double precision and rounded to float once at the end (random_fields.hpp).
#include "host/sim/simulate.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <map>
#include <sstream>
#include <system_error>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include "amfm/kernels/error.hpp"
#include "amfm/kernels/physics.hpp"
#include "amfm/kernels/tilt.hpp"
#include "amfm/kernels/tilt_correction.hpp"
#include "host/formats/tiff_io.hpp"
#include "host/model/file_io.hpp"
#include "host/model/yaml_text.hpp"
#include "host/sim/crystal_geometry.hpp"
#include "host/sim/random_fields.hpp"
#include "host/sim/realism.hpp"

namespace amfm {
namespace {

namespace fs = std::filesystem;
using sim::CrystalDef;
using sim::moments;
using sim::Normal;
using sim::PlaneDef;
using sim::smooth_noise;

// ---- geometry tables -------------------------------------------------------------------

constexpr int kLabelledFacets = 4;  // facets I-IV of crystal A
constexpr int kGeometryVersion = 1;
constexpr const char* kFacetNames[kLabelledFacets] = {"I", "II", "III", "IV"};

// Azimuths are of steepest ascent, so a facet facing east (sloping down toward +x) has 180.
const std::vector<CrystalDef>& crystals() {
    static const std::vector<CrystalDef> defs = {
        {0.36, 0.55, 0.060,
         {
             {2.0, 150.0, 0.0, -1},      // top facet, nearly flat
             {8.0, 190.0, 0.060, 0},     // I: faces east (slightly south)
             {22.0, -80.0, 0.065, 1},    // II: faces south (slightly west)
             {30.0, 10.0, 0.060, 2},     // III: faces west
             {15.0, 100.0, 0.065, 3},    // IV: faces north
             {55.0, -125.0, 0.150, -1},  // corner facets (unlabelled; two steeper than the
                                         // 45 deg cutoff, as crystal edges often are)
             {60.0, -35.0, 0.140, -1},
             {35.0, 55.0, 0.135, -1},
             {28.0, 145.0, 0.170, -1},
         }},
        {0.82, 0.20, 0.030,
         {
             {5.0, -40.0, 0.0, -1},
             {25.0, 170.0, 0.045, -1},
             {52.0, -100.0, 0.040, -1},
             {20.0, 20.0, 0.045, -1},
             {64.0, 95.0, 0.040, -1},
         }},
    };
    return defs;
}

constexpr double kBackgroundRmsM = 30.0e-9;
constexpr double kBackgroundBlurM = 150.0e-9;  // Gaussian sigma: correlation length 2 sigma = 300 nm
constexpr double kModulusBlurPx = 1.2;
constexpr double kPhaseSwingDeg = 3.0;       // smooth phase variation, +- this
constexpr double kPhaseBlurFrac = 0.08;      // its Gaussian sigma, fraction of S
constexpr int kLabelMarginPx = 3;            // labelled pixels are >= this far inside their area
constexpr double kModulusFloorFrac = 0.05;   // true modulus clamped to >= 5 % of the centre

// ---- random streams ------------------------------------------------------------------------

using sim::kStreamBackground;
using sim::kStreamDf2Noise;
using sim::kStreamHeightNoise;
using sim::kStreamModulusBase;
using sim::kStreamPhaseNoise;
using sim::kStreamPhaseSmooth;

// ---- validation ----------------------------------------------------------------------------

void require(bool ok, const std::string& what) {
    if (!ok) throw ConfigError("simulation: " + what);
}

void validate(const SimulationSpec& s) {
    require(s.nx >= 32 && s.ny >= 32 && s.nx <= 16384 && s.ny <= 16384,
            "nx and ny must be in [32, 16384]");
    require(std::isfinite(s.scan_size_m) && s.scan_size_m > 0.0, "scan_size_m must be > 0");
    require(s.regions.size() >= 2, "regions: at least one facet and the background (last) are needed");
    require((int)s.regions.size() - 1 <= kLabelledFacets,
            "regions: at most " + std::to_string(kLabelledFacets) + " facets plus the background");
    std::map<int, int> seen;
    for (const RegionTruth& r : s.regions) {
        require(r.label >= 1 && r.label <= 65535, "region '" + r.name + "': label must be in 1..65535");
        require(seen.emplace(r.label, 1).second, "region label " + std::to_string(r.label) + " used twice");
        require(std::isfinite(r.center_gpa) && r.center_gpa > 0.0,
                "region '" + r.name + "': center_gpa must be > 0");
        require(std::isfinite(r.sigma_gpa) && r.sigma_gpa >= 0.0,
                "region '" + r.name + "': sigma_gpa must be >= 0");
    }
    require(s.height_noise_m >= 0.0 && s.phase_noise_deg >= 0.0 && s.df2_noise_rel >= 0.0,
            "noise levels must be >= 0");
    require(s.phase1_mean_deg >= 5.0 && s.phase1_mean_deg <= 80.0,
            "phase1_mean_deg must be in [5, 80] (repulsive regime, cos Phi1 > 0)");
    const Cantilever& c = s.cantilever;
    require(c.k1_n_per_m > 0.0 && c.q1 > 0.0 && c.f1_hz > 0.0 && c.f2_hz > 0.0 && c.a1_free_m > 0.0 &&
                c.a1_set_m > 0.0 && c.k2_n_per_m >= 0.0,
            "cantilever parameters must be > 0");
    require(s.tip_radius_m > 0.0, "tip_radius_m must be > 0");
    sim::validate_realism(s);
}

}  // namespace

// ---- paper truths ----------------------------------------------------------------------------

std::vector<RegionTruth> paper_region_truths(int cycle) {
    // Fig. 2 / Table 1 of the seed paper: centre and sigma (GPa) of facets I-IV, then b/c.
    // The pristine electrode (cycle 0) has no facet IV (n_facets = 3).
    struct Row {
        int cycle, n_facets;
        double c[5], s[5];
    };
    static const Row table[] = {
        {0, 3, {145, 113, 117, 0, 1.9}, {10, 12, 11, 0, 0.1}},
        {5, 4, {2.3, 3.5, 2.9, 3.3, 1.6}, {0.7, 0.9, 0.6, 0.8, 0.3}},
        {30, 4, {2.7, 6.5, 2.0, 5.1, 2.2}, {0.1, 0.7, 0.1, 0.4, 0.7}},
        {60, 4, {4.2, 4.9, 5.3, 4.2, 3.5}, {0.2, 1.2, 1.6, 0.3, 1.1}},
        {200, 4, {3.6, 3.7, 4.6, 4.6, 3.9}, {0.1, 0.2, 0.5, 0.5, 0.4}},
    };
    const Row* row = nullptr;
    for (const Row& r : table)
        if (r.cycle == cycle) row = &r;
    if (!row)
        throw ConfigError("paper_region_truths: no published values for cycle " + std::to_string(cycle) +
                          " (known: 0, 5, 30, 60, 200)");
    std::vector<RegionTruth> out;
    const CrystalDef& a = crystals()[0];
    for (int i = 0; i < row->n_facets; ++i) {
        RegionTruth r;
        r.label = i + 1;
        r.name = kFacetNames[i];
        r.class_name = "LNMO";
        r.center_gpa = row->c[i];
        r.sigma_gpa = row->s[i];
        for (const PlaneDef& p : a.planes)
            if (p.facet == i) {
                r.tilt_deg = p.tilt_deg;
                r.azimuth_deg = p.azimuth_deg;
            }
        out.push_back(r);
    }
    RegionTruth b;
    b.label = kLabelledFacets + 1;  // 5 in every cycle, so the series' label images agree
    b.name = "b/c";
    b.class_name = "b/c";
    b.center_gpa = row->c[4];
    b.sigma_gpa = row->s[4];
    b.tilt_deg = NAN;
    b.azimuth_deg = NAN;
    out.push_back(b);
    return out;
}

std::vector<RegionTruth> stiff_region_truths() {
    std::vector<RegionTruth> out = paper_region_truths(5);  // facets I-IV and b/c, their labels
    const double center_gpa[] = {100.0, 115.0, 130.0, 150.0, 2.0}, sigma_gpa[] = {4.0, 4.0, 4.0, 4.0, 0.1};
    for (std::size_t i = 0; i < out.size(); ++i) {
        out[i].center_gpa = center_gpa[i];
        out[i].sigma_gpa = sigma_gpa[i];
    }
    return out;
}

// ---- the simulation --------------------------------------------------------------------------

namespace {

// A facet plane in physical units: z = zc + gx (x - cx) + gy (y - cy) + tan_t r.
struct Plane {
    double cx, cy, zc, gx, gy, tan_t, r, tilt;
    int facet;
};

// Every crystal's planes, and each crystal's [first, last) range in them.
struct Crystals {
    std::vector<Plane> planes;
    std::vector<std::pair<int, int>> ranges;
};

// The fixed crystal table and the spec's extra crystals, on a field of sx x sy (S the shorter side).
std::vector<CrystalDef> crystal_defs(const SimulationSpec& spec, double sx, double sy, double S) {
    std::vector<CrystalDef> defs = crystals();
    const std::vector<CrystalDef> more = sim::extra_crystals(spec.extra_crystals, defs, sx / S, sy / S, spec.seed);
    defs.insert(defs.end(), more.begin(), more.end());
    return defs;
}

// The crystals placed on a field of sx x sy metres (S the shorter side).
Crystals place_crystals(const std::vector<CrystalDef>& defs, double sx, double sy, double S) {
    Crystals out;
    for (const CrystalDef& c : defs) {
        const int first = (int)out.planes.size();
        for (const PlaneDef& p : c.planes) {
            const double t = std::tan(p.tilt_deg / kDegPerRad);
            const double a = p.azimuth_deg / kDegPerRad;
            out.planes.push_back({c.cx_frac * sx, c.cy_frac * sy, c.top_frac * S, t * std::cos(a), t * std::sin(a), t,
                                  p.r_frac * S, p.tilt_deg, p.facet});
        }
        out.ranges.emplace_back(first, (int)out.planes.size());
    }
    return out;
}

// Facet regions take their geometry (tilt, azimuth) from the fixed table by position; the
// background (last region) has none.
void fill_facet_geometry(SimulationSpec& spec) {
    const int nfacets = (int)spec.regions.size() - 1;
    for (int i = 0; i < nfacets; ++i)
        for (const PlaneDef& p : crystals()[0].planes)
            if (p.facet == i) {
                spec.regions[i].tilt_deg = p.tilt_deg;
                spec.regions[i].azimuth_deg = p.azimuth_deg;
            }
    spec.regions[nfacets].tilt_deg = NAN;
    spec.regions[nfacets].azimuth_deg = NAN;
}

// Background height: smooth random field, zero mean, fixed RMS.
cv::Mat background_height(int nx, int ny, double dx, double dy, std::uint64_t seed) {
    cv::Mat bg = smooth_noise(nx, ny, kBackgroundBlurM / dx, kBackgroundBlurM / dy, seed, kStreamBackground);
    double mu, sd;
    moments(bg, [](std::size_t) { return true; }, &mu, &sd);
    return (bg - mu) * (kBackgroundRmsM / sd);
}

// Noise-free height and owner per pixel (-1 background, else plane index): each crystal is the
// lower envelope of its planes, shown where it is above the background and the other crystals.
struct Surface {
    std::vector<double> z0;
    std::vector<int> owner;
};

Surface noise_free_surface(const cv::Mat& bg, const Crystals& cs, double dx, double dy) {
    const int nx = bg.cols, ny = bg.rows;
    Surface s;
    s.z0.resize((std::size_t)nx * ny);
    s.owner.assign((std::size_t)nx * ny, -1);
    const double* bgp = bg.ptr<double>(0);
    for (int y = 0; y < ny; ++y) {
        const double py = (y + 0.5) * dy;
        for (int x = 0; x < nx; ++x) {
            const double px = (x + 0.5) * dx;
            const std::size_t i = (std::size_t)y * nx + x;
            double best = bgp[i];
            int who = -1;
            for (const auto& cr : cs.ranges) {
                double env = std::numeric_limits<double>::infinity();
                int arg = -1;
                for (int k = cr.first; k < cr.second; ++k) {
                    const Plane& p = cs.planes[k];
                    const double dxp = px - p.cx, dyp = py - p.cy;
                    // z = Zc + tan(t) ((p - c) . e + r) = Zc + g . (p - c) + tan(t) r
                    const double z = p.zc + p.gx * dxp + p.gy * dyp + p.tan_t * p.r;
                    if (z < env) {
                        env = z;
                        arg = k;
                    }
                }
                if (env > best) {
                    best = env;
                    who = arg;
                }
            }
            s.z0[i] = best;
            s.owner[i] = who;
        }
    }
    return s;
}

// Segmentation ground truth: every crystal's planes and the owner map.
void fill_plane_truth(SimulatedScan& sim, const std::vector<CrystalDef>& defs, const Crystals& cs,
                      const std::vector<int>& owner) {
    for (std::size_t c = 0; c < cs.ranges.size(); ++c)
        for (int k = cs.ranges[c].first; k < cs.ranges[c].second; ++k) {
            const PlaneDef& d = defs[c].planes[k - cs.ranges[c].first];
            sim.planes_true.push_back({d.tilt_deg, d.azimuth_deg, (int)c, d.facet});
        }
    sim.plane_true = Image<std::int16_t>(sim.spec.nx, sim.spec.ny);
    for (std::size_t i = 0; i < owner.size(); ++i) sim.plane_true.px[i] = (std::int16_t)owner[i];
}

// True tilt: the owning plane's, or on the background the central differences of its
// noise-free height (the formula in tilt.hpp).
Image<float> true_tilt(const cv::Mat& bg, const Crystals& cs, const std::vector<int>& owner, double dx, double dy) {
    const int nx = bg.cols, ny = bg.rows;
    const double* bgp = bg.ptr<double>(0);
    Image<float> tilt_deg(nx, ny);
    auto bgz = [&](int x, int y) { return (float)bgp[(std::size_t)y * nx + x]; };
    for (int y = 0; y < ny; ++y)
        for (int x = 0; x < nx; ++x) {
            const std::size_t i = (std::size_t)y * nx + x;
            double t;
            if (owner[i] >= 0) {
                t = cs.planes[owner[i]].tilt;
            } else {
                const Slope s = slope_central(bgz, nx, ny, x, y, dx, dy);
                t = tilt_deg_from_slope(s.gx, s.gy);
            }
            tilt_deg.px[i] = (float)t;
        }
    return tilt_deg;
}

// Region of each owner for labelling: the background region, a labelled facet's region, or -1
// (unlabelled crystal facets).
int label_region(int owner, const Crystals& cs, int nfacets) {
    if (owner < 0) return nfacets;
    const int f = cs.planes[owner].facet;
    return (f >= 0 && f < nfacets) ? f : -1;
}

// Whether every pixel within kLabelMarginPx of (x, y) has its owner.
bool owner_disc_uniform(const std::vector<int>& owner, int nx, int ny, int x, int y) {
    const int own = owner[(std::size_t)y * nx + x];
    for (int j = -kLabelMarginPx; j <= kLabelMarginPx; ++j)
        for (int k = -kLabelMarginPx; k <= kLabelMarginPx; ++k) {
            if (j * j + k * k > kLabelMarginPx * kLabelMarginPx) continue;
            const int xx = x + k, yy = y + j;
            if (xx < 0 || yy < 0 || xx >= nx || yy >= ny) continue;
            if (owner[(std::size_t)yy * nx + xx] != own) return false;
        }
    return true;
}

// Labels: pixels whose whole disc of radius kLabelMarginPx has the same owner, in a labelled
// region. Returns each pixel's labelled region (-1: unlabelled).
std::vector<int> label_pixels(SimulatedScan& sim, const Crystals& cs, const std::vector<int>& owner) {
    const int nx = sim.spec.nx, ny = sim.spec.ny, nfacets = (int)sim.spec.regions.size() - 1;
    sim.labels = Image<std::uint16_t>(nx, ny, 0);
    std::vector<int> region_of_label(owner.size(), -1);
    for (int y = 0; y < ny; ++y)
        for (int x = 0; x < nx; ++x) {
            const std::size_t i = (std::size_t)y * nx + x;
            const int r = label_region(owner[i], cs, nfacets);
            if (r < 0 || !owner_disc_uniform(owner, nx, ny, x, y)) continue;
            sim.labels.px[i] = (std::uint16_t)sim.spec.regions[r].label;
            region_of_label[i] = r;
        }
    return region_of_label;
}

// True modulus: per region a smooth unit-variance field, standardised over the region's
// labelled pixels, so the labelled truth is exactly normal(centre, sigma) up to the floor.
// Unlabelled crystal facets take the first facet's distribution.
Image<float> true_modulus(const SimulationSpec& spec, const Crystals& cs, const std::vector<int>& owner,
                          const std::vector<int>& region_of_label) {
    const int nfacets = (int)spec.regions.size() - 1;
    std::vector<int> mod_region(owner.size());
    for (std::size_t i = 0; i < owner.size(); ++i) {
        const int r = label_region(owner[i], cs, nfacets);
        mod_region[i] = r >= 0 ? r : 0;
    }
    Image<float> modulus_gpa(spec.nx, spec.ny);
    for (int r = 0; r <= nfacets; ++r) {
        const RegionTruth& rt = spec.regions[r];
        const cv::Mat f = smooth_noise(spec.nx, spec.ny, kModulusBlurPx, kModulusBlurPx, spec.seed,
                                         kStreamModulusBase + r);
        double mu, sd;
        moments(f, [&](std::size_t i) { return region_of_label[i] == r; }, &mu, &sd);
        const double* fp = f.ptr<double>(0);
        const double floor_gpa = kModulusFloorFrac * rt.center_gpa;
        for (std::size_t i = 0; i < owner.size(); ++i) {
            if (mod_region[i] != r) continue;
            const double e = rt.center_gpa + rt.sigma_gpa * (fp[i] - mu) / sd;
            modulus_gpa.px[i] = (float)std::max(e, floor_gpa);
        }
    }
    return modulus_gpa;
}

// Phase: mean + smooth +-kPhaseSwingDeg variation (the true interaction phase).
std::vector<float> true_phase(const SimulationSpec& spec, double S, double dx, double dy) {
    const cv::Mat f =
        smooth_noise(spec.nx, spec.ny, kPhaseBlurFrac * S / dx, kPhaseBlurFrac * S / dy, spec.seed, kStreamPhaseSmooth);
    double lo, hi;
    cv::minMaxLoc(f, &lo, &hi);
    double mu, sd;
    moments(f, [](std::size_t) { return true; }, &mu, &sd);
    const double amp = std::max(std::abs(hi - mu), std::abs(lo - mu));
    const double* fp = f.ptr<double>(0);
    std::vector<float> phase_deg((std::size_t)spec.nx * spec.ny);
    for (std::size_t i = 0; i < phase_deg.size(); ++i)
        phase_deg[i] = (float)(spec.phase1_mean_deg + kPhaseSwingDeg * (fp[i] - mu) / (amp > 0 ? amp : 1.0));
    return phase_deg;
}

// The measured channels: df2 from the stored (float) truth, E_apparent = E_true Kc(min(theta,
// max)) inverted at the true phase; then the noise on height, phase and df2.
void measure_channels(SimulatedScan& sim, const std::vector<double>& z0, const std::vector<float>& phase_true) {
    const SimulationSpec& spec = sim.spec;
    const ModulusModel model = make_modulus_model(spec.cantilever, spec.tip_radius_m);
    const TiltCorrection& tc = spec.tilt_correction;
    sim.df2_hz = Image<float>(spec.nx, spec.ny);
    sim.phase1_deg = Image<float>(spec.nx, spec.ny);
    sim.height_m = Image<float>(spec.nx, spec.ny);
    Normal n_height(spec.seed, kStreamHeightNoise), n_phase(spec.seed, kStreamPhaseNoise),
        n_df2(spec.seed, kStreamDf2Noise);
    for (std::size_t i = 0; i < z0.size(); ++i) {
        const double e_true_pa = (double)sim.modulus_true_gpa.px[i] * 1e9;
        const double theta = std::min((double)sim.tilt_true_deg.px[i], tc.max_angle_deg);
        const double e_app = spec.apply_tilt_artefact ? e_true_pa * kc_factor(tc, theta) : e_true_pa;
        const double df2 = amfm_df2_for_modulus_hz(model, e_app, (double)phase_true[i], spec.cantilever.a1_set_m);
        const double gh = n_height(), gp = n_phase(), gd = n_df2();  // drawn whatever the levels
        sim.height_m.px[i] = (float)(z0[i] + spec.height_noise_m * gh);
        sim.phase1_deg.px[i] = spec.phase_noise_deg > 0.0 ? (float)(phase_true[i] + spec.phase_noise_deg * gp)
                                                          : phase_true[i];
        sim.df2_hz.px[i] = (float)(df2 * (1.0 + spec.df2_noise_rel * gd));
    }
}

}  // namespace

SimulatedScan simulate_scan(const SimulationSpec& spec_in) {
    validate(spec_in);
    SimulatedScan sim;
    sim.spec = spec_in;
    fill_facet_geometry(sim.spec);
    const int nx = sim.spec.nx, ny = sim.spec.ny;
    const double dx = sim.spec.pixel_size_x_m();  // Gwyddion: pitch = real size / pixels
    const double dy = sim.spec.pixel_size_y_m();
    const double sx = dx * nx, sy = dy * ny, S = std::min(sx, sy);

    const cv::Mat bg = background_height(nx, ny, dx, dy, sim.spec.seed);
    const std::vector<CrystalDef> defs = crystal_defs(sim.spec, sx, sy, S);
    const Crystals cs = place_crystals(defs, sx, sy, S);
    const Surface surface = noise_free_surface(bg, cs, dx, dy);
    fill_plane_truth(sim, defs, cs, surface.owner);
    sim.tilt_true_deg = true_tilt(bg, cs, surface.owner, dx, dy);
    const std::vector<int> region_of_label = label_pixels(sim, cs, surface.owner);
    sim.modulus_true_gpa = true_modulus(sim.spec, cs, surface.owner, region_of_label);
    const std::vector<double> z_recorded = sim::realism_on(sim.spec) ? sim::recorded_height(sim.spec, surface.z0)
                                                                       : surface.z0;
    measure_channels(sim, z_recorded, true_phase(sim.spec, S, dx, dy));
    sim::apply_dropouts(sim);
    return sim;
}

std::string simulated_kc_and_regions_yaml(const SimulationSpec& s) {
    const TiltCorrection& tc = s.tilt_correction;
    std::ostringstream y;
    y << "tilt_correction: {model: " << kc_model_name(tc.model);
    if (tc.model == KcModel::Polynomial) {
        y << ", coefficients: " << yaml_number_list(tc.coefficients, tc.n_coefficients);
    } else if (tc.model == KcModel::CosPower) {
        y << ", cos_exponent: " << yaml_number(tc.cos_exponent);
    }
    y << ", max_angle_deg: " << yaml_number(tc.max_angle_deg) << "}\n";
    y << "regions: {labels: labels.tif, names: {";
    for (std::size_t i = 0; i < s.regions.size(); ++i)
        y << (i ? ", " : "") << s.regions[i].label << ": " << yaml_quoted(s.regions[i].name);
    y << "}, classes: {";
    for (std::size_t i = 0; i < s.regions.size(); ++i)
        y << (i ? ", " : "") << s.regions[i].label << ": " << yaml_quoted(s.regions[i].class_name);
    y << "}}\n";
    return y.str();
}

// ---- writing ---------------------------------------------------------------------------------

namespace {

using nlohmann::ordered_json;

// The channels and the labels as TIFFs with their pixel size.
void write_channel_tiffs(const SimulatedScan& sim, const fs::path& d, double dx, double dy) {
    TiffCalibration cal;
    cal.pixel_size_x_m = dx;
    cal.pixel_size_y_m = dy;
    cal.compress = true;  // the committed sample series must stay small
    cal.description = "height, m (simulated)";
    write_tiff((d / "height.tif").string(), sim.height_m, cal);
    cal.description = "phase1, deg (simulated)";
    write_tiff((d / "phase1.tif").string(), sim.phase1_deg, cal);
    cal.description = "df2, Hz (simulated)";
    write_tiff((d / "df2.tif").string(), sim.df2_hz, cal);
    cal.description = "labels (simulated)";
    write_tiff((d / "labels.tif").string(), sim.labels, cal);
}

// truth.json's settings: the spec, the generator's constants, the cantilever, tip and Kc model.
ordered_json truth_settings_json(const SimulationSpec& s, double dx, double dy) {
    const TiltCorrection& tc = s.tilt_correction;
    const Cantilever& c = s.cantilever;
    ordered_json j;
    j["generator"] = "amfm simulate_scan";
    j["geometry_version"] = kGeometryVersion;
    j["sample"] = s.sample;
    j["cycle"] = s.cycle;
    j["seed"] = s.seed;
    j["nx"] = s.nx;
    j["ny"] = s.ny;
    j["scan_size_m"] = {{"x", dx * s.nx}, {"y", dy * s.ny}};
    j["pixel_size_m"] = {{"x", dx}, {"y", dy}};
    j["noise"] = {{"height_m", s.height_noise_m}, {"phase1_deg", s.phase_noise_deg}, {"df2_rel", s.df2_noise_rel}};
    j["phase1_mean_deg"] = s.phase1_mean_deg;
    j["phase1_smooth_swing_deg"] = kPhaseSwingDeg;
    j["apply_tilt_artefact"] = s.apply_tilt_artefact;
    j["modulus_floor_fraction_of_center"] = kModulusFloorFrac;
    j["label_margin_px"] = kLabelMarginPx;
    j["background"] = {{"rms_m", kBackgroundRmsM}, {"gaussian_sigma_m", kBackgroundBlurM}};
    j["cantilever"] = {{"k1", c.k1_n_per_m},
                       {"q1", c.q1},
                       {"f1", c.f1_hz},
                       {"f2", c.f2_hz},
                       {"k2", c.k2_n_per_m > 0 ? c.k2_n_per_m : second_mode_stiffness(c.k1_n_per_m, c.f1_hz, c.f2_hz)},
                       {"a1_free", c.a1_free_m},
                       {"a1_set", c.a1_set_m}};
    j["tip_radius_m"] = s.tip_radius_m;
    ordered_json t;
    t["model"] = kc_model_name(tc.model);
    std::vector<double> co(tc.coefficients, tc.coefficients + tc.n_coefficients);
    t["coefficients"] = co;
    t["cos_exponent"] = tc.cos_exponent;
    t["max_angle_deg"] = tc.max_angle_deg;
    j["tilt_correction"] = t;
    return j;
}

// Sums over the labelled pixels of a region or a class.
struct TruthSums {
    double n = 0, s = 0, ss = 0, kc = 0, tilt = 0;
};

struct LabelledTruth {
    std::map<int, TruthSums> by_label;
    std::map<std::string, TruthSums> by_class;
};

LabelledTruth sum_labelled_truth(const SimulatedScan& sim) {
    const TiltCorrection& tc = sim.spec.tilt_correction;
    LabelledTruth sums;
    std::map<int, std::string> class_of;
    for (const RegionTruth& r : sim.spec.regions) class_of[r.label] = r.class_name;
    for (std::size_t i = 0; i < sim.labels.size(); ++i) {
        const int l = sim.labels.px[i];
        if (l == 0) continue;
        const double e = sim.modulus_true_gpa.px[i];
        const double th = sim.tilt_true_deg.px[i];
        const double k = kc_factor(tc, std::min(th, tc.max_angle_deg));
        for (TruthSums* a : {&sums.by_label[l], &sums.by_class[class_of[l]]}) {
            a->n += 1;
            a->s += e;
            a->ss += e * e;
            a->kc += k;
            a->tilt += th;
        }
    }
    return sums;
}

// Pixel count, true mean and sample SD, mean tilt and Kc; null where there are too few pixels.
void put_truth_stats(const TruthSums& a, ordered_json& o) {
    const double m = a.n > 0 ? a.s / a.n : NAN;
    const double v = a.n > 1 ? std::max(0.0, (a.ss - a.n * m * m) / (a.n - 1)) : NAN;
    o["labelled_pixels"] = (long long)a.n;
    o["true_mean_gpa"] = a.n > 0 ? ordered_json(m) : ordered_json(nullptr);
    o["true_sd_gpa"] = a.n > 1 ? ordered_json(std::sqrt(v)) : ordered_json(nullptr);
    o["mean_tilt_deg"] = a.n > 0 ? ordered_json(a.tilt / a.n) : ordered_json(nullptr);
    o["mean_kc"] = a.n > 0 ? ordered_json(a.kc / a.n) : ordered_json(nullptr);
}

// truth.json's regions (each region's truth and its labelled pixels) and classes.
void put_truth_regions(const SimulatedScan& sim, ordered_json& j) {
    LabelledTruth sums = sum_labelled_truth(sim);
    ordered_json regions = ordered_json::array();
    for (const RegionTruth& r : sim.spec.regions) {
        ordered_json o;
        o["label"] = r.label;
        o["name"] = r.name;
        o["class"] = r.class_name;
        o["center_gpa"] = r.center_gpa;
        o["sigma_gpa"] = r.sigma_gpa;
        o["tilt_deg"] = std::isfinite(r.tilt_deg) ? ordered_json(r.tilt_deg) : ordered_json(nullptr);
        o["azimuth_deg"] = std::isfinite(r.azimuth_deg) ? ordered_json(r.azimuth_deg) : ordered_json(nullptr);
        put_truth_stats(sums.by_label[r.label], o);
        regions.push_back(o);
    }
    j["regions"] = regions;
    ordered_json classes = ordered_json::object();
    for (const auto& kv : sums.by_class) {
        ordered_json o;
        put_truth_stats(kv.second, o);
        classes[kv.first] = o;
    }
    j["classes"] = classes;
}

// scan.yaml: the channel files, the scan size, the cantilever, tip and Kc model, the regions.
std::string scan_yaml_text(const SimulationSpec& s, double dx, double dy) {
    const Cantilever& c = s.cantilever;
    std::ostringstream y;
    y << "# Simulated AM-FM scan (amfm simulate_scan, seed " << s.seed << "); truth in truth.json\n";
    y << "sample: {name: " << yaml_quoted(s.sample) << ", cycle: " << s.cycle << "}\n";
    y << "channels:\n";
    y << "  height: {file: height.tif, unit: m}\n";
    y << "  phase1: {file: phase1.tif, unit: deg}\n";
    y << "  df2:    {file: df2.tif, unit: Hz}\n";
    y << "scan_size: {x: " << yaml_number(dx * s.nx) << ", y: " << yaml_number(dy * s.ny) << "}\n";
    y << "cantilever: {k1: " << yaml_number(c.k1_n_per_m) << ", q1: " << yaml_number(c.q1)
      << ", f1: " << yaml_number(c.f1_hz) << ", f2: " << yaml_number(c.f2_hz);
    if (c.k2_n_per_m > 0) y << ", k2: " << yaml_number(c.k2_n_per_m);
    // The simulation's truth, not a calibration: no warning about the template's example values.
    y << ", a1_free: " << yaml_number(c.a1_free_m) << ", a1_set: " << yaml_number(c.a1_set_m)
      << ", source: simulated}\n";
    y << "tip: {radius: " << yaml_number(s.tip_radius_m) << "}\n";
    y << simulated_kc_and_regions_yaml(s);
    return y.str();
}

}  // namespace

void write_simulated_scan(const SimulatedScan& sim, const std::string& dir) {
    const SimulationSpec& s = sim.spec;
    const fs::path d(dir);
    std::error_code ec;
    fs::create_directories(d, ec);
    if (ec || !fs::is_directory(d)) throw DataError(dir + ": cannot create folder");

    const double dx = s.pixel_size_x_m(), dy = s.pixel_size_y_m();
    write_channel_tiffs(sim, d, dx, dy);

    ordered_json truth = truth_settings_json(s, dx, dy);
    put_truth_regions(sim, truth);
    truth["notes"] =
        "azimuth: direction of steepest ascent, atan2(dz/dy, dz/dx), y = row index (down the image); "
        "true_sd_gpa: sample SD over labelled pixels; mean_kc: mean Kc(min(theta, max_angle)) over labelled "
        "pixels; true modulus clamped to >= modulus_floor_fraction_of_center * center";
    sim::add_realism_truth(truth, sim);
    write_file_atomic(d / "truth.json", truth.dump(2) + "\n");
    sim::write_truth_maps(sim, dir);

    // scan.yaml written last: its presence means the set is complete.
    write_file_atomic(d / "scan.yaml", scan_yaml_text(s, dx, dy));
}

}  // namespace amfm
