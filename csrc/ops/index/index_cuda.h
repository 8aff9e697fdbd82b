// index_cuda.h — the index family's CUDA kernels (gather / scatter / advanced
// indexing / masks / one_hot), as entries of the kernel table (core/cuda_kernel.h).
// Included by the host .cpp files (which check arguments and allocate) and by the
// index_*_cuda.cu files (which register the implementations).
//
// Index bounds on CUDA: the host cannot read device indices without a sync, so the
// kernels check every index themselves. A bad index is never dereferenced (its
// output element is written as 0 / its update skipped) and is recorded in one
// process-wide error record in mapped pinned host memory (no copy, no sync). The
// record is read (without synchronising) at the start of every CUDA index-family
// op and after the syncs that nonzero / masked_select / one_hot(-1) make anyway;
// a set record raises IndexError "[op] index V is out of bounds ..., reported by
// an earlier asynchronous CUDA <op>". index_cuda_check_errors(dev, op) synchronises
// the current stream first, so it reports for sure (e.g. at a sync point).
#pragma once
#include <cstdint>

#include "core/array.h"
#include "core/cuda_kernel.h"

namespace ember {
namespace idx_cuda {
// Reductions of index_scatter (same order as scatter.cpp's Red).
enum Red : int { kAssign = 0, kSum = 1, kProd = 2, kMax = 3, kMin = 4 };
}  // namespace idx_cuda
}  // namespace ember

// out[i] = self[i with `dim` replaced by index[i]]. out has index's shape (index
// may carry 0 strides); self is read with its own strides (dim ignored). Negative
// indices wrap when allow_negative. Any dtype (moved as bytes), int64 index (callers widen
// int32 ones: idx::cuda_index64). Same for every index below.
EMBER_CUDA_KERNEL(index_gather, void,
                  (const Array& out, const Array& self, int64_t dim, const Array& index, bool allow_negative,
                   const char* op));

// self[i with dim replaced by index[i]] (red)= src[i] for i over index's shape; src
// has index's shape (own strides) or is null, then `value` (ivalue for integer
// dtypes, exact for int64) is used. alpha scales src for kSum. Duplicates: atomics.
EMBER_CUDA_KERNEL(index_scatter, void,
                  (const Array& self, int64_t dim, const Array& index, const Array* src, double value,
                   int64_t ivalue, int red, double alpha, const char* op));

// scatter_reduce(mean)'s last step: self[i] /= counts[i] + extra where counts[i] > 0
// (integers: floor division, as torch). counts int64 with self's shape.
EMBER_CUDA_KERNEL(index_scatter_mean_div, void, (const Array& self, const Array& counts, int64_t extra));

// Advanced indexing: offsets (int64, shape B, contiguous) += wrap(index) * stride
// for one index array broadcast to B (checked against `size`).
EMBER_CUDA_KERNEL(index_add_offsets, void,
                  (const Array& offsets, const Array& index, int64_t size, int64_t stride, int64_t dim,
                   const char* op));
// out[j] = self_view[j] + offsets_view[j]: self_view / offsets_view are views with
// out's shape (0 strides where they do not vary); element offsets into self's data.
EMBER_CUDA_KERNEL(index_advanced_get, void,
                  (const Array& out, const Array& self_view, const Array& offsets_view));
// self[self_view[j] + offsets_view[j]] = values_view[j] (or += with accumulate).
EMBER_CUDA_KERNEL(index_advanced_put, void,
                  (const Array& self_view, const Array& offsets_view, const Array& values_view,
                   bool accumulate));

// self[mask] = value (mask broadcast to self's shape, bool).
EMBER_CUDA_KERNEL(index_masked_fill, void, (const Array& self, const Array& mask, double value, int64_t ivalue));
// nonzero(self) as an int64 (count, ndim) array; synchronises once (result size).
EMBER_CUDA_KERNEL(index_nonzero, Array, (const Array& self));
// masked_select: self and mask broadcast to `shape`; synchronises once (result size).
EMBER_CUDA_KERNEL(index_masked_select, Array, (const Array& self, const Array& mask));
// one_hot: labels int32/int64 (any strides); num_classes -1 infers max + 1
// (synchronises once then). Labels outside [0, num_classes) raise ValueError
// after one sync (the check needs the data, as on the CPU).
EMBER_CUDA_KERNEL(index_one_hot, Array, (const Array& labels, int64_t num_classes));

// Synchronises the current stream of `dev` and raises if a CUDA index kernel
// recorded an out-of-bounds index since the last check.
EMBER_CUDA_KERNEL(index_cuda_check_errors, void, (int dev, const char* op));
