// conv.cpp — argument checks, geometry and routing of the convolution kernels.
//
// Every op is one 2-D convolution geometry (conv_kernels.h; 1-D runs with H = KH = 1)
// and three products on it: forward, input gradient (adjoint in x) and weight
// gradient. A transposed convolution is the input-gradient product of the matching
// convolution (plus bias), its gradients the other two. Routing:
//   - a GEMM kernel when the product has enough rows and taps to amortise packing,
//     a direct kernel otherwise (depthwise, a few channels; see direct_forward_wins);
//   - a stride-1 input gradient is itself a stride-1 convolution of gy with the
//     flipped, channel-transposed kernel (padding d*(k-1) - p), so it runs on the
//     forward kernels instead of GEMM + col2im.
// Inputs are made contiguous (a no-op normally); float16/bfloat16 compute in float32.
#include "ops/conv/conv.h"

#include <algorithm>

#include "core/checked.h"
#include "core/cpu_features.h"
#include "ops/conv/conv_cuda.h"
#include "ops/conv/conv_kernels.h"
#include "ops/linalg/matmul.h"

namespace ember {
namespace {

using conv_detail::DirectKernels;
using conv_detail::Geom;

const DirectKernels& direct() {
  switch (simd_level()) {
    case SimdLevel::AVX512: return conv_detail::direct_avx512();
    case SimdLevel::AVX2: return conv_detail::direct_avx2();
    default: return conv_detail::direct_scalar();
  }
}

// When a GEMM has too few rows (output channels per group) or taps to pay for packing
// its panels, the direct kernels win. Forward / input gradient: the GEMM's M is O_g,
// and its 6-row micro-tiles waste a third of the work at M = 8. Weight gradient: M is
// O_g and N the taps, so 9 taps (depthwise 3x3) fill barely half a 16-wide panel.
bool direct_forward_wins(int64_t rows, int64_t taps) { return rows < 12 || taps < 8; }
bool direct_weight_grad_wins(int64_t rows, int64_t taps) { return rows < 8 || taps < 16; }

std::string list_str(const IntList& v) {
  std::string s = "(";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + (v.size() == 1 ? ",)" : ")");
}

void check_tensor(const Array& a, const std::string& op, const char* what) {
  EMBER_CHECK(a.defined(), Value, "[", op, "] ", what, " is undefined");
  EMBER_CHECK(is_floating(a.dtype()), Type, "[", op, "] expected a floating point ", what, ", got ",
              dtype_name(a.dtype()));
}

void check_same_dtype(const Array& a, const Array& b, const std::string& op, const char* wa, const char* wb) {
  EMBER_CHECK(a.device() == b.device(), Runtime, "[", op, "] expected all tensors on the same device, got ",
              a.device().str(), " and ", b.device().str(), " (", wa, " and ", wb, ")");
  EMBER_CHECK(a.dtype() == b.dtype(), Runtime, "[", op, "] expected ", wa, " and ", wb, " of one dtype, got ",
              dtype_name(a.dtype()), " ", wa, " and ", dtype_name(b.dtype()), " ", wb);
}

// Spatial dims from the stride list (1 or 2).
int64_t spatial_dims(const IntList& stride, const std::string& op) {
  const int64_t nsp = static_cast<int64_t>(stride.size());
  EMBER_CHECK(nsp == 1 || nsp == 2, Value, "[", op, "] expected 1 or 2 spatial dims, got stride=", list_str(stride));
  return nsp;
}

void check_params(const std::string& op, int64_t nsp, const IntList& stride, const IntList& padding,
                  size_t pad_len, const IntList& dilation, int64_t groups, bool allow_crop) {
  EMBER_CHECK(static_cast<int64_t>(dilation.size()) == nsp, Runtime, "[", op, "] expected dilation of ", nsp,
              " values, got dilation=", list_str(dilation));
  EMBER_CHECK(padding.size() == pad_len, Runtime, "[", op, "] expected padding of ", pad_len,
              " values, got padding=", list_str(padding));
  for (int64_t s : stride)
    EMBER_CHECK(s > 0, Runtime, "[", op, "] non-positive stride is not supported, got stride=", list_str(stride));
  for (int64_t d : dilation)
    EMBER_CHECK(d > 0, Runtime, "[", op, "] non-positive dilation is not supported, got dilation=",
                list_str(dilation));
  for (int64_t p : padding)
    EMBER_CHECK(allow_crop || p >= 0, Runtime, "[", op, "] negative padding is not supported, got padding=",
                list_str(padding));
  EMBER_CHECK(groups > 0, Runtime, "[", op, "] non-positive groups is not supported, got groups=", groups);
}

void check_ranks(const Array& x, const Array& w, int64_t nsp, const std::string& op, const char* wdims) {
  EMBER_CHECK(w.ndim() == nsp + 2, Runtime, "[", op, "] expected weight of ", nsp + 2, " dims ", wdims,
              ", got weight of shape ", shape_str(w.shape()));
  EMBER_CHECK(x.ndim() == nsp + 2, Runtime, "[", op, "] expected input of ", nsp + 2, " dims (N, C, ",
              nsp == 2 ? "H, W" : "L", "), got input of shape ", shape_str(x.shape()));
  for (int64_t d = 2; d < w.ndim(); ++d)
    EMBER_CHECK(w.shape()[d] > 0, Runtime, "[", op, "] expected a kernel of positive size, got weight of shape ",
                shape_str(w.shape()));
}

void check_bias(const std::optional<Array>& bias, const Array& x, int64_t channels, const std::string& op) {
  if (!bias) return;
  check_tensor(*bias, op, "bias");
  check_same_dtype(x, *bias, op, "input", "bias");
  EMBER_CHECK(bias->ndim() == 1 && bias->shape()[0] == channels, Runtime, "[", op, "] expected bias of shape (",
              channels, ",), got bias of shape ", shape_str(bias->shape()));
}

DType compute_dtype(DType d) { return d == DType::Float64 ? DType::Float64 : DType::Float32; }

// 4-D view of a 3-D (N, C, L) shape: (N, C, 1, L).
Shape as4d(const Shape& s) {
  if (s.size() == 4) return s;
  return {s[0], s[1], 1, s[2]};
}

Array prep(const Array& a, DType cd) { return a.to(cd).contiguous(); }

// in + lo + hi and dilation * (k - 1) + 1, overflow-checked: user-given pads,
// dilations and kernel sizes can be anything up to int64.
int64_t padded_extent(int64_t in, int64_t lo, int64_t hi, const std::string& op) {
  return checked_add(checked_add(in, lo, op.c_str()), hi, op.c_str());
}
int64_t dilated_span(int64_t k, int64_t dilation, const std::string& op) {
  return checked_add(checked_mul(dilation, k - 1, op.c_str()), 1, op.c_str());
}

// Geometry of a convolution of x (shape xs) by w (shape ws); padding is (begin, end)
// per spatial dim.
Geom make_geom(const Shape& xs, const Shape& ws, const IntList& stride, const IntList& padding,
               const IntList& dilation, int64_t groups) {
  const Shape x4 = as4d(xs), w4 = as4d(ws);
  const bool one = xs.size() == 3;
  Geom g{};
  g.N = x4[0];
  g.C = x4[1];
  g.H = x4[2];
  g.W = x4[3];
  g.O = w4[0];
  g.KH = w4[2];
  g.KW = w4[3];
  g.sh = one ? 1 : stride[0];
  g.sw = stride[one ? 0 : 1];
  g.dh = one ? 1 : dilation[0];
  g.dw = dilation[one ? 0 : 1];
  g.pt = one ? 0 : padding[0];
  g.pb = one ? 0 : padding[1];
  g.pl = padding[one ? 0 : 2];
  g.pr = padding[one ? 1 : 3];
  g.groups = groups;
  g.Ho = window_count(padded_extent(g.H, g.pt, g.pb, "conv"), dilated_span(g.KH, g.dh, "conv"), g.sh);
  g.Wo = window_count(padded_extent(g.W, g.pl, g.pr, "conv"), dilated_span(g.KW, g.dw, "conv"), g.sw);
  return g;
}

Shape out_shape(const Geom& g, bool one) {
  if (one) return {g.N, g.O, g.Wo};
  return {g.N, g.O, g.Ho, g.Wo};
}
Shape in_shape(const Geom& g, bool one) {
  if (one) return {g.N, g.C, g.W};
  return {g.N, g.C, g.H, g.W};
}

// ---------------------------------------------------------------- routed products

template <class T>
void run_forward(const Geom& g, const T* x, const T* w, const T* b, T* y);

template <class T>
void direct_forward(const Geom& g, const T* x, const T* w, const T* b, T* y) {
  if constexpr (sizeof(T) == 4)
    direct().forward_f32(g, x, w, b, y);
  else
    direct().forward_f64(g, x, w, b, y);
}

template <class T>
void run_forward(const Geom& g, const T* x, const T* w, const T* b, T* y) {
  if (g.N == 0 || g.O == 0) return;
  if (direct_forward_wins(g.Og(), g.taps()))
    direct_forward(g, x, w, b, y);
  else
    conv_detail::forward_gemm(g, x, w, b, y);
}

// gx = adjoint of the convolution g applied to gy, + b per channel of gx.
template <class T>
void run_backward_input(const Geom& g, const T* gy, const T* w, const T* b, T* gx) {
  if (g.N == 0 || g.C == 0) return;
  if (g.sh == 1 && g.sw == 1) {
    // The flipped kernel with in/out channels swapped within each group.
    const int64_t Og = g.Og(), Cg = g.Cg(), KK = g.KH * g.KW;
    std::vector<T> wt(static_cast<size_t>(g.O * Cg * KK));
    for (int64_t gi = 0; gi < g.groups; ++gi)
      for (int64_t o = 0; o < Og; ++o)
        for (int64_t c = 0; c < Cg; ++c) {
          const T* src = w + ((gi * Og + o) * Cg + c) * KK;
          T* dst = wt.data() + ((gi * Cg + c) * Og + o) * KK;
          for (int64_t k = 0; k < KK; ++k) dst[k] = src[KK - 1 - k];
        }
    Geom f{};
    f.N = g.N;
    f.C = g.O;
    f.H = g.Ho;
    f.W = g.Wo;
    f.O = g.C;
    f.KH = g.KH;
    f.KW = g.KW;
    f.Ho = g.H;
    f.Wo = g.W;
    f.sh = f.sw = 1;
    f.dh = g.dh;
    f.dw = g.dw;
    f.pt = g.dh * (g.KH - 1) - g.pt;
    f.pb = g.H - g.Ho - f.pt + g.dh * (g.KH - 1);
    f.pl = g.dw * (g.KW - 1) - g.pl;
    f.pr = g.W - g.Wo - f.pl + g.dw * (g.KW - 1);
    f.groups = g.groups;
    run_forward(f, gy, wt.data(), b, gx);
    return;
  }
  // Strided: GEMM (M = taps, K = O_g) + col2im, or the direct scatter for few channels.
  if (g.Og() < 8 || g.taps() < 8) {
    if constexpr (sizeof(T) == 4)
      direct().backward_input_f32(g, gy, w, b, gx);
    else
      direct().backward_input_f64(g, gy, w, b, gx);
  } else {
    conv_detail::backward_input_gemm(g, gy, w, b, gx);
  }
}

template <class T>
void run_backward_weight(const Geom& g, const T* gy, const T* x, T* gw, T* gb) {
  if (direct_weight_grad_wins(g.Og(), g.taps())) {
    if constexpr (sizeof(T) == 4)
      direct().backward_weight_f32(g, gy, x, gw, gb);
    else
      direct().backward_weight_f64(g, gy, x, gw, gb);
  } else {
    conv_detail::backward_weight_gemm(g, gy, x, gw, gb);
  }
}

template <class F>
void with_type(DType cd, const F& f) {
  if (cd == DType::Float64)
    f(double{});
  else
    f(float{});
}

// Checks shared by conv_forward and its two gradients: ranks, channels, kernel fit.
Geom conv_geom(const Shape& xs, const Shape& ws, const IntList& stride, const IntList& padding,
               const IntList& dilation, int64_t groups, const std::string& op) {
  const int64_t nsp = static_cast<int64_t>(stride.size());
  EMBER_CHECK(ws[0] >= 1, Runtime, "[", op, "] expected weight with at least 1 output channel, got weight of shape ",
              shape_str(ws));
  EMBER_CHECK(ws[0] % groups == 0, Runtime, "[", op, "] expected weight's out_channels (", ws[0],
              ") divisible by groups=", groups, ", got weight of shape ", shape_str(ws));
  EMBER_CHECK(xs[1] == checked_mul(ws[1], groups, op.c_str()), Runtime, "[", op, "] expected input with ",
              ws[1] * groups,
              " channels (weight of shape ", shape_str(ws), ", groups=", groups, "), got input of shape ",
              shape_str(xs));
  for (int64_t d = 0; d < nsp; ++d) {
    const int64_t in = xs[2 + d], k = ws[2 + d];
    const int64_t padded = padded_extent(in, padding[2 * d], padding[2 * d + 1], op);
    const int64_t span = dilated_span(k, dilation[d], op);
    EMBER_CHECK(in > 0 && padded >= span, Runtime, "[", op, "] kernel of size ", span, " (dilated) at spatial dim ",
                d, " is larger than the padded input size ", padded, ": input of shape ", shape_str(xs),
                ", weight of shape ", shape_str(ws), ", padding=", list_str(padding));
  }
  return make_geom(xs, ws, stride, padding, dilation, groups);
}

// The kernels copy each padded image into a (C, Hp, Wp) scratch window; with a huge
// padding that window alone overflows or exceeds memory, so its size is checked here
// (a clean "[op] ..." error instead of a wrapped allocation).
void check_window_scratch(const Geom& g, DType cd, const std::string& op) {
  if (!g.padded()) return;
  const char* o = op.c_str();
  const int64_t hp = padded_extent(g.H, g.pt, g.pb, op), wp = padded_extent(g.W, g.pl, g.pr, op);
  if (hp <= 0 || wp <= 0) return;
  checked_alloc_bytes({g.C, hp, wp}, cd, cpu_device(), o);
}

}  // namespace

Array conv_forward(const Array& x, const Array& w, const std::optional<Array>& bias, const IntList& stride,
                   const IntList& padding, const IntList& dilation, int64_t groups, const std::string& op) {
  check_tensor(x, op, "input");
  check_tensor(w, op, "weight");
  check_same_dtype(x, w, op, "input", "weight");
  const int64_t nsp = spatial_dims(stride, op);
  check_params(op, nsp, stride, padding, 2 * nsp, dilation, groups, true);
  check_ranks(x, w, nsp, op,
              nsp == 2 ? "(out_channels, in_channels/groups, kH, kW)" : "(out_channels, in_channels/groups, kW)");
  check_bias(bias, x, w.shape()[0], op);
  const Geom g = conv_geom(x.shape(), w.shape(), stride, padding, dilation, groups, op);
  if (x.device().is_cuda()) {  // implicit GEMM in the input's dtype (conv_cuda.cu)
    Array xc = x.contiguous(), wc = w.contiguous(), bc = bias ? bias->contiguous() : Array();
    Array y = Array::empty(out_shape(g, nsp == 1), x.dtype(), x.device(), op.c_str());
    cuda_kernels::conv2d_forward(op.c_str())(y, xc, wc, bias ? &bc : nullptr, g, cuda_conv_allow_tf32());
    return y;
  }
  const DType cd = compute_dtype(x.dtype());
  check_window_scratch(g, cd, op);
  Array xc = prep(x, cd), wc = prep(w, cd), bc = bias ? prep(*bias, cd) : Array();
  Array y = Array::empty(out_shape(g, nsp == 1), cd, x.device(), op.c_str());
  with_type(cd, [&](auto tag) {
    using T = decltype(tag);
    run_forward<T>(g, xc.data<T>(), wc.data<T>(), bias ? bc.data<T>() : nullptr, y.data<T>());
  });
  return cd == x.dtype() ? y : y.to(x.dtype());
}

Array conv_backward_input(const Array& gy, const Array& w, const IntList& input_shape, const IntList& stride,
                          const IntList& padding, const IntList& dilation, int64_t groups, const std::string& op) {
  check_tensor(gy, op, "grad_output");
  check_tensor(w, op, "weight");
  check_same_dtype(gy, w, op, "grad_output", "weight");
  const int64_t nsp = spatial_dims(stride, op);
  check_params(op, nsp, stride, padding, 2 * nsp, dilation, groups, true);
  EMBER_CHECK(static_cast<int64_t>(input_shape.size()) == nsp + 2, Runtime, "[", op, "] expected an input shape of ",
              nsp + 2, " dims, got ", list_str(input_shape));
  for (int64_t s : input_shape)
    EMBER_CHECK(s >= 0, Runtime, "[", op, "] invalid input shape ", list_str(input_shape));
  check_ranks(gy, w, nsp, op, "");
  const Geom g = conv_geom(input_shape, w.shape(), stride, padding, dilation, groups, op);
  const Shape ys = out_shape(g, nsp == 1);
  EMBER_CHECK(gy.shape() == ys, Runtime, "[", op, "] expected grad_output of shape ", shape_str(ys), ", got ",
              shape_str(gy.shape()));
  if (gy.device().is_cuda()) {
    Array gc = gy.contiguous(), wc = w.contiguous();
    Array gx = Array::empty(Shape(input_shape.begin(), input_shape.end()), gy.dtype(), gy.device(), op.c_str());
    cuda_kernels::conv2d_backward_input(op.c_str())(gx, gc, wc, nullptr, g, cuda_conv_allow_tf32());
    return gx;
  }
  const DType cd = compute_dtype(gy.dtype());
  check_window_scratch(g, cd, op);
  Array gc = prep(gy, cd), wc = prep(w, cd);
  Array gx = Array::empty(Shape(input_shape.begin(), input_shape.end()), cd, gy.device());
  with_type(cd, [&](auto tag) {
    using T = decltype(tag);
    run_backward_input<T>(g, gc.data<T>(), wc.data<T>(), nullptr, gx.data<T>());
  });
  return cd == gy.dtype() ? gx : gx.to(gy.dtype());
}

std::vector<Array> conv_backward_weight(const Array& gy, const Array& x, const IntList& weight_shape,
                                        const IntList& stride, const IntList& padding, const IntList& dilation,
                                        int64_t groups, bool bias_grad, const std::string& op) {
  check_tensor(gy, op, "grad_output");
  check_tensor(x, op, "input");
  check_same_dtype(x, gy, op, "input", "grad_output");
  const int64_t nsp = spatial_dims(stride, op);
  check_params(op, nsp, stride, padding, 2 * nsp, dilation, groups, true);
  EMBER_CHECK(static_cast<int64_t>(weight_shape.size()) == nsp + 2, Runtime, "[", op,
              "] expected a weight shape of ", nsp + 2, " dims, got ", list_str(weight_shape));
  for (size_t d = 1; d < weight_shape.size(); ++d)
    EMBER_CHECK(weight_shape[d] >= (d >= 2 ? 1 : 0), Runtime, "[", op, "] invalid weight shape ",
                list_str(weight_shape));
  const Shape ws(weight_shape.begin(), weight_shape.end());
  EMBER_CHECK(x.ndim() == nsp + 2, Runtime, "[", op, "] expected input of ", nsp + 2, " dims, got shape ",
              shape_str(x.shape()));
  const Geom g = conv_geom(x.shape(), ws, stride, padding, dilation, groups, op);
  const Shape ys = out_shape(g, nsp == 1);
  EMBER_CHECK(gy.shape() == ys, Runtime, "[", op, "] expected grad_output of shape ", shape_str(ys), ", got ",
              shape_str(gy.shape()));
  if (x.device().is_cuda()) {
    Array gc = gy.contiguous(), xc = x.contiguous();
    Array gw = Array::empty(ws, x.dtype(), x.device(), op.c_str());
    Array gb = bias_grad ? Array::empty({g.O}, x.dtype(), x.device(), op.c_str()) : Array();
    cuda_kernels::conv2d_backward_weight(op.c_str())(gw, bias_grad ? &gb : nullptr, gc, xc, g,
                                                     cuda_conv_allow_tf32());
    std::vector<Array> out{gw};
    if (bias_grad) out.push_back(gb);
    return out;
  }
  const DType cd = compute_dtype(x.dtype());
  check_window_scratch(g, cd, op);
  Array gc = prep(gy, cd), xc = prep(x, cd);
  Array gw = Array::empty(ws, cd, x.device());
  Array gb = bias_grad ? Array::empty({g.O}, cd, x.device()) : Array();
  with_type(cd, [&](auto tag) {
    using T = decltype(tag);
    run_backward_weight<T>(g, gc.data<T>(), xc.data<T>(), gw.data<T>(), bias_grad ? gb.data<T>() : nullptr);
  });
  std::vector<Array> out{cd == x.dtype() ? gw : gw.to(x.dtype())};
  if (bias_grad) out.push_back(cd == x.dtype() ? gb : gb.to(x.dtype()));
  return out;
}

Array conv_transpose_forward(const Array& x, const Array& w, const std::optional<Array>& bias,
                             const IntList& stride, const IntList& padding, const IntList& output_padding,
                             const IntList& dilation, int64_t groups, const std::string& op) {
  check_tensor(x, op, "input");
  check_tensor(w, op, "weight");
  check_same_dtype(x, w, op, "input", "weight");
  const int64_t nsp = spatial_dims(stride, op);
  check_params(op, nsp, stride, padding, nsp, dilation, groups, false);
  EMBER_CHECK(static_cast<int64_t>(output_padding.size()) == nsp, Runtime, "[", op, "] expected output_padding of ",
              nsp, " values, got output_padding=", list_str(output_padding));
  check_ranks(x, w, nsp, op,
              nsp == 2 ? "(in_channels, out_channels/groups, kH, kW)" : "(in_channels, out_channels/groups, kW)");
  const Shape& ws = w.shape();
  EMBER_CHECK(ws[0] >= 1 && ws[0] % groups == 0, Runtime, "[", op, "] expected weight's in_channels (", ws[0],
              ") to be positive and divisible by groups=", groups, ", got weight of shape ", shape_str(ws));
  EMBER_CHECK(x.shape()[1] == ws[0], Runtime, "[", op, "] expected input with ", ws[0],
              " channels (weight of shape ", shape_str(ws), "), got input of shape ", shape_str(x.shape()));
  for (int64_t d = 0; d < nsp; ++d) {
    const int64_t op_ = output_padding[d];
    EMBER_CHECK(op_ >= 0 && (op_ < stride[d] || op_ < dilation[d]), Runtime, "[", op,
                "] output_padding must be non-negative and smaller than either stride or dilation, got output_padding=",
                list_str(output_padding), ", stride=", list_str(stride), ", dilation=", list_str(dilation));
  }
  const int64_t cout = checked_mul(ws[1], groups, op.c_str());
  check_bias(bias, x, cout, op);
  // The equivalent convolution maps the output (N, cout, out...) to x.
  Shape ys{x.shape()[0], cout};
  IntList pad2;
  for (int64_t d = 0; d < nsp; ++d) {
    const int64_t in = x.shape()[2 + d];
    // (in - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1, checked.
    const char* o = op.c_str();
    int64_t out = checked_mul(std::max<int64_t>(in - 1, 0), stride[d], o);
    out = checked_add(out, -checked_mul(2, padding[d], o), o);
    out = checked_add(out, checked_add(dilated_span(ws[2 + d], dilation[d], op), output_padding[d], o), o);
    EMBER_CHECK(in > 0 && out >= 0, Runtime, "[", op, "] input of shape ", shape_str(x.shape()),
                " gives a negative output size ", out, " at spatial dim ", d, " (weight of shape ", shape_str(ws),
                ", stride=", list_str(stride), ", padding=", list_str(padding), ")");
    ys.push_back(out);
    pad2.push_back(padding[d]);
    pad2.push_back(padding[d] - output_padding[d]);
  }
  Array y = Array::empty(ys, x.dtype(), x.device(), op.c_str());
  if (y.numel() == 0) return y;  // PyTorch allows an empty output (size 0)
  Geom g = make_geom(ys, ws, stride, pad2, dilation, groups);
  if (x.device().is_cuda()) {  // the input-gradient kernel of the matching convolution, + bias
    Array xc = x.contiguous(), wc = w.contiguous(), bc = bias ? bias->contiguous() : Array();
    cuda_kernels::conv2d_backward_input(op.c_str())(y, xc, wc, bias ? &bc : nullptr, g, cuda_conv_allow_tf32());
    return y;
  }
  const DType cd = compute_dtype(x.dtype());
  check_window_scratch(g, cd, op);
  Array xc = prep(x, cd), wc = prep(w, cd), bc = bias ? prep(*bias, cd) : Array();
  if (cd != x.dtype()) y = Array::empty(ys, cd, x.device());
  with_type(cd, [&](auto tag) {
    using T = decltype(tag);
    run_backward_input<T>(g, xc.data<T>(), wc.data<T>(), bias ? bc.data<T>() : nullptr, y.data<T>());
  });
  return cd == x.dtype() ? y : y.to(x.dtype());
}

}  // namespace ember
