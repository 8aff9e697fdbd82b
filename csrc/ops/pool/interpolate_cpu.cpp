// interpolate_cpu.cpp — the separable resampling engine (interp_kernels.h): one
// dim of a contiguous (outer, in, inner) array at a time. inner == 1 (the last dim)
// gathers taps per output element; inner > 1 combines whole rows of `inner`
// elements, a loop the compiler vectorises. Taps are summed in order from
// w[0] * x[idx[0]], torch's order. The backward zeroes the input grad and adds
// w * grad into the tapped rows; threads split `outer`, so no two write one row.
#include <algorithm>
#include <cstring>

#include "core/parallel.h"
#include "interp_kernels.h"

namespace ember {
namespace pool_detail {

template <class T>
void resample_dim(const T* x, T* y, int64_t outer, int64_t inner, const InterpTable<T>& t) {
  const int64_t in = t.in, out = t.out, taps = t.taps;
  const int64_t* idx = t.idx.data();
  const T* w = t.w.data();
  const int64_t* cnt = t.count.data();
  const int64_t grain = std::max<int64_t>(1, 32768 / std::max<int64_t>(1, out * inner * taps));
  parallel_for(0, outer, grain, [&](int64_t b, int64_t e) {
    for (int64_t o = b; o < e; ++o) {
      const T* xo = x + o * in * inner;
      T* yo = y + o * out * inner;
      if (inner == 1) {
        for (int64_t j = 0; j < out; ++j) {
          const int64_t* ij = idx + j * taps;
          const T* wj = w + j * taps;
          T acc = wj[0] * xo[ij[0]];
          for (int64_t k = 1; k < cnt[j]; ++k) acc += wj[k] * xo[ij[k]];
          yo[j] = acc;
        }
        continue;
      }
      for (int64_t j = 0; j < out; ++j) {
        const int64_t* ij = idx + j * taps;
        const T* wj = w + j * taps;
        T* yr = yo + j * inner;
        const T* x0 = xo + ij[0] * inner;
        const T w0 = wj[0];
        for (int64_t c = 0; c < inner; ++c) yr[c] = w0 * x0[c];
        for (int64_t k = 1; k < cnt[j]; ++k) {
          const T* xk = xo + ij[k] * inner;
          const T wk = wj[k];
          for (int64_t c = 0; c < inner; ++c) yr[c] += wk * xk[c];
        }
      }
    }
  });
}

template <class T>
void resample_dim_backward(const T* gy, T* gx, int64_t outer, int64_t inner, const InterpTable<T>& t) {
  const int64_t in = t.in, out = t.out, taps = t.taps;
  const int64_t* idx = t.idx.data();
  const T* w = t.w.data();
  const int64_t* cnt = t.count.data();
  const int64_t grain = std::max<int64_t>(1, 32768 / std::max<int64_t>(1, (out * taps + in) * inner));
  parallel_for(0, outer, grain, [&](int64_t b, int64_t e) {
    for (int64_t o = b; o < e; ++o) {
      T* go = gx + o * in * inner;
      const T* yo = gy + o * out * inner;
      std::memset(go, 0, sizeof(T) * in * inner);
      if (inner == 1) {
        for (int64_t j = 0; j < out; ++j) {
          const int64_t* ij = idx + j * taps;
          const T* wj = w + j * taps;
          const T g = yo[j];
          for (int64_t k = 0; k < cnt[j]; ++k) go[ij[k]] += wj[k] * g;
        }
        continue;
      }
      for (int64_t j = 0; j < out; ++j) {
        const int64_t* ij = idx + j * taps;
        const T* wj = w + j * taps;
        const T* yr = yo + j * inner;
        for (int64_t k = 0; k < cnt[j]; ++k) {
          T* gr = go + ij[k] * inner;
          const T wk = wj[k];
          for (int64_t c = 0; c < inner; ++c) gr[c] += wk * yr[c];
        }
      }
    }
  });
}

template void resample_dim<float>(const float*, float*, int64_t, int64_t, const InterpTable<float>&);
template void resample_dim<double>(const double*, double*, int64_t, int64_t, const InterpTable<double>&);
template void resample_dim_backward<float>(const float*, float*, int64_t, int64_t, const InterpTable<float>&);
template void resample_dim_backward<double>(const double*, double*, int64_t, int64_t, const InterpTable<double>&);

}  // namespace pool_detail
}  // namespace ember
