// elementwise_cuda.cu — cuda_ops::unary and the argument checks shared with the
// binary ops (elementwise_binary_cuda.cu). Kernels and op functors live in
// elementwise_cuda_kernels.cuh; this file maps op names to functors.
#include <cstring>

#include "elementwise_cuda.h"
#include "elementwise_cuda_kernels.cuh"

namespace ember {
namespace ew_cuda {

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

void unary(const char* op, const Array& out, const Array& in) {
  using namespace ew_cuda;
  EMBER_CHECK(out.defined() && in.defined(), Value, "[", op, "] undefined array");
  EMBER_CHECK(out.device().is_cuda(), Runtime, "[", op, "] CUDA kernel called with an output on ",
              out.device().str());
  check_same_device(op, out, in);
  check_broadcast(op, in, out);
  if (out.numel() == 0) return;
  cuda::DeviceGuard guard(out.device().index, op);
#define EMBER_U(name, F) \
  if (std::strcmp(op, name) == 0) return run_unary<F>(op, out, in);
  EMBER_U("neg", NegF) EMBER_U("abs", AbsF) EMBER_U("exp", ExpF) EMBER_U("exp2", Exp2F)
  EMBER_U("log", LogF) EMBER_U("log2", Log2F) EMBER_U("log10", Log10F) EMBER_U("log1p", Log1pF)
  EMBER_U("expm1", Expm1F) EMBER_U("sqrt", SqrtF) EMBER_U("rsqrt", RsqrtF) EMBER_U("square", SquareF)
  EMBER_U("reciprocal", ReciprocalF) EMBER_U("sin", SinF) EMBER_U("cos", CosF) EMBER_U("tan", TanF)
  EMBER_U("asin", AsinF) EMBER_U("acos", AcosF) EMBER_U("atan", AtanF) EMBER_U("sinh", SinhF)
  EMBER_U("cosh", CoshF) EMBER_U("tanh", TanhF) EMBER_U("sigmoid", SigmoidF) EMBER_U("relu", ReluF)
  EMBER_U("erf", ErfF) EMBER_U("erfinv", ErfinvF) EMBER_U("sign", SignF) EMBER_U("floor", FloorF)
  EMBER_U("ceil", CeilF) EMBER_U("round", RoundF) EMBER_U("trunc", TruncF) EMBER_U("frac", FracF)
  EMBER_U("isnan", IsnanF) EMBER_U("isinf", IsinfF) EMBER_U("isfinite", IsfiniteF)
  EMBER_U("logical_not", LogicalNotF) EMBER_U("bitwise_not", BitwiseNotF)
#undef EMBER_U
  EMBER_FAIL(Runtime, "[", op, "] not implemented on CUDA yet");
}

EMBER_CUDA_REGISTER(ew_unary, unary);

}  // namespace cuda_ops
}  // namespace ember
