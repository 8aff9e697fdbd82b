// pool_fast_avx2.cpp — the AVX2+FMA build of pool_fast_kernels.h (CMake adds
// -mavx2 -mfma -mf16c); used only when simd_level() >= avx2.
#define PF_ISA pf_avx2
#define PF_VBYTES 32
#include "pool_fast_kernels.h"

namespace ember::pool_detail {
const FastKernels& fast_kernels_avx2() { return pf_avx2::fast_kernels(); }
}  // namespace ember::pool_detail
