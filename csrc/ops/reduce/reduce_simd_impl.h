// reduce_simd_impl.h — the bodies behind ReduceKernels, written once with GCC
// vector extensions. Included by exactly one TU per SIMD level, after defining
// EMBER_REDUCE_VBYTES (vector width in bytes: 16, 32 or 64); everything here has
// internal linkage so the per-ISA copies never mix at link time.
//
// float32 sums add 8 independent float32 vector accumulators over blocks of
// kSumBlock elements (so the adds pipeline at full vector width) and carry the
// block totals in float64; column sums add 8 rows in float32 registers before
// touching the float64 row buffer. float64 sums keep 4 accumulators. Extrema
// track NaN in a separate mask and keep a plain compare-select max, so the loop
// stays one compare + one blend per vector; arg-extrema find the extreme of an
// L1-sized chunk that way, then locate it with one vector compare per step.
// No std:: templates here: an out-of-line copy built with AVX-512 flags could be
// picked by the linker for every TU.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#if defined(__SSE2__)
#include <immintrin.h>
#endif

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

// One bit per lane (lane k -> bit k) of a compare mask.
inline unsigned lane_bits(const vi& m) {
#if EMBER_REDUCE_VBYTES == 64
  return _mm512_movepi32_mask((__m512i)m);
#elif EMBER_REDUCE_VBYTES == 32
  return static_cast<unsigned>(_mm256_movemask_ps((__m256)m));
#elif defined(__SSE2__)
  return static_cast<unsigned>(_mm_movemask_ps((__m128)m));
#else
  unsigned b = 0;
  for (int k = 0; k < NF; ++k) b |= (m[k] != 0 ? 1u : 0u) << k;
  return b;
#endif
}
inline unsigned lane_bits(const vl& m) {
#if EMBER_REDUCE_VBYTES == 64
  return _mm512_movepi64_mask((__m512i)m);
#elif EMBER_REDUCE_VBYTES == 32
  return static_cast<unsigned>(_mm256_movemask_pd((__m256d)m));
#elif defined(__SSE2__)
  return static_cast<unsigned>(_mm_movemask_pd((__m128d)m));
#else
  unsigned b = 0;
  for (int k = 0; k < ND; ++k) b |= (m[k] != 0 ? 1u : 0u) << k;
  return b;
#endif
}

inline int64_t imin(int64_t a, int64_t b) { return a < b ? a : b; }

// acc[0 .. NF) += widened s (float64 row buffers of column sums).
inline void add_widened(double* acc, const vf& s) {
  vfh lo, hi;
  std::memcpy(&lo, &s, sizeof(vfh));
  std::memcpy(&hi, reinterpret_cast<const char*>(&s) + sizeof(vfh), sizeof(vfh));
  storev(acc, loadv<vd>(acc) + __builtin_convertvector(lo, vd));
  storev(acc + NF / 2, loadv<vd>(acc + NF / 2) + __builtin_convertvector(hi, vd));
}

// Short enough that float32 rounding stays small (each of the 8 * NF lanes adds
// at most 4096 / 32 values before the block total moves to float64), long
// enough that the float64 carry and the horizontal add cost nothing.
constexpr int64_t kSumBlock = 4096;

inline float block_sum_f32(const float* p, int64_t n) {
  vf a0 = {}, a1 = {}, a2 = {}, a3 = {}, a4 = {}, a5 = {}, a6 = {}, a7 = {};
  int64_t i = 0;
  for (; i + 8 * NF <= n; i += 8 * NF) {
    a0 += loadv<vf>(p + i);
    a1 += loadv<vf>(p + i + NF);
    a2 += loadv<vf>(p + i + 2 * NF);
    a3 += loadv<vf>(p + i + 3 * NF);
    a4 += loadv<vf>(p + i + 4 * NF);
    a5 += loadv<vf>(p + i + 5 * NF);
    a6 += loadv<vf>(p + i + 6 * NF);
    a7 += loadv<vf>(p + i + 7 * NF);
  }
  for (; i + NF <= n; i += NF) a0 += loadv<vf>(p + i);
  vf s = ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7));
  float t = 0;
  for (int k = 0; k < NF; ++k) t += s[k];
  for (; i < n; ++i) t += p[i];
  return t;
}

double sum_f32_impl(const float* p, int64_t n) {
  double s = 0;
  for (int64_t i = 0; i < n; i += kSumBlock) s += block_sum_f32(p + i, imin(kSumBlock, n - i));
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

// Index of the first element equal to v (or the first NaN), which must exist.
template <bool Nan, class T, class V, class M, int L>
int64_t find_first(const T* p, int64_t n, T v) {
  V vv;
  for (int k = 0; k < L; ++k) vv[k] = v;
  int64_t i = 0;
  for (; i + L <= n; i += L) {
    V x = loadv<V>(p + i);
    M hit = Nan ? (x != x) : (x == vv);
    unsigned b = lane_bits(hit);
    if (b) return i + __builtin_ctz(b);
  }
  for (; i < n; ++i)
    if (Nan ? p[i] != p[i] : p[i] == v) return i;
  return 0;
}

// First index of the extreme (or the first NaN): chunk by chunk, the chunk's
// extreme by SIMD, then a locate pass while the chunk is still in L1 -- only
// when it beats the earlier chunks, so long runs read memory once.
template <bool IsMax, class T, class V, class M, int L>
int64_t arg_extreme_impl(const T* p, int64_t n) {
  constexpr int64_t kChunk = 2048;
  int64_t best_i = 0;
  T best = p[0];
  for (int64_t c = 0; c < n; c += kChunk) {
    const int64_t len = imin(kChunk, n - c);
    const T m = extreme_impl<IsMax, T, V, M, L>(p + c, len);
    if (m != m) return c + find_first<true, T, V, M, L>(p + c, len, m);
    if (c == 0 || (IsMax ? m > best : m < best)) {
      best = m;
      best_i = c + find_first<false, T, V, M, L>(p + c, len, m);
    }
  }
  return best_i;
}

// acc[j] += sum of nr rows; 8 rows at a time add in float32 registers (a
// pairwise tree) before one widened add into the float64 row buffer.
void sum_rows_f32_impl(double* acc, const float* p, int64_t rs, int64_t nr, int64_t m) {
  int64_t r0 = 0;
  for (; r0 + 8 <= nr; r0 += 8) {
    const float* q = p + r0 * rs;
    int64_t j = 0;
    for (; j + NF <= m; j += NF) {
      vf s01 = loadv<vf>(q + j) + loadv<vf>(q + rs + j);
      vf s23 = loadv<vf>(q + 2 * rs + j) + loadv<vf>(q + 3 * rs + j);
      vf s45 = loadv<vf>(q + 4 * rs + j) + loadv<vf>(q + 5 * rs + j);
      vf s67 = loadv<vf>(q + 6 * rs + j) + loadv<vf>(q + 7 * rs + j);
      add_widened(acc + j, (s01 + s23) + (s45 + s67));
    }
    for (; j < m; ++j) {
      float s = 0;
      for (int r = 0; r < 8; ++r) s += q[r * rs + j];
      acc[j] += s;
    }
  }
  if (r0 == nr) return;
  const float* q = p + r0 * rs;
  const int64_t g = nr - r0;
  int64_t j = 0;
  for (; j + NF <= m; j += NF) {
    vf s = loadv<vf>(q + j);
    for (int64_t r = 1; r < g; ++r) s += loadv<vf>(q + r * rs + j);
    add_widened(acc + j, s);
  }
  for (; j < m; ++j) {
    float s = 0;
    for (int64_t r = 0; r < g; ++r) s += q[r * rs + j];
    acc[j] += s;
  }
}

void sum_rows_f64_impl(double* acc, const double* p, int64_t rs, int64_t nr, int64_t m) {
  for (int64_t r0 = 0; r0 < nr; r0 += 4) {
    const double* q = p + r0 * rs;
    const int64_t g = imin(4, nr - r0);
    int64_t j = 0;
    for (; j + ND <= m; j += ND) {
      vd s = loadv<vd>(acc + j);
      for (int64_t r = 0; r < g; ++r) s += loadv<vd>(q + r * rs + j);
      storev(acc + j, s);
    }
    for (; j < m; ++j)
      for (int64_t r = 0; r < g; ++r) acc[j] += q[r * rs + j];
  }
}

// a takes x when x is more extreme or NaN; a NaN a never leaves (no compare is true).
template <bool IsMax, class V>
inline V pick(const V& a, const V& x) {
  return (IsMax ? (x > a) : (x < a)) | (x != x) ? x : a;
}
template <bool IsMax, class T>
inline T pick1(T a, T x) {
  return (IsMax ? x > a : x < a) || x != x ? x : a;
}

// Up to 8 rows meet in registers before the row buffer is read and written.
template <bool IsMax, class T, class V, int L>
void extreme_rows_impl(T* acc, const T* p, int64_t rs, int64_t nr, int64_t m) {
  for (int64_t r0 = 0; r0 < nr; r0 += 8) {
    const T* q = p + r0 * rs;
    const int64_t g = imin(8, nr - r0);
    int64_t j = 0;
    for (; j + L <= m; j += L) {
      V a = loadv<V>(acc + j);
      for (int64_t r = 0; r < g; ++r) a = pick<IsMax>(a, loadv<V>(q + r * rs + j));
      storev(acc + j, a);
    }
    for (; j < m; ++j)
      for (int64_t r = 0; r < g; ++r) acc[j] = pick1<IsMax>(acc[j], q[r * rs + j]);
  }
}

constexpr ReduceKernels make_reduce_kernels() {
  return ReduceKernels{
      sum_f32_impl, sum_f64_impl, max_f32_impl, min_f32_impl, max_f64_impl, min_f64_impl,
      arg_extreme_impl<true, float, vf, vi, NF>, arg_extreme_impl<false, float, vf, vi, NF>,
      arg_extreme_impl<true, double, vd, vl, ND>, arg_extreme_impl<false, double, vd, vl, ND>,
      sum_rows_f32_impl, sum_rows_f64_impl,
      extreme_rows_impl<true, float, vf, NF>, extreme_rows_impl<false, float, vf, NF>,
      extreme_rows_impl<true, double, vd, ND>, extreme_rows_impl<false, double, vd, ND>};
}

}  // namespace
}  // namespace ember
