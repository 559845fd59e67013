// A 2-D raster in row-major order: the host's plain container for channels and results.
#pragma once

#include <cstddef>
#include <memory>
#include <new>
#include <utility>
#include <vector>

namespace amfm {

// std::allocator, except that an element made without a value is default-initialised: a raster
// about to be overwritten whole (decoded, computed) is not zero-filled first, a full pass over
// fresh memory saved. Elements given a value (Image's fill, push_back, insert) get it as usual.
template <class T>
struct DefaultInitAllocator : std::allocator<T> {
    template <class U>
    struct rebind {
        using other = DefaultInitAllocator<U>;
    };
    DefaultInitAllocator() = default;
    template <class U>
    DefaultInitAllocator(const DefaultInitAllocator<U>&) noexcept {}
    template <class U>
    void construct(U* p) noexcept {
        ::new ((void*)p) U;
    }
    template <class U, class... Args>
    void construct(U* p, Args&&... args) {
        ::new ((void*)p) U(std::forward<Args>(args)...);
    }
};

template <class T>
using PixelVector = std::vector<T, DefaultInitAllocator<T>>;

// Tag for an Image whose pixels the caller overwrites all before reading any.
struct Uninitialized {};
constexpr Uninitialized kUninitialized{};

template <class T>
struct Image {
    int nx = 0;  // columns (fast axis)
    int ny = 0;  // rows
    PixelVector<T> px;

    Image() = default;
    Image(int nx_, int ny_, T fill = T{}) : nx(nx_), ny(ny_), px((std::size_t)nx_ * ny_, fill) {}
    Image(int nx_, int ny_, Uninitialized) : nx(nx_), ny(ny_), px((std::size_t)nx_ * ny_) {}

    std::size_t size() const { return px.size(); }
    T& at(int x, int y) { return px[(std::size_t)y * nx + x]; }
    const T& at(int x, int y) const { return px[(std::size_t)y * nx + x]; }
    T* data() { return px.data(); }
    const T* data() const { return px.data(); }
};

}  // namespace amfm
