// avg_pool_cpu.cpp — the generic average-pooling loops, forward and backward, as
// torch's CPU kernel: a window is first clipped to the padded input (its size there
// is the count_include_pad divisor), then to the input (the divisor without padding);
// divisor_override replaces both. A window with no input element gives 0.
// Backward spreads grad / divisor evenly over the clipped window (the adjoint).
// Layout: contiguous planes (P, H, W) <-> (P, OH, OW).
#include <algorithm>
#include <cstring>

#include "pool_kernels.h"

namespace ember {
namespace pool_detail {
namespace {

struct Window {
  int64_t h0, h1, w0, w1, divisor;
  bool empty() const { return h0 >= h1 || w0 >= w1; }
};

inline Window window(const Geom& g, int64_t oh, int64_t ow, bool count_include_pad, int64_t divisor_override) {
  Window r;
  r.h0 = oh * g.sh - g.ph;
  r.w0 = ow * g.sw - g.pw;
  r.h1 = std::min(r.h0 + g.kh, g.H + g.ph);
  r.w1 = std::min(r.w0 + g.kw, g.W + g.pw);
  const int64_t padded = (r.h1 - r.h0) * (r.w1 - r.w0);
  r.h0 = std::max<int64_t>(r.h0, 0);
  r.w0 = std::max<int64_t>(r.w0, 0);
  r.h1 = std::min(r.h1, g.H);
  r.w1 = std::min(r.w1, g.W);
  r.divisor = divisor_override ? divisor_override : count_include_pad ? padded : (r.h1 - r.h0) * (r.w1 - r.w0);
  return r;
}

}  // namespace

template <class T>
void avg_pool_generic(const T* x, T* y, const Geom& g, bool count_include_pad, int64_t divisor, int64_t p0,
                      int64_t p1) {
  const int64_t plane = g.H * g.W, oplane = g.OH * g.OW;
  for (int64_t p = p0; p < p1; ++p) {
    const T* xp = x + p * plane;
    T* yp = y + p * oplane;
    for (int64_t oh = 0; oh < g.OH; ++oh) {
      for (int64_t ow = 0; ow < g.OW; ++ow) {
        const Window r = window(g, oh, ow, count_include_pad, divisor);
        if (r.empty()) {
          yp[oh * g.OW + ow] = T(0);
          continue;
        }
        T sum = 0;
        for (int64_t h = r.h0; h < r.h1; ++h)
          for (int64_t w = r.w0; w < r.w1; ++w) sum += xp[h * g.W + w];
        yp[oh * g.OW + ow] = sum / static_cast<T>(r.divisor);
      }
    }
  }
}

template <class T>
void avg_pool_backward_generic(const T* gy, T* gx, const Geom& g, bool count_include_pad, int64_t divisor,
                               int64_t p0, int64_t p1) {
  const int64_t plane = g.H * g.W, oplane = g.OH * g.OW;
  for (int64_t p = p0; p < p1; ++p) {
    T* gp = gx + p * plane;
    const T* yp = gy + p * oplane;
    std::memset(gp, 0, sizeof(T) * plane);
    for (int64_t oh = 0; oh < g.OH; ++oh) {
      for (int64_t ow = 0; ow < g.OW; ++ow) {
        const Window r = window(g, oh, ow, count_include_pad, divisor);
        if (r.empty()) continue;
        const T d = yp[oh * g.OW + ow] / static_cast<T>(r.divisor);
        for (int64_t h = r.h0; h < r.h1; ++h)
          for (int64_t w = r.w0; w < r.w1; ++w) gp[h * g.W + w] += d;
      }
    }
  }
}

template void avg_pool_generic<float>(const float*, float*, const Geom&, bool, int64_t, int64_t, int64_t);
template void avg_pool_generic<double>(const double*, double*, const Geom&, bool, int64_t, int64_t, int64_t);
template void avg_pool_backward_generic<float>(const float*, float*, const Geom&, bool, int64_t, int64_t, int64_t);
template void avg_pool_backward_generic<double>(const double*, double*, const Geom&, bool, int64_t, int64_t,
                                                int64_t);

}  // namespace pool_detail
}  // namespace ember
