// linear.cpp — addmm and linear: the additive term is broadcast into the output,
// then one GEMM call accumulates alpha * A @ B onto it (beta = 1 in the micro-kernel's
// store), which saves the separate bias-add pass over the output. The weight of
// linear is read transposed through strides, never copied. On CUDA the bias of linear
// is added in the GEMM's epilogue instead (gemm_cuda_2d).
#include "linear.h"

#include "matmul.h"

namespace ember {
namespace {

void check_operand(const Array& t, const Array& ref, const char* op, const char* what) {
  EMBER_CHECK(t.device() == ref.device(), Runtime, "[", op, "] expected all tensors on the same device, got ", what,
              " on ", t.device().str(), " and input on ", ref.device().str());
  EMBER_CHECK(t.dtype() == ref.dtype(), Runtime, "[", op, "] expected ", what, " of dtype ", dtype_name(ref.dtype()),
              ", got ", dtype_name(t.dtype()));
}

// Writes beta * add (broadcast to out's shape) into out; false when beta == 0.
bool fill_additive(const Array& out, const Array& add, double beta, const char* op) {
  if (beta == 0.0) return false;
  Shape target = broadcast_shapes(add.shape(), out.shape(), op);
  EMBER_CHECK(target == out.shape(), Value, "[", op, "] the additive term of shape ", shape_str(add.shape()),
              " cannot broadcast to the product's shape ", shape_str(out.shape()));
  out.copy_(add.expand(out.shape()));
  return true;
}

}  // namespace

Array addmm(const Array& input, const Array& a, const Array& b, double beta, double alpha) {
  check_operand(input, a, "addmm", "input");
  EMBER_CHECK(a.ndim() == 2 && b.ndim() == 2, Value, "[addmm] expected 2-D matrices, got shapes ",
              shape_str(a.shape()), " and ", shape_str(b.shape()));
  EMBER_CHECK(a.shape()[1] == b.shape()[0], Value, "[addmm] shapes ", shape_str(a.shape()), " and ",
              shape_str(b.shape()), " cannot be multiplied");
  Array out = Array::empty({a.shape()[0], b.shape()[1]}, a.dtype(), a.device());
  const bool filled = fill_additive(out, input, beta, "addmm");
  // The GEMM applies beta to the copied term: C = beta * C + alpha * A @ B.
  mm_out(out, a, b, alpha, filled ? beta : 0.0);
  return out;
}

Array linear(const Array& x, const Array& w, const std::optional<Array>& bias) {
  check_operand(w, x, "linear", "weight");
  EMBER_CHECK(w.ndim() == 2, Value, "[linear] expected a 2-D weight, got shape ", shape_str(w.shape()));
  EMBER_CHECK(x.ndim() >= 1 && x.shape().back() == w.shape()[1], Runtime,
              "[linear] input's last dim must equal in_features=", w.shape()[1], ": got input of shape ",
              shape_str(x.shape()), " and weight of shape ", shape_str(w.shape()));
  const int64_t K = w.shape()[1], N = w.shape()[0];
  int64_t M = 1;
  for (int64_t d = 0; d + 1 < x.ndim(); ++d) M *= x.shape()[d];
  Shape oshape(x.shape().begin(), x.shape().end() - 1);
  oshape.push_back(N);
  Array out2 = Array::empty({M, N}, x.dtype(), x.device());
  bool filled = false;
  if (bias) {
    check_operand(*bias, x, "linear", "bias");
    EMBER_CHECK(bias->ndim() <= 1 && bias->numel() == N, Runtime, "[linear] expected a bias of shape (", N,
                ",), got ", shape_str(bias->shape()));
  }
  if (x.device().is_cuda()) {
    // The bias is added in the GEMM's store (no separate pass over the output).
    EMBER_CHECK(is_floating(x.dtype()), Type, "[linear] expected a floating point input, got ",
                dtype_name(x.dtype()));
    Array b1 = bias ? bias->reshape({N}) : Array();
    gemm_cuda_2d(out2, x.reshape({M, K}), w.transpose(0, 1), bias ? &b1 : nullptr, 1.0, 0.0, "linear");
    return out2.reshape(oshape);
  }
  if (bias) filled = fill_additive(out2, bias->reshape({N}), 1.0, "linear");
  mm_out(out2, x.reshape({M, K}), w.transpose(0, 1), 1.0, filled ? 1.0 : 0.0);
  return out2.reshape(oshape);
}

}  // namespace ember
