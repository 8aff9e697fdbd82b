// cuda_math.cuh — float/double overloads of the device math the kernels share (so a
// template over the compute type calls one name), and typed infinities / NaN.
// Precise versions (no fast-math intrinsics): results match the CPU within a few ulp.
#pragma once
#include <limits>

namespace ember {
namespace dmath {

__device__ __forceinline__ float dexp(float x) { return expf(x); }
__device__ __forceinline__ double dexp(double x) { return exp(x); }
__device__ __forceinline__ float dlog(float x) { return logf(x); }
__device__ __forceinline__ double dlog(double x) { return log(x); }
__device__ __forceinline__ float dlog1p(float x) { return log1pf(x); }
__device__ __forceinline__ double dlog1p(double x) { return log1p(x); }
__device__ __forceinline__ float dsqrt(float x) { return sqrtf(x); }
__device__ __forceinline__ double dsqrt(double x) { return sqrt(x); }
__device__ __forceinline__ float dabs(float x) { return fabsf(x); }
__device__ __forceinline__ double dabs(double x) { return fabs(x); }

template <class T>
__device__ __forceinline__ T neg_inf() {
  return -std::numeric_limits<T>::infinity();
}
template <class T>
__device__ __forceinline__ T pos_inf() {
  return std::numeric_limits<T>::infinity();
}
template <class T>
__device__ __forceinline__ T qnan() {
  return std::numeric_limits<T>::quiet_NaN();
}

}  // namespace dmath
}  // namespace ember
