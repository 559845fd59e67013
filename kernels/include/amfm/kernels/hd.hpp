// AMFM_HD marks a function that both backends call: plain inline C++ for the CPU
// reference, __host__ __device__ under nvcc. Every formula of the method lives in a
// header of this folder and nowhere else.
#pragma once

#include <cmath>

#if defined(__CUDACC__)
#define AMFM_HD __host__ __device__ __forceinline__
#else
#define AMFM_HD inline
#endif

namespace amfm {
// Unqualified classification calls in the math headers resolve to these on the host and to
// CUDA's device overloads under nvcc.
using std::isfinite;
using std::isnan;
}  // namespace amfm
