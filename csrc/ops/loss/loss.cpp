// loss.cpp — argument checks for the fused cross_entropy / nll_loss kernels
// (cross_entropy_cpu.cpp): shapes of input, target and weight, dtypes, devices,
// reduction and label_smoothing. Target range checks happen in the kernel file,
// before any math, so they report the offending value.
#include "loss_check.h"

namespace ember::loss_detail {

Layout check_args(const Array& input, const Array& target, const std::optional<Array>& weight,
                  double label_smoothing, int reduction, const char* op) {
  EMBER_CHECK(input.defined() && target.defined(), Value, "[", op, "] input and target must be defined");
  EMBER_CHECK(input.device().is_cpu() && target.device().is_cpu(), Runtime, "[", op,
              "] expected CPU tensors, got input on ", input.device().str(), " and target on ",
              target.device().str());
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
    EMBER_CHECK(w.device().is_cpu(), Runtime, "[", op, "] expected weight on the CPU, got ", w.device().str());
    EMBER_CHECK(is_floating(w.dtype()), Type, "[", op, "] expected a floating point weight, got ",
                dtype_name(w.dtype()));
    EMBER_CHECK(w.ndim() == 1 && w.shape()[0] == L.c, Value, "[", op, "] expected weight to be a 1-D tensor of size ",
                L.c, ", got shape ", shape_str(w.shape()));
  }
  return L;
}

}  // namespace ember::loss_detail
