// Every CUDA runtime call goes through AMFM_CUDA_CHECK: a failure becomes an exception naming
// the call, the file and the line (never exit()). "No device / no driver / no kernel image for
// this GPU" errors become amfm::BackendUnavailable so callers can fall back to the CPU;
// anything else is a std::runtime_error.
#pragma once

#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

#include "amfm/kernels/error.hpp"

namespace amfm {
namespace cuda_detail {

inline const char* file_name(const char* path) {
    const char* name = path;
    for (const char* c = path; *c; ++c)
        if (*c == '/' || *c == '\\') name = c + 1;
    return name;
}

inline bool is_unavailable(cudaError_t err) {
    return err == cudaErrorNoDevice || err == cudaErrorInsufficientDriver ||
           err == cudaErrorInvalidDevice || err == cudaErrorDevicesUnavailable ||
           err == cudaErrorNoKernelImageForDevice || err == cudaErrorUnsupportedPtxVersion;
}

[[noreturn]] inline void throw_cuda_error(cudaError_t err, const char* call, const char* file,
                                          int line) {
    const std::string msg = std::string("CUDA error ") + cudaGetErrorName(err) + " (" +
                            cudaGetErrorString(err) + ") in " + call + " at " + file_name(file) +
                            ":" + std::to_string(line);
    if (is_unavailable(err)) throw BackendUnavailable(msg);
    throw std::runtime_error(msg);
}

inline void check(cudaError_t err, const char* call, const char* file, int line) {
    if (err != cudaSuccess) throw_cuda_error(err, call, file, line);
}

}  // namespace cuda_detail
}  // namespace amfm

#define AMFM_CUDA_CHECK(call) ::amfm::cuda_detail::check((call), #call, __FILE__, __LINE__)

// After a kernel launch: launch-configuration errors surface here, at the launching line.
#define AMFM_CUDA_CHECK_LAUNCH() AMFM_CUDA_CHECK(cudaGetLastError())
