// select.cpp — order statistics along one dim: topk (partial sort), kthvalue and
// median (nth_element). Per slice a permutation is partially ordered by key with
// NaN as the largest value and ties broken by index, so results are
// deterministic. Slices run in parallel.
#include <numeric>

#include "sort.h"
#include "sort_cuda.h"
#include "sort_util.h"

namespace ember {
namespace {

Shape reduced_shape(const Shape& s, int64_t dim, bool keepdim) {
  Shape out = s;
  if (keepdim) out[dim] = 1;
  else out.erase(out.begin() + dim);
  return out;
}

// Selects the k-th smallest (0-based) of every slice; median mode returns the
// first NaN instead when the slice holds one.
std::pair<Array, Array> kth_impl(const Array& self_in, int64_t k, int64_t dim, bool keepdim, bool median,
                                 const char* op) {
  Array self = self_in.ndim() == 0 ? self_in.reshape({1}) : self_in;
  dim = wrap_dim(dim, self.ndim(), op);
  const int64_t n = self.shape()[dim];
  if (median) {
    EMBER_CHECK(n > 0, Index, "[", op, "] cannot compute the median of an empty dim ", dim, " of shape ", shape_str(self_in.shape()));
    k = (n - 1) / 2;
  } else {
    EMBER_CHECK(k >= 1 && k <= n, Runtime, "[", op, "] k ", k, " is out of range for dim ", dim, " of size ", n);
    k -= 1;
  }
  Shape kshape = reduced_shape(self.shape(), dim, true);
  Array values = Array::empty(kshape, self.dtype(), self.device());
  Array indices = Array::empty(kshape, DType::Int64, self.device());
  if (self.device().is_cuda()) {
    if (values.numel() > 0)
      cuda_kernels::sort_select(op)(self, dim, false, median ? sort_cuda::kMedian : sort_cuda::kRank, k, values,
                                    indices);
  } else if (values.numel() > 0) {
    std::vector<int64_t> in_off = sorting::slice_offsets(self, dim);
    const int64_t ist = self.strides()[dim];
    EMBER_DISPATCH_ALL(self.dtype(), op, [&] {
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
          int64_t pick = -1;
          if (median)
            for (int64_t i = 0; i < n; ++i)
              if (sorting::isnan_(keys[i])) { pick = i; break; }
          if (pick < 0) {
            std::iota(perm.begin(), perm.end(), 0);
            std::nth_element(perm.begin(), perm.begin() + k, perm.end(), [&](int64_t x, int64_t y) {
              return sorting::less_nan(keys[x], keys[y]) || (!sorting::less_nan(keys[y], keys[x]) && x < y);
            });
            pick = perm[k];
          }
          vo[s] = p[pick * ist];
          io[s] = pick;
        }
      });
    });
  }
  Shape oshape = self_in.ndim() == 0 ? Shape{} : reduced_shape(self.shape(), dim, keepdim);
  return {values.view(oshape), indices.view(oshape)};
}

}  // namespace

std::pair<Array, Array> topk(const Array& self_in, int64_t k, int64_t dim, bool largest, bool sorted) {
  (void)sorted;  // always sorted: a valid answer for sorted=False too
  Array self = self_in.ndim() == 0 ? self_in.reshape({1}) : self_in;
  dim = wrap_dim(dim, self.ndim(), "topk");
  const int64_t n = self.shape()[dim];
  EMBER_CHECK(k >= 0 && k <= n, Runtime, "[topk] k ", k, " is out of range for dim ", dim, " of size ", n);
  Shape shape = self.shape();
  shape[dim] = k;
  Array values = Array::empty(shape, self.dtype(), self.device());
  Array indices = Array::empty(shape, DType::Int64, self.device());
  // Ties keep the lower index first, so the order is total and matches torch's.
  if (self.device().is_cuda()) {
    cuda_kernels::sort_select("topk")(self, dim, largest, sort_cuda::kFirst, 0, values, indices);
  } else {
    sorting::ordered_slices(self, values, indices, dim, "topk", [&](const auto& keys, std::vector<int64_t>& perm) {
      if (largest)
        std::partial_sort(perm.begin(), perm.begin() + k, perm.end(), [&](int64_t x, int64_t y) {
          return sorting::greater_nan(keys[x], keys[y]) || (!sorting::greater_nan(keys[y], keys[x]) && x < y);
        });
      else
        std::partial_sort(perm.begin(), perm.begin() + k, perm.end(), [&](int64_t x, int64_t y) {
          return sorting::less_nan(keys[x], keys[y]) || (!sorting::less_nan(keys[y], keys[x]) && x < y);
        });
    });
  }
  if (self_in.ndim() == 0) return {values.reshape(k ? Shape{} : Shape{0}), indices.reshape(k ? Shape{} : Shape{0})};
  return {values, indices};
}

std::pair<Array, Array> kthvalue(const Array& self, int64_t k, int64_t dim, bool keepdim) {
  return kth_impl(self, k, dim, keepdim, false, "kthvalue");
}

std::pair<Array, Array> median(const Array& self, int64_t dim, bool keepdim) {
  return kth_impl(self, 0, dim, keepdim, true, "median");
}

Array median_all(const Array& self) {
  EMBER_CHECK(self.numel() > 0, Value, "[median] cannot compute the median of an empty tensor");
  return kth_impl(self.reshape({-1}), 0, 0, false, true, "median").first;
}

}  // namespace ember
