// norm_kernels_cpu.cpp — the baseline (no -m flags) build of norm_kernels_impl.h.
#define NM_ISA nm_scalar
#define NM_VBYTES 16
#include "norm_kernels_impl.h"

namespace ember::norm_detail {
const Kernels& kernels_scalar() { return nm_scalar::kernels(); }
}  // namespace ember::norm_detail
