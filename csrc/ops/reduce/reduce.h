// reduce.h — the reduction op family: sums, extrema, statistics, norms, scans.
//
// Dims: `dims` empty means every dim (PyTorch's dim=None / dim=[]); negative dims
// wrap; keepdim keeps reduced dims as size 1. Outputs are fresh contiguous arrays.
// dtype rules follow PyTorch: sum/prod/cumsum of bool or integers give int64,
// an explicit dtype casts the input first; mean/var/std/norm/logsumexp need a
// floating input.
#pragma once
#include <optional>
#include <utility>
#include <vector>

#include "core/array.h"

namespace ember {

using Dims = std::vector<int64_t>;

Array sum(const Array& a, const Dims& dims, bool keepdim, std::optional<DType> dtype);
Array mean(const Array& a, const Dims& dims, bool keepdim, std::optional<DType> dtype);
Array nansum(const Array& a, const Dims& dims, bool keepdim, std::optional<DType> dtype);
Array nanmean(const Array& a, const Dims& dims, bool keepdim, std::optional<DType> dtype);
Array prod(const Array& a, const Dims& dims, bool keepdim, std::optional<DType> dtype);

// Values only; NaN wins. An empty reduction is an error (no identity).
Array amax(const Array& a, const Dims& dims, bool keepdim);
Array amin(const Array& a, const Dims& dims, bool keepdim);
// (values, int64 indices) along one dim; first occurrence on ties, first NaN wins.
std::pair<Array, Array> max_dim(const Array& a, int64_t dim, bool keepdim);
std::pair<Array, Array> min_dim(const Array& a, int64_t dim, bool keepdim);
// No dim: the index into the flattened input.
Array argmax(const Array& a, std::optional<int64_t> dim, bool keepdim);
Array argmin(const Array& a, std::optional<int64_t> dim, bool keepdim);

// Divisor max(0, N - correction).
Array var(const Array& a, const Dims& dims, double correction, bool keepdim);
Array std_(const Array& a, const Dims& dims, double correction, bool keepdim);
std::pair<Array, Array> var_mean(const Array& a, const Dims& dims, double correction, bool keepdim);
std::pair<Array, Array> std_mean(const Array& a, const Dims& dims, double correction, bool keepdim);

// linalg.vector_norm: p = 0 (count), 1, 2, +-inf, or any other p.
Array vector_norm(const Array& a, double p, const Dims& dims, bool keepdim, std::optional<DType> dtype);
Array logsumexp(const Array& a, const Dims& dims, bool keepdim);

Array all(const Array& a, const Dims& dims, bool keepdim);
Array any(const Array& a, const Dims& dims, bool keepdim);
Array count_nonzero(const Array& a, const Dims& dims);

Array cumsum(const Array& a, int64_t dim, std::optional<DType> dtype);
Array cumprod(const Array& a, int64_t dim, std::optional<DType> dtype);

}  // namespace ember
