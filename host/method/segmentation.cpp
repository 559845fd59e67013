// Automatic crystal / binder split and facet segmentation (see segmentation.hpp).
#include "host/method/segmentation.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <numeric>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "amfm/kernels/error.hpp"
#include "amfm/kernels/physics.hpp"
#include "amfm/kernels/tilt.hpp"
#include "host/method/height_noise.hpp"
#include "host/method/quantiles.hpp"

namespace amfm {
namespace {

// Core pixels: residual below this many times the crystal's median residual (the noise level);
// ridges and curved parts lie well above it.
constexpr double kCoreResidualFactor = 3.0;
// A non-core pixel joins a facet when it lies within this many noise sigma of the facet's plane.
constexpr double kPlaneToleranceSigma = 4.0;
// A grown region is a facet when its core pixels lie within this many noise sigma (RMS) of its
// plane; a smooth binder patch curves away by several nanometres over its extent.
constexpr double kPlanaritySigma = 1.3;
// Below any instrument's height noise: the float32 rounding of a micrometre-high scan, so that a
// noise-free simulated facet still passes the planarity test.
constexpr double kNoiseFloorM = 1e-12;
// The normal window grows until the normals scatter (one sigma) by at most this fraction of the
// growing tolerance; where window_px is not enough, the tolerance widens to 1 / this scatter.
constexpr double kScatterPerTolerance = 1.0 / 3.0;

void check_config(const AutoRegionsConfig& c) {
    if (c.class_feature != "roughness" && c.class_feature != "modulus")
        throw ConfigError("regions.class_feature: expected roughness or modulus, got '" + c.class_feature + "'");
    if (!(c.angle_tolerance_deg > 0.0 && c.angle_tolerance_deg < 90.0))
        throw ConfigError("regions.angle_tolerance_deg: must be in (0, 90) degrees");
    if (!(c.min_area_um2 >= 0.0)) throw ConfigError("regions.min_area_um2: must be >= 0");
    if (c.window_px < 3 || c.window_px % 2 == 0) throw ConfigError("regions.window_px: must be odd and >= 3");
}

struct UnitNormal {
    float x, y, z;
};

UnitNormal normal_from_slope(double gx, double gy) {
    const double inv = 1.0 / std::sqrt(1.0 + gx * gx + gy * gy);
    return {(float)(-gx * inv), (float)(-gy * inv), (float)inv};
}

// Pixel areas below min_area_um2, at least 1.
long long min_area_px(double min_area_um2, double dx_m, double dy_m) {
    const double px_um2 = dx_m * dy_m * 1e12;
    return std::max<long long>(1, (long long)std::ceil(min_area_um2 / px_um2 - 1e-9));
}

// Components of `value` pixels (8-connected) smaller than min_px are flipped to the other value.
void drop_small_components(cv::Mat& mask, std::uint8_t value, long long min_px) {
    cv::Mat sel = (mask == value), lab, stats, centroids;
    const int n = cv::connectedComponentsWithStats(sel, lab, stats, centroids, 8, CV_32S);
    std::vector<char> small(n, 0);
    for (int i = 1; i < n; ++i) small[i] = stats.at<int>(i, cv::CC_STAT_AREA) < min_px;
    for (int y = 0; y < mask.rows; ++y) {
        const int* l = lab.ptr<int>(y);
        std::uint8_t* m = mask.ptr<std::uint8_t>(y);
        for (int x = 0; x < mask.cols; ++x)
            if (small[l[x]]) m[x] = value ? 0 : 1;
    }
}

// RMS distance of the window's finite heights from the plane of slope (gx, gy) through their
// mean: the direct sum over the window, for pixels the separable sums below do not cover.
float window_residual_rms(const float* zp, int nx, int ny, int x, int y, double gxp, double gyp, int half) {
    double n = 0, sr = 0, srr = 0;
    for (int j = -half; j <= half; ++j) {
        const int yy = y + j;
        if (yy < 0 || yy >= ny) continue;
        for (int k = -half; k <= half; ++k) {
            const int xx = x + k;
            if (xx < 0 || xx >= nx) continue;
            const float zv = zp[(std::size_t)yy * nx + xx];
            if (!std::isfinite(zv)) continue;
            const double r = (double)zv - gxp * k - gyp * j;
            n += 1;
            sr += r;
            srr += r * r;
        }
    }
    const double mean = sr / n;
    return (float)std::sqrt(std::max(0.0, srr / n - mean * mean));
}

// Sums over the window's columns k = -half..half of one row, for the columns whose window is
// inside the map: z, k z, z^2 and the finite count.
struct RowSums {
    std::vector<double> s0, s1, s2;
    std::vector<int> c;
    explicit RowSums(int nx = 0) : s0(nx, 0.0), s1(nx, 0.0), s2(nx, 0.0), c(nx, 0) {}
};

// The sums of `row` (heights relative to ref_m). v and f: scratch rows of nx. Loops run over x
// innermost without branches so that they vectorise: a missing height counts as 0 in the sums
// and 0 in the finite count.
void row_window_sums(const float* row, int nx, int half, double ref_m, RowSums& r, std::vector<double>& v,
                     std::vector<int>& f) {
    for (int x = 0; x < nx; ++x) {
        const bool ok = std::isfinite(row[x]);
        v[x] = ok ? (double)row[x] - ref_m : 0.0;
        f[x] = ok;
    }
    std::fill(r.s0.begin(), r.s0.end(), 0.0);
    std::fill(r.s1.begin(), r.s1.end(), 0.0);
    std::fill(r.s2.begin(), r.s2.end(), 0.0);
    std::fill(r.c.begin(), r.c.end(), 0);
    for (int k = -half; k <= half; ++k)
        for (int x = half; x < nx - half; ++x) {
            const double vk = v[x + k];
            r.s0[x] += vk;
            r.s1[x] += k * vk;
            r.s2[x] += vk * vk;
            r.c[x] += f[x + k];
        }
}

// Clipped or holed window: the tilt stage's own fit and the direct residual. Slopes only where
// `out` has them.
void fit_window_directly(const Image<float>& height_m, int x, int y, double dx_m, double dy_m, int half,
                         LocalPlanes& out) {
    const int nx = height_m.nx, ny = height_m.ny;
    const float* zp = height_m.data();
    auto z = [zp, nx](int xx, int yy) { return zp[(std::size_t)yy * nx + xx]; };
    const std::size_t i = (std::size_t)y * nx + x;
    const Slope s = slope_local_plane(z, nx, ny, x, y, dx_m, dy_m, half);
    if (!s.ok) return;
    if (!out.gx.px.empty()) {
        out.gx.px[i] = s.gx;
        out.gy.px[i] = s.gy;
    }
    out.residual_m.px[i] = window_residual_rms(zp, nx, ny, x, y, s.gx * dx_m, s.gy * dy_m, half);
}

// Full windows (inside the map, all heights finite) have sum u = sum v = sum uv = 0 and
// sum u^2 = sum v^2 = w * sum_{k} k^2, so slope_local_plane's normal equations reduce to
// a = sum(u z) / suu, b = sum(v z) / suu; the residual variance about that plane is
// (sum z^2 - (sum z)^2 / n - a sum(u z) - b sum(v z)) / n. Those window sums are separable:
// a row pass (row_window_sums), then a column pass. Interior rows in chunks per thread, each
// keeping a ring of the w row sums its window needs; windows that are not full go to
// fit_window_directly.
void fit_interior_rows(const Image<float>& height_m, double dx_m, double dy_m, int half, double ref_m,
                       LocalPlanes& out) {
    const int nx = height_m.nx, ny = height_m.ny, w = 2 * half + 1;
    const bool want_slopes = !out.gx.px.empty();
    double sk2 = 0.0;
    for (int k = -half; k <= half; ++k) sk2 += (double)k * k;
    const double suu = w * sk2, nfull = (double)w * w;
#pragma omp parallel
    {
        std::vector<RowSums> ring(w, RowSums(nx));
        std::vector<double> v(nx), ws0(nx), wsu(nx), wsv(nx), ws2(nx);  // row buffer, window sums
        std::vector<int> f(nx), wc(nx);
        int have = -1;  // last row whose sums are in the ring (at index row % w)
#pragma omp for schedule(static)
        for (int y = half; y < ny - half; ++y) {
            for (int yy = std::max(have + 1, y - half); yy <= y + half; ++yy)
                row_window_sums(height_m.data() + (std::size_t)yy * nx, nx, half, ref_m, ring[yy % w], v, f);
            have = y + half;
            std::fill(ws0.begin(), ws0.end(), 0.0);
            std::fill(wsu.begin(), wsu.end(), 0.0);
            std::fill(wsv.begin(), wsv.end(), 0.0);
            std::fill(ws2.begin(), ws2.end(), 0.0);
            std::fill(wc.begin(), wc.end(), 0);
            for (int j = -half; j <= half; ++j) {
                const RowSums& r = ring[(y + j) % w];
                for (int x = half; x < nx - half; ++x) {
                    ws0[x] += r.s0[x];
                    wsu[x] += r.s1[x];
                    wsv[x] += j * r.s0[x];
                    ws2[x] += r.s2[x];
                    wc[x] += r.c[x];
                }
            }
            for (int x = 0; x < nx; ++x) {
                if (x < half || x >= nx - half || wc[x] != w * w) {
                    fit_window_directly(height_m, x, y, dx_m, dy_m, half, out);
                    continue;
                }
                const std::size_t i = (std::size_t)y * nx + x;
                const double a = wsu[x] / suu, b = wsv[x] / suu;  // per pixel
                if (want_slopes) {
                    out.gx.px[i] = a / dx_m;
                    out.gy.px[i] = b / dy_m;
                }
                const double ss = ws2[x] - ws0[x] * ws0[x] / nfull - a * wsu[x] - b * wsv[x];
                out.residual_m.px[i] = (float)std::sqrt(std::max(0.0, ss / nfull));
            }
        }
    }
}

}  // namespace

LocalPlanes fit_local_planes(const Image<float>& height_m, double dx_m, double dy_m, int half, bool want_slopes) {
    if (half < 1) throw ConfigError("fit_local_planes: half window must be >= 1 (a 3x3 window at least)");
    const int nx = height_m.nx, ny = height_m.ny;
    LocalPlanes out;
    if (want_slopes) {
        out.gx = Image<double>(nx, ny, NAN);
        out.gy = Image<double>(nx, ny, NAN);
    }
    out.residual_m = Image<float>(nx, ny, NAN);
    // Heights relative to one finite height of the map: the sums of z^2 then cancel only the
    // scan's relief, not its absolute offset.
    double ref_m = 0.0;
    for (float z : height_m.px)
        if (std::isfinite(z)) {
            ref_m = z;
            break;
        }
    for (int y = 0; y < ny; ++y)
        if (y < half || y >= ny - half)
            for (int x = 0; x < nx; ++x) fit_window_directly(height_m, x, y, dx_m, dy_m, half, out);
    fit_interior_rows(height_m, dx_m, dy_m, half, ref_m, out);
    return out;
}

double otsu_threshold(const std::vector<float>& values) {
    std::vector<float> v;
    v.reserve(values.size());
    for (float f : values)
        if (std::isfinite(f)) v.push_back(f);
    if (v.size() < 2) return NAN;
    // Robust range: a few outliers must not squeeze the two modes into a handful of levels.
    const std::vector<double> range = quantiles_inplace(v, {0.005, 0.995});
    double lo = range[0], hi = range[1];
    if (!(hi > lo)) {
        lo = *std::min_element(v.begin(), v.end());
        hi = *std::max_element(v.begin(), v.end());
        if (!(hi > lo)) return NAN;
    }
    cv::Mat levels((int)v.size(), 1, CV_8U);
    const double scale = 255.0 / (hi - lo);
    for (std::size_t i = 0; i < v.size(); ++i)
        levels.at<std::uint8_t>((int)i) = (std::uint8_t)std::clamp(std::lround((v[i] - lo) * scale), 0L, 255L);
    cv::Mat out;
    const double t = cv::threshold(levels, out, 0, 255, cv::THRESH_BINARY | cv::THRESH_OTSU);
    // OpenCV's level t is the last level of the lower class: the boundary lies half a level above.
    return lo + (t + 0.5) / scale;
}

namespace {

// The pixel grid every step works on.
struct Grid {
    int nx, ny;
    std::size_t npx;
    double dx_m, dy_m;
    const float* z_m;  // heights
    // The 4-neighbours of pixel i; npx where the map ends.
    void neighbours(std::size_t i, std::size_t (&nb)[4]) const {
        const int x = (int)(i % nx), y = (int)(i / nx);
        nb[0] = x > 0 ? i - 1 : npx;
        nb[1] = x + 1 < nx ? i + 1 : npx;
        nb[2] = y > 0 ? i - nx : npx;
        nb[3] = y + 1 < ny ? i + nx : npx;
    }
};

// Normals: unit normals of the narrow local planes (NaN where none fits).
std::vector<UnitNormal> unit_normals(const LocalPlanes& planes) {
    std::vector<UnitNormal> normal(planes.gx.px.size(), UnitNormal{NAN, NAN, NAN});
    for (std::size_t i = 0; i < normal.size(); ++i)
        if (std::isfinite(planes.gx.px[i])) normal[i] = normal_from_slope(planes.gx.px[i], planes.gy.px[i]);
    return normal;
}

// Class feature: log10 of the modulus, or of the roughness; NaN where undefined.
std::vector<float> log_class_feature(const Image<float>& roughness_m, const Image<float>& modulus_gpa,
                                     bool by_modulus) {
    std::vector<float> feature(roughness_m.px.size(), NAN);
    for (std::size_t i = 0; i < feature.size(); ++i) {
        if (by_modulus) {
            const float e = modulus_gpa.px[i];
            if (std::isfinite(e) && e > 0.0f) feature[i] = std::log10(e);
        } else {
            // A perfectly flat window has residual 0: floor it at a femtometre so log10 stays finite.
            const float r = roughness_m.px[i];
            if (std::isfinite(r)) feature[i] = std::log10(std::max(r, 1e-15f));
        }
    }
    return feature;
}

// Class split: Otsu's threshold on the log feature (into seg.class_threshold), then clean-up.
// Returns the crystal mask (1: crystal).
cv::Mat split_classes(const std::vector<float>& feature, const Grid& g, const AutoRegionsConfig& cfg,
                      long long min_px, Segmentation& seg) {
    const bool by_modulus = cfg.class_feature == "modulus";
    const double t_log = otsu_threshold(feature);
    if (!std::isfinite(t_log))
        throw DataError("segmentation: the " + cfg.class_feature + " map has fewer than two distinct values");
    seg.class_threshold = std::pow(10.0, t_log);
    cv::Mat crystal(g.ny, g.nx, CV_8U, cv::Scalar(0));
    for (std::size_t i = 0; i < g.npx; ++i) {
        const float f = feature[i];
        if (std::isfinite(f) && (by_modulus ? f > t_log : f <= t_log)) crystal.data[i] = 1;
    }
    // Opening removes smooth specks in the binder; closing bridges the ridges, whose residual
    // is high over a band as wide as the window.
    const int half = cfg.window_px / 2;
    const cv::Mat speck = cv::getStructuringElement(cv::MORPH_ELLIPSE, {3, 3});
    const cv::Mat bridge = cv::getStructuringElement(cv::MORPH_ELLIPSE, {2 * half + 3, 2 * half + 3});
    cv::morphologyEx(crystal, crystal, cv::MORPH_OPEN, speck);
    cv::morphologyEx(crystal, crystal, cv::MORPH_CLOSE, bridge, {-1, -1}, 1, cv::BORDER_REPLICATE);
    drop_small_components(crystal, 1, min_px);
    drop_small_components(crystal, 0, min_px);
    return crystal;
}

// Core pixels: crystal pixels with a normal whose residual is at the noise level (below
// kCoreResidualFactor times the crystal's median residual).
std::vector<char> core_pixels(const cv::Mat& crystal, const Image<float>& residual_m,
                              const std::vector<UnitNormal>& normal) {
    const std::size_t npx = normal.size();
    std::vector<float> crystal_res;
    for (std::size_t i = 0; i < npx; ++i)
        if (crystal.data[i] && std::isfinite(residual_m.px[i])) crystal_res.push_back(residual_m.px[i]);
    double core_limit_m = -1.0;
    if (!crystal_res.empty()) core_limit_m = kCoreResidualFactor * quantiles_inplace(crystal_res, {0.5})[0];
    std::vector<char> core(npx, 0);
    for (std::size_t i = 0; i < npx; ++i)
        core[i] = crystal.data[i] && residual_m.px[i] <= core_limit_m && std::isfinite(normal[i].z);
    return core;
}

// A region grown from core pixels.
struct Grown {
    double sx = 0, sy = 0, sz = 0;  // sum of unit normals
    long long n = 0;
};

// Facet grouping: core pixels grown into regions of equal normal (a 4-neighbour joins when its
// normal is within the tolerance of the region's mean normal). region: the id per pixel, -1 none.
std::vector<Grown> grow_regions(const std::vector<char>& core, const std::vector<UnitNormal>& normal, const Grid& g,
                                double angle_tolerance_deg, std::vector<std::int32_t>& region) {
    const double cos_tol = std::cos(angle_tolerance_deg / kDegPerRad);
    region.assign(g.npx, -1);
    std::vector<Grown> grown;
    std::vector<std::size_t> queue;
    queue.reserve(g.npx / 8);
    for (std::size_t seed = 0; seed < g.npx; ++seed) {
        if (!core[seed] || region[seed] >= 0) continue;
        const int id = (int)grown.size();
        Grown r;
        queue.clear();
        queue.push_back(seed);
        region[seed] = id;
        for (std::size_t q = 0; q < queue.size(); ++q) {
            const std::size_t i = queue[q];
            r.sx += normal[i].x;
            r.sy += normal[i].y;
            r.sz += normal[i].z;
            r.n += 1;
            const double inv = 1.0 / std::sqrt(r.sx * r.sx + r.sy * r.sy + r.sz * r.sz);
            std::size_t nb[4];
            g.neighbours(i, nb);
            for (std::size_t j : nb) {
                if (j == g.npx || !core[j] || region[j] >= 0) continue;
                const double c = (normal[j].x * r.sx + normal[j].y * r.sy + normal[j].z * r.sz) * inv;
                if (c < cos_tol) continue;
                region[j] = id;
                queue.push_back(j);
            }
        }
        grown.push_back(r);
    }
    return grown;
}

// Each facet's plane: mean normal as a slope, through the mean height of its core pixels.
struct Plane {
    double gx = 0, gy = 0, z0 = 0;  // z = z0 + gx * x dx + gy * y dy
    double distance_m(const Grid& g, std::size_t i) const {
        return std::abs(g.z_m[i] - z0 - gx * (double)(i % g.nx) * g.dx_m - gy * (double)(i / g.nx) * g.dy_m);
    }
};

// Candidate facets: grown regions with a core of at least a window's area (smaller ones are
// noise specks), labelled 1..N by decreasing core size in `lab`; their FacetInfo into seg.facets.
// min_area_um2 applies to the final area, after the edges are given back. Returns the planes
// by label (index 0 unused).
std::vector<Plane> candidate_facets(const std::vector<Grown>& grown, const std::vector<std::int32_t>& region,
                                    const Grid& g, int window_px, std::vector<int>& lab, Segmentation& seg) {
    std::vector<int> order;
    for (int r = 0; r < (int)grown.size(); ++r)
        if (grown[r].n >= (long long)window_px * window_px) order.push_back(r);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return grown[a].n > grown[b].n; });
    std::vector<int> label_of(grown.size(), 0);
    for (std::size_t k = 0; k < order.size(); ++k) label_of[order[k]] = (int)k + 1;
    const int nfacets = (int)order.size();
    lab.assign(g.npx, 0);
    for (std::size_t i = 0; i < g.npx; ++i)
        if (region[i] >= 0) lab[i] = label_of[region[i]];

    std::vector<Plane> plane(nfacets + 1);
    seg.facets.resize(nfacets);
    for (int k = 0; k < nfacets; ++k) {
        const Grown& r = grown[order[k]];
        FacetInfo& f = seg.facets[k];
        f.label = k + 1;
        f.slope_x = -r.sx / r.sz;
        f.slope_y = -r.sy / r.sz;
        f.tilt_deg = tilt_deg_from_slope(f.slope_x, f.slope_y);
        f.azimuth_deg = azimuth_deg_from_slope(f.slope_x, f.slope_y);
        plane[k + 1].gx = f.slope_x;
        plane[k + 1].gy = f.slope_y;
    }
    std::vector<double> zsum(nfacets + 1, 0.0);
    std::vector<long long> zn(nfacets + 1, 0);
    for (std::size_t i = 0; i < g.npx; ++i)
        if (lab[i] > 0) {
            const Plane& p = plane[lab[i]];
            zsum[lab[i]] += g.z_m[i] - p.gx * (double)(i % g.nx) * g.dx_m - p.gy * (double)(i / g.nx) * g.dy_m;
            zn[lab[i]] += 1;
        }
    for (int k = 1; k <= nfacets; ++k) plane[k].z0 = zsum[k] / (double)zn[k];
    return plane;
}

// Per label (index 0 unused) the RMS distance of its core pixels from its plane.
std::vector<double> core_plane_rms_m(const std::vector<int>& lab, const std::vector<Plane>& plane, const Grid& g) {
    std::vector<double> ss(plane.size(), 0.0);
    std::vector<long long> n(plane.size(), 0);
    for (std::size_t i = 0; i < g.npx; ++i)
        if (lab[i] > 0) {
            const double d = plane[lab[i]].distance_m(g, i);
            ss[lab[i]] += d * d;
            ++n[lab[i]];
        }
    for (std::size_t k = 1; k < ss.size(); ++k) ss[k] = n[k] > 0 ? std::sqrt(ss[k] / (double)n[k]) : 0.0;
    return ss;
}

// Planarity: a grown region whose core pixels lie farther than kPlanaritySigma noise sigma (RMS)
// from its plane is no facet; its pixels leave `lab` (unassigned; drop_small_facets removes the
// empty label). Returns the largest RMS of the facets kept, the plane tolerance's scale.
double reject_non_planar(const std::vector<double>& rms_m, double noise_m, std::vector<int>& lab,
                         Segmentation& seg) {
    const double limit_m = kPlanaritySigma * std::max(noise_m, kNoiseFloorM);
    std::vector<char> rejected(rms_m.size(), 0);
    double kept_rms_m = 0.0;
    for (std::size_t k = 1; k < rms_m.size(); ++k) {
        rejected[k] = rms_m[k] > limit_m;
        seg.rejected_facets += rejected[k];
        if (!rejected[k]) kept_rms_m = std::max(kept_rms_m, rms_m[k]);
    }
    for (int& l : lab)
        if (l > 0 && rejected[l]) l = 0;
    return kept_rms_m;
}

// Give back the band the window lost: breadth-first from the facets, a pixel joins the
// neighbouring facet whose plane it lies closest to, within tol_m, and within two roughness
// windows of the crystal mask. The limit is around the crystal, not a number of steps from the
// facet: the roughness window eats a band about one window wide at the crystal's outline, but
// along a narrow facet's tapering tip that band runs many windows long (the simulator's 35 deg
// corner strips); the limit still keeps a plane from creeping along a background that happens
// to touch it.
void give_back_edges(const std::vector<Plane>& plane, const cv::Mat& crystal, const Grid& g, int window_px,
                     double tol_m, std::vector<int>& lab) {
    cv::Mat near_crystal;
    cv::dilate(crystal, near_crystal, cv::getStructuringElement(cv::MORPH_RECT, {4 * window_px + 1, 4 * window_px + 1}));
    // The first front: facet pixels with an unlabelled 4-neighbour (interior ones claim nothing).
    std::vector<std::size_t> front;
    for (std::size_t i = 0; i < g.npx; ++i) {
        if (lab[i] <= 0) continue;
        std::size_t nb[4];
        g.neighbours(i, nb);
        for (std::size_t j : nb)
            if (j != g.npx && lab[j] == 0) {
                front.push_back(i);
                break;
            }
    }
    // Per pixel the best claim of this step (closest plane, ties to the higher label, so the
    // result does not depend on the order of the front).
    std::vector<double> claim_d(g.npx, HUGE_VAL);
    std::vector<int> claim_label(g.npx, 0);
    std::vector<char> is_touched(g.npx, 0);
    std::vector<std::size_t> touched;
    while (!front.empty()) {
        touched.clear();
        for (std::size_t i : front) {
            std::size_t nb[4];
            g.neighbours(i, nb);
            for (std::size_t j : nb) {
                if (j == g.npx || lab[j] != 0 || !near_crystal.data[j] || !std::isfinite(g.z_m[j])) continue;
                const int l = lab[i];
                if (!is_touched[j]) {
                    is_touched[j] = 1;
                    touched.push_back(j);
                }
                const double d = plane[l].distance_m(g, j);
                if (d > tol_m) continue;
                if (d < claim_d[j] || (d == claim_d[j] && l > claim_label[j])) {
                    claim_d[j] = d;
                    claim_label[j] = l;
                }
            }
        }
        std::vector<std::size_t> next;
        for (std::size_t j : touched) {
            if (claim_label[j] > 0) {
                lab[j] = claim_label[j];
                next.push_back(j);
            }
            claim_d[j] = HUGE_VAL;
            claim_label[j] = 0;
            is_touched[j] = 0;
        }
        front.swap(next);
    }
}

// Touching facets whose mean normals agree within the tolerance are one facet that noise split
// (the grower's mean normal drifts along a noisy facet): merged into the larger, its normal the
// pixel-weighted mean. The emptied labels are left for drop_small_facets.
void merge_agreeing_facets(const Grid& g, double angle_tolerance_deg, std::vector<int>& lab, Segmentation& seg) {
    const int nfacets = (int)seg.facets.size();
    std::vector<long long> area(nfacets + 1, 0);
    for (int l : lab)
        if (l > 0) ++area[l];
    std::vector<int> root(nfacets + 1);
    std::iota(root.begin(), root.end(), 0);
    auto find = [&](int k) {
        while (root[k] != k) k = root[k] = root[root[k]];
        return k;
    };
    std::vector<double> sx(nfacets + 1), sy(nfacets + 1), sz(nfacets + 1);
    for (int k = 1; k <= nfacets; ++k) {
        const UnitNormal n = normal_from_slope(seg.facets[k - 1].slope_x, seg.facets[k - 1].slope_y);
        sx[k] = n.x * area[k];
        sy[k] = n.y * area[k];
        sz[k] = n.z * area[k];
    }
    const double cos_tol = std::cos(angle_tolerance_deg / kDegPerRad);
    for (std::size_t i = 0; i < g.npx; ++i) {
        if (lab[i] <= 0) continue;
        std::size_t nb[4];
        g.neighbours(i, nb);
        for (int side : {1, 3}) {  // right and down: each contact once
            if (nb[side] == g.npx || lab[nb[side]] <= 0) continue;
            int a = find(lab[i]), b = find(lab[nb[side]]);
            if (a == b) continue;
            const double c = (sx[a] * sx[b] + sy[a] * sy[b] + sz[a] * sz[b]) /
                             std::sqrt((sx[a] * sx[a] + sy[a] * sy[a] + sz[a] * sz[a]) *
                                       (sx[b] * sx[b] + sy[b] * sy[b] + sz[b] * sz[b]));
            if (c < cos_tol) continue;
            if (area[b] > area[a] || (area[b] == area[a] && b < a)) std::swap(a, b);
            root[b] = a;
            area[a] += area[b];
            sx[a] += sx[b];
            sy[a] += sy[b];
            sz[a] += sz[b];
        }
    }
    for (int& l : lab)
        if (l > 0) l = find(l);
    for (int k = 1; k <= nfacets; ++k) {
        if (find(k) != k || sz[k] <= 0.0) continue;
        FacetInfo& f = seg.facets[k - 1];
        f.slope_x = -sx[k] / sz[k];
        f.slope_y = -sy[k] / sz[k];
        f.tilt_deg = tilt_deg_from_slope(f.slope_x, f.slope_y);
        f.azimuth_deg = azimuth_deg_from_slope(f.slope_x, f.slope_y);
    }
}

// Area rule: facets under min_px pixels are dropped; the rest are numbered by decreasing area.
void drop_small_facets(long long min_px, std::vector<int>& lab, Segmentation& seg) {
    const int nfacets = (int)seg.facets.size();
    std::vector<long long> area(nfacets + 1, 0);
    for (int l : lab)
        if (l > 0) ++area[l];
    std::vector<int> keep;
    for (int k = 1; k <= nfacets; ++k)
        if (area[k] >= min_px) keep.push_back(k);
    std::stable_sort(keep.begin(), keep.end(), [&](int a, int b) { return area[a] > area[b]; });
    std::vector<int> renumber(nfacets + 1, 0);
    std::vector<FacetInfo> kept;
    for (std::size_t k = 0; k < keep.size(); ++k) {
        renumber[keep[k]] = (int)k + 1;
        kept.push_back(seg.facets[keep[k] - 1]);
        kept.back().label = (int)k + 1;
    }
    for (int& l : lab)
        if (l > 0) l = renumber[l];
    seg.facets.swap(kept);
}

// Label image: the class after the facets took their edges back; binder/carbon is the finite rest
// beyond band_px of the crystal class (nearer, the class is uncertain: unassigned).
void label_image(const std::vector<int>& lab, const cv::Mat& crystal, const Grid& g, int band_px, Segmentation& seg) {
    seg.binder_label = (int)seg.facets.size() + 1;
    seg.crystal = Image<std::uint8_t>(g.nx, g.ny, 0);
    seg.labels = Image<std::uint16_t>(g.nx, g.ny, 0);
    cv::Mat is_crystal(g.ny, g.nx, CV_8U), near_crystal;
    for (std::size_t i = 0; i < g.npx; ++i) is_crystal.data[i] = crystal.data[i] || lab[i] > 0;
    cv::dilate(is_crystal, near_crystal,
               cv::getStructuringElement(cv::MORPH_RECT, {2 * band_px + 1, 2 * band_px + 1}));
    for (std::size_t i = 0; i < g.npx; ++i) {
        seg.crystal.px[i] = is_crystal.data[i];
        if (lab[i] > 0)
            seg.labels.px[i] = (std::uint16_t)lab[i];
        else if (!near_crystal.data[i] && std::isfinite(g.z_m[i]))
            seg.labels.px[i] = (std::uint16_t)seg.binder_label;
        else if (std::isfinite(g.z_m[i]))
            ++seg.unassigned_pixels;
    }
}

// Region table: pixels and area of every facet and of the binder.
void count_region_pixels(const Grid& g, Segmentation& seg) {
    for (std::uint16_t l : seg.labels.px) {
        if (l == 0) continue;
        if (l == seg.binder_label)
            ++seg.binder_pixels;
        else
            ++seg.facets[l - 1].pixels;
    }
    const double px_um2 = g.dx_m * g.dy_m * 1e12;
    for (FacetInfo& f : seg.facets) f.area_um2 = (double)f.pixels * px_um2;
}

}  // namespace

Segmentation segment_scan(const Image<float>& height_m, const Image<float>& modulus_gpa, double dx_m,
                          double dy_m, const AutoRegionsConfig& cfg) {
    const auto t0 = std::chrono::steady_clock::now();
    check_config(cfg);
    const int nx = height_m.nx, ny = height_m.ny;
    if (nx < 1 || ny < 1) throw DataError("segmentation: empty height map");
    if (!(dx_m > 0.0 && dy_m > 0.0)) throw DataError("segmentation: pixel size must be > 0");
    const bool by_modulus = cfg.class_feature == "modulus";
    if (by_modulus && (modulus_gpa.nx != nx || modulus_gpa.ny != ny))
        throw DataError("segmentation: class_feature modulus needs a modulus map of the height map's size");
    const Grid g{nx, ny, (std::size_t)nx * ny, dx_m, dy_m, height_m.data()};
    const long long min_px = min_area_px(cfg.min_area_um2, dx_m, dy_m);

    Segmentation seg;
    seg.class_feature = cfg.class_feature;
    // Roughness over window_px (a 3x3 residual is too noisy to tell smooth crystal from binder),
    // then the noise of the crystal class, then normals over the window that noise calls for.
    const int half = cfg.window_px / 2;
    seg.roughness_m = fit_local_planes(height_m, dx_m, dy_m, half, false).residual_m;
    const cv::Mat crystal =
        split_classes(log_class_feature(seg.roughness_m, modulus_gpa, by_modulus), g, cfg, min_px, seg);
    seg.height_noise_m = estimate_height_noise_m(height_m, std::vector<std::uint8_t>(crystal.datastart, crystal.dataend));
    const double max_scatter_deg = kScatterPerTolerance * cfg.angle_tolerance_deg;
    const int core_half = noise_adapted_half_window(seg.height_noise_m, dx_m, dy_m, max_scatter_deg, half);
    seg.normal_window_px = 2 * core_half + 1;
    seg.angle_tolerance_deg = std::max(
        cfg.angle_tolerance_deg, normal_scatter_deg(seg.height_noise_m, dx_m, dy_m, core_half) / kScatterPerTolerance);
    const LocalPlanes corefit = fit_local_planes(height_m, dx_m, dy_m, core_half);
    const std::vector<UnitNormal> normal = unit_normals(corefit);

    std::vector<std::int32_t> region;
    const std::vector<Grown> grown =
        grow_regions(core_pixels(crystal, corefit.residual_m, normal), normal, g, seg.angle_tolerance_deg, region);
    std::vector<int> lab;
    const std::vector<Plane> plane = candidate_facets(grown, region, g, seg.normal_window_px, lab, seg);
    const double facet_rms_m = reject_non_planar(core_plane_rms_m(lab, plane, g), seg.height_noise_m, lab, seg);
    const double plane_tol_m = kPlaneToleranceSigma * std::max(seg.height_noise_m, facet_rms_m);
    give_back_edges(plane, crystal, g, cfg.window_px, plane_tol_m, lab);
    merge_agreeing_facets(g, seg.angle_tolerance_deg, lab, seg);
    drop_small_facets(min_px, lab, seg);
    label_image(lab, crystal, g, half + 1, seg);
    count_region_pixels(g, seg);
    seg.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return seg;
}

RegionsConfig segmentation_regions_config(const Segmentation& seg, const RegionsConfig& user) {
    RegionsConfig r;
    r.automatic = user.automatic;
    for (const FacetInfo& f : seg.facets) {
        r.names[f.label] = "F" + std::to_string(f.label);
        r.classes[f.label] = user.automatic.crystal_class;
    }
    r.names[seg.binder_label] = user.automatic.binder_class;
    r.classes[seg.binder_label] = user.automatic.binder_class;
    for (const auto& kv : user.names) r.names[kv.first] = kv.second;
    for (const auto& kv : user.classes) r.classes[kv.first] = kv.second;
    return r;
}

}  // namespace amfm
