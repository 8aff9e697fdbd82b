// conv_direct_cpu.cpp — the baseline (SSE2) build of conv_direct_kernels.h.
#define CD_ISA cd_scalar
#define CD_VBYTES 16
#include "conv_direct_kernels.h"

namespace ember::conv_detail {
const DirectKernels& direct_scalar() { return cd_scalar::kernels(); }
}  // namespace ember::conv_detail
