// norm_common.h — argument checks and small helpers shared by the normalisation
// op files (batch_norm_cpu.cpp, layer_norm_cpu.cpp, group_norm_cpu.cpp, lrn_cpu.cpp).
#pragma once
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "core/parallel.h"
#include "norm.h"
#include "norm_kernels.h"

namespace ember {
namespace norm_detail {

// x must be a floating CPU array; a CUDA array gets "[op] no CUDA kernel yet".
void check_input(const Array& x, const char* op, const char* what);
// float64 stays, everything else (float32, float16, bfloat16) is computed in float32.
inline DType compute_dtype(DType d) { return d == DType::Float64 ? DType::Float64 : DType::Float32; }
// An optional per-channel/element parameter as a contiguous flat array of dtype cd,
// checked to hold n elements: "[op] weight should contain 3 elements not 4".
// Undefined when p is absent.
Array param(const OptArray& p, int64_t n, DType cd, const char* op, const char* what);
// A float64 (n,) array's data, or null for an undefined array.
inline const double* f64_or_null(const Array& a) { return a.defined() ? a.data<double>() : nullptr; }
template <class T>
inline const T* data_or_null(const Array& a) {
  return a.defined() ? a.data<T>() : nullptr;
}
// Work split into at most get_num_threads() chunks of >= grain items.
inline int64_t num_chunks(int64_t n, int64_t grain) {
  const int64_t c = (n + grain - 1) / std::max<int64_t>(1, grain);
  const int64_t t = in_parallel_region() ? 1 : get_num_threads();
  return std::max<int64_t>(1, std::min(c, t));
}
// r = (1 - momentum) * r + momentum * v in place (r of any float dtype and
// layout, v float64 of r's numel); bumps r's version like torch's in-place update.
void update_running(const Array& r, const std::vector<double>& v, double momentum);
// Casts a result back to the input's dtype (float16/bfloat16 inputs).
inline Array cast_back(const Array& a, DType d) { return a.dtype() == d ? a : a.to(d); }

// "[2, 3, 4]": torch's list style, for messages that quote torch's wording.
inline std::string list_str(const std::vector<int64_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + "]";
}

template <class F>
inline void dispatch(DType cd, const F& f) {
  if (cd == DType::Float64)
    f(double{});
  else
    f(float{});
}

}  // namespace norm_detail
}  // namespace ember
