// attention_avx2.cpp — the AVX2 build of attention_kernels.h (CMake adds the ISA's
// -m flags to *_avx2.cpp); used only when simd_level() allows it.
#define AT_ISA at_avx2
#define AT_VBYTES 32
#include "attention_kernels.h"

namespace ember::attention_detail {
const Kernels& kernels_avx2() { return at_avx2::kernels(); }
}  // namespace ember::attention_detail
