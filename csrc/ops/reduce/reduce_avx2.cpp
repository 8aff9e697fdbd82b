// reduce_avx2.cpp — ReduceKernels for AVX2 (256-bit vectors); bodies in reduce_simd_impl.h.
#define EMBER_REDUCE_VBYTES 32
#include "reduce_simd_impl.h"

namespace ember {
const ReduceKernels reduce_kernels_avx2 = make_reduce_kernels();
}  // namespace ember
