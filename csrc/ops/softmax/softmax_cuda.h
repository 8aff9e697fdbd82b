// softmax_cuda.h — the CUDA softmax / log_softmax kernels (softmax_cuda.cu), declared
// for both modules. Host-only C++ here (no CUDA headers).
//
// softmax.cpp checks arguments and devices, makes the operands contiguous and
// allocates the output; the kernels see the (outer, n, inner) layout around the
// softmax dim. All arrays share one floating dtype (float16/bfloat16 compute in
// float32 inside the kernels).
#pragma once
#include <cstdint>

#include "core/array.h"
#include "core/cuda_kernel.h"

// y = softmax(x) (log=false) or log_softmax(x) (log=true) over n.
EMBER_CUDA_KERNEL(softmax_forward, void, (const ember::Array& x, const ember::Array& y, int64_t outer, int64_t n,
                                          int64_t inner, bool log));
// gx from the upstream grad g and the forward output y:
// softmax: y * (g - sum(g * y)); log_softmax: g - exp(y) * sum(g).
EMBER_CUDA_KERNEL(softmax_backward, void, (const ember::Array& g, const ember::Array& y, const ember::Array& gx,
                                           int64_t outer, int64_t n, int64_t inner, bool log));
