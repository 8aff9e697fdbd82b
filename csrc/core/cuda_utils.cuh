// cuda_utils.cuh — shared pieces of ember's CUDA kernels (include from .cu files only).
//
//  * EMBER_CUDA_CHECK(expr, op): turns a cudaError_t into an ember::Error
//    "[op] CUDA error: <text> (<expr>)", and check_launch(op) does the same for
//    the last kernel launch.
//  * DeviceGuard: makes a device current for a scope and restores the old one.
//  * DevCvt<T>: device-side load/store of every ember dtype through its compute
//    type (float for half/bfloat16), with the same rounding as the CPU's Cvt<T>.
//  * StridedIndex<N>: N operands of one (broadcast) shape, dims simplified on the
//    host (size-1 dims dropped, dims merged where every operand is contiguous
//    across them), passed to kernels by value; offsets(i) maps a linear element
//    index to each operand's element offset. When the element count and every
//    operand's largest offset fit in int32 it runs in 32-bit math with a
//    precomputed magic-number divider per dim (FastDivmod: __umulhi, add, shift
//    instead of a 64-bit division); the 64-bit division path only otherwise.
//  * Launch shape: 256 threads per block, a grid-stride loop, the grid capped.
#pragma once
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <array>
#include <cstdint>
#include <type_traits>

#include "array.h"
#include "cuda_api.h"
#include "cuda_divmod.h"
#include "error.h"

namespace ember {
namespace cuda {

[[noreturn]] void throw_cuda_error(cudaError_t e, const char* op, const char* expr);
inline void check_status(cudaError_t e, const char* op, const char* expr) {
  if (e != cudaSuccess) throw_cuda_error(e, op, expr);
}
// Reports a failed kernel launch (bad configuration, no kernel image for this GPU...).
inline void check_launch(const char* op) { check_status(cudaGetLastError(), op, "kernel launch"); }

// The stream ember queues work on for the current device: the legacy default stream
// unless an ember.cuda.Stream context is active on this thread. Every launch and
// async copy uses it: kernel<<<grid, block, smem, cuda::current_stream()>>>(...).
cudaStream_t current_stream();
// The same for device `dev` (whichever device is current).
cudaStream_t current_stream(int dev);

class DeviceGuard {
 public:
  // Checks that dev is usable (ember::Error otherwise) and makes it current.
  DeviceGuard(int dev, const char* op);
  ~DeviceGuard();
  DeviceGuard(const DeviceGuard&) = delete;
  DeviceGuard& operator=(const DeviceGuard&) = delete;

 private:
  int prev_ = -1;  // device to restore, or -1 when unchanged
};

constexpr int kThreads = 256;
constexpr int64_t kMaxBlocks = int64_t(1) << 16;
inline unsigned grid_for(int64_t n, int64_t per_thread = 1) {
  int64_t work = (n + per_thread - 1) / per_thread;
  int64_t b = (work + kThreads - 1) / kThreads;
  if (b < 1) b = 1;
  return static_cast<unsigned>(b < kMaxBlocks ? b : kMaxBlocks);
}

}  // namespace cuda

#define EMBER_CUDA_CHECK(expr, op) ::ember::cuda::check_status((expr), (op), #expr)

// ---------------------------------------------------------------- dtype access

template <class T>
struct DevCvt {
  using C = T;
  static __device__ __forceinline__ C load(T v) { return v; }
  template <class U> static __device__ __forceinline__ T store(U v) { return static_cast<T>(v); }
};
template <>
struct DevCvt<bool> {
  using C = bool;
  static __device__ __forceinline__ bool load(bool v) { return v; }
  template <class U> static __device__ __forceinline__ bool store(U v) { return v != U(0); }
};
template <>
struct DevCvt<Half> {
  using C = float;
  static __device__ __forceinline__ float load(Half v) { return __half2float(__ushort_as_half(v.x)); }
  // Through float first, like the CPU path (double -> float -> half).
  template <class U> static __device__ __forceinline__ Half store(U v) {
    return Half{__half_as_ushort(__float2half_rn(static_cast<float>(v)))};
  }
};
template <>
struct DevCvt<BFloat16> {
  using C = float;
  static __device__ __forceinline__ float load(BFloat16 v) {
    return __bfloat162float(__ushort_as_bfloat16(v.x));
  }
  template <class U> static __device__ __forceinline__ BFloat16 store(U v) {
    return BFloat16{__bfloat16_as_ushort(__float2bfloat16_rn(static_cast<float>(v)))};
  }
};

template <class D, class S>
__device__ __forceinline__ D dev_convert(S v) {
  return DevCvt<D>::store(DevCvt<S>::load(v));
}

// A vector of V elements loaded/stored with one aligned access (float4-style).
template <class T, int V>
struct alignas(sizeof(T) * V) AlignedVec {
  T v[V];
};
// Elements per 16-byte access.
template <class T>
constexpr int vec_width() {
  return 16 / sizeof(T) > 0 ? static_cast<int>(16 / sizeof(T)) : 1;
}
inline bool aligned_to(const void* p, size_t a) { return reinterpret_cast<uintptr_t>(p) % a == 0; }

// ---------------------------------------------------------------- strided indexing

template <int N>
struct StridedIndex {
  int ndim = 0;
  bool use32 = false;  // 32-bit math: numel and every |offset| < 2^31 (set by make_strided_index)
  int64_t sizes[kMaxDims];
  int64_t strides[kMaxDims][N];  // in elements
  FastDivmod div32[kMaxDims];    // sizes[d] as dividers (use32 only)
  int32_t strides32[kMaxDims][N];

  __device__ __forceinline__ void offsets(int64_t linear, int64_t (&off)[N]) const {
    if (use32) {
      uint32_t lin = static_cast<uint32_t>(linear);
      int32_t o[N];
#pragma unroll
      for (int k = 0; k < N; ++k) o[k] = 0;
      // Not unrolled over all kMaxDims dims: that multiplied every strided kernel's
      // code by 16 (dims are few after merging; d is uniform across the warp, and
      // div32/strides32 are read from the constant bank).
#pragma unroll 2
      for (int i = 0; i < kMaxDims; ++i) {
        if (i == ndim) break;
        const int d = ndim - 1 - i;
        uint32_t idx = lin;  // the outermost dim needs no division: lin < sizes[0] there
        if (d > 0) {
          const uint32_t q = div32[d].div(lin);
          idx = lin - q * div32[d].divisor;
          lin = q;
        }
#pragma unroll
        for (int k = 0; k < N; ++k) o[k] += static_cast<int32_t>(idx) * strides32[d][k];
      }
#pragma unroll
      for (int k = 0; k < N; ++k) off[k] = o[k];
      return;
    }
#pragma unroll
    for (int k = 0; k < N; ++k) off[k] = 0;
#pragma unroll 1
    for (int i = 0; i < kMaxDims; ++i) {
      if (i == ndim) break;
      const int d = ndim - 1 - i;
      int64_t idx = linear;
      if (d > 0) {
        const int64_t q = linear / sizes[d];
        idx = linear - q * sizes[d];
        linear = q;
      }
#pragma unroll
      for (int k = 0; k < N; ++k) off[k] += idx * strides[d][k];
    }
  }

  // True when every operand is contiguous (stride 1) or one broadcast value (stride 0)
  // over the whole range: the flat kernels apply, with scalar[k] marking the latter.
  bool flat(bool (&scalar)[N]) const {
    if (ndim > 1) return false;
    for (int k = 0; k < N; ++k) {
      int64_t s = ndim == 0 ? 0 : strides[0][k];
      if (s != 0 && s != 1) return false;
      scalar[k] = (s == 0);
    }
    return true;
  }

  // Chooses the 32-bit path when it is exact (called once the dims are final).
  void set_index32() {
    constexpr int64_t kLim = int64_t(1) << 31;
    int64_t numel = 1;
    bool ok = true;
    for (int d = 0; d < ndim && ok; ++d) {
      numel *= sizes[d];
      ok = sizes[d] < kLim && numel < kLim;
    }
    for (int k = 0; k < N && ok; ++k) {
      int64_t span = 0;  // largest |offset| of operand k
      for (int d = 0; d < ndim && ok; ++d) {
        const int64_t st = strides[d][k] < 0 ? -strides[d][k] : strides[d][k];
        ok = st < kLim && (sizes[d] - 1) <= (kLim - 1 - span) / (st > 0 ? st : 1);
        if (ok) span += (sizes[d] - 1) * st;
      }
    }
    use32 = ok;
    if (!ok) return;
    for (int d = 0; d < ndim; ++d) {
      div32[d] = FastDivmod(static_cast<uint32_t>(sizes[d]));
      for (int k = 0; k < N; ++k) strides32[d][k] = static_cast<int32_t>(strides[d][k]);
    }
  }
};

// Builds the index for operands broadcast to `shape` (each operand right-aligned,
// size-1 or missing dims get stride 0). Caller checks the shapes are compatible.
template <int N>
StridedIndex<N> make_strided_index(const Shape& shape, const std::array<const Array*, N>& ops) {
  StridedIndex<N> ix;
  const int nd = static_cast<int>(shape.size());
  EMBER_CHECK(nd <= kMaxDims, Value, "[cuda] at most ", kMaxDims, " dims are supported, got ", nd);
  // Broadcast strides per original dim, keeping only dims of size > 1.
  int64_t sz[kMaxDims];
  int64_t st[kMaxDims][N];
  int m = 0;
  for (int d = 0; d < nd; ++d) {
    if (shape[d] == 1) continue;
    sz[m] = shape[d];
    for (int k = 0; k < N; ++k) {
      const Array& a = *ops[k];
      int j = d - (nd - static_cast<int>(a.ndim()));
      st[m][k] = (j < 0 || a.shape()[j] == 1) ? 0 : a.strides()[j];
    }
    ++m;
  }
  // Merge dim d into its outer neighbour when contiguous across them for every operand.
  int out = 0;
  for (int d = 0; d < m; ++d) {
    if (out > 0) {
      bool merge = true;
      for (int k = 0; k < N; ++k)
        if (ix.strides[out - 1][k] != st[d][k] * sz[d]) merge = false;
      if (merge) {
        ix.sizes[out - 1] *= sz[d];
        for (int k = 0; k < N; ++k) ix.strides[out - 1][k] = st[d][k];
        continue;
      }
    }
    ix.sizes[out] = sz[d];
    for (int k = 0; k < N; ++k) ix.strides[out][k] = st[d][k];
    ++out;
  }
  ix.ndim = out;
  ix.set_index32();
  return ix;
}

}  // namespace ember
