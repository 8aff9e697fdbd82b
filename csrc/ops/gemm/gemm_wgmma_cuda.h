// gemm_wgmma_cuda.h — the Hopper (sm_90a) GEMM path for float16 / bfloat16
// (gemm_wgmma_cuda.cu): wgmma tensor-core instructions fed by TMA.
//
// Reached only from gemm_cuda.cu's dispatcher, through the kernel table (so a build
// without gemm_wgmma_cuda.cu still links, and the mma.sync path runs). Same contract as
// gemm_strided (gemm_cuda.h): C = alpha * A @ B + beta * C (+ bias[j]), batched.
#pragma once
#include "ops/gemm/gemm_cuda.h"

// Runs the call on the wgmma path and returns true when it qualifies: a compute
// capability 9.0 GPU with the sm_90a kernels in this build, float16/bfloat16, K >= 1,
// each of A and B with a unit stride along one matrix dim, 16-byte aligned pointers,
// row and batch strides multiples of 8 elements. Otherwise launches nothing, sets *why
// (a static string) and returns false: the caller takes the mma.sync path.
EMBER_CUDA_KERNEL(gemm_wgmma, bool,
                  (const Array& c, const Array& a, const Array& b, const Array* bias, const GemmCudaDesc& d,
                   const char** why));
