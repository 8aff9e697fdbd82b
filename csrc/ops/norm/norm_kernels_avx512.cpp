// norm_kernels_avx512.cpp — the AVX-512 build of norm_kernels_impl.h; used only
// when simd_level() == avx512.
#define NM_ISA nm_avx512
#define NM_VBYTES 64
#include "norm_kernels_impl.h"

namespace ember::norm_detail {
const Kernels& kernels_avx512() { return nm_avx512::kernels(); }
}  // namespace ember::norm_detail
