// softmax_avx512.cpp — the AVX-512 build of softmax_kernels.h; used only when
// simd_level() == avx512.
#define SM_ISA sm_avx512
#define SM_VBYTES 64
#include "softmax_kernels.h"

namespace ember::softmax_detail {
const Kernels& kernels_avx512() { return sm_avx512::kernels(); }
}  // namespace ember::softmax_detail
