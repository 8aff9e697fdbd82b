// reduce_simd_scalar.cpp — ReduceKernels for the baseline ISA (128-bit SSE2
// vectors, present on every x86-64) and the table selection by simd_level().
#define EMBER_REDUCE_VBYTES 16
#include "reduce_simd_impl.h"

#include "core/cpu_features.h"

namespace ember {
const ReduceKernels reduce_kernels_scalar = make_reduce_kernels();

const ReduceKernels& reduce_kernels() {
  switch (simd_level()) {
    case SimdLevel::AVX512: return reduce_kernels_avx512;
    case SimdLevel::AVX2: return reduce_kernels_avx2;
    default: return reduce_kernels_scalar;
  }
}
}  // namespace ember
