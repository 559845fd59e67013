// A 2-D raster in row-major order: the host's plain container for channels and results.
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace amfm {

// Asks the kernel for transparent huge pages (2 MiB) for the whole 2 MiB pages inside
// [p, p + bytes) before they are first touched: a 4096^2 float map then faults in 32 pages instead
// of 16384, and the page clearing and unmapping that dominated a run's kernel time shrink with
// them. Small buffers are left alone; a kernel without THP ignores the advice.
inline void advise_huge_pages(void* p, std::size_t bytes) {
    constexpr std::uintptr_t kHugePage = std::uintptr_t(2) << 20;
    if (bytes < 4 * kHugePage) return;
    const std::uintptr_t begin = ((std::uintptr_t)p + kHugePage - 1) & ~(kHugePage - 1);
    const std::uintptr_t end = ((std::uintptr_t)p + bytes) & ~(kHugePage - 1);
    if (end > begin) madvise((void*)begin, end - begin, MADV_HUGEPAGE);
}

template <class T>
struct Image {
    int nx = 0;  // columns (fast axis)
    int ny = 0;  // rows
    std::vector<T> px;

    Image() = default;
    // The pixels are reserved (not yet touched), advised into huge pages, then filled.
    Image(int nx_, int ny_, T fill = T{}) : nx(nx_), ny(ny_) {
        const std::size_t n = (std::size_t)nx_ * ny_;
        px.reserve(n);
        advise_huge_pages(px.data(), n * sizeof(T));
        px.assign(n, fill);
    }

    std::size_t size() const { return px.size(); }
    T& at(int x, int y) { return px[(std::size_t)y * nx + x]; }
    const T& at(int x, int y) const { return px[(std::size_t)y * nx + x]; }
    T* data() { return px.data(); }
    const T* data() const { return px.data(); }
};

}  // namespace amfm
