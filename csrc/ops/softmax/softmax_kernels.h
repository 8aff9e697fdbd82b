// softmax_kernels.h — the softmax/log_softmax row and column kernels, included
// once per ISA (softmax_cpu.cpp, softmax_avx2.cpp, softmax_avx512.cpp) with
// SM_ISA naming the namespace; loops are written so the compiler vectorises them
// at that file's -m flags.
//
// Layout: contiguous (outer, n, inner). inner == 1: each of `outer` rows is
// contiguous (three passes: max, exp+sum, normalise). inner > 1: the reduced dim
// has stride `inner`; a block of up to kColBlock adjacent columns is processed
// together so every inner loop runs over contiguous memory (no transpose copy).
// Work items: rows when inner == 1, else (outer x column blocks).
//
// Numerics: x - max keeps exp in range; a row of all -inf gives -inf - -inf = NaN
// (PyTorch's result), a NaN anywhere poisons its row through the sum.
//
// vm::exp/log select with ?: on floats; under the default -ftrapping-math GCC will
// not if-convert those, so no loop calling them vectorises. ember never reads the
// FP exception flags, so this file (each ISA's copy) drops that guarantee.
#pragma GCC optimize("no-trapping-math")
#include <cmath>
#include <cstring>
#include <type_traits>
#include <limits>

#include "core/simd_lanes.h"
#include "ops/elementwise/vec_math.h"
#include "softmax.h"

namespace ember {
namespace softmax_detail {
namespace SM_ISA {
namespace {

// The horizontal reductions (max, sum, dot) use explicit lanes (core/simd_lanes.h) of
// the ISA's width SM_VBYTES; the maps (exp, scale) stay plain loops, which the loop
// vectoriser handles at the file's ISA.
template <class T>
using Vec = lanes::Vec<T, SM_VBYTES>;

static inline float vexp(float v) { return vm::exp(v); }
static inline double vexp(double v) { return vm::exp(v); }
static inline float vlog(float v) { return vm::log(v); }
static inline double vlog(double v) { return std::log(v); }

template <class T>
static inline typename Vec<T>::type load(const T* p) { return lanes::load<SM_VBYTES>(p); }

template <class T>
static inline T hsum(typename Vec<T>::type v) { return lanes::hsum<T, SM_VBYTES, T>(v); }

template <class T>
static inline T row_max(const T* x, int64_t n) {
  using V = typename Vec<T>::type;
  constexpr int L = Vec<T>::n;
  T m = -std::numeric_limits<T>::infinity();
  int64_t i = 0;
  if (n >= L) {
    using IV = typename Vec<T>::itype;
    V acc = load(x);
    for (i = L; i + L <= n; i += L) {
      V v = load(x + i);
      IV gt = v > acc;
      acc = (V)(((IV)v & gt) | ((IV)acc & ~gt));
    }
    for (int j = 0; j < L; ++j) m = acc[j] > m ? acc[j] : m;
  }
  for (; i < n; ++i) m = x[i] > m ? x[i] : m;
  return m;
}

template <class T>
static inline T sum(const T* a, int64_t n) {
  using V = typename Vec<T>::type;
  constexpr int L = Vec<T>::n;
  V acc = {};
  int64_t i = 0;
  for (; i + L <= n; i += L) acc += load(a + i);
  T s = hsum<T>(acc);
  for (; i < n; ++i) s += a[i];
  return s;
}

template <class T>
static inline T dot(const T* a, const T* b, int64_t n) {
  using V = typename Vec<T>::type;
  constexpr int L = Vec<T>::n;
  V acc = {};
  int64_t i = 0;
  for (; i + L <= n; i += L) acc += load(a + i) * load(b + i);
  T s = hsum<T>(acc);
  for (; i < n; ++i) s += a[i] * b[i];
  return s;
}

template <class T>
static inline void exp_shift(const T* x, T* y, int64_t n, T m) {
  for (int64_t i = 0; i < n; ++i) y[i] = vexp(x[i] - m);
}

// sum(exp(x - m)); y receives exp(x - m) when given, else a stack tile is used.
template <class T>
static inline T exp_sum(const T* x, T* y, int64_t n, T m) {
  if (y) {
    exp_shift(x, y, n, m);
    return sum(y, n);
  }
  constexpr int64_t kTile = 1024;
  T tile[kTile];
  T s = 0;
  for (int64_t i = 0; i < n; i += kTile) {
    const int64_t w = n - i < kTile ? n - i : kTile;
    exp_shift(x + i, tile, w, m);
    s += sum(tile, w);
  }
  return s;
}

template <class T>
static void fwd_row(const T* x, T* y, int64_t n, bool log) {
  const T m = row_max(x, n);
  if (log) {
    // (x - m) - log(s), not x - (m + log(s)): the latter loses log(s)'s bits when |m| is large.
    const T ls = vlog(exp_sum<T>(x, nullptr, n, m));
    for (int64_t i = 0; i < n; ++i) y[i] = (x[i] - m) - ls;
  } else {
    const T inv = T(1) / exp_sum<T>(x, y, n, m);
    for (int64_t i = 0; i < n; ++i) y[i] *= inv;
  }
}

template <class T>
static void bwd_row(const T* g, const T* y, T* gx, int64_t n, bool log) {
  if (log) {
    const T s = sum(g, n);
    for (int64_t i = 0; i < n; ++i) gx[i] = g[i] - vexp(y[i]) * s;
  } else {
    const T d = dot(g, y, n);
    for (int64_t i = 0; i < n; ++i) gx[i] = y[i] * (g[i] - d);
  }
}

// One (n, w) column block with row stride `inner`.
template <class T>
static void fwd_cols(const T* x, T* y, int64_t n, int64_t inner, int64_t w, bool log) {
  T m[kColBlock], s[kColBlock];
  for (int64_t c = 0; c < w; ++c) m[c] = -std::numeric_limits<T>::infinity();
  for (int64_t k = 0; k < n; ++k) {
    const T* xr = x + k * inner;
    for (int64_t c = 0; c < w; ++c) m[c] = xr[c] > m[c] ? xr[c] : m[c];
  }
  for (int64_t c = 0; c < w; ++c) s[c] = 0;
  for (int64_t k = 0; k < n; ++k) {
    const T* xr = x + k * inner;
    T* yr = y + k * inner;
    for (int64_t c = 0; c < w; ++c) {
      T e = vexp(xr[c] - m[c]);
      if (!log) yr[c] = e;
      s[c] += e;
    }
  }
  if (log) {
    for (int64_t c = 0; c < w; ++c) s[c] = vlog(s[c]);
    for (int64_t k = 0; k < n; ++k) {
      const T* xr = x + k * inner;
      T* yr = y + k * inner;
      for (int64_t c = 0; c < w; ++c) yr[c] = (xr[c] - m[c]) - s[c];
    }
  } else {
    for (int64_t c = 0; c < w; ++c) s[c] = T(1) / s[c];
    for (int64_t k = 0; k < n; ++k) {
      T* yr = y + k * inner;
      for (int64_t c = 0; c < w; ++c) yr[c] *= s[c];
    }
  }
}

template <class T>
static void bwd_cols(const T* g, const T* y, T* gx, int64_t n, int64_t inner, int64_t w, bool log) {
  T s[kColBlock];
  for (int64_t c = 0; c < w; ++c) s[c] = 0;
  for (int64_t k = 0; k < n; ++k) {
    const T* gr = g + k * inner;
    const T* yr = y + k * inner;
    if (log)
      for (int64_t c = 0; c < w; ++c) s[c] += gr[c];
    else
      for (int64_t c = 0; c < w; ++c) s[c] += gr[c] * yr[c];
  }
  for (int64_t k = 0; k < n; ++k) {
    const T* gr = g + k * inner;
    const T* yr = y + k * inner;
    T* or_ = gx + k * inner;
    if (log)
      for (int64_t c = 0; c < w; ++c) or_[c] = gr[c] - vexp(yr[c]) * s[c];
    else
      for (int64_t c = 0; c < w; ++c) or_[c] = yr[c] * (gr[c] - s[c]);
  }
}

template <class T>
static void fwd(const T* x, T* y, int64_t, int64_t n, int64_t inner, bool log, int64_t b, int64_t e) {
  if (inner == 1) {
    for (int64_t r = b; r < e; ++r) fwd_row(x + r * n, y + r * n, n, log);
    return;
  }
  const int64_t nb = (inner + kColBlock - 1) / kColBlock;
  for (int64_t it = b; it < e; ++it) {
    const int64_t o = it / nb, c0 = (it % nb) * kColBlock;
    const int64_t w = inner - c0 < kColBlock ? inner - c0 : kColBlock;
    const int64_t off = o * n * inner + c0;
    fwd_cols(x + off, y + off, n, inner, w, log);
  }
}

template <class T>
static void bwd(const T* g, const T* y, T* gx, int64_t, int64_t n, int64_t inner, bool log, int64_t b, int64_t e) {
  if (inner == 1) {
    for (int64_t r = b; r < e; ++r) bwd_row(g + r * n, y + r * n, gx + r * n, n, log);
    return;
  }
  const int64_t nb = (inner + kColBlock - 1) / kColBlock;
  for (int64_t it = b; it < e; ++it) {
    const int64_t o = it / nb, c0 = (it % nb) * kColBlock;
    const int64_t w = inner - c0 < kColBlock ? inner - c0 : kColBlock;
    const int64_t off = o * n * inner + c0;
    bwd_cols(g + off, y + off, gx + off, n, inner, w, log);
  }
}

template <class T>
static T lse(const T* x, int64_t n) {
  const T m = row_max(x, n);
  return m + vlog(exp_sum<T>(x, nullptr, n, m));
}

template <class T>
static void exp_scale(const T* x, T* y, int64_t n, T shift, T a) {
  for (int64_t i = 0; i < n; ++i) y[i] = a * vexp(x[i] - shift);
}

}  // namespace

const Kernels& kernels() {
  static const Kernels k{&fwd<float>, &fwd<double>, &bwd<float>, &bwd<double>,
                         &lse<float>, &lse<double>, &exp_scale<float>, &exp_scale<double>};
  return k;
}

}  // namespace SM_ISA
}  // namespace softmax_detail
}  // namespace ember
