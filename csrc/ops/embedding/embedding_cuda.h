// embedding_cuda.h — CUDA kernels of embedding_bag (forward and the weight
// gradient), as entries of the kernel table (core/cuda_kernel.h). Plain embedding
// runs on index_select / index_add (ops/index/index_cuda.h).
#pragma once
#include <cstdint>

#include "core/array.h"
#include "core/cuda_kernel.h"

// weight (V, D) contiguous float32/float64; indices (L,), offsets (B,) contiguous
// int64; psw null or (L,) of weight's dtype; padding_idx -1 for none; out (B, D), bag_size (B,) int64 and,
// in max mode, argmax (B, D) int64, all contiguous and allocated by the caller.
// Bad indices / offsets are checked on the device (index_cuda.h's error record):
// a bad entry is skipped, never read.
EMBER_CUDA_KERNEL(embedding_bag_fwd, void,
                  (const Array& weight, const Array& indices, const Array& offsets, int mode, const Array* psw,
                   int64_t padding_idx, const Array& out, const Array& bag_size, const Array& argmax));
// gw (V, D) contiguous, of grad's dtype: zeroed, then every bag's grad row added to
// the rows it used (atomicAdd; max mode: the argmax rows only).
EMBER_CUDA_KERNEL(embedding_bag_bwd, void,
                  (const Array& gw, const Array& grad, const Array& indices, const Array& offsets,
                   const Array& bag_size, const Array& argmax, int mode, const Array* psw, int64_t padding_idx));
