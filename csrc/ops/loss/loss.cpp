// loss.cpp — argument checks for the fused cross_entropy / nll_loss kernels
// (cross_entropy_cpu.cpp): shapes of input, target and weight, dtypes, devices,
// reduction and label_smoothing. Target range checks happen in the kernel file,
// before any math, so they report the offending value (on the CPU; on CUDA a bad
// target gives NaN, see loss_cuda.h). Also the CUDA paths of both ops: outputs
// allocated here, kernels in loss_cuda.cu.
#include "loss_check.h"
#include "loss_cuda.h"

namespace ember::loss_detail {

Layout check_args(const Array& input, const Array& target, const std::optional<Array>& weight,
                  double label_smoothing, int reduction, const char* op) {
  EMBER_CHECK(input.defined() && target.defined(), Value, "[", op, "] input and target must be defined");
  EMBER_CHECK(input.device() == target.device(), Runtime, "[", op,
              "] expected all tensors on the same device, got ", input.device().str(), " (input) and ",
              target.device().str(), " (target)");
  EMBER_CHECK(is_floating(input.dtype()), Type, "[", op, "] expected a floating point input, got ",
              dtype_name(input.dtype()));
  EMBER_CHECK(target.dtype() == DType::Int64 || target.dtype() == DType::Int32 || target.dtype() == DType::UInt8,
              Type, "[", op, "] expected target of class indices with dtype int64, got ", dtype_name(target.dtype()));
  EMBER_CHECK(reduction >= 0 && reduction <= 2, Value, "[", op, "] invalid reduction code ", reduction);
  EMBER_CHECK(label_smoothing >= 0.0 && label_smoothing <= 1.0, Value, "[", op,
              "] label_smoothing must be between 0.0 and 1.0, got ", label_smoothing);
  const Shape& s = input.shape();
  const int64_t nd = input.ndim();
  EMBER_CHECK(nd >= 1, Value, "[", op, "] expected input of at least 1 dim, got shape ", shape_str(s));
  Layout L;
  Shape expect;
  if (nd == 1) {
    L.n = 1;
    L.c = s[0];
  } else {
    L.n = s[0];
    L.c = s[1];
    expect.push_back(s[0]);
    for (int64_t i = 2; i < nd; ++i) {
      L.s *= s[i];
      expect.push_back(s[i]);
    }
  }
  EMBER_CHECK(target.shape() == expect, Value, "[", op, "] expected target of shape ", shape_str(expect),
              " for input of shape ", shape_str(s), ", got ", shape_str(target.shape()));
  if (weight) {
    const Array& w = *weight;
    EMBER_CHECK(w.device() == input.device(), Runtime, "[", op, "] expected all tensors on the same device, got ",
                input.device().str(), " (input) and ", w.device().str(), " (weight)");
    EMBER_CHECK(is_floating(w.dtype()), Type, "[", op, "] expected a floating point weight, got ",
                dtype_name(w.dtype()));
    EMBER_CHECK(w.ndim() == 1 && w.shape()[0] == L.c, Value, "[", op, "] expected weight to be a 1-D tensor of size ",
                L.c, ", got shape ", shape_str(w.shape()));
  }
  return L;
}

namespace {
DType compute_of(DType d) { return d == DType::Float64 ? DType::Float64 : DType::Float32; }
}  // namespace

std::vector<Array> forward_cuda(const Array& input, const Array& target, const std::optional<Array>& weight,
                                const Layout& L, int64_t ignore_index, double label_smoothing, int reduction,
                                bool log_softmax) {
  const char* op = log_softmax ? "cross_entropy" : "nll_loss";
  const DType cd = compute_of(input.dtype());
  const Device dev = input.device();
  Array x = input.contiguous();
  Array t = target.to(DType::Int64).contiguous();
  Array w = weight ? weight->to(cd).contiguous() : Array();
  Array loss = Array::empty(target.shape(), cd, dev, op);
  Array lse = Array::empty(target.shape(), cd, dev, op);
  Array tw = Array::empty({}, cd, dev, op);
  const double eps = log_softmax ? label_smoothing : 0.0;
  cuda_kernels::loss_ce_forward(op)(loss, lse, x, t, w, L.n, L.c, L.s, ignore_index, eps, log_softmax);
  Array out = reduction == static_cast<int>(Reduction::None) ? Array() : Array::empty({}, cd, dev, op);
  cuda_kernels::loss_ce_reduce(op)(out, tw, loss, t, w, L.c, ignore_index, reduction);
  if (!out.defined()) out = loss;
  return {out.to(input.dtype()), lse, tw};
}

Array backward_cuda(const Array& grad, const Array& input, const Array& target, const std::optional<Array>& weight,
                    const Array& lse, const Array& total_weight, const Layout& L, int64_t ignore_index,
                    double label_smoothing, int reduction, bool log_softmax) {
  const char* op = log_softmax ? "cross_entropy_backward" : "nll_loss_backward";
  const DType cd = compute_of(input.dtype());
  const Device dev = input.device();
  for (const Array* a : {&grad, &lse, &total_weight})
    EMBER_CHECK(!a->defined() || a->device() == dev, Runtime, "[", op,
                "] expected all tensors on the same device, got ", dev.str(), " and ", a->device().str());
  Array x = input.contiguous();
  Array t = target.to(DType::Int64).contiguous();
  Array w = weight ? weight->to(cd).contiguous() : Array();
  Array g = grad.to(cd).contiguous();
  Array l = log_softmax ? lse.to(cd).contiguous() : Array();
  Array tw = total_weight.to(cd).contiguous();
  Array gx = Array::empty(input.shape(), input.dtype(), dev, op);
  const double eps = log_softmax ? label_smoothing : 0.0;
  cuda_kernels::loss_ce_backward(op)(gx, g, x, t, w, l, tw, L.n, L.c, L.s, ignore_index, eps, log_softmax,
                                     reduction);
  return gx;
}

}  // namespace ember::loss_detail
