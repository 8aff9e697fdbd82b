// elementwise_binary_cuda.cu — cuda_ops::binary: maps op names to the functors
// of elementwise_cuda_kernels.cuh (own file so the two halves compile in parallel).
#include <cstring>

#include "elementwise_cuda.h"
#include "elementwise_cuda_kernels.cuh"

namespace ember {
namespace cuda_ops {

void binary(const char* op, const Array& out, const Array& a, const Array& b) {
  using namespace ew_cuda;
  EMBER_CHECK(out.defined() && a.defined() && b.defined(), Value, "[", op, "] undefined array");
  EMBER_CHECK(out.device().is_cuda(), Runtime, "[", op, "] CUDA kernel called with an output on ",
              out.device().str());
  check_same_device(op, out, a);
  check_same_device(op, out, b);
  check_broadcast(op, a, out);
  check_broadcast(op, b, out);
  if (out.numel() == 0) return;
  cuda::DeviceGuard guard(out.device().index, op);
#define EMBER_B(name, F) \
  if (std::strcmp(op, name) == 0) return run_binary<F>(op, out, a, b);
  EMBER_B("add", AddF) EMBER_B("sub", SubF) EMBER_B("mul", MulF) EMBER_B("div", DivF)
  EMBER_B("div_trunc", DivTruncF) EMBER_B("floor_divide", FloorDivideF) EMBER_B("remainder", RemainderF)
  EMBER_B("fmod", FmodF) EMBER_B("pow", PowF) EMBER_B("atan2", Atan2F) EMBER_B("maximum", MaximumF)
  EMBER_B("minimum", MinimumF) EMBER_B("eq", EqF) EMBER_B("ne", NeF) EMBER_B("lt", LtF) EMBER_B("le", LeF)
  EMBER_B("gt", GtF) EMBER_B("ge", GeF) EMBER_B("logical_and", LogicalAndF) EMBER_B("logical_or", LogicalOrF)
  EMBER_B("logical_xor", LogicalXorF) EMBER_B("bitwise_and", BitwiseAndF) EMBER_B("bitwise_or", BitwiseOrF)
  EMBER_B("bitwise_xor", BitwiseXorF)
#undef EMBER_B
  EMBER_FAIL(Runtime, "[", op, "] not implemented on CUDA yet");
}

EMBER_CUDA_REGISTER(ew_binary, binary);

}  // namespace cuda_ops
}  // namespace ember
