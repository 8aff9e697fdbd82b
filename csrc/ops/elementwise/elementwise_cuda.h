// elementwise_cuda.h — the CUDA elementwise kernels behind ember's elementwise ops.
//
// The caller (elementwise.cpp) has already checked arguments, promoted dtypes and
// allocated `out`; these functions check devices, dtypes and shapes again (a bad
// call raises, never crashes) and launch. Inputs are broadcast to out's shape
// (right-aligned; size-1 or 0-stride dims broadcast), any strides; out may be one
// of the inputs (in-place).
//   arithmetic ops: inputs and out share one dtype;
//   predicates (eq ne lt le gt ge logical_and/or/xor, isnan isinf isfinite
//   logical_not): inputs share one dtype, out is bool.
// Op names are the Python names (see EMBER_UNARY_OPS / EMBER_BINARY_OPS in
// elementwise.h). An unknown name raises "[op] not implemented on CUDA yet"; a
// dtype an op does not support raises a TypeError-kind error.
#pragma once
#include "core/array.h"
#include "core/cuda_kernel.h"

EMBER_CUDA_KERNEL(ew_unary, void, (const char* op, const Array& out, const Array& in));
EMBER_CUDA_KERNEL(ew_binary, void, (const char* op, const Array& out, const Array& a, const Array& b));

namespace ember {
namespace cuda_ops {

void unary(const char* op, const Array& out, const Array& in);
void binary(const char* op, const Array& out, const Array& a, const Array& b);

}  // namespace cuda_ops
}  // namespace ember
