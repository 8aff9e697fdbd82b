// pool_cuda.h — the CUDA kernels behind pool.cpp and unpool.cpp (declarations shared
// by the CPU module and _C_cuda; host-only C++).
//
// Every kernel sees contiguous planes, as the CPU ones: input (P, H, W), output
// (P, OH, OW), 1-d ops with H = OH = 1 (pool_kernels.h's Geom). pool.cpp has
// checked the arguments, made the inputs contiguous and allocated the outputs on
// the input's device; dtypes: float32, float64, float16, bfloat16 (accumulated in
// float, float64 in double); indices int64, flat per plane.
#pragma once
#include "core/array.h"
#include "core/cuda_kernel.h"
#include "pool_kernels.h"

// y = max over each window (adaptive: torch's adaptive windows, g.k*/s*/p*/d* unused);
// idx (int64, y's shape) when defined. NaN wins, first maximum on ties, as the CPU.
EMBER_CUDA_KERNEL(pool_max_forward, void,
                  (const Array& y, const Array& idx, const Array& x, const pool_detail::Geom& g, bool adaptive));
// y = average over each window (divisor rules of avg_pool_cpu.cpp / adaptive_pool_cpu.cpp).
EMBER_CUDA_KERNEL(pool_avg_forward, void,
                  (const Array& y, const Array& x, const pool_detail::Geom& g, bool count_include_pad,
                   int64_t divisor_override, bool adaptive));
// gx (P, H, W) = adjoint of pool_avg_forward applied to gy (P, OH, OW); a gather over
// the windows holding each input element (deterministic, no atomics).
EMBER_CUDA_KERNEL(pool_avg_backward, void,
                  (const Array& gx, const Array& gy, const pool_detail::Geom& g, bool count_include_pad,
                   int64_t divisor_override, bool adaptive));
// out (P, L) = 0, then out[p][idx[p][k]] (+)= src[p][k] for src/idx (P, K). Indices
// outside [0, L) are skipped (the CPU raises for accumulate=false: a device-side
// check would need a synchronisation). accumulate uses atomicAdd (overlapping max
// pool windows can send several grads to one element: float sums in any order).
EMBER_CUDA_KERNEL(pool_scatter_planes, void,
                  (const Array& out, const Array& src, const Array& idx, int64_t P, int64_t L, int64_t K,
                   bool accumulate));
// out (P, K)[p][k] = src (P, L)[p][idx[p][k]], 0 for an index outside [0, L).
EMBER_CUDA_KERNEL(pool_gather_planes, void,
                  (const Array& out, const Array& src, const Array& idx, int64_t P, int64_t L, int64_t K));

// ---- interpolate (interp_kernels.h's separable engine): one spatial dim of a
// contiguous (outer, in, inner) array; tables built on the host (interpolate.cpp),
// uploaded as flat arrays, weights in the compute dtype (float; double for float64).
// y (outer, out, inner)[o, j, c] = sum_{k < max(count[j], 1)} w[j*taps + k] * x[o, idx[j*taps + k], c]
// (a count of 0 still reads tap 0, of weight 0, as the CPU).
EMBER_CUDA_KERNEL(pool_resample_dim, void,
                  (const Array& y, const Array& x, const Array& idx, const Array& w, const Array& count,
                   int64_t outer, int64_t in, int64_t out, int64_t inner, int64_t taps));
// The transpose as a gather: gx (outer, in, inner)[o, i, c] = sum over the entries e
// of input i (offsets[i] .. offsets[i+1], in (j, k) order) of w[e] * gy[o, src[e], c].
EMBER_CUDA_KERNEL(pool_resample_dim_backward, void,
                  (const Array& gx, const Array& gy, const Array& offsets, const Array& src, const Array& w,
                   int64_t outer, int64_t in, int64_t out, int64_t inner));
