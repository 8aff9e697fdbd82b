// softmax_avx2.cpp — the AVX2+FMA build of softmax_kernels.h (CMake adds
// -mavx2 -mfma -mf16c to *_avx2.cpp); used only when simd_level() >= avx2.
#define SM_ISA sm_avx2
#define SM_VBYTES 32
#include "softmax_kernels.h"

namespace ember::softmax_detail {
const Kernels& kernels_avx2() { return sm_avx2::kernels(); }
}  // namespace ember::softmax_detail
