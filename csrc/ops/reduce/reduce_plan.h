// reduce_plan.h — how a reduction walks its input (shared by every reduce op).
//
// The input's dims split into kept dims (in output order) and reduced dims.
// Size-1 dims are dropped and neighbours that are contiguous with each other are
// merged, so a reduction over the last dims of a contiguous array becomes one
// kept dim and one contiguous reduced run. Reduced dims may also be reordered by
// stride (innermost stride last) when the op does not care about positions.
#pragma once
#include <vector>

#include "core/array.h"

namespace ember {

struct ReducePlan {
  int nk = 0, nr = 0;
  int64_t kshape[kMaxDims], kstride[kMaxDims];  // kept dims, input strides (elements)
  int64_t rshape[kMaxDims], rstride[kMaxDims];  // reduced dims, innermost last
  int64_t n_out = 1, n_red = 1;
};

// Resolved dims of a reduction: which input dims reduce, and the output shape.
struct ReduceDims {
  std::vector<bool> reduced;  // per input dim
  Shape out_shape;
};

// Wraps and validates `dims` (empty = all dims; duplicates are an error).
ReduceDims resolve_dims(const Array& a, const std::vector<int64_t>& dims, bool keepdim, const char* op);
// reorder: true lets reduced dims be walked in memory order (positions unused).
ReducePlan make_plan(const Array& a, const std::vector<bool>& reduced, bool reorder);

// Common argument checks (a defined array; CPU and CUDA inputs are both served).
void check_reduce_input(const Array& a, const char* op);
// Errors for ops without an identity (max, amin, argmax, inf-norm...) on empty reductions.
void check_nonempty_reduction(const Array& a, const ReduceDims& rd, const char* op);

}  // namespace ember
