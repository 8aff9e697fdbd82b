// conv_direct_avx2.cpp — the AVX2+FMA build of conv_direct_kernels.h (CMake adds
// -mavx2 -mfma -mf16c to *_avx2.cpp); used only when simd_level() >= avx2.
#define CD_ISA cd_avx2
#define CD_VBYTES 32
#include "conv_direct_kernels.h"

namespace ember::conv_detail {
const DirectKernels& direct_avx2() { return cd_avx2::kernels(); }
}  // namespace ember::conv_detail
