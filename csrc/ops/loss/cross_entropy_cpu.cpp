// cross_entropy_cpu.cpp — fused log-softmax + NLL (cross_entropy) and plain NLL
// (nll_loss), forward and backward, on a contiguous (N, C, S) input whose class
// dim has stride S (S = product of the spatial dims; 1 for (N, C)).
//
// Forward, per sample: lse = log(sum_c exp(x_c)) (max-shifted; never materialises
// the log-probabilities), then
//   loss = (1 - eps) * w_t * (lse - x_t) + eps / C * (W * lse - sum_c w_c x_c)
// with W = sum_c w_c, 0 for ignored targets. mean divides by sum of w_t over the
// non-ignored samples (PyTorch's convention, also for the smoothing term).
// Backward: d/dx_c = scale * ([(1-eps) w_t + eps W / C] softmax_c - (1-eps) w_t [c == t]
//   - eps w_c / C), scale = grad_i | grad | grad / total_weight.
// S == 1 rows use the vectorised row kernels of the softmax family; S > 1 walks
// the class dim with stride S, a spatial block at a time so loops stay contiguous.
// Lets the vm::exp loops of the spatial path vectorise (see softmax_kernels.h).
#pragma GCC optimize("no-trapping-math")
#include <algorithm>
#include <cmath>
#include <limits>

#include "core/parallel.h"
#include "loss_check.h"
#include "ops/elementwise/vec_math.h"
#include "ops/softmax/softmax.h"

namespace ember {
namespace {
using loss_detail::Layout;

inline float ex(float v) { return vm::exp(v); }
inline double ex(double v) { return std::exp(v); }
inline float lg(float v) { return vm::log(v); }
inline double lg(double v) { return std::log(v); }

float kernel_lse(const softmax_detail::Kernels& k, const float* x, int64_t n) { return k.lse_f32(x, n); }
double kernel_lse(const softmax_detail::Kernels& k, const double* x, int64_t n) { return k.lse_f64(x, n); }
void kernel_exp_scale(const softmax_detail::Kernels& k, const float* x, float* y, int64_t n, float sh, float a) {
  k.exp_scale_f32(x, y, n, sh, a);
}
void kernel_exp_scale(const softmax_detail::Kernels& k, const double* x, double* y, int64_t n, double sh, double a) {
  k.exp_scale_f64(x, y, n, sh, a);
}

const char* name_of(bool log_softmax) { return log_softmax ? "cross_entropy" : "nll_loss"; }

Array targets_checked(const Array& target, int64_t c, int64_t ignore_index, const char* op) {
  Array t = target.to(DType::Int64).contiguous();
  const int64_t* p = t.data<int64_t>();
  for (int64_t i = 0, n = t.numel(); i < n; ++i)
    if (p[i] != ignore_index && (p[i] < 0 || p[i] >= c))
      EMBER_FAIL(Index, "[", op, "] target ", p[i], " is out of bounds for ", c, " classes");
  return t;
}

struct Params {
  Layout L;
  int64_t ignore = -100;
  double eps = 0;
  bool logsm = true;
};

// Per-sample lse (log-sum-exp over classes) for the S > 1 layout, sample i.
template <class T>
void lse_strided(const T* x, T* lse, const Layout& L, std::vector<T>& m) {
  m.assign(L.s, -std::numeric_limits<T>::infinity());
  for (int64_t c = 0; c < L.c; ++c) {
    const T* xr = x + c * L.s;
    for (int64_t s = 0; s < L.s; ++s) m[s] = xr[s] > m[s] ? xr[s] : m[s];
  }
  for (int64_t s = 0; s < L.s; ++s) lse[s] = 0;
  for (int64_t c = 0; c < L.c; ++c) {
    const T* xr = x + c * L.s;
    for (int64_t s = 0; s < L.s; ++s) lse[s] += ex(xr[s] - m[s]);
  }
  for (int64_t s = 0; s < L.s; ++s) lse[s] = m[s] + lg(lse[s]);
}

template <class T>
void forward_impl(const T* x, const int64_t* tg, const T* w, T* loss, T* lse, const Params& P, double& total_w,
                  double& total_loss) {
  const Layout& L = P.L;
  const auto& k = softmax_detail::kernels_best();
  T wsum = 0;
  for (int64_t c = 0; c < L.c; ++c) wsum += w ? w[c] : T(1);
  const T one_m = T(1 - P.eps), eps_c = T(P.eps / double(L.c));
  const int64_t grain = std::max<int64_t>(1, 32768 / std::max<int64_t>(1, L.c * L.s));
  parallel_for(0, L.n, grain, [&](int64_t b, int64_t e) {
    std::vector<T> m;
    for (int64_t i = b; i < e; ++i) {
      const T* xi = x + i * L.c * L.s;
      T* li = lse + i * L.s;
      if (P.logsm) {
        if (L.s == 1)
          li[0] = kernel_lse(k, xi, L.c);
        else
          lse_strided(xi, li, L, m);
      } else {
        for (int64_t s = 0; s < L.s; ++s) li[s] = 0;
      }
      for (int64_t s = 0; s < L.s; ++s) {
        const int64_t t = tg[i * L.s + s];
        T& out = loss[i * L.s + s];
        if (t == P.ignore) {
          out = 0;
          continue;
        }
        const T wt = w ? w[t] : T(1);
        T v = wt * (li[s] - xi[t * L.s + s]);
        if (P.eps > 0) {
          T sx = 0;
          for (int64_t c = 0; c < L.c; ++c) sx += (w ? w[c] : T(1)) * xi[c * L.s + s];
          v = one_m * v + eps_c * (wsum * li[s] - sx);
        }
        out = v;
      }
    }
  });
  const int64_t ns = L.n * L.s;
  double tw = 0, tl = 0;
  for (int64_t j = 0; j < ns; ++j) {
    if (tg[j] == P.ignore) continue;
    tw += w ? double(w[tg[j]]) : 1.0;
    tl += double(loss[j]);
  }
  total_w = tw;
  total_loss = tl;
}

template <class T>
void backward_impl(const T* g, bool g_per_sample, T g_scale, const T* x, const int64_t* tg, const T* w,
                   const T* lse, T* gx, const Params& P) {
  const Layout& L = P.L;
  const auto& k = softmax_detail::kernels_best();
  T wsum = 0;
  for (int64_t c = 0; c < L.c; ++c) wsum += w ? w[c] : T(1);
  const T one_m = T(1 - P.eps), eps_c = T(P.eps / double(L.c));
  const int64_t grain = std::max<int64_t>(1, 32768 / std::max<int64_t>(1, L.c * L.s));
  parallel_for(0, L.n, grain, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      const T* xi = x + i * L.c * L.s;
      T* gi = gx + i * L.c * L.s;
      if (L.s == 1 && P.logsm) {
        const int64_t t = tg[i];
        if (t == P.ignore) {
          std::fill(gi, gi + L.c, T(0));
          continue;
        }
        const T sc = g_per_sample ? g[i] * g_scale : g_scale;
        const T wt = w ? w[t] : T(1);
        kernel_exp_scale(k, xi, gi, L.c, lse[i], sc * (one_m * wt + eps_c * wsum));
        gi[t] -= sc * one_m * wt;
        if (P.eps > 0)
          for (int64_t c = 0; c < L.c; ++c) gi[c] -= sc * eps_c * (w ? w[c] : T(1));
        continue;
      }
      std::fill(gi, gi + L.c * L.s, T(0));
      for (int64_t s = 0; s < L.s; ++s) {
        const int64_t t = tg[i * L.s + s];
        if (t == P.ignore) continue;
        const T sc = g_per_sample ? g[i * L.s + s] * g_scale : g_scale;
        const T wt = w ? w[t] : T(1);
        if (P.logsm) {
          const T a = sc * (one_m * wt + eps_c * wsum), l = lse[i * L.s + s];
          for (int64_t c = 0; c < L.c; ++c)
            gi[c * L.s + s] = a * ex(xi[c * L.s + s] - l) - (P.eps > 0 ? sc * eps_c * (w ? w[c] : T(1)) : T(0));
          gi[t * L.s + s] -= sc * one_m * wt;
        } else {
          gi[t * L.s + s] = -sc * wt;
        }
      }
    }
  });
}

Array to_compute(const Array& a, DType cd) { return a.to(cd).contiguous(); }

}  // namespace

std::vector<Array> cross_entropy_forward(const Array& input, const Array& target, const std::optional<Array>& weight,
                                         int64_t ignore_index, double label_smoothing, int reduction,
                                         bool log_softmax) {
  const char* op = name_of(log_softmax);
  Params P;
  P.L = loss_detail::check_args(input, target, weight, label_smoothing, reduction, op);
  if (input.device().is_cuda())
    return loss_detail::forward_cuda(input, target, weight, P.L, ignore_index, label_smoothing, reduction,
                                     log_softmax);
  P.ignore = ignore_index;
  P.eps = log_softmax ? label_smoothing : 0.0;
  P.logsm = log_softmax;
  Array t = targets_checked(target, P.L.c, ignore_index, op);
  const DType cd = input.dtype() == DType::Float64 ? DType::Float64 : DType::Float32;
  Array x = to_compute(input, cd);
  std::optional<Array> w;
  if (weight) w = to_compute(*weight, cd);
  Array loss = Array::empty(target.shape(), cd, input.device());
  Array lse = Array::empty(target.shape(), cd, input.device());
  double tw = 0, tl = 0;
  if (cd == DType::Float32)
    forward_impl<float>(x.data<float>(), t.data<int64_t>(), w ? w->data<float>() : nullptr, loss.data<float>(),
                        lse.data<float>(), P, tw, tl);
  else
    forward_impl<double>(x.data<double>(), t.data<int64_t>(), w ? w->data<double>() : nullptr, loss.data<double>(),
                         lse.data<double>(), P, tw, tl);
  Array out = loss;
  if (reduction == static_cast<int>(Reduction::Sum))
    out = Array::scalar(tl, cd, input.device());
  else if (reduction == static_cast<int>(Reduction::Mean))
    out = Array::scalar(tl / tw, cd, input.device());
  return {out.to(input.dtype()), lse, Array::scalar(tw, cd, input.device())};
}

Array cross_entropy_backward(const Array& grad, const Array& input, const Array& target,
                             const std::optional<Array>& weight, const Array& lse, const Array& total_weight,
                             int64_t ignore_index, double label_smoothing, int reduction, bool log_softmax) {
  const char* op = log_softmax ? "cross_entropy_backward" : "nll_loss_backward";
  Params P;
  P.L = loss_detail::check_args(input, target, weight, label_smoothing, reduction, op);
  P.ignore = ignore_index;
  P.eps = log_softmax ? label_smoothing : 0.0;
  P.logsm = log_softmax;
  const bool per_sample = reduction == static_cast<int>(Reduction::None);
  if (per_sample)
    EMBER_CHECK(grad.shape() == target.shape(), Value, "[", op, "] expected grad of shape ",
                shape_str(target.shape()), ", got ", shape_str(grad.shape()));
  else
    EMBER_CHECK(grad.numel() == 1, Value, "[", op, "] expected a scalar grad, got shape ", shape_str(grad.shape()));
  if (log_softmax)
    EMBER_CHECK(lse.shape() == target.shape(), Value, "[", op, "] saved lse has shape ", shape_str(lse.shape()),
                ", expected ", shape_str(target.shape()));
  EMBER_CHECK(total_weight.numel() == 1, Value, "[", op, "] total_weight must hold one value");
  if (input.device().is_cuda())
    return loss_detail::backward_cuda(grad, input, target, weight, lse, total_weight, P.L, ignore_index,
                                      label_smoothing, reduction, log_softmax);
  for (const Array* a : {&grad, &lse, &total_weight})
    EMBER_CHECK(!a->defined() || a->device().is_cpu(), Runtime, "[", op,
                "] expected all tensors on the same device, got cpu and ", a->device().str());
  Array t = targets_checked(target, P.L.c, ignore_index, op);
  const DType cd = input.dtype() == DType::Float64 ? DType::Float64 : DType::Float32;
  Array x = to_compute(input, cd), g = to_compute(grad, cd), l = to_compute(lse, cd);
  std::optional<Array> w;
  if (weight) w = to_compute(*weight, cd);
  const double tw = to_compute(total_weight, DType::Float64).data<double>()[0];
  const double scale = reduction == static_cast<int>(Reduction::Mean) ? 1.0 / tw : 1.0;
  Array gx = Array::empty(input.shape(), cd, input.device());
  if (cd == DType::Float32) {
    const float g0 = per_sample ? 1.0f : g.data<float>()[0];
    backward_impl<float>(g.data<float>(), per_sample, float(scale) * g0, x.data<float>(), t.data<int64_t>(),
                         w ? w->data<float>() : nullptr, l.data<float>(), gx.data<float>(), P);
  } else {
    const double g0 = per_sample ? 1.0 : g.data<double>()[0];
    backward_impl<double>(g.data<double>(), per_sample, scale * g0, x.data<double>(), t.data<int64_t>(),
                          w ? w->data<double>() : nullptr, l.data<double>(), gx.data<double>(), P);
  }
  return gx.to(input.dtype());
}

}  // namespace ember
