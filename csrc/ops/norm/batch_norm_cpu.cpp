// batch_norm_cpu.cpp — batch norm forward (training and eval) and its fused
// backward, CPU.
//
// Layout: x is made contiguous and seen as (N, C, S), S the product of the
// spatial dims; the statistics of channel c cover the N runs x[n, c, :].
// - Row path (S >= kMinRun): each run is a contiguous row. With enough channels
//   the threads split the channels and each finishes its channel (statistics,
//   then the normalising / dx pass while the channel is still in cache); with few
//   channels they split the N*C rows in two phases and the per-row results are
//   merged per channel in row order.
// - Column path (short runs, e.g. (N, C) input): x is an (N, C*S) matrix; threads
//   split the rows, each keeps per-column float64 sums, merged per channel.
// Statistics: per-run mean/M2 in float64 (blocked two-pass, norm_kernels.h),
// merged by Chan's formula, so float32 input matches torch's float64 accumulation.
// Running stats: r = (1 - momentum) r + momentum * stat with the unbiased variance.
#include <cmath>
#include <vector>

#include "norm_common.h"

namespace ember {
namespace {
using namespace norm_detail;

constexpr const char* kOp = "batch_norm";
// Shorter channel runs take the column path.
constexpr int64_t kMinRun = 32;
// Rows per column-moments block: short float32 sums, long enough to amortise.
constexpr int64_t kColRows = 32;

struct Geo {
  int64_t N = 1, C = 1, S = 1;
  int64_t M() const { return N * S; }
  bool rows() const { return S >= kMinRun; }
};

Geo geometry(const Array& x) {
  Geo g;
  g.N = x.shape()[0];
  g.C = x.shape()[1];
  for (int64_t d = 2; d < x.ndim(); ++d) g.S *= x.shape()[d];
  return g;
}

// Threads split channels when each gets several; otherwise rows.
bool split_channels(const Geo& g) {
  const int64_t nt = in_parallel_region() ? 1 : get_num_threads();
  return g.C >= 4 * nt || nt == 1;
}

inline void chan_merge(double& cnt, double& mean, double& m2, double n, double bmean, double bm2) {
  const double tot = cnt + n;
  if (tot <= 0) return;
  const double delta = bmean - mean;
  mean += delta * (n / tot);
  m2 += bm2 + delta * delta * (cnt * n / tot);
  cnt = tot;
}

// ---------------------------------------------------------------- statistics
// mean[c] and m2[c] (sum of squared deviations over N*S values) of the column path.
template <class T>
void col_stats(const Ops<T>& k, const T* x, const Geo& g, std::vector<double>& mean, std::vector<double>& m2) {
  const int64_t K = g.C * g.S;
  const int64_t nch = num_chunks(g.N, std::max<int64_t>(kColRows, 65536 / std::max<int64_t>(1, K)));
  std::vector<double> pm(nch * K, 0.0), pq(nch * K, 0.0), pc(nch, 0.0);
  parallel_for(0, nch, 1, [&](int64_t cb, int64_t ce) {
    for (int64_t ch = cb; ch < ce; ++ch) {
      const int64_t r0 = g.N * ch / nch, r1 = g.N * (ch + 1) / nch;
      double cnt = 0;
      for (int64_t r = r0; r < r1; r += kColRows) {
        const int64_t rows = std::min(kColRows, r1 - r);
        k.col_moments(x + r * K, K, rows, K, cnt, pm.data() + ch * K, pq.data() + ch * K);
        cnt += static_cast<double>(rows);
      }
      pc[ch] = cnt;
    }
  });
  mean.assign(g.C, 0.0);
  m2.assign(g.C, 0.0);
  for (int64_t c = 0; c < g.C; ++c) {
    double cnt = 0, mu = 0, q = 0;
    for (int64_t ch = 0; ch < nch; ++ch)
      for (int64_t s = 0; s < g.S; ++s) {
        const int64_t j = ch * K + c * g.S + s;
        chan_merge(cnt, mu, q, pc[ch], pm[j], pq[j]);
      }
    mean[c] = mu;
    m2[c] = q;
  }
}

// Row path, rows split among threads: per-row moments merged per channel.
template <class T>
void row_stats(const Ops<T>& k, const T* x, const Geo& g, std::vector<double>& mean, std::vector<double>& m2) {
  const int64_t R = g.N * g.C;
  std::vector<double> rm(R), rq(R);
  parallel_for(0, R, std::max<int64_t>(1, 32768 / g.S), [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) k.moments(x + r * g.S, g.S, &rm[r], &rq[r]);
  });
  mean.assign(g.C, 0.0);
  m2.assign(g.C, 0.0);
  const double s = static_cast<double>(g.S);
  for (int64_t c = 0; c < g.C; ++c) {
    double cnt = 0, mu = 0, q = 0;
    for (int64_t n = 0; n < g.N; ++n) chan_merge(cnt, mu, q, s, rm[n * g.C + c], rq[n * g.C + c]);
    mean[c] = mu;
    m2[c] = q;
  }
}

// ---------------------------------------------------------------- forward
// y = (x - mean[c]) * a[c] + b[c] over the whole tensor.
template <class T>
void apply_affine(const Ops<T>& k, const T* x, T* y, const Geo& g, const std::vector<double>& mean,
                  const std::vector<double>& a, const std::vector<double>& b) {
  if (g.rows()) {
    parallel_for(0, g.N * g.C, std::max<int64_t>(1, 32768 / g.S), [&](int64_t rb, int64_t re) {
      for (int64_t r = rb; r < re; ++r) {
        const int64_t c = r % g.C;
        k.scale_shift(x + r * g.S, y + r * g.S, g.S, static_cast<T>(mean[c]), static_cast<T>(a[c]),
                      static_cast<T>(b[c]));
      }
    });
    return;
  }
  const int64_t K = g.C * g.S;
  std::vector<T> em(K), ea(K), eb(K);
  for (int64_t j = 0; j < K; ++j) {
    const int64_t c = j / g.S;
    em[j] = static_cast<T>(mean[c]);
    ea[j] = static_cast<T>(a[c]);
    eb[j] = static_cast<T>(b[c]);
  }
  parallel_for(0, g.N, std::max<int64_t>(1, 32768 / std::max<int64_t>(1, K)), [&](int64_t rb, int64_t re) {
    for (int64_t r = rb; r < re; ++r) k.col_scale_shift(x + r * K, y + r * K, K, em.data(), ea.data(), eb.data());
  });
}

// Training forward with threads over channels: statistics and normalisation of a
// channel back to back.
template <class T>
void train_by_channel(const Ops<T>& k, const T* x, T* y, const Geo& g, const T* w, const T* b, double eps,
                      std::vector<double>& mean, std::vector<double>& m2, std::vector<double>& invstd) {
  const double M = static_cast<double>(g.M());
  parallel_for(0, g.C, std::max<int64_t>(1, 65536 / std::max<int64_t>(1, g.M())), [&](int64_t cb, int64_t ce) {
    for (int64_t c = cb; c < ce; ++c) {
      double cnt = 0, mu = 0, q = 0;
      for (int64_t n = 0; n < g.N; ++n) {
        double rm, rq;
        k.moments(x + (n * g.C + c) * g.S, g.S, &rm, &rq);
        chan_merge(cnt, mu, q, static_cast<double>(g.S), rm, rq);
      }
      const double inv = 1.0 / std::sqrt(q / M + eps);
      mean[c] = mu;
      m2[c] = q;
      invstd[c] = inv;
      const T a = static_cast<T>(w ? static_cast<double>(w[c]) * inv : inv);
      const T sh = b ? b[c] : T(0);
      for (int64_t n = 0; n < g.N; ++n) {
        const int64_t off = (n * g.C + c) * g.S;
        k.scale_shift(x + off, y + off, g.S, static_cast<T>(mu), a, sh);
      }
    }
  });
}

template <class T>
void forward(const Array& xc, const Array& y, const Geo& g, const Array& w, const Array& b, const Array& rmean,
             const Array& rvar, bool training, double eps, std::vector<double>& mean, std::vector<double>& m2,
             std::vector<double>& invstd) {
  const Ops<T>& k = ops<T>();
  const T* x = xc.data<T>();
  T* yp = y.data<T>();
  const T* wp = data_or_null<T>(w);
  const T* bp = data_or_null<T>(b);
  mean.assign(g.C, 0.0);
  m2.assign(g.C, 0.0);
  invstd.assign(g.C, 0.0);
  if (training) {
    if (g.M() == 0) {
      for (int64_t c = 0; c < g.C; ++c) invstd[c] = 1.0 / std::sqrt(eps);
      return;
    }
    if (g.rows() && split_channels(g)) {
      train_by_channel(k, x, yp, g, wp, bp, eps, mean, m2, invstd);
      return;
    }
    if (g.rows())
      row_stats(k, x, g, mean, m2);
    else
      col_stats(k, x, g, mean, m2);
    const double M = static_cast<double>(g.M());
    for (int64_t c = 0; c < g.C; ++c) invstd[c] = 1.0 / std::sqrt(m2[c] / M + eps);
  } else {
    Array rm = rmean.to(DType::Float64).contiguous(), rv = rvar.to(DType::Float64).contiguous();
    for (int64_t c = 0; c < g.C; ++c) {
      mean[c] = rm.data<double>()[c];
      invstd[c] = 1.0 / std::sqrt(rv.data<double>()[c] + eps);
    }
  }
  if (g.N * g.C * g.S == 0) return;
  std::vector<double> a(g.C), sh(g.C);
  for (int64_t c = 0; c < g.C; ++c) {
    a[c] = wp ? static_cast<double>(wp[c]) * invstd[c] : invstd[c];
    sh[c] = bp ? static_cast<double>(bp[c]) : 0.0;
  }
  apply_affine(k, x, yp, g, mean, a, sh);
}

// ---------------------------------------------------------------- backward
// s_dy[c] = sum(dy), s_dyx[c] = sum(dy * (x - mean[c])).
template <class T>
void grad_sums(const Ops<T>& k, const T* dy, const T* x, const Geo& g, const double* mean, std::vector<double>& s_dy,
               std::vector<double>& s_dyx) {
  s_dy.assign(g.C, 0.0);
  s_dyx.assign(g.C, 0.0);
  if (g.rows()) {
    const int64_t R = g.N * g.C;
    std::vector<double> r1(R, 0.0), r2(R, 0.0);
    parallel_for(0, R, std::max<int64_t>(1, 32768 / g.S), [&](int64_t b, int64_t e) {
      for (int64_t r = b; r < e; ++r)
        k.grad_sums(dy + r * g.S, x + r * g.S, g.S, static_cast<T>(mean[r % g.C]), &r1[r], &r2[r]);
    });
    for (int64_t r = 0; r < R; ++r) {
      s_dy[r % g.C] += r1[r];
      s_dyx[r % g.C] += r2[r];
    }
    return;
  }
  const int64_t K = g.C * g.S;
  std::vector<T> em(K);
  for (int64_t j = 0; j < K; ++j) em[j] = static_cast<T>(mean[j / g.S]);
  const int64_t nch = num_chunks(g.N, std::max<int64_t>(kColRows, 65536 / std::max<int64_t>(1, K)));
  std::vector<double> p1(nch * K, 0.0), p2(nch * K, 0.0);
  parallel_for(0, nch, 1, [&](int64_t cb, int64_t ce) {
    for (int64_t ch = cb; ch < ce; ++ch) {
      const int64_t r0 = g.N * ch / nch, r1 = g.N * (ch + 1) / nch;
      for (int64_t r = r0; r < r1; r += kColRows) {
        const int64_t rows = std::min(kColRows, r1 - r);
        k.col_grad_sums(dy + r * K, x + r * K, K, rows, K, em.data(), p1.data() + ch * K, p2.data() + ch * K);
      }
    }
  });
  for (int64_t ch = 0; ch < nch; ++ch)
    for (int64_t j = 0; j < K; ++j) {
      s_dy[j / g.S] += p1[ch * K + j];
      s_dyx[j / g.S] += p2[ch * K + j];
    }
}

// Per-channel dx = a*dy + (x - mean)*b + c.
struct DxCoef {
  std::vector<double> a, b, c;
};

DxCoef dx_coefficients(const Geo& g, const double* w, const double* invstd, bool training,
                       const std::vector<double>& s_dy, const std::vector<double>& s_dyx) {
  DxCoef d;
  d.a.resize(g.C);
  d.b.assign(g.C, 0.0);
  d.c.assign(g.C, 0.0);
  const double M = static_cast<double>(g.M());
  for (int64_t c = 0; c < g.C; ++c) {
    const double kk = (w ? w[c] : 1.0) * invstd[c];
    d.a[c] = kk;
    if (training && M > 0) {
      const double proj = s_dyx[c] / M * invstd[c] * invstd[c];
      d.b[c] = -kk * proj;
      d.c[c] = -kk * s_dy[c] / M;
    }
  }
  return d;
}

template <class T>
void apply_dx(const Ops<T>& k, const T* dy, const T* x, T* dx, const Geo& g, const double* mean, const DxCoef& d) {
  if (g.rows()) {
    parallel_for(0, g.N * g.C, std::max<int64_t>(1, 32768 / g.S), [&](int64_t rb, int64_t re) {
      for (int64_t r = rb; r < re; ++r) {
        const int64_t c = r % g.C, off = r * g.S;
        k.grad_combine(dy + off, x + off, dx + off, g.S, static_cast<T>(d.a[c]), static_cast<T>(mean[c]),
                       static_cast<T>(d.b[c]), static_cast<T>(d.c[c]));
      }
    });
    return;
  }
  const int64_t K = g.C * g.S;
  std::vector<T> ea(K), em(K), eb(K), ec(K);
  for (int64_t j = 0; j < K; ++j) {
    const int64_t c = j / g.S;
    ea[j] = static_cast<T>(d.a[c]);
    em[j] = static_cast<T>(mean[c]);
    eb[j] = static_cast<T>(d.b[c]);
    ec[j] = static_cast<T>(d.c[c]);
  }
  parallel_for(0, g.N, std::max<int64_t>(1, 32768 / std::max<int64_t>(1, K)), [&](int64_t rb, int64_t re) {
    for (int64_t r = rb; r < re; ++r)
      k.col_grad_combine(dy + r * K, x + r * K, dx + r * K, K, ea.data(), em.data(), eb.data(), ec.data());
  });
}

// Backward with threads over channels: a channel's sums, then its dx.
template <class T>
void backward_by_channel(const Ops<T>& k, const T* dy, const T* x, T* dx, const Geo& g, const double* w,
                         const double* mean, const double* invstd, bool training, std::vector<double>& s_dy,
                         std::vector<double>& s_dyx, bool need_sums) {
  s_dy.assign(g.C, 0.0);
  s_dyx.assign(g.C, 0.0);
  const double M = static_cast<double>(g.M());
  parallel_for(0, g.C, std::max<int64_t>(1, 65536 / std::max<int64_t>(1, g.M())), [&](int64_t cb, int64_t ce) {
    for (int64_t c = cb; c < ce; ++c) {
      double a1 = 0, a2 = 0;
      const T mu = static_cast<T>(mean[c]);
      if (need_sums)
        for (int64_t n = 0; n < g.N; ++n) {
          const int64_t off = (n * g.C + c) * g.S;
          k.grad_sums(dy + off, x + off, g.S, mu, &a1, &a2);
        }
      s_dy[c] = a1;
      s_dyx[c] = a2;
      if (!dx) continue;
      const double kk = (w ? w[c] : 1.0) * invstd[c];
      double b = 0, cc = 0;
      if (training && M > 0) {
        b = -kk * (a2 / M * invstd[c] * invstd[c]);
        cc = -kk * a1 / M;
      }
      for (int64_t n = 0; n < g.N; ++n) {
        const int64_t off = (n * g.C + c) * g.S;
        k.grad_combine(dy + off, x + off, dx + off, g.S, static_cast<T>(kk), mu, static_cast<T>(b),
                       static_cast<T>(cc));
      }
    }
  });
}

template <class T>
void backward(const Array& gc, const Array& xc, const Array& gx, const Geo& g, const double* w, const double* mean,
              const double* invstd, bool training, bool need_sums, std::vector<double>& s_dy,
              std::vector<double>& s_dyx) {
  const Ops<T>& k = ops<T>();
  const T* dy = gc.data<T>();
  const T* x = xc.data<T>();
  T* dx = gx.defined() ? gx.data<T>() : nullptr;
  if (g.rows() && split_channels(g)) {
    backward_by_channel(k, dy, x, dx, g, w, mean, invstd, training, s_dy, s_dyx, need_sums);
    return;
  }
  if (need_sums) {
    grad_sums(k, dy, x, g, mean, s_dy, s_dyx);
  } else {
    s_dy.assign(g.C, 0.0);
    s_dyx.assign(g.C, 0.0);
  }
  if (dx) apply_dx(k, dy, x, dx, g, mean, dx_coefficients(g, w, invstd, training, s_dy, s_dyx));
}

Array vec_array(const std::vector<double>& v) {
  Array a = Array::empty({static_cast<int64_t>(v.size())}, DType::Float64);
  std::copy(v.begin(), v.end(), a.data<double>());
  return a;
}

void check_rank(const Array& x, const char* op) {
  EMBER_CHECK(x.ndim() >= 2, Value, "[", op, "] expected input with at least 2 dims (N, C, *), got shape ",
              shape_str(x.shape()));
}

}  // namespace

std::tuple<Array, Array, Array> batch_norm(const Array& x, const OptArray& weight, const OptArray& bias,
                                           const OptArray& running_mean, const OptArray& running_var, bool training,
                                           double momentum, double eps) {
  check_input(x, kOp, "input");
  check_same_device(kOp, x, {opt_ptr(weight), opt_ptr(bias), opt_ptr(running_mean), opt_ptr(running_var)});
  check_rank(x, kOp);
  const Geo g = geometry(x);
  const DType cd = compute_dtype(x.dtype());
  const bool has_rm = running_mean && running_mean->defined(), has_rv = running_var && running_var->defined();
  if (!training) {
    EMBER_CHECK(has_rm, Runtime, "[", kOp, "] running_mean must be defined in evaluation mode");
    EMBER_CHECK(has_rv, Runtime, "[", kOp, "] running_var must be defined in evaluation mode");
  }
  for (auto [r, what] : {std::pair{&running_mean, "running_mean"}, std::pair{&running_var, "running_var"}}) {
    if (*r && (*r)->defined()) {
      check_input(**r, kOp, what);
      EMBER_CHECK((*r)->numel() == g.C, Runtime, "[", kOp, "] ", what, " should contain ", g.C, " elements not ",
                  (*r)->numel());
    }
  }
  // After the running stats: torch reports a wrong channel count on those first.
  const Array w = param(weight, g.C, cd, kOp, "weight");
  const Array b = param(bias, g.C, cd, kOp, "bias");
  EMBER_CHECK(std::isfinite(eps) && eps >= 0, Value, "[", kOp, "] eps must be non-negative, got ", eps);
  if (x.device().is_cuda())
    return batch_norm_cuda(x, w, b, has_rm ? *running_mean : Array(), has_rv ? *running_var : Array(), training,
                           momentum, eps, g.N, g.C, g.S);
  Array xc = x.to(cd).contiguous();
  Array y = Array::empty(x.shape(), cd, x.device());
  std::vector<double> mean, m2, invstd;
  dispatch(cd, [&](auto t) {
    using T = decltype(t);
    forward<T>(xc, y, g, w, b, has_rm ? *running_mean : Array(), has_rv ? *running_var : Array(), training, eps,
               mean, m2, invstd);
  });
  if (training && g.M() > 0) {
    const double M = static_cast<double>(g.M());
    std::vector<double> unbiased(g.C);
    for (int64_t c = 0; c < g.C; ++c) unbiased[c] = m2[c] / (M - 1.0);
    if (has_rm) update_running(*running_mean, mean, momentum);
    if (has_rv) update_running(*running_var, unbiased, momentum);
  }
  return {cast_back(y, x.dtype()), vec_array(mean), vec_array(invstd)};
}

std::tuple<Array, Array, Array> batch_norm_backward(const Array& grad, const Array& x, const OptArray& weight,
                                                    const Array& mean, const Array& invstd, bool training,
                                                    GradMask mask) {
  constexpr const char* op = "batch_norm_backward";
  check_input(grad, op, "grad");
  check_input(x, op, "input");
  check_same_device(op, x, {&grad, opt_ptr(weight), &mean, &invstd});
  check_rank(x, op);
  EMBER_CHECK(grad.shape() == x.shape(), Value, "[", op, "] grad shape ", shape_str(grad.shape()),
              " does not match input shape ", shape_str(x.shape()));
  const Geo g = geometry(x);
  const Array w = param(weight, g.C, DType::Float64, op, "weight");
  const Array mu = param(mean, g.C, DType::Float64, op, "mean");
  const Array inv = param(invstd, g.C, DType::Float64, op, "invstd");
  const DType cd = compute_dtype(x.dtype());
  if (x.device().is_cuda())
    return batch_norm_backward_cuda(grad, x, weight, mu, inv, training, mask, weight ? weight->dtype() : x.dtype(),
                                    g.N, g.C, g.S);
  Array gc = grad.to(cd).contiguous(), xc = x.to(cd).contiguous();
  Array gx = mask[0] ? Array::empty(x.shape(), cd, x.device()) : Array();
  const bool need_sums = mask[1] || mask[2] || (mask[0] && training);
  std::vector<double> s_dy, s_dyx;
  if (x.numel() > 0) {
    dispatch(cd, [&](auto t) {
      using T = decltype(t);
      backward<T>(gc, xc, gx, g, f64_or_null(w), mu.data<double>(), inv.data<double>(), training, need_sums, s_dy,
                  s_dyx);
    });
  } else {
    s_dy.assign(g.C, 0.0);
    s_dyx.assign(g.C, 0.0);
  }
  Array gw, gb;
  const DType pd = weight ? weight->dtype() : x.dtype();
  if (mask[1]) {
    std::vector<double> v(g.C);
    for (int64_t c = 0; c < g.C; ++c) v[c] = s_dyx[c] * inv.data<double>()[c];
    gw = vec_array(v).to(pd);
  }
  if (mask[2]) gb = vec_array(s_dy).to(pd);
  return {gx.defined() ? cast_back(gx, x.dtype()) : gx, gw, gb};
}

}  // namespace ember
