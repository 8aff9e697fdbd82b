// strided_loop.h — iterate N same-shaped strided operands element by element.
//
// The shape is simplified first: size-1 dims dropped, dims ordered by operand 0's
// strides (so a transposed output is walked in memory order), then adjacent dims
// merged when every operand is contiguous across them. What is left is walked as
// runs of the innermost dim; the kernel sees
//     loop(char* const* ptrs, const int64_t* strides, int64_t n)
// with one pointer and one byte stride per operand, and a run of n elements. A run
// where every stride equals the itemsize is the fast contiguous case kernels
// vectorise. The element range is split over the thread pool (grain = elements
// per chunk), so even one long contiguous dim is parallel.
#pragma once
#include <algorithm>
#include <array>
#include <cstdint>

#include "array.h"
#include "parallel.h"

namespace ember {

template <int N>
class StridedLoop {
 public:
  // strides_bytes[k][d]: byte stride of operand k along dim d of `shape`.
  StridedLoop(const Shape& shape, const std::array<char*, N>& base,
              const std::array<const int64_t*, N>& strides_bytes) {
    base_ = base;
    numel_ = 1;
    int nd = static_cast<int>(shape.size());
    // Keep dims of size > 1.
    int idx[kMaxDims];
    int m = 0;
    for (int d = 0; d < nd; ++d) {
      numel_ *= shape[d];
      if (shape[d] != 1) idx[m++] = d;
    }
    // Order dims by operand 0's |stride|, largest first (stable: ties keep order).
    std::stable_sort(idx, idx + m, [&](int a, int b) {
      int64_t sa = strides_bytes[0][a] < 0 ? -strides_bytes[0][a] : strides_bytes[0][a];
      int64_t sb = strides_bytes[0][b] < 0 ? -strides_bytes[0][b] : strides_bytes[0][b];
      return sa > sb;
    });
    ndim_ = 0;
    for (int j = 0; j < m; ++j) {
      int d = idx[j];
      if (ndim_ > 0) {
        bool mergeable = true;
        for (int k = 0; k < N; ++k)
          if (strides_[k][ndim_ - 1] != strides_bytes[k][d] * shape[d]) { mergeable = false; break; }
        if (mergeable) {
          shape_[ndim_ - 1] *= shape[d];
          for (int k = 0; k < N; ++k) strides_[k][ndim_ - 1] = strides_bytes[k][d];
          continue;
        }
      }
      shape_[ndim_] = shape[d];
      for (int k = 0; k < N; ++k) strides_[k][ndim_] = strides_bytes[k][d];
      ++ndim_;
    }
    if (ndim_ == 0) {  // a single element
      shape_[0] = 1;
      for (int k = 0; k < N; ++k) strides_[k][0] = 0;
      ndim_ = 1;
    }
  }

  int64_t numel() const { return numel_; }
  int ndim() const { return ndim_; }
  const int64_t* shape() const { return shape_; }
  int64_t inner_stride(int k) const { return strides_[k][ndim_ - 1]; }

  // Runs loop over every element, parallel in chunks of at least `grain` elements.
  template <class F>
  void run(const F& loop, int64_t grain = 32768) const {
    if (numel_ == 0) return;
    parallel_for(0, numel_, grain, [&](int64_t b, int64_t e) { run_range(loop, b, e); });
  }

  // Runs loop over elements [begin, end) of the (simplified) iteration order.
  template <class F>
  void run_range(const F& loop, int64_t begin, int64_t end) const {
    const int last = ndim_ - 1;
    const int64_t inner = shape_[last];
    int64_t counter[kMaxDims];
    int64_t rem = begin;
    for (int d = last; d >= 0; --d) {
      counter[d] = rem % shape_[d];
      rem /= shape_[d];
    }
    std::array<char*, N> ptrs;
    int64_t inner_strides[N];
    for (int k = 0; k < N; ++k) {
      char* p = base_[k];
      for (int d = 0; d <= last; ++d) p += counter[d] * strides_[k][d];
      ptrs[k] = p;
      inner_strides[k] = strides_[k][last];
    }
    int64_t pos = begin;
    while (pos < end) {
      int64_t n = std::min(inner - counter[last], end - pos);
      loop(ptrs.data(), inner_strides, n);
      pos += n;
      if (pos >= end) break;
      // Advance to the start of the next run: carry through the outer dims.
      // ptrs still point at this run's first element: rewind to the row start.
      for (int k = 0; k < N; ++k) ptrs[k] -= counter[last] * strides_[k][last];
      counter[last] = 0;
      for (int d = last - 1; d >= 0; --d) {
        ++counter[d];
        for (int k = 0; k < N; ++k) ptrs[k] += strides_[k][d];
        if (counter[d] < shape_[d]) break;
        for (int k = 0; k < N; ++k) ptrs[k] -= counter[d] * strides_[k][d];
        counter[d] = 0;
      }
    }
  }

 private:
  std::array<char*, N> base_;
  int64_t shape_[kMaxDims];
  int64_t strides_[N][kMaxDims];
  int ndim_ = 0;
  int64_t numel_ = 0;
};

// Byte strides of `a` broadcast to `shape` (0 along broadcast dims), right-aligned.
void broadcast_byte_strides(const Array& a, const Shape& shape, int64_t* out);

}  // namespace ember
