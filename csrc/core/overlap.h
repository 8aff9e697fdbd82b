// overlap.h — memory-overlap checks run before every write (in-place ops, out=,
// copy_, setitem, scatter/index_put...), after ATen's MemoryOverlap.
//
// Two questions, both answered from shapes, strides and pointers only (never by
// touching the data):
//   has_internal_overlap(a): can two elements of `a` share one memory location?
//     No when `a` is non-overlapping and dense; Yes when a dim of size > 1 has
//     stride 0 (an expanded view); TooHard for every other non-dense layout.
//   overlap_status(a, b): how do a's and b's bytes relate? No (disjoint memory),
//     Full (the very same elements in the same layout: `x.add_(x)` is fine),
//     Partial (dense ranges that intersect otherwise: `x[1:] += x[:-1]`), or
//     TooHard (same memory, a non-dense operand).
// The assert_* helpers raise torch's messages prefixed with "[op] ". Callers that
// read an input while writing `out` use needs_temporary() to read a TooHard
// overlapping input through a copy, so the result never depends on the order in
// which elements (or threads) are visited.
//
// Cost of the common case (operands in different storages): a pointer compare.
#pragma once
#include <initializer_list>

#include "array.h"

namespace ember {

enum class MemOverlap { No, Yes, TooHard };
enum class MemOverlapStatus { Full, Partial, No, TooHard };

MemOverlap has_internal_overlap(const Array& a);
MemOverlapStatus overlap_status(const Array& a, const Array& b);

// True when the byte ranges [lowest, highest] that a and b reach intersect in the
// same memory (a superset of real sharing: x[::2] and x[1::2] intersect here).
bool extents_intersect(const Array& a, const Array& b);

// "[op] unsupported operation: more than one element of the written-to tensor refers
// to a single memory location. ..." when has_internal_overlap(out) is Yes.
void assert_no_internal_overlap(const Array& out, const char* op);
// "[op] unsupported operation: some elements of the input tensor and the written-to
// tensor refer to a single memory location. ..." when the overlap is Partial.
void assert_no_partial_overlap(const Array& out, const Array& in, const char* op);
// The same message when the overlap is Partial or Full (ops whose kernels cannot
// even run on the very same elements: scatter's src/index, index_put_'s values).
void assert_no_overlap(const Array& out, const Array& in, const char* op);

// True when `in` must be read through a temporary while `out` is written: they
// share memory in any way other than Full (Partial, or TooHard with intersecting
// extents). False for disjoint operands, at the cost of a pointer compare.
bool needs_temporary(const Array& out, const Array& in);

// assert_no_partial_overlap(out, in), then needs_temporary(out, in) — one status
// computation for the per-input step of elementwise writes.
bool check_input_overlap(const Array& out, const Array& in, const char* op);

// Every check an elementwise write runs (torch's TensorIterator): no internal
// overlap in out, no partial overlap with any input (null entries are skipped).
// Returns true when some input must be read through a temporary, i.e. the op
// computes into a fresh array and copies that into out.
bool check_write(const Array& out, std::initializer_list<const Array*> ins, const char* op);

}  // namespace ember
