// binary_cpu.cpp — the baseline (SSE2) build of the binary kernels in binary_kernels.h,
// used when simd_level() is scalar.
#define EW_ISA ew_scalar
#include "binary_kernels.h"
