// attention_cuda_common.cuh — pieces the CUDA attention forward and backward share
// (include from .cu files only): tile sizes, warp reductions, the mask/causal rule
// and the dropout mask, all as the CPU kernels define them (attention_kernels.h).
//
// Tiles: a block of 4 warps (128 threads) works on kBQ = 32 query rows x kBK = 32
// keys at a time; warp w owns rows (or keys) w*8 .. w*8+7, and within a warp the
// lane is either the key of a score (scores, softmax) or an output column
// (lane + 32c, c < D/32, for the head-dim loops). D, the padded head dim, is 32, 64
// or 128 (a template parameter); E, Ev <= D and the shared tiles are zero-filled
// beyond them.
#pragma once
#include <cmath>
#include <cstdint>
#include <limits>

#include "attention.h"
#include "core/cuda_utils.cuh"
#include "core/philox.h"
#include "core/cuda_math.cuh"

namespace ember {
namespace attention_cuda {

using dmath::neg_inf;
using dmath::pos_inf;
using dmath::dexp;
using dmath::dlog;

using attention_detail::Params;

constexpr int kBQ = 32;       // query rows per tile
constexpr int kBK = 32;       // keys per tile
constexpr int kWarps = 4;
constexpr int kThreads = kWarps * 32;
constexpr int kRW = kBQ / kWarps;  // rows (keys) per warp: 8
constexpr unsigned kFull = 0xffffffffu;

template <class T>
__device__ __forceinline__ T warp_max(T v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) {
    const T w = __shfl_xor_sync(kFull, v, o);
    v = w > v ? w : v;
  }
  return v;
}
template <class T>
__device__ __forceinline__ T warp_sum(T v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(kFull, v, o);
  return v;
}

// The scaled score x of (b, h, i, j) with the mask added (additive) or applied
// (bool: false -> -inf), then the causal limit (j > i -> -inf), in the CPU's order.
template <class T>
__device__ __forceinline__ T apply_mask(const Params<T>& p, T x, int64_t b, int64_t h, int64_t i, int64_t j) {
  if (p.mask_kind == 1) {
    if (!p.mask_b[b * p.m_sb + h * p.m_sh + i * p.m_sl + j * p.m_ss]) x = neg_inf<T>();
  } else if (p.mask_kind == 2) {
    x += p.mask_f[b * p.m_sb + h * p.m_sh + i * p.m_sl + j * p.m_ss];
  }
  if (p.causal && j > i) x = neg_inf<T>();
  return x;
}

// Dropout factor of element idx = ((b*Hq + h)*L + i)*S + j of the reserved Philox
// stream: 1/(1-p) when kept (uniform >= p), 0 when dropped.
template <class T>
__device__ __forceinline__ T dropout_factor(const Params<T>& p, uint64_t idx) {
  const T keep = p.dropout_p >= 1.0 ? T(0) : T(1.0 / (1.0 - p.dropout_p));
  const uint32_t thresh = static_cast<uint32_t>((p.dropout_p < 1.0 ? p.dropout_p : 1.0) * 16777216.0);
  const Philox4 r = philox_block(p.seed, p.offset + idx / 4);
  return (r.v[idx % 4] >> 8) >= thresh ? keep : T(0);
}

// Opts a kernel into `bytes` of dynamic shared memory (above the 48 KB default).
template <class K>
inline void set_smem(K kernel, size_t bytes, const char* op) {
  EMBER_CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(bytes)),
                   op);
}

// The padded head dim for E, Ev (<= 128).
inline int pick_d(int64_t E, int64_t Ev, const char* op) {
  const int64_t m = E > Ev ? E : Ev;
  EMBER_CHECK(m <= 128, Value, "[", op, "] head dims above 128 are not supported on CUDA yet, got ", E, " and ", Ev);
  return m <= 32 ? 32 : (m <= 64 ? 64 : 128);
}

}  // namespace attention_cuda
}  // namespace ember
