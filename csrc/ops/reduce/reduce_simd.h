// reduce_simd.h — the hot inner loops of reductions, one table per SIMD level.
//
// The same source (reduce_simd_impl.h, written with GCC vector extensions) is
// compiled three times: reduce_simd_scalar.cpp (baseline SSE2 width),
// reduce_avx2.cpp and reduce_avx512.cpp (their -m flags); reduce_kernels() picks
// the table for ember::simd_level(). float32 sums add in float32 over short
// blocks (a few thousand elements, or 8 rows for column sums) and carry the
// block totals in float64: full float32 vector speed, and a 16M-element sum
// still lands within ~1e-7 of the float64 result.
#pragma once
#include <cstdint>

namespace ember {

struct ReduceKernels {
  // Contiguous runs, n >= 0. Sums return the float64 total.
  double (*sum_f32)(const float* p, int64_t n);
  double (*sum_f64)(const double* p, int64_t n);
  // n >= 1; a NaN anywhere is the result.
  float (*max_f32)(const float* p, int64_t n);
  float (*min_f32)(const float* p, int64_t n);
  double (*max_f64)(const double* p, int64_t n);
  double (*min_f64)(const double* p, int64_t n);
  // n >= 1: index of the first extreme, or of the first NaN when there is one.
  int64_t (*argmax_f32)(const float* p, int64_t n);
  int64_t (*argmin_f32)(const float* p, int64_t n);
  int64_t (*argmax_f64)(const double* p, int64_t n);
  int64_t (*argmin_f64)(const double* p, int64_t n);
  // Reductions over an outer dim: acc[j] op= p[r * rs + j] for r < nr, j < m
  // (nr rows of m contiguous elements, rs elements apart).
  void (*sum_rows_f32)(double* acc, const float* p, int64_t rs, int64_t nr, int64_t m);
  void (*sum_rows_f64)(double* acc, const double* p, int64_t rs, int64_t nr, int64_t m);
  void (*max_rows_f32)(float* acc, const float* p, int64_t rs, int64_t nr, int64_t m);
  void (*min_rows_f32)(float* acc, const float* p, int64_t rs, int64_t nr, int64_t m);
  void (*max_rows_f64)(double* acc, const double* p, int64_t rs, int64_t nr, int64_t m);
  void (*min_rows_f64)(double* acc, const double* p, int64_t rs, int64_t nr, int64_t m);
};

extern const ReduceKernels reduce_kernels_scalar;
extern const ReduceKernels reduce_kernels_avx2;
extern const ReduceKernels reduce_kernels_avx512;

// The table for the current simd_level().
const ReduceKernels& reduce_kernels();

}  // namespace ember
