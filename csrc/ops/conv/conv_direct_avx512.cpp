// conv_direct_avx512.cpp — the AVX-512 build of conv_direct_kernels.h (CMake adds the
// AVX-512 flags to *_avx512.cpp); used only when simd_level() == avx512.
#define CD_ISA cd_avx512
#define CD_VBYTES 64
#include "conv_direct_kernels.h"

namespace ember::conv_detail {
const DirectKernels& direct_avx512() { return cd_avx512::kernels(); }
}  // namespace ember::conv_detail
