// sort.cpp — sort (stable, ascending or descending) along one dim.
// Each slice's keys are loaded into a buffer (compute type: float for 16-bit
// floats), a permutation is stable-sorted by key (NaN largest), and values and
// indices are written to contiguous outputs. Slices run in parallel.
#include <numeric>

#include "sort.h"
#include "sort_util.h"

namespace ember {

std::pair<Array, Array> sort(const Array& self_in, int64_t dim, bool descending) {
  EMBER_CHECK(self_in.device().is_cpu(), Runtime, "[sort] ", self_in.device().str(), " tensors are not supported yet");
  Array self = self_in.ndim() == 0 ? self_in.reshape({1}) : self_in;
  dim = wrap_dim(dim, self.ndim(), "sort");
  Array values = Array::empty(self.shape(), self.dtype(), self.device());
  Array indices = Array::empty(self.shape(), DType::Int64, self.device());
  const int64_t n = self.shape()[dim];
  if (self.numel() > 0) {
    std::vector<int64_t> in_off = sorting::slice_offsets(self, dim), out_off = sorting::slice_offsets(values, dim);
    const int64_t ist = self.strides()[dim], ost = values.strides()[dim];
    EMBER_DISPATCH_ALL(self.dtype(), "sort", [&] {
      using T = scalar_t;
      using K = compute_t<T>;
      const T* src = self.data<T>();
      T* vo = values.data<T>();
      int64_t* io = indices.data<int64_t>();
      sorting::for_slices(static_cast<int64_t>(in_off.size()), n, [&](int64_t b, int64_t e) {
        std::vector<K> keys;
        std::vector<int64_t> perm(n);
        for (int64_t s = b; s < e; ++s) {
          const T* p = src + in_off[s];
          sorting::load_keys(p, n, ist, keys);
          std::iota(perm.begin(), perm.end(), 0);
          if (descending)
            std::stable_sort(perm.begin(), perm.end(), [&](int64_t x, int64_t y) { return sorting::greater_nan(keys[x], keys[y]); });
          else
            std::stable_sort(perm.begin(), perm.end(), [&](int64_t x, int64_t y) { return sorting::less_nan(keys[x], keys[y]); });
          T* vw = vo + out_off[s];
          int64_t* iw = io + out_off[s];
          for (int64_t j = 0; j < n; ++j) {
            vw[j * ost] = p[perm[j] * ist];
            iw[j * ost] = perm[j];
          }
        }
      });
    });
  }
  if (self_in.ndim() == 0) return {values.reshape({}), indices.reshape({})};
  return {values, indices};
}

}  // namespace ember
