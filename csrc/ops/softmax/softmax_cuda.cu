// softmax_cuda.cu — softmax / log_softmax forward and backward on CUDA.
//
// Layout: contiguous (outer, n, inner) around the softmax dim, one floating dtype T
// (float16/bfloat16 load and store through float; C = float, or double for float64).
//  * inner == 1, n <= 128: one warp per row, the row held in registers (4 values per
//    lane): warp max, warp sum of exp(x - max), then the outputs — exactly the CPU's
//    three steps, read once, written once.
//  * inner == 1, n > 128: G threads per row (a warp for n <= 1024, else the 256-thread
//    block): an online (max, sum of exp(x - max)) pass with a warp/block reduce, then
//    a second pass that re-reads the row (from L1/L2 for all but huge rows) and writes it.
//  * inner > 1: one thread per (outer, inner) column, online pass then output pass;
//    neighbouring threads touch neighbouring columns (coalesced).
//  * backward: the same row/column split; pass 1 reduces sum(g * y) (softmax) or sum(g)
//    (log_softmax), pass 2 writes y * (g - dot) or g - exp(y) * sum.
// Numerics follow softmax_kernels.h: a NaN or +inf in a row makes the row NaN, a row of
// all -inf gives NaN, -inf elements give 0 (log: -inf).
#include <algorithm>
#include <cmath>

#include "core/cuda_utils.cuh"
#include "ops/reduce/reduce_cuda.cuh"
#include "softmax_cuda.h"
#include "core/cuda_math.cuh"

namespace ember {
namespace softmax_cuda {
namespace {

using dmath::dexp;
using dmath::dlog;

namespace cr = cuda_reduce;

template <class C> __device__ __forceinline__ C dinf() { return static_cast<C>(INFINITY); }

// Online (max, sum of exp(x - max)). m never holds NaN; a NaN or +inf input makes s NaN
// (the CPU's sum(exp(x - max)) is NaN then), -inf inputs add nothing.
template <class C>
struct Online {
  C m, s;
  __device__ __forceinline__ static Online init() { return Online{-dinf<C>(), C(0)}; }
  __device__ __forceinline__ void fold(C x) {
    if (!(x == x) || x == dinf<C>()) {
      s = static_cast<C>(NAN);
    } else if (x > m) {
      s = s * dexp(m - x) + C(1);  // m = -inf: exp(-inf) = 0
      m = x;
    } else if (x != -dinf<C>()) {
      s += dexp(x - m);
    }
  }
  __device__ __forceinline__ static C scale(C m, C M) { return m == M ? C(1) : dexp(m - M); }
  __device__ __forceinline__ static Online combine(const Online& a, const Online& b) {
    const C M = a.m > b.m ? a.m : b.m;
    return Online{M, a.s * scale(a.m, M) + b.s * scale(b.m, M)};
  }
};
struct OnlineF {
  template <class C> __device__ __forceinline__ Online<C> operator()(const Online<C>& a, const Online<C>& b) const {
    return Online<C>::combine(a, b);
  }
};
// max that never takes NaN (x > m ? x : m, like the CPU's row_max).
struct MaxNoNanF {
  template <class C> __device__ __forceinline__ C operator()(C a, C b) const { return b > a ? b : a; }
};

template <class C>
__device__ __forceinline__ C out_value(C x, C m, C inv_s, C log_s, bool log) {
  return log ? (x - m) - log_s : dexp(x - m) * inv_s;
}

// ---------------------------------------------------------------- forward

// One warp per row (n <= 32 * MAXE), row in registers. Blocks of 256 threads = 8 rows.
template <class T, int MAXE>
__global__ void __launch_bounds__(cuda::kThreads)
    fwd_warp_kernel(const T* __restrict__ x, T* __restrict__ y, int64_t rows, int n, bool log) {
  using C = typename DevCvt<T>::C;
  const int lane = threadIdx.x & 31;
  const int64_t wpb = blockDim.x >> 5;
  for (int64_t row = blockIdx.x * wpb + (threadIdx.x >> 5); row < rows; row += gridDim.x * wpb) {  // warp-uniform
    const T* xr = x + row * n;
    T* yr = y + row * n;
    C v[MAXE];
    C m = -dinf<C>();
#pragma unroll
    for (int e = 0; e < MAXE; ++e) {
      const int i = e * 32 + lane;
      v[e] = i < n ? DevCvt<T>::load(xr[i]) : -dinf<C>();
      m = v[e] > m ? v[e] : m;
    }
    m = cr::warp_reduce(m, MaxNoNanF());
    C s = C(0);
#pragma unroll
    for (int e = 0; e < MAXE; ++e) {
      const int i = e * 32 + lane;
      if (i < n) s += dexp(v[e] - m);
    }
    s = cr::warp_sum(s);
    const C inv_s = C(1) / s, log_s = dlog(s);
#pragma unroll
    for (int e = 0; e < MAXE; ++e) {
      const int i = e * 32 + lane;
      if (i < n) yr[i] = DevCvt<T>::store(out_value(v[e], m, inv_s, log_s, log));
    }
  }
}

// G threads per row (32: a warp, or 256: the block), 256-thread blocks.
template <class T>
__global__ void __launch_bounds__(cuda::kThreads)
    fwd_rows_kernel(const T* __restrict__ x, T* __restrict__ y, int64_t rows, int64_t n, int G, bool log) {
  using C = typename DevCvt<T>::C;
  __shared__ Online<C> smem[32];
  const int rows_per_block = blockDim.x / G;
  const int grp = threadIdx.x / G, tid = threadIdx.x % G;
  const int64_t ngroups = (rows + rows_per_block - 1) / rows_per_block;
  for (int64_t gi = blockIdx.x; gi < ngroups; gi += gridDim.x) {  // block-uniform
    const int64_t row = gi * rows_per_block + grp;
    const bool valid = row < rows;
    const T* xr = x + (valid ? row : 0) * n;
    T* yr = y + (valid ? row : 0) * n;
    Online<C> a = Online<C>::init();
    if (valid)
      for (int64_t i = tid; i < n; i += G) a.fold(DevCvt<T>::load(xr[i]));
    if (G == static_cast<int>(blockDim.x)) a = cr::block_reduce(a, OnlineF(), smem);
    else a = cr::warp_reduce(a, OnlineF(), G);
    const C inv_s = C(1) / a.s, log_s = dlog(a.s);
    if (valid)
      for (int64_t i = tid; i < n; i += G)
        yr[i] = DevCvt<T>::store(out_value(DevCvt<T>::load(xr[i]), a.m, inv_s, log_s, log));
  }
}

// One thread per (outer, inner) column.
template <class T>
__global__ void __launch_bounds__(cuda::kThreads)
    fwd_col_kernel(const T* __restrict__ x, T* __restrict__ y, int64_t outer, int64_t n, int64_t inner, bool log) {
  using C = typename DevCvt<T>::C;
  const int64_t cols = outer * inner;
  for (int64_t c = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; c < cols;
       c += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t o = c / inner, j = c - o * inner;
    const T* xc = x + o * n * inner + j;
    T* yc = y + o * n * inner + j;
    Online<C> a = Online<C>::init();
    for (int64_t k = 0; k < n; ++k) a.fold(DevCvt<T>::load(xc[k * inner]));
    const C inv_s = C(1) / a.s, log_s = dlog(a.s);
    for (int64_t k = 0; k < n; ++k)
      yc[k * inner] = DevCvt<T>::store(out_value(DevCvt<T>::load(xc[k * inner]), a.m, inv_s, log_s, log));
  }
}

// ---------------------------------------------------------------- backward

template <class C>
__device__ __forceinline__ C bwd_value(C g, C y, C red, bool log) {
  return log ? g - dexp(y) * red : y * (g - red);
}

// G threads per row (32: a warp, or 256: the block), 256-thread blocks.
template <class T>
__global__ void __launch_bounds__(cuda::kThreads)
    bwd_rows_kernel(const T* __restrict__ g, const T* __restrict__ y, T* __restrict__ gx, int64_t rows, int64_t n,
                    int G, bool log) {
  using C = typename DevCvt<T>::C;
  __shared__ C smem[32];
  const int rows_per_block = blockDim.x / G;
  const int grp = threadIdx.x / G, tid = threadIdx.x % G;
  const int64_t ngroups = (rows + rows_per_block - 1) / rows_per_block;
  for (int64_t gi = blockIdx.x; gi < ngroups; gi += gridDim.x) {  // block-uniform
    const int64_t row = gi * rows_per_block + grp;
    const bool valid = row < rows;
    const int64_t off = (valid ? row : 0) * n;
    C red = C(0);
    if (valid) {
      for (int64_t i = tid; i < n; i += G) {
        const C gv = DevCvt<T>::load(g[off + i]);
        red += log ? gv : gv * DevCvt<T>::load(y[off + i]);
      }
    }
    if (G == static_cast<int>(blockDim.x)) red = cr::block_sum(red, smem);
    else red = cr::warp_sum(red, G);
    if (valid) {
      for (int64_t i = tid; i < n; i += G)
        gx[off + i] = DevCvt<T>::store(bwd_value(DevCvt<T>::load(g[off + i]), DevCvt<T>::load(y[off + i]), red, log));
    }
  }
}

template <class T>
__global__ void __launch_bounds__(cuda::kThreads)
    bwd_col_kernel(const T* __restrict__ g, const T* __restrict__ y, T* __restrict__ gx, int64_t outer, int64_t n,
                   int64_t inner, bool log) {
  using C = typename DevCvt<T>::C;
  const int64_t cols = outer * inner;
  for (int64_t c = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; c < cols;
       c += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t o = c / inner, j = c - o * inner;
    const int64_t base = o * n * inner + j;
    C red = C(0);
    for (int64_t k = 0; k < n; ++k) {
      const C gv = DevCvt<T>::load(g[base + k * inner]);
      red += log ? gv : gv * DevCvt<T>::load(y[base + k * inner]);
    }
    for (int64_t k = 0; k < n; ++k) {
      const int64_t i = base + k * inner;
      gx[i] = DevCvt<T>::store(bwd_value(DevCvt<T>::load(g[i]), DevCvt<T>::load(y[i]), red, log));
    }
  }
}

// ---------------------------------------------------------------- launchers

#define EMBER_SOFTMAX_DISPATCH(DT, NAME, ...)                     \
  [&] {                                                           \
    switch (DT) {                                                 \
      EMBER_DTYPE_CASE(Float16, ::ember::Half, __VA_ARGS__)       \
      EMBER_DTYPE_CASE(BFloat16, ::ember::BFloat16, __VA_ARGS__)  \
      EMBER_DTYPE_CASE(Float32, float, __VA_ARGS__)               \
      EMBER_DTYPE_CASE(Float64, double, __VA_ARGS__)              \
      EMBER_DISPATCH_FAIL(DT, NAME)                               \
    }                                                             \
  }()

int64_t grid_cap(const char* op) {
  static int cache[64] = {0};
  int dev = 0;
  EMBER_CUDA_CHECK(cudaGetDevice(&dev), op);
  if (dev >= 0 && dev < 64 && cache[dev] > 0) return cache[dev];
  int n = 0;
  EMBER_CUDA_CHECK(cudaDeviceGetAttribute(&n, cudaDevAttrMultiProcessorCount, dev), op);
  n = std::max(n, 1) * 32;
  if (dev >= 0 && dev < 64) cache[dev] = n;
  return n;
}

unsigned blocks_for(int64_t items, int64_t per_block, const char* op) {
  const int64_t b = std::max<int64_t>(1, (items + per_block - 1) / per_block);
  return static_cast<unsigned>(std::min(b, grid_cap(op)));
}

void check_operand(const Array& a, const Array& ref, int64_t numel, const char* op) {
  EMBER_CHECK(a.device() == ref.device(), Runtime, "[", op, "] expected all tensors on the same device, got ",
              ref.device().str(), " and ", a.device().str());
  EMBER_CHECK(a.dtype() == ref.dtype() && a.is_contiguous() && a.numel() == numel, Value, "[", op,
              "] CUDA kernel expects contiguous operands of one dtype and size");
}

void forward_cuda(const Array& x, const Array& y, int64_t outer, int64_t n, int64_t inner, bool log) {
  const char* op = log ? "log_softmax" : "softmax";
  const int64_t numel = x.numel();
  check_operand(y, x, numel, op);
  check_operand(x, x, numel, op);
  if (numel == 0) return;
  EMBER_CHECK(outer * n * inner == numel, Value, "[", op, "] layout does not match the input size");
  cuda::DeviceGuard guard(x.device().index, op);
  cudaStream_t stream = cuda::current_stream();
  EMBER_SOFTMAX_DISPATCH(x.dtype(), op, [&] {
    using T = scalar_t;
    const T* xp = x.data<T>();
    T* yp = y.data<T>();
    if (inner == 1 && n <= 128) {
      fwd_warp_kernel<T, 4><<<blocks_for(outer, 8, op), cuda::kThreads, 0, stream>>>(xp, yp, outer,
                                                                                     static_cast<int>(n), log);
    } else if (inner == 1) {
      const int G = n > 1024 ? cuda::kThreads : 32;
      fwd_rows_kernel<T><<<blocks_for(outer, cuda::kThreads / G, op), cuda::kThreads, 0, stream>>>(xp, yp, outer, n,
                                                                                                G, log);
    } else {
      fwd_col_kernel<T><<<blocks_for(outer * inner, cuda::kThreads, op), cuda::kThreads, 0, stream>>>(
          xp, yp, outer, n, inner, log);
    }
    cuda::check_launch(op);
  });
}

void backward_cuda(const Array& g, const Array& y, const Array& gx, int64_t outer, int64_t n, int64_t inner,
                   bool log) {
  const char* op = log ? "log_softmax_backward" : "softmax_backward";
  const int64_t numel = y.numel();
  check_operand(g, y, numel, op);
  check_operand(gx, y, numel, op);
  check_operand(y, y, numel, op);
  if (numel == 0) return;
  EMBER_CHECK(outer * n * inner == numel, Value, "[", op, "] layout does not match the input size");
  cuda::DeviceGuard guard(y.device().index, op);
  cudaStream_t stream = cuda::current_stream();
  EMBER_SOFTMAX_DISPATCH(y.dtype(), op, [&] {
    using T = scalar_t;
    if (inner == 1) {
      const int G = n > 1024 ? cuda::kThreads : 32;
      bwd_rows_kernel<T><<<blocks_for(outer, cuda::kThreads / G, op), cuda::kThreads, 0, stream>>>(
          g.data<T>(), y.data<T>(), gx.data<T>(), outer, n, G, log);
    } else {
      bwd_col_kernel<T><<<blocks_for(outer * inner, cuda::kThreads, op), cuda::kThreads, 0, stream>>>(
          g.data<T>(), y.data<T>(), gx.data<T>(), outer, n, inner, log);
    }
    cuda::check_launch(op);
  });
}

}  // namespace
}  // namespace softmax_cuda
}  // namespace ember

EMBER_CUDA_REGISTER(softmax_forward, ember::softmax_cuda::forward_cuda);
EMBER_CUDA_REGISTER(softmax_backward, ember::softmax_cuda::backward_cuda);
