// unary_cpu.cpp — the baseline (SSE2) build of the unary kernels in unary_kernels.h,
// used when simd_level() is scalar.
#define EW_ISA ew_scalar
#include "unary_kernels.h"
