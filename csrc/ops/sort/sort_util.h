// sort_util.h — helpers shared by the sort family: per-slice offsets, the
// NaN-aware orderings, and a parallel loop over the slices along one dim.
#pragma once
#include <algorithm>
#include <numeric>
#include <vector>

#include "core/array.h"
#include "core/parallel.h"

namespace ember {
namespace sorting {

// Element offset (from a.data_ptr()) of the start of each slice along dim, slices in row-major order.
inline std::vector<int64_t> slice_offsets(const Array& a, int64_t dim) {
  const int64_t nd = a.ndim();
  Shape sh, st;
  for (int64_t d = 0; d < nd; ++d)
    if (d != dim) {
      sh.push_back(a.shape()[d]);
      st.push_back(a.strides()[d]);
    }
  const int64_t outer = shape_numel(sh);
  std::vector<int64_t> offs(outer);
  if (outer == 0) return offs;
  std::vector<int64_t> coord(sh.size(), 0);
  int64_t off = 0;
  for (int64_t s = 0; s < outer; ++s) {
    offs[s] = off;
    for (int64_t d = static_cast<int64_t>(sh.size()) - 1; d >= 0; --d) {
      ++coord[d];
      off += st[d];
      if (coord[d] < sh[d]) break;
      off -= coord[d] * st[d];
      coord[d] = 0;
    }
  }
  return offs;
}

template <class K> inline bool isnan_(K x) { return x != x; }
// Ascending order with NaN last.
template <class K> inline bool less_nan(K a, K b) { return a < b || (isnan_(b) && !isnan_(a)); }
// Descending order with NaN first.
template <class K> inline bool greater_nan(K a, K b) { return a > b || (isnan_(a) && !isnan_(b)); }

// Loads the n keys of one slice (element stride `stride`) into keys.
template <class T>
inline void load_keys(const T* p, int64_t n, int64_t stride, std::vector<compute_t<T>>& keys) {
  keys.resize(n);
  for (int64_t i = 0; i < n; ++i) keys[i] = Cvt<T>::template load<compute_t<T>>(p[i * stride]);
}

// Calls f(slice, begin, end) for slices in parallel, ~16k elements per chunk.
template <class F>
inline void for_slices(int64_t outer, int64_t n, const F& f) {
  parallel_for(0, outer, std::max<int64_t>(1, 16384 / std::max<int64_t>(n, 1)), f);
}

// For each slice of self along dim: keys = the slice in compute precision, perm =
// 0..n-1, order(keys, perm) rearranges perm, and the first values.shape()[dim] entries
// are written as values (self's elements at perm) and indices (perm). The shared body
// of sort and topk; values / indices are fresh arrays shaped like self but for dim.
template <class Order>
void ordered_slices(const Array& self, const Array& values, const Array& indices, int64_t dim, const char* op,
                    const Order& order) {
  if (values.numel() == 0) return;
  const int64_t n = self.shape()[dim], m = values.shape()[dim];
  const std::vector<int64_t> in_off = slice_offsets(self, dim), out_off = slice_offsets(values, dim);
  const int64_t ist = self.strides()[dim], ost = values.strides()[dim];
  EMBER_DISPATCH_ALL(self.dtype(), op, [&] {
    using T = scalar_t;
    const T* src = self.data<T>();
    T* vo = values.data<T>();
    int64_t* io = indices.data<int64_t>();
    for_slices(static_cast<int64_t>(in_off.size()), n, [&](int64_t b, int64_t e) {
      std::vector<compute_t<T>> keys;
      std::vector<int64_t> perm(n);
      for (int64_t s = b; s < e; ++s) {
        const T* p = src + in_off[s];
        load_keys(p, n, ist, keys);
        std::iota(perm.begin(), perm.end(), 0);
        order(keys, perm);
        T* vw = vo + out_off[s];
        int64_t* iw = io + out_off[s];
        for (int64_t j = 0; j < m; ++j) {
          vw[j * ost] = p[perm[j] * ist];
          iw[j * ost] = perm[j];
        }
      }
    });
  });
}

}  // namespace sorting
}  // namespace ember
