// index_util.h — helpers shared by the index family's kernels: device and
// index-dtype checks, the range check every op runs before writing, and a
// raw-bytes element type for ops that only move elements.
#pragma once
#include <array>
#include <cstdint>
#include <cstring>

#include "core/array.h"
#include "core/parallel.h"
#include "core/strided_loop.h"

namespace ember {
namespace idx {

inline void check_cpu(const Array& a, const char* op) {
  EMBER_CHECK(a.device().is_cpu(), Runtime, "[", op, "] ", a.device().str(),
              " tensors are not supported by this op yet: move them to the CPU");
}
// Both devices may be CPU or CUDA (the CUDA kernels are in index_*_cuda.cu).
inline void check_same_device(const Array& a, const Array& b, const char* op) {
  EMBER_CHECK(a.device() == b.device(), Runtime, "[", op, "] expected all tensors on the same device, got ",
              a.device().str(), " and ", b.device().str());
}

// The CUDA kernels take int64 indices only (one instantiation instead of two):
// int32 CUDA indices are widened first (a copy).
inline Array cuda_index64(const Array& index) {
  return (index.device().is_cuda() && index.dtype() == DType::Int32) ? index.to(DType::Int64) : index;
}

inline void check_index_dtype(const Array& index, const char* op) {
  EMBER_CHECK(index.dtype() == DType::Int64 || index.dtype() == DType::Int32, Type, "[", op,
              "] index must be an int64 or int32 tensor, got ", dtype_name(index.dtype()));
}

// Dispatches on the index dtype (int32 or int64) with `index_t` naming it.
template <class F>
inline void dispatch_index(DType dt, const F& f) {
  if (dt == DType::Int32) f(int32_t{});
  else f(int64_t{});
}

// Throws IndexError for the first index outside [0, size) (or [-size, size) when
// negatives are allowed); runs before any kernel writes.
// CUDA indices are checked by the kernels themselves (index_cuda.h): nothing here.
inline void check_range(const Array& index, int64_t size, bool allow_negative, const char* op, int64_t dim) {
  if (index.numel() == 0 || index.device().is_cuda()) return;
  int64_t st[kMaxDims];
  broadcast_byte_strides(index, index.shape(), st);
  StridedLoop<1> loop(index.shape(), {static_cast<char*>(index.data_ptr())}, {st});
  const int64_t lo = allow_negative ? -size : 0;
  dispatch_index(index.dtype(), [&](auto tag) {
    using I = decltype(tag);
    loop.run([&](char* const* p, const int64_t* s, int64_t n) {
      for (int64_t i = 0; i < n; ++i) {
        int64_t v = *reinterpret_cast<const I*>(p[0] + i * s[0]);
        if (v < lo || v >= size) {
          if (dim >= 0)
            EMBER_FAIL(Index, "[", op, "] index ", v, " is out of bounds for dim ", dim, " with size ", size);
          EMBER_FAIL(Index, "[", op, "] index ", v, " is out of bounds for a tensor of ", size, " elements");
        }
      }
    }, 1 << 16);
  });
}

// Byte strides of `a` along `shape` (same rank), with dim `zero_dim` forced to 0.
inline void strides_with_zero(const Array& a, const Shape& shape, int64_t zero_dim, int64_t* out) {
  for (size_t d = 0; d < shape.size(); ++d)
    out[d] = (static_cast<int64_t>(d) == zero_dim || a.shape()[d] == 1) ? 0 : a.strides()[d] * a.itemsize();
}

// Element types for ops that only move bytes: one instantiation per itemsize.
template <class F>
inline void dispatch_bytes(int64_t itemsize, const F& f) {
  switch (itemsize) {
    case 1: f(uint8_t{}); break;
    case 2: f(uint16_t{}); break;
    case 4: f(uint32_t{}); break;
    default: f(uint64_t{}); break;
  }
}

// Splits [0, n) into at most get_num_threads() chunks of at least `grain`; returns the count.
inline int64_t num_chunks(int64_t n, int64_t grain) {
  int64_t c = (n + grain - 1) / grain;
  int64_t t = get_num_threads();
  return c < 1 ? 1 : (c < t ? c : t);
}

}  // namespace idx
}  // namespace ember

namespace ember {
namespace idx {

// Walks elements [b, e) of `shape` in row-major (logical) order, N operands given
// by base pointers and byte strides; f(ptrs, coord) sees each element. For ops
// whose output order is the logical order (nonzero, masked_select).
template <int N, class F>
inline void walk_rowmajor(const Shape& shape, const std::array<const char*, N>& base,
                          const std::array<const int64_t*, N>& st, int64_t b, int64_t e, const F& f) {
  const int nd = static_cast<int>(shape.size());
  int64_t coord[kMaxDims];
  std::array<const char*, N> p = base;
  int64_t rem = b;
  for (int d = nd - 1; d >= 0; --d) {
    coord[d] = rem % shape[d];
    rem /= shape[d];
    for (int k = 0; k < N; ++k) p[k] += coord[d] * st[k][d];
  }
  for (int64_t i = b; i < e; ++i) {
    f(p, coord);
    for (int d = nd - 1; d >= 0; --d) {
      ++coord[d];
      for (int k = 0; k < N; ++k) p[k] += st[k][d];
      if (coord[d] < shape[d]) break;
      for (int k = 0; k < N; ++k) p[k] -= coord[d] * st[k][d];
      coord[d] = 0;
    }
  }
}

}  // namespace idx
}  // namespace ember
