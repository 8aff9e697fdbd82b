// norm_kernels.h — the per-ISA inner loops of the normalisation family: one
// table of function pointers per SIMD level, built from norm_kernels_impl.h by
// norm_kernels_cpu.cpp (baseline), norm_kernels_avx2.cpp and norm_kernels_avx512.cpp.
// The op files (batch_norm_cpu.cpp, layer_norm_cpu.cpp, ...) own the layouts,
// threading and statistics; these loops see contiguous runs only.
#pragma once
#include <cstdint>

namespace ember {
namespace norm_detail {

template <class T>
struct Ops {
  // mean and M2 = sum((x - mean)^2) of x[0, n), n >= 1, in float64 (blocked
  // two-pass: a block's mean first, then its shifted sums; blocks merged by Chan).
  void (*moments)(const T* x, int64_t n, double* mean, double* m2);
  // sum(x^2) in float64.
  double (*sumsq)(const T* x, int64_t n);
  // y = (x - m) * a + b.
  void (*scale_shift)(const T* x, T* y, int64_t n, T m, T a, T b);
  // y = ((x - m) * a) * w + c; w or c may be null (1 and 0).
  void (*affine_row)(const T* x, T* y, int64_t n, T m, T a, const T* w, const T* c);
  // *s_dy += sum(dy), *s_dyx += sum(dy * (x - mean)) (float64 totals).
  void (*grad_sums)(const T* dy, const T* x, int64_t n, T mean, double* s_dy, double* s_dyx);
  // dx = a * dy + (x - m) * b + c.
  void (*grad_combine)(const T* dy, const T* x, T* dx, int64_t n, T a, T m, T b, T c);
  // One layer-norm row (length n): dx (may be null) from
  // rstd * (dy*w - mean(dy*w) - xhat * mean(dy*w*xhat)), xhat = (x - mean) * rstd
  // (rms: no mean(dy*w) term, mean = 0); dg[j] += dy*xhat and db[j] += dy when
  // given. w may be null (1).
  void (*ln_bwd_row)(const T* dy, const T* x, const T* w, T* dx, int64_t n, T mean, T rstd, bool rms, T* dg, T* db);
  // acc[j] += part[j]; part[j] = 0 (flushes float partial sums into float64).
  void (*flush)(T* part, double* acc, int64_t n);
  // Column statistics of a block of `rows` rows (stride ld) and k columns, merged
  // (Chan) into mean[j] / m2[j] that already hold `count` rows. Blocks of a few
  // dozen rows keep the float32 sums short.
  void (*col_moments)(const T* x, int64_t ld, int64_t rows, int64_t k, double count, double* mean, double* m2);
  // s_dy[j] += sum_r dy, s_dyx[j] += sum_r dy * (x - mean[j]) over a block of rows.
  void (*col_grad_sums)(const T* dy, const T* x, int64_t ld, int64_t rows, int64_t k, const T* mean, double* s_dy,
                        double* s_dyx);
  // y[j] = (x[j] - m[j]) * a[j] + b[j].
  void (*col_scale_shift)(const T* x, T* y, int64_t k, const T* m, const T* a, const T* b);
  // dx[j] = a[j] * dy[j] + (x[j] - m[j]) * b[j] + c[j].
  void (*col_grad_combine)(const T* dy, const T* x, T* dx, int64_t k, const T* a, const T* m, const T* b,
                           const T* c);
  // Local response norm on a tile of w adjacent positions of one sample: channel
  // c's row starts at c * ld. Writes y and scale = k + alpha/size * window sum.
  void (*lrn_fwd)(const T* x, T* y, T* scale, int64_t C, int64_t ld, int64_t w, int64_t size, T alpha, T beta,
                  T k);
  // Its gradient; scratch: C * w.
  void (*lrn_bwd)(const T* g, const T* x, const T* y, const T* scale, T* gx, int64_t C, int64_t ld, int64_t w,
                  int64_t size, T alpha, T beta, T* scratch);
};

struct Kernels {
  Ops<float> f32;
  Ops<double> f64;
};

const Kernels& kernels_scalar();
const Kernels& kernels_avx2();
const Kernels& kernels_avx512();
// The table for simd_level().
const Kernels& kernels();

template <class T>
inline const Ops<T>& ops();
template <>
inline const Ops<float>& ops<float>() { return kernels().f32; }
template <>
inline const Ops<double>& ops<double>() { return kernels().f64; }

// Position tile width of the LRN kernels.
constexpr int64_t kLrnTile = 64;

}  // namespace norm_detail
}  // namespace ember
