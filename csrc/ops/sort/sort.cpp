// sort.cpp — sort (stable, ascending or descending) along one dim.
// Each slice's keys are loaded into a buffer (compute type: float for 16-bit
// floats), a permutation is stable-sorted by key (NaN largest), and values and
// indices are written to contiguous outputs. Slices run in parallel.
// CUDA: sort_cuda.cu (a CUB radix sort of every slice at once, same order).
#include <numeric>

#include "sort.h"
#include "sort_cuda.h"
#include "sort_util.h"

namespace ember {

std::pair<Array, Array> sort(const Array& self_in, int64_t dim, bool descending) {
  Array self = self_in.ndim() == 0 ? self_in.reshape({1}) : self_in;
  dim = wrap_dim(dim, self.ndim(), "sort");
  Array values = Array::empty(self.shape(), self.dtype(), self.device());
  Array indices = Array::empty(self.shape(), DType::Int64, self.device());
  if (self.device().is_cuda()) {
    cuda_kernels::sort_select("sort")(self, dim, descending, sort_cuda::kFirst, 0, values, indices);
  } else {
    sorting::ordered_slices(self, values, indices, dim, "sort", [&](const auto& keys, std::vector<int64_t>& perm) {
      if (descending)
        std::stable_sort(perm.begin(), perm.end(), [&](int64_t x, int64_t y) { return sorting::greater_nan(keys[x], keys[y]); });
      else
        std::stable_sort(perm.begin(), perm.end(), [&](int64_t x, int64_t y) { return sorting::less_nan(keys[x], keys[y]); });
    });
  }
  if (self_in.ndim() == 0) return {values.reshape({}), indices.reshape({})};
  return {values, indices};
}

}  // namespace ember
