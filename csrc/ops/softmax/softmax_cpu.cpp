// softmax_cpu.cpp — the baseline (no -m flags) build of softmax_kernels.h.
#define SM_ISA sm_scalar
#define SM_VBYTES 16
#include "softmax_kernels.h"

namespace ember::softmax_detail {
const Kernels& kernels_scalar() { return sm_scalar::kernels(); }
}  // namespace ember::softmax_detail
