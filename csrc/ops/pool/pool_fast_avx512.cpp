// pool_fast_avx512.cpp — the AVX-512 build of pool_fast_kernels.h; used only when
// simd_level() == avx512.
#define PF_ISA pf_avx512
#define PF_VBYTES 64
#include "pool_fast_kernels.h"

namespace ember::pool_detail {
const FastKernels& fast_kernels_avx512() { return pf_avx512::fast_kernels(); }
}  // namespace ember::pool_detail
