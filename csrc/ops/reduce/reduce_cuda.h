// reduce_cuda.h — the CUDA kernels of the reduce family (reduce_*_cuda.cu), declared
// for both modules. Host-only C++ here (no CUDA headers).
//
// The host side (reduce.cpp) checks arguments, resolves dims, builds the ReducePlan
// (reduce_plan.h) and allocates contiguous outputs on the input's device exactly as for
// the CPU kernels (reduce_kernels.h); these take the same arguments. `mode` values are
// the SumMode / LogicalMode enums of reduce_kernels.h cast to int.
#pragma once
#include <cstdint>

#include "core/array.h"
#include "core/cuda_kernel.h"
#include "reduce_plan.h"

// sum / mean / nansum / nanmean / prod (mode = SumMode).
EMBER_CUDA_KERNEL(reduce_sum, void, (const ember::Array& in, const ember::ReducePlan& p, const ember::Array& out,
                                     int mode));
// all / any / count_nonzero (mode = LogicalMode); out is bool, uint8 or int64.
EMBER_CUDA_KERNEL(reduce_logical, void, (const ember::Array& in, const ember::ReducePlan& p,
                                         const ember::Array& out, int mode));
// amax/amin (values only), max/min/argmax/argmin (values and/or int64 indices).
EMBER_CUDA_KERNEL(reduce_extreme, void, (const ember::Array& in, const ember::ReducePlan& p,
                                         const ember::Array& values, const ember::Array& indices, bool is_max));
// var / std (+ mean into mean_out when defined).
EMBER_CUDA_KERNEL(reduce_var, void, (const ember::Array& in, const ember::ReducePlan& p, const ember::Array& out,
                                     const ember::Array& mean_out, double correction, bool take_sqrt));
EMBER_CUDA_KERNEL(reduce_norm, void, (const ember::Array& in, const ember::ReducePlan& p, const ember::Array& out,
                                      double ord));
EMBER_CUDA_KERNEL(reduce_logsumexp, void, (const ember::Array& in, const ember::ReducePlan& p,
                                           const ember::Array& out));
// Inclusive cumsum / cumprod along `dim`; in and out contiguous, same shape and dtype.
EMBER_CUDA_KERNEL(reduce_scan, void, (const ember::Array& in, int64_t dim, const ember::Array& out, bool is_prod));
