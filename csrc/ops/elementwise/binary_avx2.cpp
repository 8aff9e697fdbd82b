// binary_avx2.cpp — the AVX2+FMA build of the binary kernels in binary_kernels.h
// (CMake adds -mavx2 -mfma -mf16c to *_avx2.cpp); called only when simd_level() >= avx2.
#define EW_ISA ew_avx2
#include "binary_kernels.h"
