// checked.h — overflow-checked size arithmetic, the one place sizes are computed.
//
// Every numel, byte count, output size and stride extent in ember goes through
// these helpers (as c10 computes storage bytes with overflow checks): a size that
// does not fit in int64 raises "[op] ... overflows" instead of wrapping into a
// small allocation that a kernel then writes past.
#pragma once
#include <cstdint>
#include <cstddef>
#include <vector>

#include "error.h"

namespace ember {

// a * b, or "[op] size a * b overflows int64".
inline int64_t checked_mul(int64_t a, int64_t b, const char* op) {
  int64_t r;
  if (__builtin_mul_overflow(a, b, &r))
    EMBER_FAIL(Runtime, "[", op, "] size overflow: ", a, " * ", b, " does not fit in int64");
  return r;
}

// a + b, or "[op] size a + b overflows int64".
inline int64_t checked_add(int64_t a, int64_t b, const char* op) {
  int64_t r;
  if (__builtin_add_overflow(a, b, &r))
    EMBER_FAIL(Runtime, "[", op, "] size overflow: ", a, " + ", b, " does not fit in int64");
  return r;
}

// Product of a shape's sizes; every size must be >= 0.
inline int64_t checked_numel(const std::vector<int64_t>& shape, const char* op) {
  int64_t n = 1;
  for (int64_t s : shape) {
    if (s < 0) EMBER_FAIL(Value, "[", op, "] negative dimension ", s, " in shape ", shape_str(shape));
    int64_t r;
    if (__builtin_mul_overflow(n, s, &r))
      EMBER_FAIL(Runtime, "[", op, "] shape ", shape_str(shape), " has too many elements: its numel overflows int64");
    n = r;
  }
  return n;
}

// Bytes of a contiguous array of `shape` with `itemsize`-byte elements.
inline int64_t checked_nbytes(const std::vector<int64_t>& shape, int64_t itemsize, const char* op) {
  int64_t n = checked_numel(shape, op), r;
  if (__builtin_mul_overflow(n, itemsize, &r))
    EMBER_FAIL(Runtime, "[", op, "] size overflow: shape ", shape_str(shape), " needs more than 2^63 bytes (", n,
               " elements of ", itemsize, " bytes)");
  return r;
}

// a + b clamped to [INT64_MIN, INT64_MAX]: for offsets compared against sizes
// (tril/triu diagonals), where "past the end" is all that matters.
inline int64_t saturating_add(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_add_overflow(a, b, &r)) return b > 0 ? INT64_MAX : INT64_MIN;
  return r;
}

// a - b clamped to [INT64_MIN, INT64_MAX].
inline int64_t saturating_sub(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_sub_overflow(a, b, &r)) return b < 0 ? INT64_MAX : INT64_MIN;
  return r;
}

// Number of windows of `window` elements, `step` apart, in a (padded) extent of
// `extent` elements: (extent - window) / step + 1, or 0 when the window does not
// fit. Overflow-free for any non-negative extent/window and positive step.
inline int64_t window_count(int64_t extent, int64_t window, int64_t step) {
  if (window > extent) return 0;
  return (extent - window) / step + 1;
}

// Lowest and highest element offsets a strided view reaches (for numel > 0),
// relative to storage offset 0. Throws when the extent overflows.
struct StrideExtent { int64_t lo, hi; };
inline StrideExtent checked_extent(const std::vector<int64_t>& shape, const std::vector<int64_t>& strides,
                                   int64_t offset, const char* op) {
  StrideExtent e{offset, offset};
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == 0) return {offset, offset};
    int64_t step = checked_mul(shape[i] - 1, strides[i], op);
    if (step >= 0) e.hi = checked_add(e.hi, step, op);
    else e.lo = checked_add(e.lo, step, op);
  }
  return e;
}

}  // namespace ember
