// A 2-D raster in row-major order: the host's plain container for channels and results.
#pragma once

#include <cstddef>
#include <vector>

namespace amfm {

template <class T>
struct Image {
    int nx = 0;  // columns (fast axis)
    int ny = 0;  // rows
    std::vector<T> px;

    Image() = default;
    Image(int nx_, int ny_, T fill = T{}) : nx(nx_), ny(ny_), px((std::size_t)nx_ * ny_, fill) {}

    std::size_t size() const { return px.size(); }
    T& at(int x, int y) { return px[(std::size_t)y * nx + x]; }
    const T& at(int x, int y) const { return px[(std::size_t)y * nx + x]; }
    T* data() { return px.data(); }
    const T* data() const { return px.data(); }
};

}  // namespace amfm
