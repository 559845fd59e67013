// Height levelling: least-squares plane and per-row median alignment.
#include "host/method/level.hpp"

#include <Eigen/Dense>

#include <cmath>
#include <string>
#include <vector>

#include "amfm/kernels/error.hpp"
#include "host/method/quantiles.hpp"

namespace amfm {

namespace {

bool used(const LevelReference& use, std::size_t i) { return use.empty() || use[i]; }

}  // namespace

void level_plane(Image<float>& height_m, const LevelReference& use) {
    // Centre coordinates and heights first: the normal equations are then nearly diagonal
    // and a plane over a few thousand pixels fits to double precision.
    double n = 0.0, sx = 0.0, sy = 0.0, sz = 0.0;
    for (int y = 0; y < height_m.ny; ++y)
        for (int x = 0; x < height_m.nx; ++x) {
            const float z = height_m.at(x, y);
            if (!std::isfinite(z) || !used(use, (std::size_t)y * height_m.nx + x)) continue;
            n += 1.0;
            sx += x;
            sy += y;
            sz += z;
        }
    if (n == 0.0) return;
    const double xc = sx / n, yc = sy / n, zc = sz / n;

    Eigen::Matrix3d a = Eigen::Matrix3d::Zero();
    Eigen::Vector3d b = Eigen::Vector3d::Zero();
    for (int y = 0; y < height_m.ny; ++y)
        for (int x = 0; x < height_m.nx; ++x) {
            const float z = height_m.at(x, y);
            if (!std::isfinite(z) || !used(use, (std::size_t)y * height_m.nx + x)) continue;
            const Eigen::Vector3d v(1.0, x - xc, y - yc);
            a.noalias() += v * v.transpose();
            b += v * ((double)z - zc);
        }
    // Minimum-norm solution: a single row or column (or one pixel) has no slope along the
    // missing axis, which then stays zero instead of making the system singular.
    const Eigen::Vector3d p = a.completeOrthogonalDecomposition().solve(b);

    for (int y = 0; y < height_m.ny; ++y)
        for (int x = 0; x < height_m.nx; ++x) {
            float& z = height_m.at(x, y);
            if (!std::isfinite(z)) continue;
            const double plane = zc + p(0) + p(1) * (x - xc) + p(2) * (y - yc);
            z = (float)((double)z - plane);
        }
}

void level_rows_median(Image<float>& height_m, const LevelReference& use) {
    std::vector<double> row;
    for (int y = 0; y < height_m.ny; ++y) {
        row.clear();
        for (int x = 0; x < height_m.nx; ++x)
            if (std::isfinite(height_m.at(x, y)) && used(use, (std::size_t)y * height_m.nx + x))
                row.push_back(height_m.at(x, y));
        if (row.empty() && !use.empty())  // no reference pixel in this row: all of it
            for (int x = 0; x < height_m.nx; ++x)
                if (std::isfinite(height_m.at(x, y))) row.push_back(height_m.at(x, y));
        if (row.empty()) continue;
        const double median = quantiles_inplace(row, {0.5})[0];
        for (int x = 0; x < height_m.nx; ++x) {
            float& z = height_m.at(x, y);
            if (std::isfinite(z)) z = (float)((double)z - median);
        }
    }
}

LevelReference level_reference(const ScanConfig& cfg, const Image<std::uint16_t>& labels) {
    if (cfg.level_labels.empty()) return {};
    LevelReference use(labels.size(), 0);
    std::size_t n = 0;
    for (std::size_t i = 0; i < labels.size(); ++i)
        for (int l : cfg.level_labels)
            if (labels.px[i] == l) {
                use[i] = 1;
                ++n;
            }
    if (n == 0) {
        std::string list;
        for (int l : cfg.level_labels) list += (list.empty() ? "" : ", ") + std::to_string(l);
        throw DataError(cfg.source + ": processing.level_labels: no pixel of the label image has label(s) " + list);
    }
    return use;
}

void apply_leveling(Leveling method, Image<float>& height_m, const LevelReference& use) {
    switch (method) {
        case Leveling::Plane: level_plane(height_m, use); break;
        case Leveling::Rows: level_rows_median(height_m, use); break;
        case Leveling::None: break;
    }
}

}  // namespace amfm
