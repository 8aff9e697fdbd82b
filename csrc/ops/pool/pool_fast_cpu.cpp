// pool_fast_cpu.cpp — the baseline (no -m flags) build of pool_fast_kernels.h.
#define PF_ISA pf_scalar
#define PF_VBYTES 16
#include "pool_fast_kernels.h"

namespace ember::pool_detail {
const FastKernels& fast_kernels_scalar() { return pf_scalar::fast_kernels(); }
}  // namespace ember::pool_detail
