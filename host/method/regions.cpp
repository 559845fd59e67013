// Label image -> dense region indices with names and classes.
#include "host/method/regions.hpp"

#include <algorithm>
#include <climits>
#include <vector>

#include "amfm/kernels/error.hpp"
#include "amfm/kernels/mask.hpp"

namespace amfm {

namespace {

constexpr std::int32_t kMixed = INT32_MIN;  // a window holding more than one region index

// Per pixel: the region index every pixel of its row window [x - hx, x + hx] (clipped at the
// borders) shares, or kMixed. A window is uniform when the run of equal values that reaches its
// right end starts at or before its left end.
Image<std::int32_t> uniform_along_rows(const Image<std::int32_t>& index, int hx) {
    const int nx = index.nx, ny = index.ny;
    Image<std::int32_t> out(nx, ny);
#pragma omp parallel
    {
        std::vector<int> run_start(nx);
#pragma omp for schedule(static)
        for (int y = 0; y < ny; ++y) {
            const std::int32_t* v = &index.at(0, y);
            std::int32_t* o = &out.at(0, y);
            for (int x = 0; x < nx; ++x) run_start[x] = x > 0 && v[x] == v[x - 1] ? run_start[x - 1] : x;
            for (int x = 0; x < nx; ++x)
                o[x] = run_start[std::min(nx - 1, x + hx)] <= std::max(0, x - hx) ? v[x] : kMixed;
        }
    }
    return out;
}

// Marks the region pixels whose (2 hx + 1) x (2 hy + 1) window holds another index: the row pass
// above, then the same run rule down the columns in one sweep (row y's window ends at y + hy).
void mark_mixed_windows(const RegionMap& regions, int hx, int hy, Image<std::uint8_t>& mask) {
    const int nx = mask.nx, ny = mask.ny;
    const Image<std::int32_t> rows = uniform_along_rows(regions.index, hx);
    std::vector<int> run_start(nx, 0);
    for (int end = 0; end < ny; ++end) {
        const std::int32_t* r = &rows.at(0, end);
        for (int x = 0; x < nx; ++x)
            if (end == 0 || r[x] != r[x - nx]) run_start[x] = end;
        // The rows whose window ends here: end - hy, and at the last row every row still open.
        const int last = end == ny - 1 ? ny - 1 : end - hy;
        for (int y = std::max(0, end - hy); y <= last; ++y) {
            const std::int32_t* index = &regions.index.at(0, y);
            const std::int32_t* own = &rows.at(0, y);
            std::uint8_t* m = &mask.at(0, y);
            for (int x = 0; x < nx; ++x)
                if (index[x] >= 0 && (own[x] == kMixed || run_start[x] > std::max(0, y - hy))) m[x] |= kMaskEdge;
        }
    }
}

}  // namespace

SlopeStencil slope_stencil(const ScanConfig& cfg) {
    SlopeStencil s;
    s.method = cfg.tilt_method;
    s.window_half = cfg.tilt_window / 2;
    s.margin_px = cfg.regions.edge_margin_px;
    return s;
}

void mark_region_edges(const RegionMap& regions, const SlopeStencil& stencil, Image<std::uint8_t>& mask) {
    if (!regions.from_labels) return;
    const int m = stencil.margin_px;
    if (stencil.method == TiltMethod::LocalPlane) {
        mark_mixed_windows(regions, stencil.window_half + m, stencil.window_half + m, mask);
    } else {  // the +-1 cross, widened by the margin: two rectangles
        mark_mixed_windows(regions, 1 + m, m, mask);
        mark_mixed_windows(regions, m, 1 + m, mask);
    }
}

RegionMap build_region_map(const Image<std::uint16_t>& labels, const RegionsConfig& cfg, int nx, int ny) {
    RegionMap map;
    if (labels.size() == 0) {
        map.regions.push_back({1, "map", "all"});
        map.index = Image<std::int32_t>(nx, ny, 0);
        return map;
    }
    if (labels.nx != nx || labels.ny != ny)
        throw DataError((cfg.labels_file.empty() ? std::string("label image") : cfg.labels_file) + ": size " +
                        std::to_string(labels.nx) + "x" + std::to_string(labels.ny) + " does not match the scan (" +
                        std::to_string(nx) + "x" + std::to_string(ny) + ")");
    map.from_labels = true;

    // Labels present in the image or named in the YAML, in ascending order.
    std::vector<char> used(65536, 0);
    for (std::uint16_t l : labels.px) used[l] = 1;
    for (const auto& kv : cfg.names)
        if (kv.first >= 1 && kv.first <= 65535) used[kv.first] = 1;
    for (const auto& kv : cfg.classes)
        if (kv.first >= 1 && kv.first <= 65535) used[kv.first] = 1;

    std::vector<std::int32_t> dense(65536, -1);
    for (int l = 1; l < 65536; ++l) {
        if (!used[l]) continue;
        dense[l] = (std::int32_t)map.regions.size();
        RegionInfo r;
        r.label = l;
        const auto n = cfg.names.find(l);
        r.name = n != cfg.names.end() ? n->second : std::to_string(l);
        const auto c = cfg.classes.find(l);
        r.class_name = c != cfg.classes.end() ? c->second : "unclassified";
        map.regions.push_back(r);
    }

    map.index = Image<std::int32_t>(nx, ny, -1);
    for (std::size_t i = 0; i < labels.size(); ++i) map.index.px[i] = dense[labels.px[i]];
    return map;
}

}  // namespace amfm
