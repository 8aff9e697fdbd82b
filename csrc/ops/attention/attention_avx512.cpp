// attention_avx512.cpp — the AVX512 build of attention_kernels.h (CMake adds the ISA's
// -m flags to *_avx512.cpp); used only when simd_level() allows it.
#define AT_ISA at_avx512
#define AT_VBYTES 64
#include "attention_kernels.h"

namespace ember::attention_detail {
const Kernels& kernels_avx512() { return at_avx512::kernels(); }
}  // namespace ember::attention_detail
