// unary_avx2.cpp — the AVX2+FMA build of the unary kernels in unary_kernels.h
// (CMake adds -mavx2 -mfma -mf16c to *_avx2.cpp); called only when simd_level() >= avx2.
#define EW_ISA ew_avx2
#include "unary_kernels.h"
