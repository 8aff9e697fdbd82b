// elementwise_binary_cuda.cu — cuda_ops::binary: maps op ids (BOp) to the functors
// of elementwise_cuda_kernels.cuh with a switch (own file so the two halves
// compile in parallel). Scalar operands and alpha arrive by value (EwBinaryArgs).
#include "elementwise.h"
#include "elementwise_cuda.h"
#include "elementwise_cuda_kernels.cuh"

namespace ember {
namespace cuda_ops {

void binary(int op_id, const Array& out, const Array& a, const Array& b, const EwBinaryArgs& args) {
  using namespace ew_cuda;
  EMBER_CHECK(op_id >= 0 && op_id < static_cast<int>(BOp::count_), Value, "[ew_binary] bad op id ", op_id);
  const BOp bop = static_cast<BOp>(op_id);
  const char* op = bop_name(bop);
  const bool a_val = args.scalar_operand == 1, b_val = args.scalar_operand == 2;
  EMBER_CHECK(args.scalar_operand >= 0 && args.scalar_operand <= 2, Value, "[", op, "] bad scalar operand");
  EMBER_CHECK(out.defined() && (a_val || a.defined()) && (b_val || b.defined()), Value, "[", op,
              "] undefined array");
  EMBER_CHECK(out.device().is_cuda(), Runtime, "[", op, "] CUDA kernel called with an output on ",
              out.device().str());
  if (!a_val) {
    check_same_device(op, out, a);
    check_broadcast(op, a, out);
  }
  if (!b_val) {
    check_same_device(op, out, b);
    check_broadcast(op, b, out);
  }
  if (out.numel() == 0) return;
  cuda::DeviceGuard guard(out.device().index, op);
#define EMBER_B(name, F) \
  case BOp::name: return run_binary<F>(op, out, a, b, args);
  switch (bop) {
    EMBER_B(add, AddF) EMBER_B(sub, SubF) EMBER_B(mul, MulF) EMBER_B(div, DivF)
    EMBER_B(div_trunc, DivTruncF) EMBER_B(floor_divide, FloorDivideF) EMBER_B(remainder, RemainderF)
    EMBER_B(fmod, FmodF) EMBER_B(pow, PowF) EMBER_B(atan2, Atan2F) EMBER_B(maximum, MaximumF)
    EMBER_B(minimum, MinimumF) EMBER_B(eq, EqF) EMBER_B(ne, NeF) EMBER_B(lt, LtF) EMBER_B(le, LeF)
    EMBER_B(gt, GtF) EMBER_B(ge, GeF) EMBER_B(logical_and, LogicalAndF) EMBER_B(logical_or, LogicalOrF)
    EMBER_B(logical_xor, LogicalXorF) EMBER_B(bitwise_and, BitwiseAndF) EMBER_B(bitwise_or, BitwiseOrF)
    EMBER_B(bitwise_xor, BitwiseXorF)
    default: break;
  }
#undef EMBER_B
  EMBER_FAIL(Runtime, "[", op, "] not implemented on CUDA yet");
}

EMBER_CUDA_REGISTER(ew_binary, binary);

}  // namespace cuda_ops
}  // namespace ember
