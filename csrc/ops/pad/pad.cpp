// pad.cpp — F.pad: PyTorch's argument rules and messages, output shape, and the
// constant / index-map paths.
//
// constant: the output is filled with the value and the overlap with the input is
// copied through strided views (negative pads crop). Its backward is the same op
// with negated pads and value 0. reflect / replicate / circular: one index map per
// padded dim (pad_cpu.cpp gathers through it; the backward scatter-adds). Reflect and
// replicate index the original input (a crop on one side leaves the other side's
// reflection as is); circular crops first and wraps inside what is left, as PyTorch.
#include "ops/pad/pad.h"

#include <algorithm>

#include "core/checked.h"
#include "ops/pad/pad_cuda.h"

namespace ember {
namespace {

using pad_detail::Mode;

std::string list_str(const std::vector<int64_t>& v) {
  std::string s = "(";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + (v.size() == 1 ? ",)" : ")");
}

Mode parse_mode(const std::string& m) {
  if (m == "constant") return Mode::Constant;
  if (m == "reflect") return Mode::Reflect;
  if (m == "replicate") return Mode::Replicate;
  if (m == "circular") return Mode::Circular;
  EMBER_FAIL(NotImplemented, "[pad] unrecognised padding mode '", m,
             "' (expected 'constant', 'reflect', 'replicate' or 'circular')");
}

// (begin, end) of input dim d; pad lists the last dim first.
struct DimPad {
  int64_t lo, hi;
};

std::vector<DimPad> dim_pads(const Shape& shape, const std::vector<int64_t>& pad) {
  const int64_t nd = static_cast<int64_t>(shape.size());
  EMBER_CHECK(pad.size() % 2 == 0, Runtime, "[pad] padding length must be divisible by 2, got ", pad.size(),
              " values: ", list_str(pad));
  EMBER_CHECK(static_cast<int64_t>(pad.size()) <= 2 * nd, Runtime,
              "[pad] padding length should be at most twice the input dims, got padding length ", pad.size(),
              " for input of shape ", shape_str(shape));
  std::vector<DimPad> p(static_cast<size_t>(nd), DimPad{0, 0});
  const int64_t k = static_cast<int64_t>(pad.size()) / 2;
  for (int64_t i = 0; i < k; ++i) {
    const int64_t d = nd - 1 - i;
    p[d] = {pad[2 * i], pad[2 * i + 1]};
    // in + lo + hi must fit in int64; every later sum of these three then does too.
    checked_add(checked_add(shape[d], p[d].lo, "pad"), p[d].hi, "pad");
  }
  return p;
}

const char* mode_name(Mode m) {
  switch (m) {
    case Mode::Reflect: return "reflect";
    case Mode::Replicate: return "replicate";
    case Mode::Circular: return "circular";
    default: return "constant";
  }
}

// PyTorch's rules for the non-constant modes; returns the number of padded dims.
int64_t check_non_constant(const Shape& shape, const std::vector<int64_t>& pad, Mode mode) {
  const int64_t nd = static_cast<int64_t>(shape.size());
  const int64_t k = static_cast<int64_t>(pad.size()) / 2;
  EMBER_CHECK(k >= 1 && k <= 3 && (nd == k + 1 || nd == k + 2), NotImplemented, "[pad] padding size ", pad.size(),
              " is not supported for ", nd, "-D input in mode '", mode_name(mode),
              "': supported are 2 values for 2-D or 3-D input, 4 for 3-D or 4-D, 6 for 4-D or 5-D");
  if (mode != Mode::Circular) {
    // The batch dim (present when nd == k + 2) may be 0; every other dim may not.
    for (int64_t d = nd - k - 1; d < nd; ++d)
      EMBER_CHECK(shape[d] > 0, Runtime, "[pad] expected ", k + 1, "-D or ", k + 2,
                  "-D (batch mode) input with possibly 0 batch size and other non-zero dims for mode '",
                  mode_name(mode), "', got input of shape ", shape_str(shape));
  }
  const std::vector<DimPad> p = dim_pads(shape, pad);
  for (int64_t d = nd - k; d < nd; ++d) {
    const int64_t in = shape[d], lo = p[d].lo, hi = p[d].hi, out = in + lo + hi;
    if (mode == Mode::Reflect) {
      EMBER_CHECK(lo < in && hi < in, Runtime, "[pad] reflect padding (", lo, ", ", hi,
                  ") at dim ", d, " must be smaller than the input size ", in, ", input of shape ", shape_str(shape));
    }
    if (mode == Mode::Circular) {
      // PyTorch's limit is the input size; what is left after cropping is wrapped (repeatedly
      // when a crop leaves less than the pad), and must not be empty when anything is padded.
      const int64_t kept = in + std::min<int64_t>(lo, 0) + std::min<int64_t>(hi, 0);
      EMBER_CHECK(lo <= in && hi <= in && kept >= 0 && (kept > 0 || (lo <= 0 && hi <= 0)), Runtime,
                  "[pad] circular padding (", lo, ", ", hi, ") at dim ", d,
                  " wraps around more than once: input of shape ", shape_str(shape));
    } else {
      // PyTorch's 1-D kernels reject an empty output, its 2-D and 3-D ones return it.
      const int64_t min_out = k == 1 ? 1 : 0;
      EMBER_CHECK(out >= min_out, Runtime, "[pad] padding (", lo, ", ", hi, ") at dim ", d,
                  " gives an output size of ", out, " for input of shape ", shape_str(shape),
                  "; it must be at least ", min_out);
    }
  }
  return k;
}

std::vector<int64_t> index_map(int64_t in, int64_t lo, int64_t hi, Mode mode) {
  const int64_t out = in + lo + hi;
  std::vector<int64_t> m(static_cast<size_t>(std::max<int64_t>(out, 0)));
  if (mode == Mode::Circular) {
    const int64_t first = std::max<int64_t>(-lo, 0);
    const int64_t kept = in + std::min<int64_t>(lo, 0) + std::min<int64_t>(hi, 0);
    const int64_t shift = std::max<int64_t>(lo, 0);
    for (int64_t o = 0; o < out; ++o) m[o] = first + (((o - shift) % kept) + kept) % kept;
    return m;
  }
  for (int64_t o = 0; o < out; ++o) {
    int64_t i = o - lo;
    if (mode == Mode::Reflect) {
      if (i < 0) i = -i;
      if (i >= in) i = 2 * (in - 1) - i;
    } else {
      i = std::clamp<int64_t>(i, 0, in - 1);
    }
    m[o] = i;
  }
  return m;
}

Shape padded_shape(const Shape& shape, const std::vector<DimPad>& p) {
  Shape out = shape;
  for (size_t d = 0; d < shape.size(); ++d) out[d] = checked_add(checked_add(shape[d], p[d].lo, "pad"), p[d].hi, "pad");
  return out;
}

Array constant_pad(const Array& x, const std::vector<int64_t>& pad, double value) {
  const std::vector<DimPad> p = dim_pads(x.shape(), pad);
  const Shape out = padded_shape(x.shape(), p);
  for (size_t d = 0; d < out.size(); ++d) {
    EMBER_CHECK(out[d] >= 0, Runtime, "[pad] padding (", p[d].lo, ", ", p[d].hi, ") at dim ", d,
                " gives a negative output size ", out[d], " for input of shape ", shape_str(x.shape()));
    // As PyTorch, negative pads crop the input first, so together they may not crop more than it has.
    const int64_t kept = x.shape()[d] + std::min<int64_t>(p[d].lo, 0) + std::min<int64_t>(p[d].hi, 0);
    EMBER_CHECK(kept >= 0, Runtime, "[pad] negative padding (", p[d].lo, ", ", p[d].hi, ") at dim ", d,
                " crops more than the input size ", x.shape()[d], " of input of shape ", shape_str(x.shape()));
  }
  Array y = Array::full(out, value, x.dtype(), x.device(), "pad");
  Array dst = y, src = x;
  bool empty = false;
  for (size_t d = 0; d < out.size(); ++d) {
    const int64_t in = x.shape()[d], lo = p[d].lo;
    // Input positions [a, b) land at output position a + lo.
    const int64_t a = std::max<int64_t>(0, -lo), b = std::min<int64_t>(in, out[d] - lo);
    if (b <= a) {
      empty = true;
      break;
    }
    src = src.slice(static_cast<int64_t>(d), a, b);
    dst = dst.slice(static_cast<int64_t>(d), a + lo, b + lo);
  }
  if (!empty && src.numel() > 0) dst.copy_(src);
  return y;
}

void check_input(const Array& a, const char* what) {
  EMBER_CHECK(a.defined(), Value, "[pad] ", what, " is undefined");
}

// The CUDA kernels' description of the padded dims (closed forms of index_map).
pad_cuda::PadDims cuda_dims(const Shape& xs, const std::vector<DimPad>& p, int64_t k, Mode mode, int64_t outer) {
  pad_cuda::PadDims pd;
  pd.k = static_cast<int>(k);
  pd.mode = static_cast<int>(mode);
  pd.outer = outer;
  const int64_t nd = static_cast<int64_t>(xs.size());
  for (int64_t j = 0; j < k; ++j) {
    const int64_t d = nd - k + j, in = xs[d], lo = p[d].lo, hi = p[d].hi;
    pd.in[j] = in;
    pd.out[j] = in + lo + hi;
    pd.lo[j] = lo;
    pd.first[j] = std::max<int64_t>(-lo, 0);
    pd.kept[j] = in + std::min<int64_t>(lo, 0) + std::min<int64_t>(hi, 0);
    pd.shift[j] = std::max<int64_t>(lo, 0);
  }
  return pd;
}

}  // namespace

Array pad(const Array& x, const std::vector<int64_t>& pad, const std::string& mode, double value) {
  check_input(x, "input");
  const Mode m = parse_mode(mode);
  if (m == Mode::Constant) return constant_pad(x, pad, value);
  const int64_t k = check_non_constant(x.shape(), pad, m);
  const std::vector<DimPad> p = dim_pads(x.shape(), pad);
  const Shape out = padded_shape(x.shape(), p);
  Array y = Array::empty(out, x.dtype(), x.device(), "pad");
  if (y.numel() == 0) return y;
  const int64_t nd = x.ndim();
  std::vector<int64_t> in(x.shape().end() - k, x.shape().end());
  std::vector<std::vector<int64_t>> maps;
  for (int64_t d = nd - k; d < nd; ++d) maps.push_back(index_map(x.shape()[d], p[d].lo, p[d].hi, m));
  int64_t outer = 1;
  for (int64_t d = 0; d < nd - k; ++d) outer = checked_mul(outer, x.shape()[d], "pad");
  Array xc = x.contiguous();
  if (x.device().is_cuda()) {
    cuda_kernels::pad_map_forward("pad")(y, xc, cuda_dims(x.shape(), p, k, m, outer));
    return y;
  }
  pad_detail::gather(xc.data_ptr(), y.data_ptr(), x.itemsize(), outer, in, maps);
  return y;
}

Array pad_backward(const Array& grad, const std::vector<int64_t>& input_shape, const std::vector<int64_t>& pad,
                   const std::string& mode) {
  check_input(grad, "grad");
  EMBER_CHECK(is_floating(grad.dtype()), Type, "[pad_backward] expected a floating point grad, got ",
              dtype_name(grad.dtype()));
  for (int64_t s : input_shape)
    EMBER_CHECK(s >= 0, Runtime, "[pad_backward] invalid input shape ", list_str(input_shape));
  const Shape xs(input_shape.begin(), input_shape.end());
  const Mode m = parse_mode(mode);
  const std::vector<DimPad> p = dim_pads(xs, pad);
  const Shape out = padded_shape(xs, p);
  EMBER_CHECK(grad.shape() == out, Runtime, "[pad_backward] expected grad of shape ", shape_str(out), ", got ",
              shape_str(grad.shape()));
  if (m == Mode::Constant) {
    std::vector<int64_t> neg(pad.size());
    for (size_t i = 0; i < pad.size(); ++i) neg[i] = -pad[i];
    return constant_pad(grad, neg, 0.0);
  }
  const int64_t k = check_non_constant(xs, pad, m);
  const DType cd = grad.dtype() == DType::Float64 ? DType::Float64 : DType::Float32;
  Array gx = Array::empty(xs, cd, grad.device(), "pad_backward");
  if (gx.numel() == 0) return cd == grad.dtype() ? gx : gx.to(grad.dtype());
  const int64_t nd = static_cast<int64_t>(xs.size());
  std::vector<int64_t> in(xs.end() - k, xs.end());
  std::vector<std::vector<int64_t>> maps;
  for (int64_t d = nd - k; d < nd; ++d) maps.push_back(index_map(xs[d], p[d].lo, p[d].hi, m));
  int64_t outer = 1;
  for (int64_t d = 0; d < nd - k; ++d) outer = checked_mul(outer, xs[d], "pad_backward");
  Array gc = grad.to(cd).contiguous();
  if (out[nd - 1] == 0 || gc.numel() == 0) {
    gx.zero_();
  } else if (grad.device().is_cuda()) {
    cuda_kernels::pad_map_backward("pad_backward")(gx, gc, cuda_dims(xs, p, k, m, outer));
  } else if (cd == DType::Float64) {
    pad_detail::scatter_add_f64(gc.data<double>(), gx.data<double>(), outer, in, maps);
  } else {
    pad_detail::scatter_add_f32(gc.data<float>(), gx.data<float>(), outer, in, maps);
  }
  return cd == grad.dtype() ? gx : gx.to(grad.dtype());
}

}  // namespace ember
