// RAII owners for CUDA resources: device and pinned host buffers (grow-only, so a backend
// reuses its memory across calls), streams and events. Destructors never throw: a failure to
// free at teardown is ignored, as there is nothing useful left to do with it.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <utility>

#include "cuda_check.cuh"

namespace amfm {
namespace cuda_detail {

struct DeviceAllocator {
    static void* allocate(std::size_t bytes) {
        void* p = nullptr;
        AMFM_CUDA_CHECK(cudaMalloc(&p, bytes));
        return p;
    }
    static void release(void* p) { cudaFree(p); }
};

struct PinnedAllocator {
    static void* allocate(std::size_t bytes) {
        void* p = nullptr;
        AMFM_CUDA_CHECK(cudaMallocHost(&p, bytes));
        return p;
    }
    static void release(void* p) { cudaFreeHost(p); }
};

// An array of T whose capacity only grows; reserve() discards the contents when it grows.
template <class T, class Allocator>
class Buffer {
public:
    Buffer() = default;
    explicit Buffer(std::size_t n) { reserve(n); }
    ~Buffer() { reset(); }
    Buffer(Buffer&& o) noexcept : ptr_(std::exchange(o.ptr_, nullptr)), cap_(std::exchange(o.cap_, 0)) {}
    Buffer& operator=(Buffer&& o) noexcept {
        if (this != &o) {
            reset();
            ptr_ = std::exchange(o.ptr_, nullptr);
            cap_ = std::exchange(o.cap_, 0);
        }
        return *this;
    }
    Buffer(const Buffer&) = delete;
    Buffer& operator=(const Buffer&) = delete;

    void reserve(std::size_t n) {
        if (n <= cap_) return;
        reset();
        ptr_ = static_cast<T*>(Allocator::allocate(n * sizeof(T)));
        cap_ = n;
    }
    T* data() const { return ptr_; }
    std::size_t capacity() const { return cap_; }

private:
    void reset() {
        if (ptr_) Allocator::release(ptr_);
        ptr_ = nullptr;
        cap_ = 0;
    }
    T* ptr_ = nullptr;
    std::size_t cap_ = 0;
};

}  // namespace cuda_detail

template <class T>
using DeviceBuffer = cuda_detail::Buffer<T, cuda_detail::DeviceAllocator>;
template <class T>
using PinnedBuffer = cuda_detail::Buffer<T, cuda_detail::PinnedAllocator>;

class CudaStream {
public:
    CudaStream() { AMFM_CUDA_CHECK(cudaStreamCreateWithFlags(&s_, cudaStreamNonBlocking)); }
    ~CudaStream() {
        if (s_) cudaStreamDestroy(s_);
    }
    CudaStream(CudaStream&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}
    CudaStream& operator=(CudaStream&&) = delete;
    CudaStream(const CudaStream&) = delete;
    CudaStream& operator=(const CudaStream&) = delete;
    cudaStream_t get() const { return s_; }
    void synchronize() const { AMFM_CUDA_CHECK(cudaStreamSynchronize(s_)); }

private:
    cudaStream_t s_ = nullptr;
};

class CudaEvent {
public:
    CudaEvent() { AMFM_CUDA_CHECK(cudaEventCreate(&e_)); }
    ~CudaEvent() {
        if (e_) cudaEventDestroy(e_);
    }
    CudaEvent(const CudaEvent&) = delete;
    CudaEvent& operator=(const CudaEvent&) = delete;
    cudaEvent_t get() const { return e_; }
    void record(cudaStream_t s) const { AMFM_CUDA_CHECK(cudaEventRecord(e_, s)); }
    // Milliseconds from `start` to this event (both recorded, this one completed).
    float ms_since(const CudaEvent& start) const {
        AMFM_CUDA_CHECK(cudaEventSynchronize(e_));
        float ms = 0.0f;
        AMFM_CUDA_CHECK(cudaEventElapsedTime(&ms, start.e_, e_));
        return ms;
    }

private:
    cudaEvent_t e_ = nullptr;
};

}  // namespace amfm
