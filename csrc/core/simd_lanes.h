// simd_lanes.h — explicit SIMD lanes on GCC vector extensions, for the reductions
// (sums, maxima, dot products) of kernels compiled once per ISA. -O3 without
// -ffast-math never reorders a scalar float reduction, so vector-wide accumulators
// have to be spelled out. BYTES is the native register width of the including file's
// ISA (16 SSE2 / 32 AVX2 / 64 AVX-512): wider generic vectors get split, and GCC 12
// scalarises their compares. Each kernel file aliases these with its own width.
#pragma once
#include <cstdint>
#include <cstring>
#include <type_traits>

namespace ember {
namespace lanes {

template <class T, int BYTES>
struct Vec {
  typedef T type __attribute__((vector_size(BYTES)));
  // Same-width integer lanes (compare masks, bitwise blends).
  typedef std::conditional_t<sizeof(T) == 4, int32_t, int64_t> itype __attribute__((vector_size(BYTES)));
  static constexpr int n = BYTES / sizeof(T);
};

// An unaligned load of one vector.
template <int BYTES, class T>
static inline typename Vec<T, BYTES>::type load(const T* p) {
  typename Vec<T, BYTES>::type v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

// The sum of the lanes, accumulated in R.
template <class R, int BYTES, class T>
static inline R hsum(typename Vec<T, BYTES>::type v) {
  R s = 0;
  for (int j = 0; j < Vec<T, BYTES>::n; ++j) s += static_cast<R>(v[j]);
  return s;
}

// Every lane = a.
template <int BYTES, class T>
static inline typename Vec<T, BYTES>::type splat(T a) {
  typename Vec<T, BYTES>::type v;
  for (int j = 0; j < Vec<T, BYTES>::n; ++j) v[j] = a;
  return v;
}

}  // namespace lanes
}  // namespace ember
