// group_norm_cpu.cpp — group norm forward and fused backward, and instance norm
// (group norm with one channel per group, plus its running-stat update), CPU.
//
// Layout: x contiguous (N, C, S); group g of sample n is the contiguous run of
// L = (C/G)*S elements starting at (n*G + g)*L. One task per (n, g): its mean/M2
// in float64 (blocked two-pass, norm_kernels.h), then each channel of the group
// is written with its own weight/bias, while the run is in cache.
// Backward per (n, g): per channel sum(dy) and sum(dy*(x - mean)) (float64), the
// group's weighted totals, then dx = rstd*w*dy + b*(x - mean) + c per channel;
// grad_weight / grad_bias reduce the per-(n, c) sums over n afterwards.
#include <cmath>
#include <vector>

#include "norm_common.h"

namespace ember {
namespace {
using namespace norm_detail;

struct Geo {
  int64_t N = 1, C = 1, S = 1, G = 1;
  int64_t D() const { return C / G; }
  int64_t L() const { return D() * S; }
};

Geo geometry(const Array& x, int64_t G, const char* op) {
  EMBER_CHECK(x.ndim() >= 2, Runtime, "[", op, "] Expected at least 2 dimensions for input tensor but received ",
              x.ndim());
  Geo g;
  g.N = x.shape()[0];
  g.C = x.shape()[1];
  for (int64_t d = 2; d < x.ndim(); ++d) g.S *= x.shape()[d];
  EMBER_CHECK(G > 0, Value, "[", op, "] num_groups must be positive, got ", G);
  EMBER_CHECK(g.C % G == 0, Runtime, "[", op,
              "] Expected number of channels in input to be divisible by num_groups, but got input of shape ",
              list_str(x.shape()), " and num_groups=", G);
  g.G = G;
  return g;
}

Array channel_param(const OptArray& p, const Array& x, DType cd, const char* op, const char* what) {
  if (!p || !p->defined()) return Array();
  check_input(*p, op, what);
  EMBER_CHECK(p->ndim() == 1 && p->numel() == x.shape()[1], Runtime, "[", op, "] Expected ", what,
              " to be a vector of size equal to the number of channels in input, but got ", what, " of shape ",
              list_str(p->shape()), " and input of shape ", list_str(x.shape()));
  return p->to(cd).contiguous();
}

// Writes y, mean[n*G+g], rstd[n*G+g]; var (biased) too when given.
template <class T>
void forward(const T* x, T* y, const Geo& g, const T* w, const T* b, double eps, double* mean, double* rstd,
             double* var) {
  const Ops<T>& k = ops<T>();
  const int64_t L = g.L(), D = g.D(), S = g.S;
  parallel_for(0, g.N * g.G, std::max<int64_t>(1, 32768 / std::max<int64_t>(1, L)), [&](int64_t rb, int64_t re) {
    for (int64_t i = rb; i < re; ++i) {
      const T* xr = x + i * L;
      T* yr = y + i * L;
      double mu, m2;
      k.moments(xr, L, &mu, &m2);
      const double v = m2 / static_cast<double>(L);
      const double rs = 1.0 / std::sqrt(v + eps);
      mean[i] = mu;
      rstd[i] = rs;
      if (var) var[i] = v;
      const int64_t c0 = (i % g.G) * D;
      if (S == 1 || (!w && !b)) {
        // One row call: per-channel params are per-element when S == 1.
        k.affine_row(xr, yr, L, static_cast<T>(mu), static_cast<T>(rs), S == 1 && w ? w + c0 : nullptr,
                     S == 1 && b ? b + c0 : nullptr);
        continue;
      }
      for (int64_t d = 0; d < D; ++d) {
        const double a = w ? static_cast<double>(w[c0 + d]) * rs : rs;
        k.scale_shift(xr + d * S, yr + d * S, S, static_cast<T>(mu), static_cast<T>(a), b ? b[c0 + d] : T(0));
      }
    }
  });
}

// s_dy / s_dyx: (N, C) per-channel sums, filled when given.
template <class T>
void backward(const T* dy, const T* x, T* dx, const Geo& g, const T* w, const double* mean, const double* rstd,
              double* s_dy, double* s_dyx) {
  const Ops<T>& k = ops<T>();
  const int64_t L = g.L(), D = g.D(), S = g.S;
  parallel_for(0, g.N * g.G, std::max<int64_t>(1, 32768 / std::max<int64_t>(1, L)), [&](int64_t rb, int64_t re) {
    std::vector<double> a1(D), a2(D);
    for (int64_t i = rb; i < re; ++i) {
      const int64_t n = i / g.G, c0 = (i % g.G) * D, off = i * L;
      const T mu = static_cast<T>(mean[i]);
      double t1 = 0, t2 = 0;
      for (int64_t d = 0; d < D; ++d) {
        a1[d] = a2[d] = 0;
        k.grad_sums(dy + off + d * S, x + off + d * S, S, mu, &a1[d], &a2[d]);
        const double wc = w ? static_cast<double>(w[c0 + d]) : 1.0;
        t1 += wc * a1[d];
        t2 += wc * a2[d];
        if (s_dy) {
          s_dy[n * g.C + c0 + d] = a1[d];
          s_dyx[n * g.C + c0 + d] = a2[d];
        }
      }
      if (!dx) continue;
      const double rs = rstd[i], M = static_cast<double>(L);
      const T b = static_cast<T>(-rs * rs * rs * t2 / M), c = static_cast<T>(-rs * t1 / M);
      for (int64_t d = 0; d < D; ++d) {
        const double a = (w ? static_cast<double>(w[c0 + d]) : 1.0) * rs;
        k.grad_combine(dy + off + d * S, x + off + d * S, dx + off + d * S, S, static_cast<T>(a), mu, b, c);
      }
    }
  });
}

struct Fwd {
  Array y, mean, rstd;
  std::vector<double> var;
  Array var_cuda;  // the biased var (N*G,) float64 on the device, CUDA path
};

Fwd run_forward(const Array& x, const Geo& g, const OptArray& weight, const OptArray& bias, double eps, bool want_var,
                const char* op) {
  const DType cd = compute_dtype(x.dtype());
  const Array w = channel_param(weight, x, cd, op, "weight");
  const Array b = channel_param(bias, x, cd, op, "bias");
  EMBER_CHECK(std::isfinite(eps) && eps >= 0, Value, "[", op, "] eps must be non-negative, got ", eps);
  Fwd f;
  if (x.device().is_cuda()) {
    std::vector<Array> r = group_norm_cuda(x, w, b, eps, g.N, g.C, g.S, g.G, want_var);
    f.y = r[0], f.mean = r[1], f.rstd = r[2], f.var_cuda = r[3];
    return f;
  }
  Array xc = x.to(cd).contiguous();
  f.y = Array::empty(x.shape(), cd, x.device());
  f.mean = Array::zeros({g.N, g.G}, DType::Float64);
  f.rstd = Array::zeros({g.N, g.G}, DType::Float64);
  if (want_var) f.var.assign(g.N * g.G, 0.0);
  if (x.numel() > 0) {
    dispatch(cd, [&](auto t) {
      using T = decltype(t);
      forward<T>(xc.data<T>(), f.y.data<T>(), g, data_or_null<T>(w), data_or_null<T>(b), eps,
                 f.mean.data<double>(), f.rstd.data<double>(), want_var ? f.var.data() : nullptr);
    });
  }
  f.y = cast_back(f.y, x.dtype());
  return f;
}

}  // namespace

std::tuple<Array, Array, Array> group_norm(const Array& x, int64_t num_groups, const OptArray& weight,
                                           const OptArray& bias, double eps) {
  constexpr const char* op = "group_norm";
  check_input(x, op, "input");
  check_same_device(op, x, {opt_ptr(weight), opt_ptr(bias)});
  const Geo g = geometry(x, num_groups, op);
  Fwd f = run_forward(x, g, weight, bias, eps, false, op);
  return {f.y, f.mean, f.rstd};
}

std::tuple<Array, Array, Array> group_norm_backward(const Array& grad, const Array& x, const Array& mean,
                                                    const Array& rstd, int64_t num_groups, const OptArray& weight,
                                                    GradMask mask) {
  constexpr const char* op = "group_norm_backward";
  check_input(grad, op, "grad");
  check_input(x, op, "input");
  check_same_device(op, x, {&grad, &mean, &rstd, opt_ptr(weight)});
  EMBER_CHECK(grad.shape() == x.shape(), Value, "[", op, "] grad shape ", shape_str(grad.shape()),
              " does not match input shape ", shape_str(x.shape()));
  const Geo g = geometry(x, num_groups, op);
  const DType cd = compute_dtype(x.dtype());
  const Array w = channel_param(weight, x, cd, op, "weight");
  const Array mu = param(mean, g.N * g.G, DType::Float64, op, "mean");
  const Array rs = param(rstd, g.N * g.G, DType::Float64, op, "rstd");
  if (x.device().is_cuda())
    return group_norm_backward_cuda(grad, x, mu, rs, w, mask, weight ? weight->dtype() : x.dtype(), g.N, g.C, g.S,
                                    g.G);
  Array gc = grad.to(cd).contiguous(), xc = x.to(cd).contiguous();
  Array gx = mask[0] ? Array::empty(x.shape(), cd, x.device()) : Array();
  const bool params = mask[1] || mask[2];
  std::vector<double> s_dy(params ? g.N * g.C : 0), s_dyx(params ? g.N * g.C : 0);
  if (x.numel() > 0 && (mask[0] || params)) {
    dispatch(cd, [&](auto t) {
      using T = decltype(t);
      backward<T>(gc.data<T>(), xc.data<T>(), gx.defined() ? gx.data<T>() : nullptr, g, data_or_null<T>(w),
                  mu.data<double>(), rs.data<double>(), params ? s_dy.data() : nullptr,
                  params ? s_dyx.data() : nullptr);
    });
  }
  Array gw, gb;
  const DType pd = weight ? weight->dtype() : x.dtype();
  if (params) {
    Array vw = Array::zeros({g.C}, DType::Float64), vb = Array::zeros({g.C}, DType::Float64);
    const double* r = rs.data<double>();
    for (int64_t n = 0; n < g.N; ++n)
      for (int64_t c = 0; c < g.C; ++c) {
        vw.data<double>()[c] += s_dyx[n * g.C + c] * r[n * g.G + c / g.D()];
        vb.data<double>()[c] += s_dy[n * g.C + c];
      }
    if (mask[1]) gw = vw.to(pd);
    if (mask[2]) gb = vb.to(pd);
  }
  return {gx.defined() ? cast_back(gx, x.dtype()) : gx, gw, gb};
}

std::tuple<Array, Array, Array> instance_norm(const Array& x, const OptArray& weight, const OptArray& bias,
                                              const OptArray& running_mean, const OptArray& running_var,
                                              double momentum, double eps) {
  constexpr const char* op = "instance_norm";
  check_input(x, op, "input");
  check_same_device(op, x, {opt_ptr(weight), opt_ptr(bias), opt_ptr(running_mean), opt_ptr(running_var)});
  EMBER_CHECK(x.ndim() >= 2, Value, "[", op, "] expected input with at least 2 dims (N, C, *), got shape ",
              shape_str(x.shape()));
  const Geo g = geometry(x, x.shape()[1] > 0 ? x.shape()[1] : 1, op);
  for (auto [r, what] : {std::pair{&running_mean, "running_mean"}, std::pair{&running_var, "running_var"}}) {
    if (*r && (*r)->defined()) {
      check_input(**r, op, what);
      EMBER_CHECK((*r)->numel() == g.C, Runtime, "[", op, "] ", what, " should contain ", g.C, " elements not ",
                  (*r)->numel());
    }
  }
  const bool track = (running_mean && running_mean->defined()) || (running_var && running_var->defined());
  Fwd f = run_forward(x, g, weight, bias, eps, track, op);
  if (track && x.numel() > 0 && x.device().is_cuda()) {
    instance_running_cuda(running_mean, running_var, f.mean, f.var_cuda, g.N, g.C, g.S, momentum);
  } else if (track && x.numel() > 0) {
    // torch's instance norm: the batch mean of each sample's (mean, unbiased var).
    std::vector<double> m(g.C, 0.0), v(g.C, 0.0);
    const double S = static_cast<double>(g.S);
    for (int64_t n = 0; n < g.N; ++n)
      for (int64_t c = 0; c < g.C; ++c) {
        m[c] += f.mean.data<double>()[n * g.C + c] / static_cast<double>(g.N);
        v[c] += f.var[n * g.C + c] * S / (S - 1.0) / static_cast<double>(g.N);
      }
    if (running_mean && running_mean->defined()) update_running(*running_mean, m, momentum);
    if (running_var && running_var->defined()) update_running(*running_var, v, momentum);
  }
  return {f.y, f.mean, f.rstd};
}

}  // namespace ember
