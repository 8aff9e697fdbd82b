// matmul.h — torch.matmul semantics on ember's GEMM: 1-D, 2-D, batched and
// broadcast operands with any strides (transposed views need no copy).
#pragma once
#include "core/array.h"

namespace ember {

// out = a @ b with PyTorch's rules (1-D operands get a dim prepended/appended
// and removed again; batch dims broadcast).
Array matmul(const Array& a, const Array& b);
// 2-D only, like torch.mm; with beta != 0, out = beta * out + alpha * a @ b.
void mm_out(const Array& out, const Array& a, const Array& b, double alpha, double beta);
// out (.., M, N) = a (.., M, K) @ b (.., K, N) with batch dims already equal
// (broadcast views allowed). out must be a fresh contiguous array.
void bmm_out(const Array& out, const Array& a, const Array& b);

// CUDA: out (M x N, any strides) = alpha * a @ b + beta * out (+ bias[j] when bias is
// given, N elements, fused into the GEMM's store); 2-D operands of any strides.
void gemm_cuda_2d(const Array& out, const Array& a, const Array& b, const Array* bias, double alpha, double beta,
                  const char* op);

// TF32 on CUDA tensor cores for float32 products: ember.backends.cuda.matmul.allow_tf32
// (default false) for matmul/linear, ember.backends.cudnn.allow_tf32 (default true) for
// convolutions, as in PyTorch.
bool cuda_matmul_allow_tf32();
void set_cuda_matmul_allow_tf32(bool on);
bool cuda_conv_allow_tf32();
void set_cuda_conv_allow_tf32(bool on);

}  // namespace ember
