// softmax.h — fused softmax / log_softmax over one dim (forward and backward),
// CPU and CUDA, all floating dtypes (float16/bfloat16 are computed in float32).
#pragma once
#include <cstdint>

#include "core/array.h"

namespace ember {

// softmax (log=false) or log_softmax (log=true) of x over `dim`.
Array softmax(const Array& x, int64_t dim, bool log);
// Gradient wrt x given the upstream grad and the forward output y:
// softmax: y * (g - sum(g*y)); log_softmax: g - exp(y) * sum(g).
Array softmax_backward(const Array& grad, const Array& y, int64_t dim, bool log);

namespace softmax_detail {
// Per-ISA kernels on a contiguous (outer, n, inner) layout; rows/column blocks
// [b, e) of the flattened (outer * inner-blocks) range.
struct Kernels {
  void (*fwd_f32)(const float* x, float* y, int64_t outer, int64_t n, int64_t inner, bool log, int64_t b, int64_t e);
  void (*fwd_f64)(const double* x, double* y, int64_t outer, int64_t n, int64_t inner, bool log, int64_t b,
                  int64_t e);
  void (*bwd_f32)(const float* g, const float* y, float* gx, int64_t outer, int64_t n, int64_t inner, bool log,
                  int64_t b, int64_t e);
  void (*bwd_f64)(const double* g, const double* y, double* gx, int64_t outer, int64_t n, int64_t inner, bool log,
                  int64_t b, int64_t e);
  // log(sum(exp(x))) of one contiguous row (stable: max-shifted).
  float (*lse_f32)(const float* x, int64_t n);
  double (*lse_f64)(const double* x, int64_t n);
  // y = a * exp(x - shift) over one contiguous row.
  void (*exp_scale_f32)(const float* x, float* y, int64_t n, float shift, float a);
  void (*exp_scale_f64)(const double* x, double* y, int64_t n, double shift, double a);
};
// Column blocks of this width split the inner dim when inner > 1.
constexpr int64_t kColBlock = 128;
const Kernels& kernels_scalar();
const Kernels& kernels_avx2();
const Kernels& kernels_avx512();
// The build for the SIMD level in use (simd_level()).
const Kernels& kernels_best();
}  // namespace softmax_detail

}  // namespace ember
