// norm_cuda_common.cuh — pieces shared by the normalisation family's .cu files
// (norm_batch_cuda.cu, norm_layer_cuda.cu, norm_group_cuda.cu); include from .cu only.
//
//  * acc_t<T>: the compute type (float for float/half/bfloat16, double for double).
//  * team_sum / team_reduce: a reduction over a team of TEAM threads that own one row
//    (TEAM 32: one warp, several rows per block; TEAM == blockDim.x: the block).
//  * the channel-affine kernel every norm ends with: with k = (i / S) % K,
//      out[i] = (x[i] - m[k]) * b[k] + c[k] + (dy ? a[k] * dy[i] : 0)
//    where coef holds the rows m, a, b, c (K each, compute type). Forward passes
//    (b = w*invstd, c = bias) and input gradients (a = w*invstd, b, c from the sums)
//    both take this form. Flat grid-stride loop, 32-bit index math when it fits.
#pragma once
#include <cstdint>

#include "core/cuda_utils.cuh"
#include "ops/reduce/reduce_cuda.cuh"

namespace ember {
namespace norm_cuda {

template <class T>
using acc_t = typename DevCvt<T>::C;

template <int TEAM, class V, class F>
__device__ __forceinline__ V team_reduce(V v, const F& f, V* smem) {
  if constexpr (TEAM == 32)
    return cuda_reduce::warp_reduce(v, f);
  else
    return cuda_reduce::block_reduce(v, f, smem);
}

template <int TEAM, class A>
__device__ __forceinline__ A team_sum(A v, A* smem) {
  return team_reduce<TEAM>(v, cuda_reduce::SumF(), smem);
}

template <class A>
struct Pair {
  A a, b;
};
struct PairSumF {
  template <class A>
  __device__ __forceinline__ Pair<A> operator()(const Pair<A>& x, const Pair<A>& y) const {
    return Pair<A>{x.a + y.a, x.b + y.b};
  }
};

// Blocks for a grid of `items` teams with `per_block` teams per block.
inline unsigned team_grid(int64_t items, int per_block) {
  const int64_t b = (items + per_block - 1) / per_block;
  return static_cast<unsigned>(b < 1 ? 1 : (b < cuda::kMaxBlocks ? b : cuda::kMaxBlocks));
}

template <class T, class I>
__global__ void affine_apply_kernel(const T* __restrict__ x, const T* __restrict__ dy, T* __restrict__ out,
                                    const acc_t<T>* __restrict__ coef, I K, I S, I total) {
  using A = acc_t<T>;
  const A* m = coef;
  const A* a = coef + K;
  const A* b = coef + 2 * K;
  const A* c = coef + 3 * K;
  const I step = static_cast<I>(gridDim.x) * blockDim.x;
  for (I i = static_cast<I>(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += step) {
    const I k = (i / S) % K;
    A v = (DevCvt<T>::load(x[i]) - m[k]) * b[k] + c[k];
    if (dy) v = a[k] * DevCvt<T>::load(dy[i]) + v;
    out[i] = DevCvt<T>::store(v);
  }
}

// Launches the affine kernel over out (x's shape); dy undefined for a forward.
template <class T>
void launch_affine(const Array& out, const Array& x, const Array& dy, const Array& coef, int64_t K, int64_t S,
                   const char* op) {
  const int64_t total = out.numel();
  if (total == 0) return;
  const T* dp = dy.defined() ? dy.data<T>() : nullptr;
  cudaStream_t st = cuda::current_stream();
  // 32-bit indices below 2^31 elements; i + step stays below 2^32 there.
  if (total < (int64_t(1) << 31)) {
    affine_apply_kernel<T, uint32_t><<<cuda::grid_for(total), cuda::kThreads, 0, st>>>(
        x.data<T>(), dp, out.data<T>(), coef.data<acc_t<T>>(), static_cast<uint32_t>(K), static_cast<uint32_t>(S),
        static_cast<uint32_t>(total));
  } else {
    affine_apply_kernel<T, int64_t><<<cuda::grid_for(total), cuda::kThreads, 0, st>>>(
        x.data<T>(), dp, out.data<T>(), coef.data<acc_t<T>>(), K, S, total);
  }
  cuda::check_launch(op);
}

template <class A>
inline const A* opt_data(const Array& a) {
  return a.defined() ? a.data<A>() : nullptr;
}
template <class A>
inline A* opt_mut(const Array& a) {
  return a.defined() ? a.data<A>() : nullptr;
}

inline DType compute_dtype(DType d) { return d == DType::Float64 ? DType::Float64 : DType::Float32; }

// Same CUDA device and contiguous, for every defined array (a bad call raises).
inline void check_arrays(const char* op, const Array& ref, std::initializer_list<const Array*> arrays) {
  EMBER_CHECK(ref.device().is_cuda(), Runtime, "[", op, "] CUDA kernel called with an input on ", ref.device().str());
  for (const Array* a : arrays) {
    if (!a->defined()) continue;
    EMBER_CHECK(a->device() == ref.device(), Runtime, "[", op, "] expected all tensors on the same device, got ",
                ref.device().str(), " and ", a->device().str());
    EMBER_CHECK(a->is_contiguous(), Value, "[", op, "] CUDA kernel expects contiguous arrays");
  }
}

}  // namespace norm_cuda
}  // namespace ember
