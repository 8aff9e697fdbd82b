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
#define EMBER_S(name, Set, k) \
  case BOp::name: return run_binary<Set>(op, out, a, b, args, Set{k});
  switch (bop) {
    EMBER_B(add, AddF) EMBER_B(sub, SubF) EMBER_B(mul, MulF) EMBER_B(div, DivF) EMBER_B(atan2, Atan2F)
    EMBER_S(div_trunc, IntDivSet, 0) EMBER_S(floor_divide, IntDivSet, 1) EMBER_S(remainder, IntDivSet, 2)
    EMBER_S(fmod, IntDivSet, 3) EMBER_S(pow, IntDivSet, 4)
    EMBER_S(maximum, MinMaxSet, 0) EMBER_S(minimum, MinMaxSet, 1)
    EMBER_S(eq, PredBinarySet, 0) EMBER_S(ne, PredBinarySet, 1) EMBER_S(lt, PredBinarySet, 2)
    EMBER_S(le, PredBinarySet, 3) EMBER_S(gt, PredBinarySet, 4) EMBER_S(ge, PredBinarySet, 5)
    EMBER_S(logical_and, PredBinarySet, 6) EMBER_S(logical_or, PredBinarySet, 7)
    EMBER_S(logical_xor, PredBinarySet, 8)
    EMBER_S(bitwise_and, BitwiseSet, 0) EMBER_S(bitwise_or, BitwiseSet, 1) EMBER_S(bitwise_xor, BitwiseSet, 2)
    default: break;
  }
#undef EMBER_S
#undef EMBER_B
  EMBER_FAIL(Runtime, "[", op, "] not implemented on CUDA yet");
}

EMBER_CUDA_REGISTER(ew_binary, binary);

}  // namespace cuda_ops
}  // namespace ember
