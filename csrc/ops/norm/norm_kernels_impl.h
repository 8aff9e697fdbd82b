// norm_kernels_impl.h — the normalisation inner loops (norm_kernels.h), included
// once per ISA with NM_ISA naming the namespace and NM_VBYTES the register width
// (16 SSE2 / 32 AVX2 / 64 AVX-512).
//
// Reductions (sums, moments) use GCC vector extensions with several accumulators:
// -O3 without -ffast-math never reorders a scalar float reduction, so the lanes are
// explicit. float32 partial sums cover blocks of kBlock elements and are carried
// in float64, so long rows keep ~1e-7 relative accuracy. Element-wise maps are
// plain loops that the vectoriser handles at the file's ISA.
//
// vm::exp/log (LRN's power) select with ?: on floats; under -ftrapping-math GCC
// will not if-convert those, so this file drops that guarantee (ember never reads
// the FP exception flags), as softmax does.
#pragma GCC optimize("no-trapping-math")
#include <cmath>
#include <cstring>

#include "norm_kernels.h"
#include "core/simd_lanes.h"
#include "ops/elementwise/vec_math.h"

namespace ember {
namespace norm_detail {
namespace NM_ISA {
namespace {

template <class T>
using Vec = lanes::Vec<T, NM_VBYTES>;

// 8 KiB of elements: a block stays in L1 between the two passes of moments().
template <class T>
constexpr int64_t kBlock = 8192 / sizeof(T);

template <class T>
static inline typename Vec<T>::type load(const T* p) { return lanes::load<NM_VBYTES>(p); }

template <class T>
static inline double hsum(typename Vec<T>::type v) { return lanes::hsum<double, NM_VBYTES, T>(v); }

template <class T>
static inline typename Vec<T>::type splat(T a) { return lanes::splat<NM_VBYTES>(a); }

// sum(x[0, n)) for n <= kBlock, in T with 4 vector accumulators.
template <class T>
static inline double block_sum(const T* x, int64_t n) {
  using V = typename Vec<T>::type;
  constexpr int L = Vec<T>::n;
  V a0 = {}, a1 = {}, a2 = {}, a3 = {};
  int64_t i = 0;
  for (; i + 4 * L <= n; i += 4 * L) {
    a0 += load(x + i);
    a1 += load(x + i + L);
    a2 += load(x + i + 2 * L);
    a3 += load(x + i + 3 * L);
  }
  for (; i + L <= n; i += L) a0 += load(x + i);
  double s = hsum<T>((a0 + a1) + (a2 + a3));
  for (; i < n; ++i) s += x[i];
  return s;
}

// sum(x - c) and sum((x - c)^2) for n <= kBlock.
template <class T>
static inline void block_shifted(const T* x, int64_t n, T c, double* s1, double* s2) {
  using V = typename Vec<T>::type;
  constexpr int L = Vec<T>::n;
  const V vc = splat(c);
  V a0 = {}, a1 = {}, q0 = {}, q1 = {};
  int64_t i = 0;
  for (; i + 2 * L <= n; i += 2 * L) {
    V d0 = load(x + i) - vc, d1 = load(x + i + L) - vc;
    a0 += d0;
    a1 += d1;
    q0 += d0 * d0;
    q1 += d1 * d1;
  }
  for (; i + L <= n; i += L) {
    V d0 = load(x + i) - vc;
    a0 += d0;
    q0 += d0 * d0;
  }
  double t1 = hsum<T>(a0 + a1), t2 = hsum<T>(q0 + q1);
  for (; i < n; ++i) {
    const double d = static_cast<double>(x[i] - c);
    t1 += d;
    t2 += d * d;
  }
  *s1 = t1;
  *s2 = t2;
}

template <class T>
static void moments(const T* x, int64_t n, double* mean_out, double* m2_out) {
  double cnt = 0, mean = 0, m2 = 0;
  for (int64_t i = 0; i < n; i += kBlock<T>) {
    const int64_t b = n - i < kBlock<T> ? n - i : kBlock<T>;
    // The block's rounded mean is the shift; the shifted sums correct it exactly.
    const T c = static_cast<T>(block_sum(x + i, b) / static_cast<double>(b));
    double s1, s2;
    block_shifted(x + i, b, c, &s1, &s2);
    const double bn = static_cast<double>(b);
    const double bmean = static_cast<double>(c) + s1 / bn;
    double bm2 = s2 - s1 * s1 / bn;
    bm2 = bm2 > 0 ? bm2 : 0;
    const double tot = cnt + bn;
    const double delta = bmean - mean;
    mean += delta * (bn / tot);
    m2 += bm2 + delta * delta * (cnt * bn / tot);
    cnt = tot;
  }
  *mean_out = mean;
  *m2_out = m2;
}

template <class T>
static double sumsq(const T* x, int64_t n) {
  using V = typename Vec<T>::type;
  constexpr int L = Vec<T>::n;
  double tot = 0;
  for (int64_t i0 = 0; i0 < n; i0 += kBlock<T>) {
    const int64_t b = n - i0 < kBlock<T> ? n - i0 : kBlock<T>;
    const T* p = x + i0;
    V a0 = {}, a1 = {};
    int64_t i = 0;
    for (; i + 2 * L <= b; i += 2 * L) {
      V v0 = load(p + i), v1 = load(p + i + L);
      a0 += v0 * v0;
      a1 += v1 * v1;
    }
    for (; i + L <= b; i += L) {
      V v0 = load(p + i);
      a0 += v0 * v0;
    }
    tot += hsum<T>(a0 + a1);
    for (; i < b; ++i) tot += static_cast<double>(p[i]) * p[i];
  }
  return tot;
}

// (x - m) first: exact for x near m, so a large mean costs no accuracy.
template <class T>
static void scale_shift(const T* x, T* y, int64_t n, T m, T a, T b) {
  for (int64_t i = 0; i < n; ++i) y[i] = (x[i] - m) * a + b;
}

template <class T>
static void affine_row(const T* x, T* y, int64_t n, T m, T a, const T* w, const T* c) {
  if (w && c) {
    for (int64_t i = 0; i < n; ++i) y[i] = ((x[i] - m) * a) * w[i] + c[i];
  } else if (w) {
    for (int64_t i = 0; i < n; ++i) y[i] = ((x[i] - m) * a) * w[i];
  } else if (c) {
    for (int64_t i = 0; i < n; ++i) y[i] = (x[i] - m) * a + c[i];
  } else {
    for (int64_t i = 0; i < n; ++i) y[i] = (x[i] - m) * a;
  }
}

template <class T>
static void grad_sums(const T* dy, const T* x, int64_t n, T mean, double* s_dy, double* s_dyx) {
  using V = typename Vec<T>::type;
  constexpr int L = Vec<T>::n;
  const V vm_ = splat(mean);
  double t1 = 0, t2 = 0;
  for (int64_t i0 = 0; i0 < n; i0 += kBlock<T>) {
    const int64_t b = n - i0 < kBlock<T> ? n - i0 : kBlock<T>;
    const T* g = dy + i0;
    const T* p = x + i0;
    V a0 = {}, a1 = {}, q0 = {}, q1 = {};
    int64_t i = 0;
    for (; i + 2 * L <= b; i += 2 * L) {
      V g0 = load(g + i), g1 = load(g + i + L);
      a0 += g0;
      a1 += g1;
      q0 += g0 * (load(p + i) - vm_);
      q1 += g1 * (load(p + i + L) - vm_);
    }
    for (; i + L <= b; i += L) {
      V g0 = load(g + i);
      a0 += g0;
      q0 += g0 * (load(p + i) - vm_);
    }
    t1 += hsum<T>(a0 + a1);
    t2 += hsum<T>(q0 + q1);
    for (; i < b; ++i) {
      t1 += g[i];
      t2 += static_cast<double>(g[i] * (p[i] - mean));
    }
  }
  *s_dy += t1;
  *s_dyx += t2;
}

template <class T>
static void grad_combine(const T* dy, const T* x, T* dx, int64_t n, T a, T m, T b, T c) {
  for (int64_t i = 0; i < n; ++i) dx[i] = a * dy[i] + ((x[i] - m) * b + c);
}

// Pass A of a layer-norm row: sum(dy*w) and sum(dy*w*(x - mean)), plus the
// parameter-gradient partials. Blocked so float32 sums stay short.
template <class T, bool HasW, bool Acc>
static void ln_row_sums(const T* dy, const T* x, const T* w, int64_t n, T mean, T rstd, T* dg, T* db, double* o1,
                        double* o2) {
  using V = typename Vec<T>::type;
  constexpr int L = Vec<T>::n;
  const V vmean = splat(mean), vr = splat(rstd);
  double t1 = 0, t2 = 0;
  for (int64_t i0 = 0; i0 < n; i0 += kBlock<T>) {
    const int64_t b = n - i0 < kBlock<T> ? n - i0 : kBlock<T>;
    V a1 = {}, a2 = {};
    int64_t i = i0;
    for (; i + L <= i0 + b; i += L) {
      const V g = load(dy + i);
      const V xm = load(x + i) - vmean;
      const V gw = HasW ? g * load(w + i) : g;
      a1 += gw;
      a2 += gw * xm;
      if (Acc) {
        if (dg) {
          V t = load(dg + i) + g * (xm * vr);
          std::memcpy(dg + i, &t, sizeof(t));
        }
        if (db) {
          V t = load(db + i) + g;
          std::memcpy(db + i, &t, sizeof(t));
        }
      }
    }
    t1 += hsum<T>(a1);
    t2 += hsum<T>(a2);
    for (; i < i0 + b; ++i) {
      const T xm = x[i] - mean;
      const T gw = HasW ? dy[i] * w[i] : dy[i];
      t1 += gw;
      t2 += static_cast<double>(gw * xm);
      if (Acc) {
        if (dg) dg[i] += dy[i] * (xm * rstd);
        if (db) db[i] += dy[i];
      }
    }
  }
  *o1 = t1;
  *o2 = t2;
}

template <class T>
static void ln_bwd_row(const T* dy, const T* x, const T* w, T* dx, int64_t n, T mean, T rstd, bool rms, T* dg,
                       T* db) {
  double s1, s2;
  const bool acc = dg || db;
  if (w) {
    if (acc)
      ln_row_sums<T, true, true>(dy, x, w, n, mean, rstd, dg, db, &s1, &s2);
    else
      ln_row_sums<T, true, false>(dy, x, w, n, mean, rstd, dg, db, &s1, &s2);
  } else {
    if (acc)
      ln_row_sums<T, false, true>(dy, x, w, n, mean, rstd, dg, db, &s1, &s2);
    else
      ln_row_sums<T, false, false>(dy, x, w, n, mean, rstd, dg, db, &s1, &s2);
  }
  if (!dx) return;
  // dx = rstd*dy*w + b*(x - mean) + c with b = -rstd^3 * s2/n, c = -rstd * s1/n.
  const double r = static_cast<double>(rstd), dn = static_cast<double>(n);
  if (rms) s1 = 0;
  const T b = static_cast<T>(-r * r * r * s2 / dn), c = static_cast<T>(-r * s1 / dn);
  if (w) {
    for (int64_t i = 0; i < n; ++i) dx[i] = (dy[i] * w[i]) * rstd + ((x[i] - mean) * b + c);
  } else {
    for (int64_t i = 0; i < n; ++i) dx[i] = dy[i] * rstd + ((x[i] - mean) * b + c);
  }
}

template <class T>
static void flush(T* part, double* acc, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    acc[i] += static_cast<double>(part[i]);
    part[i] = T(0);
  }
}

// Column tiles of kColTile keep a tile's shift and sums in registers/L1.
constexpr int64_t kColTile = 256;

template <class T>
static void col_moments(const T* x, int64_t ld, int64_t rows, int64_t k, double count, double* mean, double* m2) {
  T c[kColTile], s1[kColTile], s2[kColTile];
  const double bn = static_cast<double>(rows);
  const double tot = count + bn;
  const T inv = T(1) / static_cast<T>(rows);
  for (int64_t j0 = 0; j0 < k; j0 += kColTile) {
    const int64_t kw = k - j0 < kColTile ? k - j0 : kColTile;
    for (int64_t j = 0; j < kw; ++j) c[j] = s1[j] = s2[j] = T(0);
    for (int64_t r = 0; r < rows; ++r) {
      const T* p = x + r * ld + j0;
      for (int64_t j = 0; j < kw; ++j) c[j] += p[j];
    }
    // The block's rounded column means are the shifts; the shifted sums correct them.
    for (int64_t j = 0; j < kw; ++j) c[j] *= inv;
    for (int64_t r = 0; r < rows; ++r) {
      const T* p = x + r * ld + j0;
      for (int64_t j = 0; j < kw; ++j) {
        const T d = p[j] - c[j];
        s1[j] += d;
        s2[j] += d * d;
      }
    }
    for (int64_t j = 0; j < kw; ++j) {
      const double a1 = static_cast<double>(s1[j]);
      const double bmean = static_cast<double>(c[j]) + a1 / bn;
      double bm2 = static_cast<double>(s2[j]) - a1 * a1 / bn;
      bm2 = bm2 > 0 ? bm2 : 0;
      const double delta = bmean - mean[j0 + j];
      mean[j0 + j] += delta * (bn / tot);
      m2[j0 + j] += bm2 + delta * delta * (count * bn / tot);
    }
  }
}

template <class T>
static void col_grad_sums(const T* dy, const T* x, int64_t ld, int64_t rows, int64_t k, const T* mean, double* s_dy,
                          double* s_dyx) {
  T a[kColTile], b[kColTile];
  for (int64_t j0 = 0; j0 < k; j0 += kColTile) {
    const int64_t kw = k - j0 < kColTile ? k - j0 : kColTile;
    const T* mn = mean + j0;
    for (int64_t j = 0; j < kw; ++j) a[j] = b[j] = T(0);
    for (int64_t r = 0; r < rows; ++r) {
      const T* g = dy + r * ld + j0;
      const T* p = x + r * ld + j0;
      for (int64_t j = 0; j < kw; ++j) {
        a[j] += g[j];
        b[j] += g[j] * (p[j] - mn[j]);
      }
    }
    for (int64_t j = 0; j < kw; ++j) {
      s_dy[j0 + j] += static_cast<double>(a[j]);
      s_dyx[j0 + j] += static_cast<double>(b[j]);
    }
  }
}

template <class T>
static void col_scale_shift(const T* x, T* y, int64_t k, const T* m, const T* a, const T* b) {
  for (int64_t j = 0; j < k; ++j) y[j] = (x[j] - m[j]) * a[j] + b[j];
}

template <class T>
static void col_grad_combine(const T* dy, const T* x, T* dx, int64_t k, const T* a, const T* m, const T* b,
                             const T* c) {
  for (int64_t j = 0; j < k; ++j) dx[j] = a[j] * dy[j] + ((x[j] - m[j]) * b[j] + c[j]);
}

static inline float vexp(float v) { return vm::exp(v); }
static inline double vexp(double v) { return vm::exp(v); }
static inline float vlog(float v) { return vm::log(v); }
static inline double vlog(double v) { return std::log(v); }

// d^-beta; exp(-beta*log d) vectorises, the rare d <= 0 (negative k or alpha)
// is redone with pow so integer betas of negative bases match torch.
template <class T>
static inline void pow_neg(const T* d, T* out, int64_t w, T beta) {
  for (int64_t t = 0; t < w; ++t) out[t] = vexp(-beta * vlog(d[t]));
  for (int64_t t = 0; t < w; ++t)
    if (!(d[t] > T(0))) out[t] = T(1) / std::pow(d[t], beta);
}

template <class T>
static void lrn_fwd(const T* x, T* y, T* scale, int64_t C, int64_t ld, int64_t w, int64_t size, T alpha, T beta,
                    T k) {
  T acc[kLrnTile], p[kLrnTile];
  const int64_t lo = size / 2, hi = (size - 1) / 2;
  const T as = alpha / static_cast<T>(size);
  for (int64_t c = 0; c < C; ++c) {
    const int64_t j0 = c - lo < 0 ? 0 : c - lo;
    const int64_t j1 = c + hi > C - 1 ? C - 1 : c + hi;
    for (int64_t t = 0; t < w; ++t) acc[t] = T(0);
    for (int64_t j = j0; j <= j1; ++j) {
      const T* xr = x + j * ld;
      for (int64_t t = 0; t < w; ++t) acc[t] += xr[t] * xr[t];
    }
    T* sr = scale + c * ld;
    for (int64_t t = 0; t < w; ++t) sr[t] = k + as * acc[t];
    pow_neg(sr, p, w, beta);
    const T* xr = x + c * ld;
    T* yr = y + c * ld;
    for (int64_t t = 0; t < w; ++t) yr[t] = xr[t] * p[t];
  }
}

// gx_i = g_i * d_i^-beta - (2 alpha beta / size) * x_i * sum_{c: i in window(c)} g_c y_c / d_c.
template <class T>
static void lrn_bwd(const T* g, const T* x, const T* y, const T* scale, T* gx, int64_t C, int64_t ld, int64_t w,
                    int64_t size, T alpha, T beta, T* scratch) {
  for (int64_t c = 0; c < C; ++c) {
    const T *gr = g + c * ld, *yr = y + c * ld, *sr = scale + c * ld;
    T* tr = scratch + c * w;
    for (int64_t t = 0; t < w; ++t) tr[t] = gr[t] * yr[t] / sr[t];
  }
  const int64_t lo = size / 2, hi = (size - 1) / 2;
  const T coef = T(2) * alpha * beta / static_cast<T>(size);
  T acc[kLrnTile], p[kLrnTile];
  for (int64_t i = 0; i < C; ++i) {
    const int64_t c0 = i - hi < 0 ? 0 : i - hi;
    const int64_t c1 = i + lo > C - 1 ? C - 1 : i + lo;
    for (int64_t t = 0; t < w; ++t) acc[t] = T(0);
    for (int64_t c = c0; c <= c1; ++c) {
      const T* tr = scratch + c * w;
      for (int64_t t = 0; t < w; ++t) acc[t] += tr[t];
    }
    pow_neg(scale + i * ld, p, w, beta);
    const T *gr = g + i * ld, *xr = x + i * ld;
    T* out = gx + i * ld;
    for (int64_t t = 0; t < w; ++t) out[t] = gr[t] * p[t] - coef * xr[t] * acc[t];
  }
}

template <class T>
static Ops<T> make_ops() {
  Ops<T> o;
  o.moments = &moments<T>;
  o.sumsq = &sumsq<T>;
  o.scale_shift = &scale_shift<T>;
  o.affine_row = &affine_row<T>;
  o.grad_sums = &grad_sums<T>;
  o.grad_combine = &grad_combine<T>;
  o.ln_bwd_row = &ln_bwd_row<T>;
  o.flush = &flush<T>;
  o.col_moments = &col_moments<T>;
  o.col_grad_sums = &col_grad_sums<T>;
  o.col_scale_shift = &col_scale_shift<T>;
  o.col_grad_combine = &col_grad_combine<T>;
  o.lrn_fwd = &lrn_fwd<T>;
  o.lrn_bwd = &lrn_bwd<T>;
  return o;
}

}  // namespace

const Kernels& kernels() {
  static const Kernels k{make_ops<float>(), make_ops<double>()};
  return k;
}

}  // namespace NM_ISA
}  // namespace norm_detail
}  // namespace ember
