// AMFM_HD marks a function that both backends call: plain inline C++ for the CPU
// reference, __host__ __device__ under nvcc. Every formula of the method lives in a
// header of this folder and nowhere else.
#pragma once

#include <cmath>

#if defined(__CUDACC__)
#define AMFM_HD __host__ __device__ __forceinline__
// Before a loop with a compile-time trip count whose arrays must stay in GPU registers.
#define AMFM_UNROLL _Pragma("unroll")
#else
#define AMFM_HD inline
#define AMFM_UNROLL
#endif

namespace amfm {
// Unqualified classification calls in the math headers resolve to these on the host and to
// CUDA's device overloads under nvcc.
using std::isfinite;
using std::isnan;

// a * b + c where the per-pixel stage has a fused multiply-add: fma() on a CUDA device, whose
// kernel is compiled with -fmad=false (no other contraction); on the CPU the plain expression, which
// GCC contracts at these places and possibly others (-ffp-contract=fast with -march=native). An
// explicit fma() here stops GCC from if-converting and vectorising the CPU row loop (measured), so the
// CPU keeps the compiler's contraction: docs/architecture.md, "The FMA rule".
AMFM_HD double mul_add(double a, double b, double c) {
#if defined(__CUDA_ARCH__)
    return fma(a, b, c);
#else
    return a * b + c;
#endif
}
}  // namespace amfm
