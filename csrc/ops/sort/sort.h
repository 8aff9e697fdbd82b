// sort.h — the sort op family: sort/argsort, topk, kthvalue, median, unique.
// Indices are int64. NaN orders as the largest value (torch's rule).
#pragma once
#include <tuple>
#include <utility>

#include "core/array.h"

namespace ember {

// Stable: equal keys keep their input order (descending included).
std::pair<Array, Array> sort(const Array& self, int64_t dim, bool descending);
std::pair<Array, Array> topk(const Array& self, int64_t k, int64_t dim, bool largest, bool sorted);
std::pair<Array, Array> kthvalue(const Array& self, int64_t k, int64_t dim, bool keepdim);
// The lower median; a slice holding NaN gives NaN (and the first NaN's index).
std::pair<Array, Array> median(const Array& self, int64_t dim, bool keepdim);
Array median_all(const Array& self);
// Sorted unique values of the flattened input, the inverse map (self's shape) and counts.
std::tuple<Array, Array, Array> unique(const Array& self, bool return_inverse, bool return_counts);

}  // namespace ember
