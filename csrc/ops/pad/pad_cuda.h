// pad_cuda.h — CUDA kernels of F.pad's reflect / replicate / circular modes (the
// constant mode is a fill plus a strided copy, which already run on CUDA), as
// entries of the kernel table (core/cuda_kernel.h).
#pragma once
#include <cstdint>

#include "core/array.h"
#include "core/cuda_kernel.h"

namespace ember {
namespace pad_cuda {

// The padded (last k <= 3) dims, as pad.cpp's index_map sees them. x is viewed as
// (outer, in[0..k)), y as (outer, out[0..k)), both contiguous. For output index o
// of dim d the source index is
//   circular:  first[d] + ((o - shift[d]) mod kept[d])
//   reflect:   i = o - lo[d]; i < 0 -> -i; i >= in[d] -> 2 (in[d] - 1) - i
//   replicate: clamp(o - lo[d], 0, in[d] - 1)
struct PadDims {
  int k = 0;
  int mode = 0;  // pad_detail::Mode: 1 reflect, 2 replicate, 3 circular
  int64_t outer = 1;
  int64_t in[3] = {1, 1, 1}, out[3] = {1, 1, 1}, lo[3] = {0, 0, 0};
  int64_t first[3] = {0, 0, 0}, kept[3] = {1, 1, 1}, shift[3] = {0, 0, 0};
};

}  // namespace pad_cuda
}  // namespace ember

// y[o, i...] = x[o, map(i)...]; any dtype (moved as bytes).
EMBER_CUDA_KERNEL(pad_map_forward, void, (const Array& y, const Array& x, const ember::pad_cuda::PadDims& p));
// gx = 0, then gx[o, map(i)...] += gy[o, i...] (atomicAdd); float32 / float64.
EMBER_CUDA_KERNEL(pad_map_backward, void, (const Array& gx, const Array& gy, const ember::pad_cuda::PadDims& p));
