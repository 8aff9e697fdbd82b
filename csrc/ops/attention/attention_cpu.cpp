// attention_cpu.cpp — the baseline (SSE2) build of attention_kernels.h: the
// scalar path, and the one EMBER_SIMD=scalar selects.
#define AT_ISA at_scalar
#define AT_VBYTES 16
#include "attention_kernels.h"

namespace ember::attention_detail {
const Kernels& kernels_scalar() { return at_scalar::kernels(); }
}  // namespace ember::attention_detail
