// adaptive_pool_cpu.cpp — adaptive max / average pooling, as torch's CPU kernels:
// output o of `on` over `n` inputs pools [floor(o*n/on), ceil((o+1)*n/on)), so
// windows overlap when on does not divide n. Max: first maximum wins ties, NaN
// takes over (as max_pool). Average: sum / kh / kw (two divisions, torch's order);
// its backward adds grad / kh / kw over the window.
// Layout: contiguous planes (P, H, W) <-> (P, OH, OW); indices flat per plane.
#include <cmath>
#include <cstring>
#include <limits>

#include "pool_kernels.h"

namespace ember {
namespace pool_detail {

template <class T>
void adaptive_max_generic(const T* x, T* y, int64_t* idx, const Geom& g, int64_t p0, int64_t p1) {
  const int64_t plane = g.H * g.W, oplane = g.OH * g.OW;
  for (int64_t p = p0; p < p1; ++p) {
    const T* xp = x + p * plane;
    for (int64_t oh = 0; oh < g.OH; ++oh) {
      const int64_t h0 = adaptive_start(oh, g.OH, g.H), h1 = adaptive_end(oh, g.OH, g.H);
      for (int64_t ow = 0; ow < g.OW; ++ow) {
        const int64_t w0 = adaptive_start(ow, g.OW, g.W), w1 = adaptive_end(ow, g.OW, g.W);
        int64_t best_i = h0 * g.W + w0;
        T best = -std::numeric_limits<T>::infinity();
        for (int64_t h = h0; h < h1; ++h) {
          for (int64_t w = w0; w < w1; ++w) {
            const T v = xp[h * g.W + w];
            if (v > best || std::isnan(v)) {
              best = v;
              best_i = h * g.W + w;
            }
          }
        }
        y[p * oplane + oh * g.OW + ow] = best;
        if (idx) idx[p * oplane + oh * g.OW + ow] = best_i;
      }
    }
  }
}

template <class T>
void adaptive_avg_generic(const T* x, T* y, const Geom& g, int64_t p0, int64_t p1) {
  const int64_t plane = g.H * g.W, oplane = g.OH * g.OW;
  for (int64_t p = p0; p < p1; ++p) {
    const T* xp = x + p * plane;
    for (int64_t oh = 0; oh < g.OH; ++oh) {
      const int64_t h0 = adaptive_start(oh, g.OH, g.H), h1 = adaptive_end(oh, g.OH, g.H);
      for (int64_t ow = 0; ow < g.OW; ++ow) {
        const int64_t w0 = adaptive_start(ow, g.OW, g.W), w1 = adaptive_end(ow, g.OW, g.W);
        T sum = 0;
        for (int64_t h = h0; h < h1; ++h)
          for (int64_t w = w0; w < w1; ++w) sum += xp[h * g.W + w];
        y[p * oplane + oh * g.OW + ow] = sum / static_cast<T>(h1 - h0) / static_cast<T>(w1 - w0);
      }
    }
  }
}

template <class T>
void adaptive_avg_backward_generic(const T* gy, T* gx, const Geom& g, int64_t p0, int64_t p1) {
  const int64_t plane = g.H * g.W, oplane = g.OH * g.OW;
  for (int64_t p = p0; p < p1; ++p) {
    T* gp = gx + p * plane;
    std::memset(gp, 0, sizeof(T) * plane);
    for (int64_t oh = 0; oh < g.OH; ++oh) {
      const int64_t h0 = adaptive_start(oh, g.OH, g.H), h1 = adaptive_end(oh, g.OH, g.H);
      for (int64_t ow = 0; ow < g.OW; ++ow) {
        const int64_t w0 = adaptive_start(ow, g.OW, g.W), w1 = adaptive_end(ow, g.OW, g.W);
        const T d = gy[p * oplane + oh * g.OW + ow] / static_cast<T>(h1 - h0) / static_cast<T>(w1 - w0);
        for (int64_t h = h0; h < h1; ++h)
          for (int64_t w = w0; w < w1; ++w) gp[h * g.W + w] += d;
      }
    }
  }
}

template void adaptive_max_generic<float>(const float*, float*, int64_t*, const Geom&, int64_t, int64_t);
template void adaptive_max_generic<double>(const double*, double*, int64_t*, const Geom&, int64_t, int64_t);
template void adaptive_avg_generic<float>(const float*, float*, const Geom&, int64_t, int64_t);
template void adaptive_avg_generic<double>(const double*, double*, const Geom&, int64_t, int64_t);
template void adaptive_avg_backward_generic<float>(const float*, float*, const Geom&, int64_t, int64_t);
template void adaptive_avg_backward_generic<double>(const double*, double*, const Geom&, int64_t, int64_t);

}  // namespace pool_detail
}  // namespace ember
