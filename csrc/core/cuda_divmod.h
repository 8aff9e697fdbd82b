// cuda_divmod.h — FastDivmod, the 32-bit division by a fixed divisor that
// StridedIndex (cuda_utils.cuh) uses on the device. Plain C++ on the host (so _C
// tests it: _C._test_fast_divmod, tests/test_cuda_index_math.py), __umulhi on the
// device.
#pragma once
#include <cstdint>

#if defined(__CUDACC__)
#define EMBER_HD_INLINE __host__ __device__ __forceinline__
#else
#define EMBER_HD_INLINE inline
#endif

namespace ember {

// Unsigned division by a divisor fixed on the host (Granlund-Montgomery, like
// PyTorch's IntDivider): for 1 <= d <= 2^31 and n < 2^31,
// n / d == (umulhi(n, magic) + n) >> shift. The sum cannot overflow: umulhi(n,
// magic) <= n < 2^31.
struct FastDivmod {
  uint32_t divisor = 1, magic = 1, shift = 0;
  FastDivmod() = default;
  explicit FastDivmod(uint32_t d) : divisor(d) {
    shift = 0;
    while (shift < 32 && (uint64_t(1) << shift) < d) ++shift;
    const uint64_t m = ((uint64_t(1) << 32) * ((uint64_t(1) << shift) - d)) / d + 1;
    magic = static_cast<uint32_t>(m);  // < 2^32 for every d <= 2^31
  }
  EMBER_HD_INLINE uint32_t div(uint32_t n) const {
#if defined(__CUDA_ARCH__)
    const uint32_t t = __umulhi(n, magic);
#else
    const uint32_t t = static_cast<uint32_t>((static_cast<uint64_t>(n) * magic) >> 32);
#endif
    return (t + n) >> shift;
  }
};

}  // namespace ember
