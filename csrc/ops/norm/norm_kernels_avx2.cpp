// norm_kernels_avx2.cpp — the AVX2+FMA build of norm_kernels_impl.h (CMake adds
// -mavx2 -mfma -mf16c to *_avx2.cpp); used only when simd_level() >= avx2.
#define NM_ISA nm_avx2
#define NM_VBYTES 32
#include "norm_kernels_impl.h"

namespace ember::norm_detail {
const Kernels& kernels_avx2() { return nm_avx2::kernels(); }
}  // namespace ember::norm_detail
