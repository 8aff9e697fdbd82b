// gemm.h — ember's float32/float64 matrix multiply on the CPU.
//
// C = alpha * A @ B + beta * C over arbitrary element strides, so transposed or
// broadcast (stride 0) operands need no copy. The implementation packs A and B
// into cache-blocked micro-panels (BLIS-style) and runs an ISA-specific register
// micro-kernel chosen at run time by ember::simd_level(); large products are split
// across ember's thread pool. C must not overlap A, B or itself.
#pragma once
#include <cstdint>

namespace ember {
namespace gemm {

// C = alpha * A @ B + beta * C.  A is M x K with element (i,k) at A[i*rsa + k*csa];
// B is K x N with (k,j) at B[k*rsb + j*csb]; C is M x N with (i,j) at C[i*rsc + j*csc].
// Any strides (so transposed operands need no copy; strides may be 0 for broadcast
// operands). When beta == 0, C is not read (may hold NaN). M, N or K may be 0
// (K == 0: C = beta*C, or zeros when beta == 0). As in BLAS, alpha == 0 does not
// read A or B.
void sgemm(int64_t M, int64_t N, int64_t K, float alpha,
           const float* A, int64_t rsa, int64_t csa,
           const float* B, int64_t rsb, int64_t csb,
           float beta, float* C, int64_t rsc, int64_t csc);
void dgemm(int64_t M, int64_t N, int64_t K, double alpha,
           const double* A, int64_t rsa, int64_t csa,
           const double* B, int64_t rsb, int64_t csb,
           double beta, double* C, int64_t rsc, int64_t csc);

// Batched: batch b uses A + b*bsa, B + b*bsb, C + b*bsc (element strides; bsa/bsb may
// be 0 for broadcast). Parallelises over batches when the single products are small,
// inside each product when they are large.
void sgemm_batched(int64_t batch, int64_t M, int64_t N, int64_t K, float alpha,
                   const float* A, int64_t bsa, int64_t rsa, int64_t csa,
                   const float* B, int64_t bsb, int64_t rsb, int64_t csb,
                   float beta, float* C, int64_t bsc, int64_t rsc, int64_t csc);
void dgemm_batched(int64_t batch, int64_t M, int64_t N, int64_t K, double alpha,
                   const double* A, int64_t bsa, int64_t rsa, int64_t csa,
                   const double* B, int64_t bsb, int64_t rsb, int64_t csb,
                   double beta, double* C, int64_t bsc, int64_t rsc, int64_t csc);

// C = alpha * A @ B + beta * C where B is a gather through separable offsets:
// element (k, j) is B[brow[k] + bcol[j]]. This is an im2col matrix (brow: channel and
// kernel tap, bcol: output pixel) or its transpose, read straight from the image while
// the GEMM packs its panels, so the column matrix is never materialised. C is row-major
// (row stride ldc, unit column stride). Threads and blocking as in sgemm: parallel inside
// the product unless called from a parallel region. Every offset must address an
// element of B; brow has K entries, bcol N.
void sgemm_gather_b(int64_t M, int64_t N, int64_t K, float alpha,
                    const float* A, int64_t rsa, int64_t csa,
                    const float* B, const int64_t* brow, const int64_t* bcol,
                    float beta, float* C, int64_t ldc);
void dgemm_gather_b(int64_t M, int64_t N, int64_t K, double alpha,
                    const double* A, int64_t rsa, int64_t csa,
                    const double* B, const int64_t* brow, const int64_t* bcol,
                    double beta, double* C, int64_t ldc);

}  // namespace gemm
}  // namespace ember
