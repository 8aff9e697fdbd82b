// shape_cuda.h — CUDA kernels of the shape family (and where), as entries of the
// kernel table (core/cuda_kernel.h). flip, roll and repeat need none: they are
// strided copies (copy_), which run on CUDA as they are.
#pragma once
#include <cstdint>
#include <vector>

#include "core/array.h"
#include "core/cuda_kernel.h"

// tril/triu: out (contiguous, self's shape and dtype) = self with the dropped
// triangle zeroed; lower keeps j - i <= k, upper keeps j - i >= k (last two dims).
EMBER_CUDA_KERNEL(shape_triangle, void, (const Array& out, const Array& self, int64_t k, bool lower));

// cat: out (contiguous) along dim from inputs of out's dtype, each contiguous; one
// launch per 64 inputs, the input table passed by value.
EMBER_CUDA_KERNEL(shape_cat, void, (const Array& out, const std::vector<Array>& inputs, int64_t dim));

// where: out = cond ? a : b, all broadcast to out's shape (any strides). a / b are
// arrays of out's dtype or null, then a_bits / b_bits hold the scalar's bytes in
// out's dtype (low bytes, as store_scalar writes them).
EMBER_CUDA_KERNEL(shape_where, void,
                  (const Array& out, const Array& cond, const Array* a, const Array* b, uint64_t a_bits,
                   uint64_t b_bits));
