// pool_kernels.h — internal: the plane geometry and the CPU kernels behind pool.cpp.
//
// Every kernel works on contiguous planes: input (P, H, W), output (P, OH, OW), with
// P = N * C; a 1-d op is a 2-d one with H = OH = 1 and a 1-row window. Kernels take
// a plane range [p0, p1) so pool.cpp can split planes over the thread pool.
#pragma once
#include <cstdint>

namespace ember {
namespace pool_detail {

struct Geom {
  int64_t P = 0, H = 1, W = 1, OH = 1, OW = 1;
  int64_t kh = 1, kw = 1, sh = 1, sw = 1, ph = 0, pw = 0, dh = 1, dw = 1;
};

// ---- generic window loops (max_pool_cpu.cpp, avg_pool_cpu.cpp): any geometry.
// idx may be null (values only).
template <class T>
void max_pool_generic(const T* x, T* y, int64_t* idx, const Geom& g, int64_t p0, int64_t p1);
template <class T>
void avg_pool_generic(const T* x, T* y, const Geom& g, bool count_include_pad, int64_t divisor, int64_t p0,
                      int64_t p1);
template <class T>
void avg_pool_backward_generic(const T* gy, T* gx, const Geom& g, bool count_include_pad, int64_t divisor,
                               int64_t p0, int64_t p1);

// ---- adaptive pooling (adaptive_pool_cpu.cpp); the window of output o over n inputs
// is [floor(o * n / on), ceil((o + 1) * n / on)).
template <class T>
void adaptive_max_generic(const T* x, T* y, int64_t* idx, const Geom& g, int64_t p0, int64_t p1);
template <class T>
void adaptive_avg_generic(const T* x, T* y, const Geom& g, int64_t p0, int64_t p1);
template <class T>
void adaptive_avg_backward_generic(const T* gy, T* gx, const Geom& g, int64_t p0, int64_t p1);

inline int64_t adaptive_start(int64_t o, int64_t on, int64_t n) { return (o * n) / on; }
inline int64_t adaptive_end(int64_t o, int64_t on, int64_t n) { return ((o + 1) * n + on - 1) / on; }

// ---- the specialised 1x2 / 2x2, stride-2-across, unpadded windows that lie inside
// the input (pool_fast_kernels.h, one build per ISA). Rows oh*sh (and oh*sh + 1).
struct FastKernels {
  void (*max_f32)(const float* x, float* y, int64_t* idx, const Geom& g, int64_t p0, int64_t p1);
  void (*max_f64)(const double* x, double* y, int64_t* idx, const Geom& g, int64_t p0, int64_t p1);
  void (*avg_f32)(const float* x, float* y, const Geom& g, float divisor, int64_t p0, int64_t p1);
  void (*avg_f64)(const double* x, double* y, const Geom& g, double divisor, int64_t p0, int64_t p1);
  // Input grad (P, H, W) of avg: zeroed, then grad / divisor under each window.
  void (*avg_bwd_f32)(const float* gy, float* gx, const Geom& g, float divisor, int64_t p0, int64_t p1);
  void (*avg_bwd_f64)(const double* gy, double* gx, const Geom& g, double divisor, int64_t p0, int64_t p1);
};
const FastKernels& fast_kernels_scalar();
const FastKernels& fast_kernels_avx2();
const FastKernels& fast_kernels_avx512();
// The build for simd_level().
const FastKernels& fast_kernels();
// True when g is a 1x2 or 2x2 window with stride 2 across, no padding, no dilation,
// every window inside the input.
bool fast_geometry(const Geom& g);

}  // namespace pool_detail
}  // namespace ember
