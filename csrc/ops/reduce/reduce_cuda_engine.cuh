// reduce_cuda_engine.cuh — the schedules shared by every CUDA reduction of the reduce
// family (private to csrc/ops/reduce; include from .cu files only).
//
// An Op (passed to kernels by value) describes one reduction:
//   using in_t, acc_t;                      acc_t: plain struct or scalar (lives in smem)
//   static constexpr bool kVec;              true: vector loads, unrolled (cheap, hot folds)
//   acc_t init() const;                      identity (an "empty" accumulator)
//   void fold(acc_t&, in_t x, int64_t r) const;        r = flat reduce index of x
//   acc_t combine(acc_t a, const acc_t& b) const;      order-free (index ops compare r)
//   void finish(int64_t o, const acc_t&) const;        writes output element o
//
// The host plan (reduce_plan.h) is copied into a DevPlan (dims innermost first) passed
// as a __grid_constant__ kernel parameter. Three kernels:
//  * row: the reduced run is innermost (stride 1, or anything not handled by col).
//    Groups of G threads own one output: G = 1..32 lanes of a warp for rows of <= 1024
//    elements (xor-shuffle reduce), or the whole 256-thread block for longer rows (block
//    reduce). For kVec ops contiguous runs stream with 16-byte vector loads, up to four
//    in flight per thread; other ops use coalesced scalar loads. When outputs are too
//    few for ~4 full waves of blocks, blockIdx.y splits each row into chunks whose
//    partial accumulators go to a workspace [splits, n_out].
//  * col: the innermost kept dim is the fastest (the reduction is over outer dims):
//    32 consecutive outputs per block across threadIdx.x (coalesced), 8 thread rows
//    stepping through the reduce range, combined through shared memory; blockIdx.y
//    splits the reduce range when outputs are few (workspace as above).
//  * finalize: one warp per output combines its split partials and writes it.
// Anything else (several reduced dims with short runs, odd strides) goes through the
// row kernel's strided fallback, which maps each flat reduce index with div/mod.
// No atomics: results are deterministic for a given shape and GPU.
#pragma once
#include <algorithm>
#include <cstdint>

#include "core/cuda_utils.cuh"
#include "reduce_cuda.cuh"
#include "reduce_plan.h"
#include "core/cuda_math.cuh"

namespace ember {
namespace reduce_cuda {

using dmath::dexp;
using dmath::dlog;
using dmath::dsqrt;

struct DevPlan {
  int nk = 0, nr = 0;
  int64_t ks[kMaxDims], kst[kMaxDims];  // kept dims, innermost first (sizes, strides)
  int64_t rs[kMaxDims], rst[kMaxDims];  // reduced dims, innermost first
  int64_t n_out = 1, n_red = 1;
};

inline DevPlan to_dev(const ReducePlan& p) {
  DevPlan d;
  d.nk = p.nk;
  d.nr = p.nr;
  for (int i = 0; i < kMaxDims; ++i) d.ks[i] = d.kst[i] = d.rs[i] = d.rst[i] = 0;
  for (int i = 0; i < p.nk; ++i) {
    d.ks[i] = p.kshape[p.nk - 1 - i];
    d.kst[i] = p.kstride[p.nk - 1 - i];
  }
  for (int i = 0; i < p.nr; ++i) {
    d.rs[i] = p.rshape[p.nr - 1 - i];
    d.rst[i] = p.rstride[p.nr - 1 - i];
  }
  d.n_out = p.n_out;
  d.n_red = p.n_red;
  return d;
}

// Input offset (elements) of output o. The plan is a __grid_constant__ kernel parameter,
// so the dynamic indexing reads constant memory; the loops stay rolled and the functions
// out of line (one copy of the 64-bit division code per kernel) to keep kernels small.
// Both run once per output or per run, except in the strided fallback.
static __device__ __noinline__ int64_t kept_offset(const DevPlan& p, int64_t o) {
  int64_t off = 0;
#pragma unroll 1
  for (int i = 0; i < p.nk; ++i) {
    const int64_t q = o / p.ks[i];
    off += (o - q * p.ks[i]) * p.kst[i];
    o = q;
  }
  return off;
}

// a / b for non-negative int64 (out of line: the 64-bit division sequence is long).
static __device__ __noinline__ int64_t div64(int64_t a, int64_t b) { return a / b; }

// Offset of flat reduce index r, over reduced dims [first, nr).
static __device__ __noinline__ int64_t red_offset(const DevPlan& p, int64_t r, int first) {
  int64_t off = 0;
#pragma unroll 1
  for (int i = first; i < p.nr; ++i) {
    const int64_t q = r / p.rs[i];
    off += (r - q * p.rs[i]) * p.rst[i];
    r = q;
  }
  return off;
}

// Folds p[0, n) (contiguous; flat reduce indices idx0 + i) with G cooperating threads,
// through 16-byte vector loads: U vectors in flight per thread (U * V <= 16 folds
// unrolled), the unaligned head and the leftover tail through one scalar loop.
template <class Op>
__device__ __forceinline__ void fold_contig_vec(const Op& op, typename Op::acc_t& acc, const typename Op::in_t* p,
                                                int64_t n, int64_t idx0, int tid, int G) {
  using T = typename Op::in_t;
  constexpr int V = vec_width<T>();
  using Vec = AlignedVec<T, V>;
  constexpr int U = V >= 16 ? 1 : (V >= 8 ? 2 : 4);
  const uintptr_t addr = reinterpret_cast<uintptr_t>(p);
  int64_t head = static_cast<int64_t>(((16 - (addr & 15)) & 15) / sizeof(T));
  if ((addr % sizeof(T)) != 0) head = n;  // never for ember arrays; stay scalar if so
  if (head > n) head = n;
  // Whole groups of U * G vectors after the head; the rest is the scalar tail.
  const int64_t step = static_cast<int64_t>(U) * G;
  const int64_t groups = (n - head) / V / step;
  const int64_t tail0 = head + groups * step * V;
  const Vec* vp = reinterpret_cast<const Vec*>(p + head);
  const int64_t base = idx0 + head;
  for (int64_t j = tid; j < groups * step; j += step) {
    Vec v[U];
#pragma unroll
    for (int u = 0; u < U; ++u) v[u] = vp[j + static_cast<int64_t>(u) * G];
#pragma unroll
    for (int u = 0; u < U; ++u) {
      const int64_t e = base + (j + static_cast<int64_t>(u) * G) * V;
#pragma unroll
      for (int k = 0; k < V; ++k) op.fold(acc, v[u].v[k], e + k);
    }
  }
  // Scalar: the head [0, head) then the tail [tail0, n), one loop (one inlined fold).
  const int64_t nscalar = head + (n - tail0);
#pragma unroll 1
  for (int64_t t = tid; t < nscalar; t += G) {
    const int64_t i = t < head ? t : tail0 + (t - head);
    op.fold(acc, p[i], idx0 + i);
  }
}

// Folds flat reduce indices [rb, re) of the block starting at `in` with G threads
// (tid in [0, G)). Ops with kVec stream contiguous runs through vector loads; the
// others use scalar coalesced loads (fewer inlined copies of their fold).
template <class Op>
__device__ void fold_range(const Op& op, typename Op::acc_t& acc, const typename Op::in_t* in, const DevPlan& p,
                           int64_t rb, int64_t re, int tid, int G) {
  if (rb >= re) return;
  if (p.nr == 0) {  // nothing reduced: one element (n_red == 1)
    if (tid == 0) op.fold(acc, in[0], 0);
    return;
  }
  const int64_t L = p.rs[0], st = p.rst[0];
  if (p.nr == 1 || L >= 4 * static_cast<int64_t>(G)) {
    // Run by run along the innermost reduced dim.
    int64_t q = div64(rb, L);
    int64_t pos = rb;
    while (pos < re) {
      const int64_t run0 = q * L;
      const int64_t lo = pos - run0;
      const int64_t hi = min(L, re - run0);
      const typename Op::in_t* rp = in + (p.nr == 1 ? 0 : red_offset(p, q, 1) /* q over dims >= 1 */);
      bool done = false;
      if constexpr (Op::kVec) {
        if (st == 1) {
          fold_contig_vec(op, acc, rp + lo, hi - lo, run0 + lo, tid, G);
          done = true;
        }
      }
      if (!done) {
        // Rolled for heavy folds (size); unrolled (loads in flight) for the hot ones.
#pragma unroll(Op::kVec ? 4 : 1)
        for (int64_t i = lo + tid; i < hi; i += G) op.fold(acc, rp[i * st], run0 + i);
      }
      pos = run0 + hi;
      ++q;
    }
  } else {
#pragma unroll 1
    for (int64_t r = rb + tid; r < re; r += G) op.fold(acc, in[red_offset(p, r, 0)], r);
  }
}

// Reduces over aligned groups of G lanes (G | 32), or over the whole block when G is
// blockDim.x; every thread gets its group's result. All threads of the block call it.
// Rolled loops (one inlined combine each) keep heavy accumulators (Welford) small.
template <class Acc, class F>
__device__ __forceinline__ Acc group_reduce(Acc v, const F& f, int G, Acc* smem) {
  const int width = G < 32 ? G : 32;
#pragma unroll 1
  for (int off = width >> 1; off > 0; off >>= 1) v = f(v, cuda_reduce::shfl_xor(v, off, 32));
  if (G <= 32) return v;
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nwarps = blockDim.x >> 5;
  __syncthreads();  // smem may still be read from the previous call
  if (lane == 0) smem[warp] = v;
  __syncthreads();
  if (threadIdx.x == 0) {
    Acc a = smem[0];
#pragma unroll 1
    for (int w = 1; w < nwarps; ++w) a = f(a, smem[w]);
    smem[0] = a;
  }
  __syncthreads();
  return smem[0];
}

template <class Op>
struct CombineF {
  Op op;
  __device__ __forceinline__ typename Op::acc_t operator()(const typename Op::acc_t& a,
                                                           const typename Op::acc_t& b) const {
    return op.combine(a, b);
  }
};

// grid (row groups, splits), 256 threads; G = 2^log2G threads per output (G | 32, or
// G = 256 = the block); ngroups = ceil(n_out / (256 / G)).
template <class Op>
__global__ void __launch_bounds__(cuda::kThreads)
    row_kernel(Op op, const typename Op::in_t* __restrict__ in, const __grid_constant__ DevPlan p, int log2G,
               int64_t ngroups, int64_t chunk, typename Op::acc_t* __restrict__ partial) {
  using Acc = typename Op::acc_t;
  __shared__ Acc smem[32];
  const int G = 1 << log2G;
  const int rows_per_block = static_cast<int>(blockDim.x) >> log2G;
  const int grp = static_cast<int>(threadIdx.x) >> log2G, tid = static_cast<int>(threadIdx.x) & (G - 1);
  const int64_t split = blockIdx.y;
  const int64_t rb = split * chunk;
  const int64_t re = min(p.n_red, rb + chunk);
  const CombineF<Op> comb{op};
  // Block-uniform loop: every thread reaches the shuffles and barriers.
  for (int64_t g = blockIdx.x; g < ngroups; g += gridDim.x) {
    const int64_t o = g * rows_per_block + grp;
    Acc acc = op.init();
    if (o < p.n_out) fold_range(op, acc, in + kept_offset(p, o), p, rb, re, tid, G);
    acc = group_reduce(acc, comb, G, smem);
    if (o < p.n_out && tid == 0) {
      if (partial) partial[split * p.n_out + o] = acc;
      else op.finish(o, acc);
    }
  }
}

constexpr int kColW = 32, kColH = 8;  // col kernel block: 32 outputs x 8 reduce lanes

// grid (column groups of 32 outputs, splits), 256 threads; ngroups = ceil(n_out / 32).
template <class Op>
__global__ void __launch_bounds__(cuda::kThreads)
    col_kernel(Op op, const typename Op::in_t* __restrict__ in, const __grid_constant__ DevPlan p, int64_t ngroups,
               int64_t chunk, typename Op::acc_t* __restrict__ partial) {
  using Acc = typename Op::acc_t;
  __shared__ Acc smem[kColH][kColW];
  const int tx = threadIdx.x % kColW, ty = threadIdx.x / kColW;
  const int64_t split = blockIdx.y;
  const int64_t rb = split * chunk;
  const int64_t re = min(p.n_red, rb + chunk);
  for (int64_t g = blockIdx.x; g < ngroups; g += gridDim.x) {  // block-uniform
    const int64_t o = g * kColW + tx;
    Acc acc = op.init();
    if (o < p.n_out) {
      const typename Op::in_t* base = in + kept_offset(p, o);
      if (p.nr == 1) {
        const int64_t st = p.rst[0];
#pragma unroll(Op::kVec ? 4 : 1)
        for (int64_t r = rb + ty; r < re; r += kColH) op.fold(acc, base[r * st], r);
      } else {
#pragma unroll 1
        for (int64_t r = rb + ty; r < re; r += kColH) op.fold(acc, base[red_offset(p, r, 0)], r);
      }
    }
    smem[ty][tx] = acc;
    __syncthreads();
    if (ty == 0 && o < p.n_out) {
      Acc a = smem[0][tx];
#pragma unroll 1
      for (int k = 1; k < kColH; ++k) a = op.combine(a, smem[k][tx]);
      if (partial) partial[split * p.n_out + o] = a;
      else op.finish(o, a);
    }
    __syncthreads();
  }
}

// One warp per output: combines partial[s * n_out + o] over s < nsplit, then finishes.
template <class Op>
__global__ void __launch_bounds__(cuda::kThreads)
    finalize_kernel(Op op, const typename Op::acc_t* __restrict__ partial, int64_t n_out, int nsplit) {
  using Acc = typename Op::acc_t;
  const int lane = threadIdx.x & 31;
  const int64_t wpb = blockDim.x >> 5;
  const CombineF<Op> comb{op};
  for (int64_t o = blockIdx.x * wpb + (threadIdx.x >> 5); o < n_out; o += gridDim.x * wpb) {  // warp-uniform
    Acc a = op.init();
#pragma unroll 1
    for (int s = lane; s < nsplit; s += 32) a = op.combine(a, partial[static_cast<int64_t>(s) * n_out + o]);
    a = group_reduce(a, comb, 32, static_cast<Acc*>(nullptr));
    if (lane == 0) op.finish(o, a);
  }
}

// Multiprocessor count of the current device (cached per device).
inline int sm_count(const char* op) {
  static int cache[64] = {0};
  int dev = 0;
  EMBER_CUDA_CHECK(cudaGetDevice(&dev), op);
  if (dev >= 0 && dev < 64 && cache[dev] > 0) return cache[dev];
  int n = 0;
  EMBER_CUDA_CHECK(cudaDeviceGetAttribute(&n, cudaDevAttrMultiProcessorCount, dev), op);
  if (n < 1) n = 1;
  if (dev >= 0 && dev < 64) cache[dev] = n;
  return n;
}

inline int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Runs `op` over the plan. `in` points at the input's first element (data_ptr);
// `device` is where everything lives (workspace allocation).
template <class Op>
void launch(const Op& op, const typename Op::in_t* in, const ReducePlan& rp, Device device, const char* name) {
  using Acc = typename Op::acc_t;
  if (rp.n_out == 0) return;
  const DevPlan p = to_dev(rp);
  cudaStream_t stream = cuda::current_stream();
  const int64_t sms = sm_count(name);
  const int64_t grid_cap = sms * 32;
  const int64_t n_red = p.n_red;
  auto abs64 = [](int64_t v) { return v < 0 ? -v : v; };
  const bool col = p.nk > 0 && p.nr > 0 && p.rst[0] != 1 && abs64(p.kst[0]) < abs64(p.rst[0]);
  // Resident blocks per SM of the chosen kernel (cached per Op type); split reductions
  // aim at ~4 full waves so the last partial wave costs little.
  static int occ_row = 0, occ_col = 0;
  int& occ = col ? occ_col : occ_row;
  if (occ == 0) {
    int nb = 0;
    if (col)
      EMBER_CUDA_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&nb, col_kernel<Op>, cuda::kThreads, 0), name);
    else
      EMBER_CUDA_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&nb, row_kernel<Op>, cuda::kThreads, 0), name);
    occ = nb > 0 ? nb : 1;
  }
  const int64_t target = 4 * sms * occ;  // blocks for ~4 full waves

  int64_t splits = 1, chunk = n_red > 0 ? n_red : 1;
  int64_t groups;
  int G = 0;
  if (col) {
    groups = ceil_div(p.n_out, kColW);
    if (groups < target && n_red >= 1024) {
      splits = std::min(ceil_div(target, groups), ceil_div(n_red, 256));
      splits = std::min<int64_t>(std::max<int64_t>(splits, 1), 65535);
    }
  } else {
    if (n_red > 1024) G = cuda::kThreads;
    else {
      G = 1;
      while (G < 32 && G < n_red) G <<= 1;
    }
    groups = ceil_div(p.n_out, cuda::kThreads / G);
    if (G == cuda::kThreads && groups < target && n_red >= 16384) {
      splits = std::min(ceil_div(target, groups), ceil_div(n_red, 8192));
      splits = std::min<int64_t>(std::max<int64_t>(splits, 1), 65535);
    }
  }
  if (splits > 1) {
    chunk = ceil_div(n_red, splits);
    chunk = ceil_div(chunk, 64) * 64;  // keeps vector loads aligned across chunk starts
    splits = ceil_div(n_red, chunk);
  }
  Array work;
  Acc* partial = nullptr;
  if (splits > 1) {
    const int64_t bytes = checked_mul(checked_mul(splits, p.n_out, name), static_cast<int64_t>(sizeof(Acc)), name);
    work = Array::empty({bytes}, DType::UInt8, device, name);
    partial = static_cast<Acc*>(work.data_ptr());
  }
  const dim3 grid(static_cast<unsigned>(std::min(groups, grid_cap)), static_cast<unsigned>(splits));
  if (col) {
    col_kernel<Op><<<grid, cuda::kThreads, 0, stream>>>(op, in, p, groups, chunk, partial);
  } else {
    int log2G = 0;
    while ((1 << log2G) < G) ++log2G;
    row_kernel<Op><<<grid, cuda::kThreads, 0, stream>>>(op, in, p, log2G, groups, chunk, partial);
  }
  cuda::check_launch(name);
  if (splits > 1) {
    const int64_t wpb = cuda::kThreads / 32;
    const unsigned fg = static_cast<unsigned>(std::min(ceil_div(p.n_out, wpb), grid_cap));
    finalize_kernel<Op><<<fg, cuda::kThreads, 0, stream>>>(op, partial, p.n_out, static_cast<int>(splits));
    cuda::check_launch(name);
  }
  // `work` is released here; the caching allocator reuses it only for work queued later
  // on the same stream, which runs after these kernels.
}

// ---------------------------------------------------------------- small device helpers

template <class T> struct IsFloatLike { static constexpr bool value = false; };
template <> struct IsFloatLike<float> { static constexpr bool value = true; };
template <> struct IsFloatLike<double> { static constexpr bool value = true; };
template <> struct IsFloatLike<Half> { static constexpr bool value = true; };
template <> struct IsFloatLike<BFloat16> { static constexpr bool value = true; };

__device__ __forceinline__ float dpow(float x, float y) { return powf(x, y); }
__device__ __forceinline__ double dpow(double x, double y) { return pow(x, y); }
template <class C> __device__ __forceinline__ C dinf() { return static_cast<C>(INFINITY); }
template <class C> __device__ __forceinline__ C dnan() { return static_cast<C>(NAN); }

// Every dtype (the CPU reduce family accepts all of them).
#define EMBER_REDUCE_DISPATCH_ALL(DT, NAME, ...)                  \
  [&] {                                                           \
    switch (DT) {                                                 \
      EMBER_DTYPE_CASE(Bool, bool, __VA_ARGS__)                   \
      EMBER_DTYPE_CASE(UInt8, uint8_t, __VA_ARGS__)               \
      EMBER_DTYPE_CASE(Int32, int32_t, __VA_ARGS__)               \
      EMBER_DTYPE_CASE(Int64, int64_t, __VA_ARGS__)               \
      EMBER_DTYPE_CASE(Float16, ::ember::Half, __VA_ARGS__)       \
      EMBER_DTYPE_CASE(BFloat16, ::ember::BFloat16, __VA_ARGS__)  \
      EMBER_DTYPE_CASE(Float32, float, __VA_ARGS__)               \
      EMBER_DTYPE_CASE(Float64, double, __VA_ARGS__)              \
      EMBER_DISPATCH_FAIL(DT, NAME)                               \
    }                                                             \
  }()

// The same-device check of every CUDA entry point (the host checked it already).
inline void check_on(const Array& a, Device dev, const char* op) {
  if (!a.defined()) return;
  EMBER_CHECK(a.device() == dev, Runtime, "[", op, "] expected all tensors on the same device, got ",
              dev.str(), " and ", a.device().str());
}

}  // namespace reduce_cuda
}  // namespace ember
