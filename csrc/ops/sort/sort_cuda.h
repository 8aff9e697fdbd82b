// sort_cuda.h — the sort family's CUDA kernel (sort, argsort, topk, kthvalue,
// median), an entry of the kernel table (core/cuda_kernel.h).
#pragma once
#include <cstdint>
#include <tuple>

#include "core/array.h"
#include "core/cuda_kernel.h"

namespace ember {
namespace sort_cuda {
// What sort_select writes per slice along dim (m = values.shape()[dim]):
enum Mode : int {
  kFirst = 0,   // sort / topk: the first m entries of the stable order
  kRank = 1,    // kthvalue: the entry of rank k (0-based, ascending), m == 1
  kMedian = 2,  // median: rank (n - 1) / 2, or the first NaN (input order) if any, m == 1
};
using UniqueResult = std::tuple<Array, Array, Array>;
}  // namespace sort_cuda
}  // namespace ember

// Stable sort of every slice of self (any dtype, any strides) along dim,
// ascending or descending, NaN the largest value (torch's order); -0.0 == 0.0.
// values (self's dtype) and indices (int64) are contiguous, self's shape but
// for dim (size m); they receive the entries chosen by mode (see above).
EMBER_CUDA_KERNEL(sort_select, void,
                  (const Array& self, int64_t dim, bool descending, int mode, int64_t k, const Array& values,
                   const Array& indices));

// unique of the flattened self: (sorted unique values, inverse (self's shape or
// (0,)), counts ((u,) or (0,))), as sort.h's unique (NaN never equals NaN, -0.0 ==
// 0.0). The result size depends on the data: one host synchronisation.
EMBER_CUDA_KERNEL(sort_unique, ember::sort_cuda::UniqueResult,
                  (const Array& self, bool return_inverse, bool return_counts));
