// gemm_kernels.h — internal: the register micro-kernels behind gemm_cpu.cpp.
//
// Every micro-kernel has the same contract, so the driver picks one per call:
//   A: lda == 0: packed micro-panel, MR values per k step (A[k*MR + i]);
//      lda != 0: MR rows of a row-major matrix read in place (A[i*lda + k]).
//   B: packed micro-panel, NR values per k step (B[k*NR + j]), 64-byte aligned.
//   C: a full MR x NR tile, row stride ldc, unit column stride.
//   C = alpha * (A @ B) + beta * C over kc steps; beta == 0 never reads C.
// Edge tiles and non-unit column strides go through a scratch tile in the driver,
// so the kernels carry no masking. Kernels in *_avx2.cpp / *_avx512.cpp must only
// be called after ember::simd_level() has reported that ISA.
#pragma once
#include <cstdint>

namespace ember {
namespace gemm {
namespace detail {

template <class T>
using MicroKernel = void (*)(int64_t kc, const T* A, int64_t lda, const T* B, T* C,
                             int64_t ldc, T alpha, T beta);

// AVX2 + FMA (gemm_kernel_avx2.cpp).
void sgemm_kernel_6x16_avx2(int64_t kc, const float* A, int64_t lda, const float* B, float* C,
                            int64_t ldc, float alpha, float beta);
void dgemm_kernel_6x8_avx2(int64_t kc, const double* A, int64_t lda, const double* B, double* C,
                           int64_t ldc, double alpha, double beta);

// AVX-512F (gemm_kernel_avx512.cpp).
void sgemm_kernel_12x32_avx512(int64_t kc, const float* A, int64_t lda, const float* B, float* C,
                               int64_t ldc, float alpha, float beta);
void dgemm_kernel_12x16_avx512(int64_t kc, const double* A, int64_t lda, const double* B, double* C,
                               int64_t ldc, double alpha, double beta);

}  // namespace detail
}  // namespace gemm
}  // namespace ember
