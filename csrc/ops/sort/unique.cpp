// unique.cpp — sorted unique values of the flattened input, with the inverse
// map and per-value counts. The flattened keys are stable-sorted once; runs of
// equal keys become one output value (NaN never equals NaN, so each NaN stays
// its own value, as in torch).
#include <numeric>

#include "sort.h"
#include "sort_cuda.h"
#include "sort_util.h"

namespace ember {

std::tuple<Array, Array, Array> unique(const Array& self, bool return_inverse, bool return_counts) {
  if (self.device().is_cuda()) return cuda_kernels::sort_unique("unique")(self, return_inverse, return_counts);
  Array flat = self.reshape({-1}).contiguous();
  const int64_t n = flat.numel();
  Array values, inverse, counts;
  EMBER_DISPATCH_ALL(self.dtype(), "unique", [&] {
    using T = scalar_t;
    using K = compute_t<T>;
    const T* p = flat.data<T>();
    std::vector<K> keys;
    sorting::load_keys(p, n, 1, keys);
    std::vector<int64_t> perm(n);
    std::iota(perm.begin(), perm.end(), 0);
    std::stable_sort(perm.begin(), perm.end(), [&](int64_t x, int64_t y) { return sorting::less_nan(keys[x], keys[y]); });
    std::vector<int64_t> starts;
    for (int64_t j = 0; j < n; ++j)
      if (j == 0 || !(keys[perm[j]] == keys[perm[j - 1]])) starts.push_back(j);
    const int64_t u = static_cast<int64_t>(starts.size());
    values = Array::empty({u}, self.dtype());
    counts = Array::empty({return_counts ? u : 0}, DType::Int64);
    inverse = Array::empty(return_inverse ? self.shape() : Shape{0}, DType::Int64);
    T* vo = values.data<T>();
    for (int64_t g = 0; g < u; ++g) {
      const int64_t b = starts[g], e = g + 1 < u ? starts[g + 1] : n;
      vo[g] = p[perm[b]];
      if (return_counts) counts.data<int64_t>()[g] = e - b;
      if (return_inverse)
        for (int64_t j = b; j < e; ++j) inverse.data<int64_t>()[perm[j]] = g;
    }
  });
  return {values, inverse, counts};
}

}  // namespace ember
