// elementwise_cuda.cu — cuda_ops::unary and the argument checks shared with the
// binary ops (elementwise_binary_cuda.cu). Kernels and op functors live in
// elementwise_cuda_kernels.cuh; this file maps op ids (UOp) to functors with a
// switch (no name comparison per launch).
#include "elementwise.h"
#include "elementwise_cuda.h"
#include "elementwise_cuda_kernels.cuh"

namespace ember {
namespace ew_cuda {

// Op names for messages (op_name() lives in the CPU module; the X-macros give the same names).
const char* uop_name(UOp op) {
  static const char* names[] = {
#define EMBER_X(n) #n,
      EMBER_UNARY_OPS(EMBER_X)
#undef EMBER_X
  };
  return names[static_cast<int>(op)];
}
const char* bop_name(BOp op) {
  static const char* names[] = {
#define EMBER_X(n) #n,
      EMBER_BINARY_OPS(EMBER_X)
#undef EMBER_X
  };
  return names[static_cast<int>(op)];
}

UnaryPlan plan_unary(const Array& out, const Array& in, int V) {
  UnaryPlan p;
  const int64_t n = out.numel();
  p.ix = make_strided_index<2>(out.shape(), {&out, &in});
  bool sc[2];
  p.flat = p.ix.flat(sc) && !sc[0];
  if (p.flat) {
    p.in_scalar = sc[1];
    p.vec = V > 1 && !sc[1] && n >= V && aligned_to(out.data_ptr(), out.itemsize() * V) &&
            aligned_to(in.data_ptr(), in.itemsize() * V);
  }
  p.grid = cuda::grid_for(n, p.vec ? V : 1);
  return p;
}

BinaryPlan plan_binary(const Array& out, const Array& a, const Array& b, const EwBinaryArgs& args, int V) {
  BinaryPlan p;
  const int64_t n = out.numel();
  const bool a_val = args.scalar_operand == 1, b_val = args.scalar_operand == 2;
  // A value operand takes out's place in the index (never read through it).
  p.ix = make_strided_index<3>(out.shape(), {&out, a_val ? &out : &a, b_val ? &out : &b});
  bool sc[3];
  p.flat = p.ix.flat(sc) && !sc[0];
  if (p.flat) {
    p.ka = a_val ? kVal : sc[1] ? kMem : kArr;
    p.kb = b_val ? kVal : sc[2] ? kMem : kArr;
    p.vec = V > 1 && n >= V && aligned_to(out.data_ptr(), out.itemsize() * V) &&
            (p.ka != kArr || aligned_to(a.data_ptr(), a.itemsize() * V)) &&
            (p.kb != kArr || aligned_to(b.data_ptr(), b.itemsize() * V));
  }
  p.grid = cuda::grid_for(n, p.vec ? V : 1);
  return p;
}

void check_broadcast(const char* op, const Array& in, const Array& out) {
  bool ok = in.ndim() <= out.ndim();
  for (int64_t j = 0; ok && j < in.ndim(); ++j) {
    int64_t s = in.shape()[j], d = out.shape()[j + out.ndim() - in.ndim()];
    ok = (s == d || s == 1);
  }
  EMBER_CHECK(ok, Value, "[", op, "] input of shape ", shape_str(in.shape()),
              " does not broadcast to the output shape ", shape_str(out.shape()));
}

void check_same_device(const char* op, const Array& out, const Array& in) {
  EMBER_CHECK(out.device() == in.device(), Runtime, "[", op, "] expected all tensors on the same device, got ",
              out.device().str(), " and ", in.device().str());
}

void fail_dtype(const char* op, DType dt) {
  EMBER_FAIL(Type, "[", op, "] not supported on CUDA for dtype ", dtype_name(dt));
}

void fail_dtypes(const char* op, const Array& out, const Array& a, const Array* b, bool pred) {
  EMBER_FAIL(Type, "[", op, "] CUDA kernel expects ", pred ? "inputs of one dtype and a bool output" :
             "inputs and output of one dtype", ", got output ", dtype_name(out.dtype()), " and input(s) ",
             dtype_name(a.dtype()), b ? std::string(", ") + dtype_name(b->dtype()) : std::string());
}

}  // namespace ew_cuda

namespace cuda_ops {

void unary(int op_id, const Array& out, const Array& in) {
  using namespace ew_cuda;
  EMBER_CHECK(op_id >= 0 && op_id < static_cast<int>(UOp::count_), Value, "[ew_unary] bad op id ", op_id);
  const UOp uop = static_cast<UOp>(op_id);
  const char* op = uop_name(uop);
  EMBER_CHECK(out.defined() && in.defined(), Value, "[", op, "] undefined array");
  EMBER_CHECK(out.device().is_cuda(), Runtime, "[", op, "] CUDA kernel called with an output on ",
              out.device().str());
  check_same_device(op, out, in);
  check_broadcast(op, in, out);
  if (out.numel() == 0) return;
  cuda::DeviceGuard guard(out.device().index, op);
#define EMBER_U(name, F) \
  case UOp::name: return run_unary<F>(op, out, in);
#define EMBER_S(name, Set, k) \
  case UOp::name: return run_unary<Set>(op, out, in, Set{k});
  switch (uop) {
    EMBER_U(neg, NegF) EMBER_U(abs, AbsF) EMBER_U(exp, ExpF) EMBER_U(sqrt, SqrtF) EMBER_U(square, SquareF)
    EMBER_U(tanh, TanhF) EMBER_U(sigmoid, SigmoidF) EMBER_U(relu, ReluF) EMBER_U(bitwise_not, BitwiseNotF)
    EMBER_S(exp2, FloatMathSet, 0) EMBER_S(log, FloatMathSet, 1) EMBER_S(log2, FloatMathSet, 2)
    EMBER_S(log10, FloatMathSet, 3) EMBER_S(log1p, FloatMathSet, 4) EMBER_S(expm1, FloatMathSet, 5)
    EMBER_S(rsqrt, FloatMathSet, 6) EMBER_S(reciprocal, FloatMathSet, 7) EMBER_S(sin, FloatMathSet, 8)
    EMBER_S(cos, FloatMathSet, 9) EMBER_S(tan, FloatMathSet, 10) EMBER_S(asin, FloatMathSet, 11)
    EMBER_S(acos, FloatMathSet, 12) EMBER_S(atan, FloatMathSet, 13) EMBER_S(sinh, FloatMathSet, 14)
    EMBER_S(cosh, FloatMathSet, 15) EMBER_S(erf, FloatMathSet, 16) EMBER_S(erfinv, FloatMathSet, 17)
    EMBER_S(frac, FloatMathSet, 18)
    EMBER_S(sign, RoundingSet, 0) EMBER_S(floor, RoundingSet, 1) EMBER_S(ceil, RoundingSet, 2)
    EMBER_S(round, RoundingSet, 3) EMBER_S(trunc, RoundingSet, 4)
    EMBER_S(isnan, PredUnarySet, 0) EMBER_S(isinf, PredUnarySet, 1) EMBER_S(isfinite, PredUnarySet, 2)
    EMBER_S(logical_not, PredUnarySet, 3)
    default: break;
  }
#undef EMBER_S
#undef EMBER_U
  EMBER_FAIL(Runtime, "[", op, "] not implemented on CUDA yet");
}

EMBER_CUDA_REGISTER(ew_unary, unary);

}  // namespace cuda_ops
}  // namespace ember
