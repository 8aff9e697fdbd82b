// overlap.cpp — ATen's MemoryOverlap rules on ember's Array (see overlap.h).
//
// Operands alias when they live in one Storage, or when either storage borrows
// memory (NumPy, DLPack) and the two storages' byte ranges intersect on one device:
// two owned blocks from the allocators never alias. Overlap between aliasing
// operands is then decided on absolute byte addresses, so a borrowed alias of an
// ember array is caught like a view of it.
#include "overlap.h"

#include <cstdint>

#include "checked.h"

namespace ember {
namespace {

const char kInternalMsg[] =
    "] unsupported operation: more than one element of the written-to tensor refers to a single memory "
    "location. Please clone() the tensor before performing the operation.";
const char kPartialMsg[] =
    "] unsupported operation: some elements of the input tensor and the written-to tensor refer to a single "
    "memory location. Please clone() the tensor before performing the operation.";

inline uintptr_t addr(const void* p) { return reinterpret_cast<uintptr_t>(p); }

// Whether a and b may refer to common memory at all (the cheap first test).
bool may_alias(const Array& a, const Array& b) {
  const Storage* sa = a.storage().get();
  const Storage* sb = b.storage().get();
  if (sa == sb) return true;
  if (!sa->borrowed() && !sb->borrowed()) return false;
  if (!(sa->device() == sb->device())) return false;
  const uintptr_t a0 = addr(sa->data()), b0 = addr(sb->data());
  return a0 < b0 + sb->nbytes() && b0 < a0 + sa->nbytes();
}

bool same_layout(const Array& a, const Array& b) {
  return a.data_ptr() == b.data_ptr() && a.dtype() == b.dtype() && a.shape() == b.shape() &&
         a.strides() == b.strides();
}

// [first byte, one past the last byte] that a non-empty array reaches.
struct ByteRange { uintptr_t lo, hi; };
ByteRange byte_range(const Array& a) {
  StrideExtent e = checked_extent(a.shape(), a.strides(), a.offset(), "overlap");
  const int64_t isz = a.itemsize();
  const uintptr_t base = addr(a.storage()->data());
  return {base + static_cast<uintptr_t>(checked_mul(e.lo, isz, "overlap")),
          base + static_cast<uintptr_t>(checked_mul(checked_add(e.hi, 1, "overlap"), isz, "overlap"))};
}

// A non-empty array with a stride-0 dim of size > 1 (an expanded view).
bool repeats_elements(const Array& a) {
  bool zero_stride = false;
  const Shape& shape = a.shape();
  const Shape& strides = a.strides();
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 0) return false;
    if (shape[d] > 1 && strides[d] == 0) zero_stride = true;
  }
  return zero_stride;
}

}  // namespace

MemOverlap has_internal_overlap(const Array& a) {
  if (repeats_elements(a)) return MemOverlap::Yes;
  return a.is_non_overlapping_and_dense() ? MemOverlap::No : MemOverlap::TooHard;
}

MemOverlapStatus overlap_status(const Array& a, const Array& b) {
  if (&a == &b) return MemOverlapStatus::Full;  // one object: in-place calls pass self twice
  if (!may_alias(a, b)) return MemOverlapStatus::No;
  if (a.numel() == 0 || b.numel() == 0) return MemOverlapStatus::No;
  // The very same elements (x.add_(x)): whatever the layout, each is read before it is written.
  if (same_layout(a, b)) return MemOverlapStatus::Full;
  if (!a.is_non_overlapping_and_dense() || !b.is_non_overlapping_and_dense()) return MemOverlapStatus::TooHard;
  // Dense: the data pointer is the lowest address and the elements fill nbytes after it.
  const uintptr_t a0 = addr(a.data_ptr()), b0 = addr(b.data_ptr());
  const uintptr_t a1 = a0 + static_cast<uintptr_t>(checked_nbytes(a.shape(), a.itemsize(), "overlap"));
  const uintptr_t b1 = b0 + static_cast<uintptr_t>(checked_nbytes(b.shape(), b.itemsize(), "overlap"));
  if (a0 == b0 && a1 == b1) return a.strides() == b.strides() ? MemOverlapStatus::Full : MemOverlapStatus::Partial;
  if (a0 < b1 && b0 < a1) return MemOverlapStatus::Partial;
  return MemOverlapStatus::No;
}

bool extents_intersect(const Array& a, const Array& b) {
  if (!may_alias(a, b) || a.numel() == 0 || b.numel() == 0) return false;
  ByteRange ra = byte_range(a), rb = byte_range(b);
  return ra.lo < rb.hi && rb.lo < ra.hi;
}

void assert_no_internal_overlap(const Array& out, const char* op) {
  EMBER_CHECK(!repeats_elements(out), Runtime, "[", op, kInternalMsg);
}

void assert_no_partial_overlap(const Array& out, const Array& in, const char* op) {
  EMBER_CHECK(overlap_status(out, in) != MemOverlapStatus::Partial, Runtime, "[", op, kPartialMsg);
}

void assert_no_overlap(const Array& out, const Array& in, const char* op) {
  MemOverlapStatus s = overlap_status(out, in);
  EMBER_CHECK(s != MemOverlapStatus::Partial && s != MemOverlapStatus::Full, Runtime, "[", op, kPartialMsg);
}

bool needs_temporary(const Array& out, const Array& in) {
  switch (overlap_status(out, in)) {
    case MemOverlapStatus::No: case MemOverlapStatus::Full: return false;
    case MemOverlapStatus::Partial: return true;
    default: return extents_intersect(out, in);
  }
}

bool check_input_overlap(const Array& out, const Array& in, const char* op) {
  switch (overlap_status(out, in)) {
    case MemOverlapStatus::No: case MemOverlapStatus::Full: return false;
    case MemOverlapStatus::Partial: EMBER_FAIL(Runtime, "[", op, kPartialMsg);
    default: return extents_intersect(out, in);
  }
}

bool check_write(const Array& out, std::initializer_list<const Array*> ins, const char* op) {
  assert_no_internal_overlap(out, op);
  bool tmp = false;
  for (const Array* in : ins)
    if (in && in->defined()) tmp = check_input_overlap(out, *in, op) || tmp;
  return tmp;
}

}  // namespace ember
