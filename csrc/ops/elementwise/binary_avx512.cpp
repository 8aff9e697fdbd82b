// binary_avx512.cpp — the AVX-512 build of the binary kernels in binary_kernels.h
// (CMake adds -mavx512f/bw/vl/dq -mfma to *_avx512.cpp); called only when simd_level() is avx512.
#define EW_ISA ew_avx512
#include "binary_kernels.h"
