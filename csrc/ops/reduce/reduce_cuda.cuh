// reduce_cuda.cuh — warp / block reduction building blocks for ember's CUDA kernels
// (include from .cu files only; other families — losses, norms, softmax — use these).
//
//  * shfl_xor(v, mask, width): __shfl_xor_sync with the full mask for any trivially
//    copyable value (structs are moved as 32-bit words).
//  * warp_reduce(v, f, width): xor-butterfly over groups of `width` lanes (a power of
//    two <= 32, aligned groups). Every lane of the warp must call it (full mask); each
//    lane ends with its group's result. f(a, b) returns the combined value.
//  * block_reduce(v, f, smem): the whole block's result, returned to every thread.
//    Every thread of the block must call it (it contains __syncthreads); blockDim.x
//    must be a multiple of 32 (1-d blocks) and smem must hold 32 values of T.
//  * warp_sum / warp_max / block_sum / block_max: the common float/double cases.
//  * Welford<T>: running (count, mean, m2) with push(x) and Chan's combine, for
//    variance, layer/batch/group norm statistics.
#pragma once
#include <cuda_runtime.h>

#include <cstdint>
#include <cstring>
#include <type_traits>

namespace ember {
namespace cuda_reduce {

constexpr unsigned kFullMask = 0xffffffffu;

template <class T>
__device__ __forceinline__ T shfl_xor(T v, int lane_mask, int width = 32) {
  if constexpr (std::is_same<T, float>::value || std::is_same<T, double>::value || std::is_same<T, int>::value ||
                std::is_same<T, unsigned>::value || std::is_same<T, long long>::value ||
                std::is_same<T, unsigned long long>::value) {
    return __shfl_xor_sync(kFullMask, v, lane_mask, width);
  } else if constexpr (std::is_same<T, int64_t>::value) {
    return static_cast<int64_t>(__shfl_xor_sync(kFullMask, static_cast<long long>(v), lane_mask, width));
  } else if constexpr (std::is_same<T, uint64_t>::value) {
    return static_cast<uint64_t>(
        __shfl_xor_sync(kFullMask, static_cast<unsigned long long>(v), lane_mask, width));
  } else {
    static_assert(std::is_trivially_copyable<T>::value, "shfl_xor needs a trivially copyable type");
    constexpr int kWords = (sizeof(T) + 3) / 4;
    unsigned w[kWords] = {};
    memcpy(w, &v, sizeof(T));
#pragma unroll
    for (int i = 0; i < kWords; ++i) w[i] = __shfl_xor_sync(kFullMask, w[i], lane_mask, width);
    T r;
    memcpy(&r, w, sizeof(T));
    return r;
  }
}

// Reduces over aligned groups of `width` lanes (power of two, 1..32). All 32 lanes call.
template <class T, class F>
__device__ __forceinline__ T warp_reduce(T v, const F& f, int width = 32) {
  for (int off = width >> 1; off > 0; off >>= 1) v = f(v, shfl_xor(v, off, 32));
  return v;
}

// Whole-block reduction; every thread gets the result. smem: 32 T's of shared memory.
// All threads of the block must call it; blockDim.x % 32 == 0.
template <class T, class F>
__device__ __forceinline__ T block_reduce(T v, const F& f, T* smem) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int nwarps = (blockDim.x + 31) >> 5;
  v = warp_reduce(v, f);
  __syncthreads();  // smem may still be read by a previous block_reduce
  if (lane == 0) smem[warp] = v;
  __syncthreads();
  // nwarps <= 32 partials, combined in warp order by one thread (deterministic).
  if (threadIdx.x == 0) {
    T acc = smem[0];
    for (int i = 1; i < nwarps; ++i) acc = f(acc, smem[i]);
    smem[0] = acc;
  }
  __syncthreads();
  T r = smem[0];
  return r;
}

struct SumF {
  template <class T> __device__ __forceinline__ T operator()(T a, T b) const { return a + b; }
};
// NaN-propagating max.
struct MaxF {
  template <class T> __device__ __forceinline__ T operator()(T a, T b) const {
    return (a != a || a > b) ? a : b;
  }
};

template <class T> __device__ __forceinline__ T warp_sum(T v, int width = 32) { return warp_reduce(v, SumF(), width); }
template <class T> __device__ __forceinline__ T warp_max(T v, int width = 32) { return warp_reduce(v, MaxF(), width); }
template <class T> __device__ __forceinline__ T block_sum(T v, T* smem) { return block_reduce(v, SumF(), smem); }
template <class T> __device__ __forceinline__ T block_max(T v, T* smem) { return block_reduce(v, MaxF(), smem); }

// Welford / Chan running statistics in compute type T (float or double).
template <class T>
struct Welford {
  T n, mean, m2;
  __device__ __forceinline__ static Welford zero() { return Welford{T(0), T(0), T(0)}; }
  __device__ __forceinline__ void push(T x) {
    n += T(1);
    T d = x - mean;
    mean += d / n;
    m2 += d * (x - mean);
  }
  // Chan's parallel merge; exact for either side empty.
  __device__ __forceinline__ static Welford combine(const Welford& a, const Welford& b) {
    if (b.n == T(0)) return a;
    if (a.n == T(0)) return b;
    T n = a.n + b.n, d = b.mean - a.mean, f = b.n / n;
    return Welford{n, a.mean + d * f, a.m2 + b.m2 + d * d * a.n * f};
  }
  // Biased (divide by n) or corrected variance; NaN when the divisor is <= 0 and m2 = 0.
  __device__ __forceinline__ T var(T correction = T(0)) const {
    T den = n - correction;
    return m2 / (den > T(0) ? den : T(0));
  }
};

struct WelfordF {
  template <class T> __device__ __forceinline__ Welford<T> operator()(const Welford<T>& a, const Welford<T>& b) const {
    return Welford<T>::combine(a, b);
  }
};

}  // namespace cuda_reduce
}  // namespace ember
