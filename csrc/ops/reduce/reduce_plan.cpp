// reduce_plan.cpp — dims resolution and the walk plan of a reduction (see reduce_plan.h).
#include "reduce_plan.h"

#include <algorithm>

namespace ember {

ReduceDims resolve_dims(const Array& a, const std::vector<int64_t>& dims, bool keepdim, const char* op) {
  int64_t nd = a.ndim();
  ReduceDims rd;
  rd.reduced.assign(nd, dims.empty());
  for (int64_t d : dims) {
    int64_t w = wrap_dim(d, nd, op);
    if (nd == 0) continue;  // a 0-d input accepts dim 0 / -1 and reduces nothing
    EMBER_CHECK(!rd.reduced[w], Value, "[", op, "] dim ", w, " appears multiple times in the list of dims");
    rd.reduced[w] = true;
  }
  for (int64_t d = 0; d < nd; ++d) {
    if (!rd.reduced[d]) rd.out_shape.push_back(a.shape()[d]);
    else if (keepdim) rd.out_shape.push_back(1);
  }
  return rd;
}

ReducePlan make_plan(const Array& a, const std::vector<bool>& reduced, bool reorder) {
  ReducePlan p;
  int64_t nd = a.ndim();
  // Kept dims in output order; merge when the input is contiguous across them
  // (the output always is).
  for (int64_t d = 0; d < nd; ++d) {
    int64_t s = a.shape()[d], st = a.strides()[d];
    if (reduced[d]) { p.n_red *= s; continue; }
    p.n_out *= s;
    if (s == 1) continue;
    if (p.nk > 0 && p.kstride[p.nk - 1] == st * s) {
      p.kshape[p.nk - 1] *= s;
      p.kstride[p.nk - 1] = st;
    } else {
      p.kshape[p.nk] = s;
      p.kstride[p.nk] = st;
      ++p.nk;
    }
  }
  int idx[kMaxDims], m = 0;
  for (int64_t d = 0; d < nd; ++d)
    if (reduced[d] && a.shape()[d] != 1) idx[m++] = static_cast<int>(d);
  if (reorder)
    std::stable_sort(idx, idx + m, [&](int x, int y) { return a.strides()[x] > a.strides()[y]; });
  for (int j = 0; j < m; ++j) {
    int64_t s = a.shape()[idx[j]], st = a.strides()[idx[j]];
    if (p.nr > 0 && p.rstride[p.nr - 1] == st * s) {
      p.rshape[p.nr - 1] *= s;
      p.rstride[p.nr - 1] = st;
    } else {
      p.rshape[p.nr] = s;
      p.rstride[p.nr] = st;
      ++p.nr;
    }
  }
  return p;
}

void check_reduce_input(const Array& a, const char* op) {
  EMBER_CHECK(a.defined(), Value, "[", op, "] got an undefined array");
}

void check_nonempty_reduction(const Array& a, const ReduceDims& rd, const char* op) {
  if (a.numel() != 0) return;
  bool all_reduced = true;
  for (bool r : rd.reduced) all_reduced = all_reduced && r;
  if (all_reduced)
    EMBER_FAIL(Runtime, "[", op, "] cannot reduce an empty tensor of shape ", shape_str(a.shape()),
               ": the operation has no identity; specify a dim of non-zero size");
  for (int64_t d = 0; d < a.ndim(); ++d)
    if (rd.reduced[d] && a.shape()[d] == 0)
      EMBER_FAIL(Index, "[", op, "] expected reduction dim ", d, " to have non-zero size: cannot reduce an empty ",
                 "dimension of input shape ", shape_str(a.shape()), " (the operation has no identity)");
}

}  // namespace ember
