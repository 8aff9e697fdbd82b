// reduce_avx512.cpp — ReduceKernels for AVX-512 (512-bit vectors); bodies in reduce_simd_impl.h.
#define EMBER_REDUCE_VBYTES 64
#include "reduce_simd_impl.h"

namespace ember {
const ReduceKernels reduce_kernels_avx512 = make_reduce_kernels();
}  // namespace ember
