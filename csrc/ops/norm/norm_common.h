// norm_common.h — argument checks and small helpers shared by the normalisation
// op files (batch_norm_cpu.cpp, layer_norm_cpu.cpp, group_norm_cpu.cpp, lrn_cpu.cpp).
#pragma once
#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "core/parallel.h"
#include "norm.h"
#include "norm_kernels.h"

namespace ember {
namespace norm_detail {

// x must be a defined floating array (any device: the devices are checked by
// check_same_device).
void check_input(const Array& x, const char* op, const char* what);
// Every defined array of `others` on x's device, else
// "[op] expected all tensors on the same device, got cpu and cuda:0".
void check_same_device(const char* op, const Array& x, std::initializer_list<const Array*> others);
inline const Array* opt_ptr(const OptArray& p) { return p && p->defined() ? &*p : nullptr; }
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

// ---- CUDA paths (norm.cpp, kernels in norm_*_cuda.cu), called by the op files after
// their argument checks: w / b are the parameters as param() returns them (compute
// dtype, flat) or undefined; outputs as the CPU's (y / dx in x's dtype, float64
// statistics, parameter grads in dtype pd).
std::tuple<Array, Array, Array> batch_norm_cuda(const Array& x, const Array& w, const Array& b, const Array& rm,
                                                const Array& rv, bool training, double momentum, double eps,
                                                int64_t N, int64_t C, int64_t S);
std::tuple<Array, Array, Array> batch_norm_backward_cuda(const Array& grad, const Array& x, const OptArray& weight,
                                                         const Array& mean, const Array& invstd, bool training,
                                                         GradMask mask, DType pd, int64_t N, int64_t C, int64_t S);
std::tuple<Array, Array, Array> layer_norm_cuda(const Array& x, const Array& w, const Array& b, double eps, bool rms,
                                                const Shape& lead, int64_t R, int64_t D);
std::tuple<Array, Array, Array> layer_norm_backward_cuda(const Array& grad, const Array& x, const Array& mean,
                                                         const Array& rstd, const Array& w, bool rms, GradMask mask,
                                                         DType pd, const std::vector<int64_t>& normalized_shape,
                                                         int64_t R, int64_t D);
// Returns y, mean (N, G), rstd (N, G) and, when want_var, the biased var (N*G,).
std::vector<Array> group_norm_cuda(const Array& x, const Array& w, const Array& b, double eps, int64_t N, int64_t C,
                                   int64_t S, int64_t G, bool want_var);
std::tuple<Array, Array, Array> group_norm_backward_cuda(const Array& grad, const Array& x, const Array& mean,
                                                         const Array& rstd, const Array& w, GradMask mask, DType pd,
                                                         int64_t N, int64_t C, int64_t S, int64_t G);
// r = (1 - momentum) * r + momentum * stat in place; stat float64 (r.numel(),) on r's device.
void update_running_cuda(const Array& r, const Array& stat, double momentum);
// Instance norm's running stats from the per-(n, c) mean / biased var (float64).
void instance_running_cuda(const OptArray& rm, const OptArray& rv, const Array& mean, const Array& var, int64_t N,
                           int64_t C, int64_t S, double momentum);

template <class F>
inline void dispatch(DType cd, const F& f) {
  if (cd == DType::Float64)
    f(double{});
  else
    f(float{});
}

}  // namespace norm_detail
}  // namespace ember
