// interp_kernels.h — internal: the separable resampling engine behind interpolate.
//
// Every mode is a linear map applied one spatial dim at a time: output j of a dim
// is sum_t w[j][t] * input[idx[j][t]] over count[j] taps (nearest: 1 tap of weight
// 1; linear: 2; cubic: 4 with clamped indices; antialiased: a variable window).
// A dim is resampled on a contiguous (outer, in, inner) view into (outer, out,
// inner); the backward is the transpose (scatter-add of w * grad).
#pragma once
#include <cstdint>
#include <vector>

namespace ember {
namespace pool_detail {

template <class T>
struct InterpTable {
  int64_t in = 0, out = 0, taps = 1;
  bool identity = false;     // output j is input j: the dim is skipped
  std::vector<int64_t> idx;  // out * taps
  std::vector<T> w;          // out * taps
  std::vector<int64_t> count;
};

// y (outer, t.out, inner) from x (outer, t.in, inner); threads split outer.
template <class T>
void resample_dim(const T* x, T* y, int64_t outer, int64_t inner, const InterpTable<T>& t);
// gx (outer, t.in, inner) = transpose of resample_dim applied to gy (outer, t.out, inner).
template <class T>
void resample_dim_backward(const T* gy, T* gx, int64_t outer, int64_t inner, const InterpTable<T>& t);

}  // namespace pool_detail
}  // namespace ember
