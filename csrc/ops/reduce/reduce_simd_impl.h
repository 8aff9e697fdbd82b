// reduce_simd_impl.h — the bodies behind ReduceKernels, written once with GCC
// vector extensions. Included by exactly one TU per SIMD level, after defining
// EMBER_REDUCE_VBYTES (vector width in bytes: 16, 32 or 64); everything here has
// internal linkage so the per-ISA copies never mix at link time.
//
// Sums keep 4 independent vector accumulators (float32 widened to float64) so
// the adds pipeline; extrema track NaN in a separate mask and keep a plain
// compare-select max, so the loop stays one compare + one blend per vector.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "reduce_simd.h"

#ifndef EMBER_REDUCE_VBYTES
#error "define EMBER_REDUCE_VBYTES before including reduce_simd_impl.h"
#endif

namespace ember {
namespace {

constexpr int VB = EMBER_REDUCE_VBYTES;
typedef float vf __attribute__((vector_size(VB)));
typedef float vfh __attribute__((vector_size(VB / 2)));
typedef double vd __attribute__((vector_size(VB)));
typedef int32_t vi __attribute__((vector_size(VB)));
typedef int64_t vl __attribute__((vector_size(VB)));
constexpr int NF = VB / 4;  // floats per vector
constexpr int ND = VB / 8;  // doubles per vector

template <class V, class T> inline V loadv(const T* p) { V v; std::memcpy(&v, p, sizeof(V)); return v; }
template <class V, class T> inline void storev(T* p, const V& v) { std::memcpy(p, &v, sizeof(V)); }

inline double hsum(const vd& v) {
  double s = 0;
  for (int i = 0; i < ND; ++i) s += v[i];
  return s;
}

double sum_f32_impl(const float* p, int64_t n) {
  vd a0 = {}, a1 = {}, a2 = {}, a3 = {};
  int64_t i = 0;
  for (; i + 2 * NF <= n; i += 2 * NF) {
    a0 += __builtin_convertvector(loadv<vfh>(p + i), vd);
    a1 += __builtin_convertvector(loadv<vfh>(p + i + NF / 2), vd);
    a2 += __builtin_convertvector(loadv<vfh>(p + i + NF), vd);
    a3 += __builtin_convertvector(loadv<vfh>(p + i + 3 * NF / 2), vd);
  }
  for (; i + NF / 2 <= n; i += NF / 2) a0 += __builtin_convertvector(loadv<vfh>(p + i), vd);
  double s = hsum((a0 + a1) + (a2 + a3));
  for (; i < n; ++i) s += p[i];
  return s;
}

double sum_f64_impl(const double* p, int64_t n) {
  vd a0 = {}, a1 = {}, a2 = {}, a3 = {};
  int64_t i = 0;
  for (; i + 4 * ND <= n; i += 4 * ND) {
    a0 += loadv<vd>(p + i);
    a1 += loadv<vd>(p + i + ND);
    a2 += loadv<vd>(p + i + 2 * ND);
    a3 += loadv<vd>(p + i + 3 * ND);
  }
  for (; i + ND <= n; i += ND) a0 += loadv<vd>(p + i);
  double s = hsum((a0 + a1) + (a2 + a3));
  for (; i < n; ++i) s += p[i];
  return s;
}

// Max (IsMax) or min of a run; V/M are the value and mask vector types.
template <bool IsMax, class T, class V, class M, int L>
T extreme_impl(const T* p, int64_t n) {
  int64_t i = 0;
  T best = p[0];
  bool nan = false;
  if (n >= 2 * L) {
    V m0 = loadv<V>(p), m1 = loadv<V>(p + L);
    M bad = (m0 != m0) | (m1 != m1);
    for (i = 2 * L; i + 2 * L <= n; i += 2 * L) {
      V x0 = loadv<V>(p + i), x1 = loadv<V>(p + i + L);
      bad |= (x0 != x0) | (x1 != x1);
      if (IsMax) { m0 = x0 > m0 ? x0 : m0; m1 = x1 > m1 ? x1 : m1; }
      else { m0 = x0 < m0 ? x0 : m0; m1 = x1 < m1 ? x1 : m1; }
    }
    if (IsMax) m0 = m1 > m0 ? m1 : m0;
    else m0 = m1 < m0 ? m1 : m0;
    best = m0[0];
    for (int k = 0; k < L; ++k) {
      nan = nan || bad[k] != 0;
      best = IsMax ? (m0[k] > best ? m0[k] : best) : (m0[k] < best ? m0[k] : best);
    }
  }
  for (; i < n; ++i) {
    T x = p[i];
    nan = nan || x != x;
    best = IsMax ? (x > best ? x : best) : (x < best ? x : best);
  }
  return nan ? std::numeric_limits<T>::quiet_NaN() : best;
}

float max_f32_impl(const float* p, int64_t n) { return extreme_impl<true, float, vf, vi, NF>(p, n); }
float min_f32_impl(const float* p, int64_t n) { return extreme_impl<false, float, vf, vi, NF>(p, n); }
double max_f64_impl(const double* p, int64_t n) { return extreme_impl<true, double, vd, vl, ND>(p, n); }
double min_f64_impl(const double* p, int64_t n) { return extreme_impl<false, double, vd, vl, ND>(p, n); }

void sum_cols_f32_impl(double* acc, const float* p, int64_t m) {
  int64_t j = 0;
  for (; j + NF / 2 <= m; j += NF / 2)
    storev(acc + j, loadv<vd>(acc + j) + __builtin_convertvector(loadv<vfh>(p + j), vd));
  for (; j < m; ++j) acc[j] += p[j];
}

void sum_cols_f64_impl(double* acc, const double* p, int64_t m) {
  int64_t j = 0;
  for (; j + ND <= m; j += ND) storev(acc + j, loadv<vd>(acc + j) + loadv<vd>(p + j));
  for (; j < m; ++j) acc[j] += p[j];
}

// acc takes x when x is more extreme or NaN; a NaN acc never leaves (no compare is true).
template <bool IsMax, class T, class V, int L>
void extreme_cols_impl(T* acc, const T* p, int64_t m) {
  int64_t j = 0;
  for (; j + L <= m; j += L) {
    V a = loadv<V>(acc + j), x = loadv<V>(p + j);
    a = (IsMax ? (x > a) : (x < a)) | (x != x) ? x : a;
    storev(acc + j, a);
  }
  for (; j < m; ++j) {
    T x = p[j];
    if ((IsMax ? x > acc[j] : x < acc[j]) || x != x) acc[j] = x;
  }
}

constexpr ReduceKernels make_reduce_kernels() {
  return ReduceKernels{
      sum_f32_impl, sum_f64_impl, max_f32_impl, min_f32_impl, max_f64_impl, min_f64_impl,
      sum_cols_f32_impl, sum_cols_f64_impl,
      extreme_cols_impl<true, float, vf, NF>, extreme_cols_impl<false, float, vf, NF>,
      extreme_cols_impl<true, double, vd, ND>, extreme_cols_impl<false, double, vd, ND>};
}

}  // namespace
}  // namespace ember
