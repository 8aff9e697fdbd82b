// gemm_cuda.h — the CUDA GEMM behind matmul / mm / bmm / addmm / linear (gemm_cuda.cu).
//
// C = alpha * A @ B + beta * C (+ bias[j] per column), batched with one stride per
// operand (0 broadcasts). Each of A and B must have a unit stride along one of its two
// matrix dims (row-major or transposed view); the host makes any other layout
// contiguous first. float16/bfloat16 run on tensor cores, float32 on TF32 tensor cores
// when allow_tf32 (else FMA), float64 on FMA, int32/int64/uint8 on a plain tiled kernel
// (alpha = 1, beta = 0 and no bias there). With beta == 0, C is not read.
#pragma once
#include "core/array.h"
#include "core/cuda_kernel.h"

namespace ember {

struct GemmCudaDesc {
  int64_t batch, M, N, K;
  int64_t bsa, rsa, csa;  // A (M x K): (i, k) at a.data_ptr() + b*bsa + i*rsa + k*csa (elements)
  int64_t bsb, rsb, csb;  // B (K x N): (k, j) at b.data_ptr() + b*bsb + k*rsb + j*csb
  int64_t bsc, rsc, csc;  // C (M x N)
  double alpha, beta;
  int64_t bias_stride;    // element stride of bias (when a bias is given)
  bool allow_tf32;
};

}  // namespace ember

// c, a, b and bias (nullable, N elements) share one CUDA device and one dtype.
EMBER_CUDA_KERNEL(gemm_strided, void,
                  (const Array& c, const Array& a, const Array& b, const Array* bias, const GemmCudaDesc& d));
