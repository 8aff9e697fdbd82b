// elementwise_cuda.h — the CUDA elementwise kernels behind ember's elementwise ops.
//
// The caller (elementwise.cpp) has already checked arguments, promoted dtypes and
// allocated `out`; these functions check devices, dtypes and shapes again (a bad
// call raises, never crashes) and launch on the current stream. Inputs are
// broadcast to out's shape (right-aligned; size-1 or 0-stride dims broadcast), any
// strides; out may be one of the inputs (in-place, element for element).
//   arithmetic ops: inputs and out share one dtype;
//   predicates (eq ne lt le gt ge logical_and/or/xor, isnan isinf isfinite
//   logical_not): inputs share one dtype, out is bool.
// float16/bfloat16 compute in float32 inside the kernel (no conversion passes).
// `op` is the op id (static_cast<int>(UOp / BOp), elementwise.h): the kernel is
// chosen by a switch, never by name. An op without a CUDA kernel raises "[op] not
// implemented on CUDA yet"; a dtype an op does not support raises a TypeError-kind
// error.
#pragma once
#include <cstdint>

#include "core/array.h"
#include "core/cuda_kernel.h"

namespace ember {

// A Python number operand or add/sub's alpha, passed to the kernel by value:
// bytes of the value in the op's compute type (float for float16/bfloat16
// inputs, else the input dtype), as ew::store_scalar writes them.
struct EwScalar {
  alignas(8) unsigned char bytes[8] = {};
};
struct EwBinaryArgs {
  // 0: a and b are arrays; 1: a is `scalar` (the array a is not read); 2: b is.
  int scalar_operand = 0;
  EwScalar scalar;
  bool has_alpha = false;  // add/sub: out = a + alpha * b (alpha in the compute type)
  EwScalar alpha;
};

}  // namespace ember

EMBER_CUDA_KERNEL(ew_unary, void, (int op, const Array& out, const Array& in));
EMBER_CUDA_KERNEL(ew_binary, void,
                  (int op, const Array& out, const Array& a, const Array& b, const EwBinaryArgs& args));

namespace ember {
namespace cuda_ops {

void unary(int op, const Array& out, const Array& in);
void binary(int op, const Array& out, const Array& a, const Array& b, const EwBinaryArgs& args);

}  // namespace cuda_ops
}  // namespace ember
