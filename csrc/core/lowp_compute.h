// lowp_compute.h — "run in float32 and cast back": the CPU path of float16 /
// bfloat16 arrays through ops whose CPU kernels exist for float32 / float64 only
// (pooling, interpolation, max-unpool scatter/gather, recurrent layers).
//
// What: each float16/bfloat16 argument is widened to float32 (Array::to, ember's
// copy/cast kernel), the op's float32 kernels run, and every float32 result is
// rounded back to the input's dtype once (round to nearest even). Results of other
// dtypes (the int64 indices of max pooling) come back unchanged. This is what
// PyTorch's CPU kernels compute for these ops (float accumulation, one rounding at
// the end), without instantiating every kernel for two more dtypes.
//
// How an op uses it, first thing in its host function (after the checks that
// compare several arrays' dtypes, which the widening would hide):
//
//   if (lowp::on_cpu(x)) return lowp::in_float32(x.dtype(), max_pool, x, p, with_indices);
//
// in_float32 calls the op again on the widened arguments (Array, optional<Array>
// and vector<Array> arguments are widened, anything else is passed through) and
// narrows the result (an Array, optional, vector or tuple of them). CUDA arrays
// never take this path: the CUDA kernels that serve float16/bfloat16 do so natively.
#pragma once
#include <optional>
#include <tuple>
#include <utility>
#include <vector>

#include "array.h"

namespace ember {
namespace lowp {

inline bool is_lowp(DType d) { return d == DType::Float16 || d == DType::BFloat16; }

// A float16 / bfloat16 CPU array: the op runs on float32 copies.
inline bool on_cpu(const Array& a) { return a.defined() && a.device().is_cpu() && is_lowp(a.dtype()); }

// ---- widening: float16/bfloat16 arrays to float32; everything else unchanged.
inline Array up(const Array& a) { return a.defined() && is_lowp(a.dtype()) ? a.to(DType::Float32) : a; }
inline std::optional<Array> up(const std::optional<Array>& a) {
  return a ? std::optional<Array>(up(*a)) : std::optional<Array>();
}
inline std::vector<Array> up(const std::vector<Array>& v) {
  std::vector<Array> r;
  r.reserve(v.size());
  for (const Array& a : v) r.push_back(up(a));
  return r;
}
template <class T>
const T& up(const T& v) {  // shapes, params, flags, names
  return v;
}

// ---- narrowing: float32 results back to dt; other dtypes (int64 indices) unchanged.
inline Array down(const Array& a, DType dt) { return a.defined() && a.dtype() == DType::Float32 ? a.to(dt) : a; }
inline std::optional<Array> down(const std::optional<Array>& a, DType dt) {
  return a ? std::optional<Array>(down(*a, dt)) : std::optional<Array>();
}
template <class T>
std::vector<T> down(const std::vector<T>& v, DType dt) {
  std::vector<T> r;
  r.reserve(v.size());
  for (const T& a : v) r.push_back(down(a, dt));
  return r;
}
template <class... T>
std::tuple<T...> down(const std::tuple<T...>& t, DType dt) {
  return std::apply([dt](const T&... a) { return std::tuple<T...>(down(a, dt)...); }, t);
}

// fn(args...) on float32 copies of the float16/bfloat16 arrays among args, its
// floating results rounded back to dt (the low-precision dtype of the call).
template <class F, class... A>
auto in_float32(DType dt, F&& fn, const A&... args) {
  return down(std::forward<F>(fn)(up(args)...), dt);
}

}  // namespace lowp
}  // namespace ember
