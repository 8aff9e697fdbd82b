// layer_norm_cpu.cpp — layer norm and RMS norm over the trailing dims, forward
// and fused backward, CPU.
//
// Layout: x contiguous, seen as (R, D), D = prod(normalized_shape); one task per
// row range. Forward: per row mean/M2 in float64 (blocked two-pass, L1-resident
// for D up to a few thousand), then y = (x - mean) * rstd * w + b in one pass.
// Backward: per row, one pass sums dy*w and dy*w*(x - mean) and adds dy*xhat / dy
// into the thread's float partials of grad_weight / grad_bias (flushed into
// float64 every kFlushRows rows); a second pass writes dx while the row is still
// in L1. Partials are merged in chunk order, so results do not depend on timing.
#include <cmath>
#include <vector>

#include "norm_common.h"

namespace ember {
namespace {
using namespace norm_detail;

// Rows between flushes of the float partial column sums into float64.
constexpr int64_t kFlushRows = 64;

struct Rows {
  int64_t R = 0, D = 1;
  Shape lead;  // x.shape[:-len(normalized_shape)]
};

Rows check_shapes(const Array& x, const std::vector<int64_t>& ns, const char* op) {
  EMBER_CHECK(!ns.empty(), Runtime, "[", op,
              "] Expected normalized_shape to be at least 1-dimensional, i.e., containing at least one element, but "
              "got normalized_shape = []");
  const int64_t nd = static_cast<int64_t>(ns.size());
  bool ok = x.ndim() >= nd;
  for (int64_t i = 0; ok && i < nd; ++i) ok = x.shape()[x.ndim() - nd + i] == ns[i];
  if (!ok) {
    std::string star = "[*";
    for (int64_t v : ns) star += ", " + std::to_string(v);
    EMBER_FAIL(Runtime, "[", op, "] Given normalized_shape=", list_str(ns), ", expected input with shape ", star,
               "], but got input of size", list_str(x.shape()));
  }
  Rows r;
  for (int64_t v : ns) r.D *= v;
  r.lead.assign(x.shape().begin(), x.shape().end() - nd);
  r.R = shape_numel(r.lead);
  return r;
}

Array affine_param(const OptArray& p, const std::vector<int64_t>& ns, DType cd, const char* op, const char* what) {
  if (!p || !p->defined()) return Array();
  check_input(*p, op, what);
  EMBER_CHECK(p->shape() == ns, Runtime, "[", op, "] Expected ", what,
              " to be of same shape as normalized_shape, but got ", what, " of shape ", list_str(p->shape()),
              " and normalized_shape = ", list_str(ns));
  return p->to(cd).contiguous().reshape({shape_numel(ns)});
}

const char* op_name(bool rms, bool bwd) {
  if (bwd) return rms ? "rms_norm_backward" : "layer_norm_backward";
  return rms ? "rms_norm" : "layer_norm";
}

template <class T>
void forward(const T* x, T* y, const Rows& r, const T* w, const T* b, double eps, bool rms, double* mean,
             double* rstd) {
  const Ops<T>& k = ops<T>();
  const int64_t D = r.D;
  parallel_for(0, r.R, std::max<int64_t>(1, 32768 / D), [&](int64_t rb, int64_t re) {
    for (int64_t i = rb; i < re; ++i) {
      const T* xr = x + i * D;
      double mu = 0, var;
      if (rms) {
        var = k.sumsq(xr, D) / static_cast<double>(D);
      } else {
        double m2;
        k.moments(xr, D, &mu, &m2);
        var = m2 / static_cast<double>(D);
      }
      const double rs = 1.0 / std::sqrt(var + eps);
      mean[i] = mu;
      rstd[i] = rs;
      k.affine_row(xr, y + i * D, D, static_cast<T>(mu), static_cast<T>(rs), w, b);
    }
  });
}

template <class T>
void backward(const T* dy, const T* x, T* dx, const Rows& r, const T* w, const double* mean, const double* rstd,
              bool rms, double* gw, double* gb) {
  const Ops<T>& k = ops<T>();
  const int64_t D = r.D;
  const bool params = gw || gb;
  const int64_t nch = num_chunks(r.R, std::max<int64_t>(1, 32768 / D));
  // Per chunk: float partials (T) and their float64 totals, for weight and bias.
  std::vector<T> part(params ? nch * 2 * D : 0, T(0));
  std::vector<double> tot(params ? nch * 2 * D : 0, 0.0);
  parallel_for(0, nch, 1, [&](int64_t cb, int64_t ce) {
    for (int64_t ch = cb; ch < ce; ++ch) {
      const int64_t r0 = r.R * ch / nch, r1 = r.R * (ch + 1) / nch;
      T* pg = params && gw ? part.data() + ch * 2 * D : nullptr;
      T* pb = params && gb ? part.data() + ch * 2 * D + D : nullptr;
      for (int64_t i = r0; i < r1; ++i) {
        k.ln_bwd_row(dy + i * D, x + i * D, w, dx ? dx + i * D : nullptr, D, static_cast<T>(mean[i]),
                     static_cast<T>(rstd[i]), rms, pg, pb);
        if (params && ((i - r0 + 1) % kFlushRows == 0 || i + 1 == r1))
          k.flush(part.data() + ch * 2 * D, tot.data() + ch * 2 * D, 2 * D);
      }
    }
  });
  if (!params) return;
  for (int64_t ch = 0; ch < nch; ++ch) {
    const double* t = tot.data() + ch * 2 * D;
    if (gw)
      for (int64_t j = 0; j < D; ++j) gw[j] += t[j];
    if (gb)
      for (int64_t j = 0; j < D; ++j) gb[j] += t[D + j];
  }
}

}  // namespace

std::tuple<Array, Array, Array> layer_norm(const Array& x, const std::vector<int64_t>& normalized_shape,
                                           const OptArray& weight, const OptArray& bias, double eps, bool rms) {
  const char* op = op_name(rms, false);
  check_input(x, op, "input");
  check_same_device(op, x, {opt_ptr(weight), opt_ptr(bias)});
  const Rows r = check_shapes(x, normalized_shape, op);
  const DType cd = compute_dtype(x.dtype());
  const Array w = affine_param(weight, normalized_shape, cd, op, "weight");
  const Array b = affine_param(bias, normalized_shape, cd, op, "bias");
  EMBER_CHECK(!(rms && b.defined()), Value, "[", op, "] takes no bias");
  if (x.device().is_cuda()) return layer_norm_cuda(x, w, b, eps, rms, r.lead, r.R, r.D);
  Array xc = x.to(cd).contiguous();
  Array y = Array::empty(x.shape(), cd, x.device());
  Array mean = Array::zeros(r.lead, DType::Float64), rstd = Array::empty(r.lead, DType::Float64);
  if (x.numel() > 0) {
    dispatch(cd, [&](auto t) {
      using T = decltype(t);
      forward<T>(xc.data<T>(), y.data<T>(), r, data_or_null<T>(w), data_or_null<T>(b), eps, rms,
                 mean.data<double>(), rstd.data<double>());
    });
  }
  return {cast_back(y, x.dtype()), mean, rstd};
}

std::tuple<Array, Array, Array> layer_norm_backward(const Array& grad, const Array& x,
                                                    const std::vector<int64_t>& normalized_shape, const Array& mean,
                                                    const Array& rstd, const OptArray& weight, bool rms,
                                                    GradMask mask) {
  const char* op = op_name(rms, true);
  check_input(grad, op, "grad");
  check_input(x, op, "input");
  check_same_device(op, x, {&grad, &mean, &rstd, opt_ptr(weight)});
  EMBER_CHECK(grad.shape() == x.shape(), Value, "[", op, "] grad shape ", shape_str(grad.shape()),
              " does not match input shape ", shape_str(x.shape()));
  const Rows r = check_shapes(x, normalized_shape, op);
  const DType cd = compute_dtype(x.dtype());
  const Array w = affine_param(weight, normalized_shape, cd, op, "weight");
  const Array mu = param(mean, r.R, DType::Float64, op, "mean");
  const Array rs = param(rstd, r.R, DType::Float64, op, "rstd");
  if (x.device().is_cuda())
    return layer_norm_backward_cuda(grad, x, mu, rs, w, rms, mask, weight ? weight->dtype() : x.dtype(),
                                    normalized_shape, r.R, r.D);
  Array gc = grad.to(cd).contiguous(), xc = x.to(cd).contiguous();
  Array gx = mask[0] ? Array::empty(x.shape(), cd, x.device()) : Array();
  Array gw = mask[1] ? Array::zeros({r.D}, DType::Float64) : Array();
  Array gb = mask[2] ? Array::zeros({r.D}, DType::Float64) : Array();
  if (x.numel() > 0 && (mask[0] || mask[1] || mask[2])) {
    dispatch(cd, [&](auto t) {
      using T = decltype(t);
      backward<T>(gc.data<T>(), xc.data<T>(), gx.defined() ? gx.data<T>() : nullptr, r, data_or_null<T>(w),
                  mu.data<double>(), rs.data<double>(), rms, gw.defined() ? gw.data<double>() : nullptr,
                  gb.defined() ? gb.data<double>() : nullptr);
    });
  }
  const DType pd = weight ? weight->dtype() : x.dtype();
  if (gw.defined()) gw = gw.reshape(normalized_shape).to(pd);
  if (gb.defined()) gb = gb.reshape(normalized_shape).to(pd);
  return {gx.defined() ? cast_back(gx, x.dtype()) : gx, gw, gb};
}

}  // namespace ember
