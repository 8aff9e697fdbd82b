// max_pool_cpu.cpp — the generic max-pooling window loop (any kernel, stride,
// padding, dilation, ceil_mode), one output at a time, as torch's CPU kernel: the
// window is clipped to the input (padding acts as -inf), the first maximum in
// row-major window order wins ties (strict >), and a NaN always takes over, so a
// window holding NaNs yields NaN and the index of its last NaN. A window of only
// -inf points at its first in-bounds element.
// Layout: contiguous planes (P, H, W) -> (P, OH, OW); indices flat per plane.
#include <algorithm>
#include <cmath>
#include <limits>

#include "pool_kernels.h"

namespace ember {
namespace pool_detail {

template <class T>
void max_pool_generic(const T* x, T* y, int64_t* idx, const Geom& g, int64_t p0, int64_t p1) {
  const int64_t plane = g.H * g.W, oplane = g.OH * g.OW;
  for (int64_t p = p0; p < p1; ++p) {
    const T* xp = x + p * plane;
    T* yp = y + p * oplane;
    int64_t* ip = idx ? idx + p * oplane : nullptr;
    for (int64_t oh = 0; oh < g.OH; ++oh) {
      int64_t h0 = oh * g.sh - g.ph;
      const int64_t h1 = std::min(h0 + (g.kh - 1) * g.dh + 1, g.H);
      while (h0 < 0) h0 += g.dh;
      for (int64_t ow = 0; ow < g.OW; ++ow) {
        int64_t w0 = ow * g.sw - g.pw;
        const int64_t w1 = std::min(w0 + (g.kw - 1) * g.dw + 1, g.W);
        while (w0 < 0) w0 += g.dw;
        int64_t best_i = h0 * g.W + w0;
        T best = -std::numeric_limits<T>::infinity();
        for (int64_t h = h0; h < h1; h += g.dh) {
          const T* row = xp + h * g.W;
          for (int64_t w = w0; w < w1; w += g.dw) {
            const T v = row[w];
            if (v > best || std::isnan(v)) {
              best = v;
              best_i = h * g.W + w;
            }
          }
        }
        yp[oh * g.OW + ow] = best;
        if (ip) ip[oh * g.OW + ow] = best_i;
      }
    }
  }
}

template void max_pool_generic<float>(const float*, float*, int64_t*, const Geom&, int64_t, int64_t);
template void max_pool_generic<double>(const double*, double*, int64_t*, const Geom&, int64_t, int64_t);

}  // namespace pool_detail
}  // namespace ember
