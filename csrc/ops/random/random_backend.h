// random_backend.h — the kernels behind random.cpp, one set per backend. All
// take contiguous arrays and the (seed, first block) already reserved from a
// Generator; random_transforms.h says which counters each element reads.
#pragma once
#include <cstdint>

#include "core/array.h"
#include "core/cuda_kernel.h"
#include "random_transforms.h"

// The CUDA twins live in _C_cuda (random_cuda.cu), reached through the kernel table.
EMBER_CUDA_KERNEL(random_fill, void, (const Array& out, rng::Dist d, const rng::DistParams& p, uint64_t seed,
                                       uint64_t offset));
EMBER_CUDA_KERNEL(random_bernoulli_tensor, void, (const Array& out, const Array& p, uint64_t seed, uint64_t offset));
EMBER_CUDA_KERNEL(random_probs_in_unit_interval, bool, (const Array& p));

namespace ember {
namespace rng {

// Fills contiguous `out` with samples of distribution d.
void fill_cpu(const Array& out, Dist d, const DistParams& p, uint64_t seed, uint64_t offset);

// out[i] = 1 with probability p[i]; p is contiguous float64 with out's numel.
void bernoulli_tensor_cpu(const Array& out, const Array& p, uint64_t seed, uint64_t offset);
// True when every element of contiguous float64 p lies in [0, 1] (NaN fails).
bool probs_in_unit_interval_cpu(const Array& p);

// A permutation of 0..n-1 into out[0..n); reads blocks [offset, offset + ceil(n/2)).
void randperm_cpu(int64_t* out, int64_t n, uint64_t seed, uint64_t offset);

// Throws "[multinomial] ..." unless every row of contiguous float64 (rows, k)
// probs is a valid (unnormalised) distribution for the request.
void multinomial_check_cpu(const Array& probs, int64_t num_samples, bool replacement);
// out: contiguous int64 (rows, num_samples). Reads ceil(rows*num_samples/2)
// blocks with replacement, ceil(rows*k/2) without.
void multinomial_cpu(const Array& out, const Array& probs, int64_t num_samples, bool replacement,
                     uint64_t seed, uint64_t offset);

}  // namespace rng
}  // namespace ember
