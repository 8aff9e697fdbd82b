// reduce_engine.h — the loop structure shared by every reduction kernel.
//
// An Op describes one reduction:
//   using in_t, acc_t;  static constexpr bool kCols;
//   acc_t init() const;
//   void run(acc_t&, const in_t* p, int64_t stride, int64_t n, int64_t idx0) const;
//       folds a run of n elements (stride in elements; idx0 = flat reduce index of p[0])
//   void rows(acc_t* acc, const in_t* p, int64_t rs, int64_t nr, int64_t m, int64_t idx0) const;
//       (if kCols) folds nr rows p[r * rs + j] (reduce index idx0 + r) into acc[j],
//       j < m: steps of a reduction over an outer dim
//   void combine(acc_t& a, const acc_t& b) const;   b covers later indices than a
//   void finish(int64_t o, const acc_t&) const;     writes output element o
// acc_t must be trivially copyable and destructible (the schedules keep
// accumulators in byte buffers), and accumulators never alias the input or the
// outputs (the typed pieces below tell the compiler so with __restrict).
//
// Three schedules, picked from the plan (reduce_plan.h):
//  * columns: the innermost kept dim is contiguous and the reduction is over
//    outer dims -> blocks of outputs accumulate whole input rows (vertical SIMD);
//    blocks are as wide as a ~32 KB accumulator allows, so rows stream through
//    whole pages, and when there are fewer blocks than threads the threads split
//    the rows instead;
//  * per output: many outputs -> threads split the outputs, each output folds its
//    reduce range run by run (contiguous runs hit the SIMD kernels);
//  * split: few outputs, long reductions -> threads split each reduce range and
//    partial results combine in index order (deterministic for a thread count).
//
// Code size: the schedules (block sizes, thread splits, partial buffers) are
// written once, in reduce_engine.cpp, and reach the Op through a small table of
// function pointers (OpTable, one constant per Op) that handles accumulators as
// bytes. Per Op there remain only small typed pieces, each called once per block
// or thread chunk: the walk of a column block through rows(), init/combine/finish
// over a block of accumulators, and the per-output loop (init, walk, finish
// inline), so small reductions pay no indirect call per output or per run.
// Combine order is that of the typed schedules before: results are bit-identical.
// The column walk is told that its accumulators are 16-byte aligned and alias
// nothing, so GCC vectorises / unroll-and-jams the generic rows() loops in both
// column branches alike (Ops whose fold is branchy give rows() a branch-free or
// hand-picked loop: ArgOp, LogicalOp).
#pragma once
#include <algorithm>
#include <new>
#include <type_traits>

#include "core/parallel.h"
#include "reduce_plan.h"

namespace ember {

// Calls f(ptr, stride, n, pos) for each run of the innermost reduced dim that
// covers reduce indices [rb, re) of the input block starting at `in` (p.nr > 0).
template <class T, class F>
inline void walk_runs(const ReducePlan& p, const T* in, int64_t rb, int64_t re, const F& f) {
  const int last = p.nr - 1;
  const int64_t inner = p.rshape[last], istride = p.rstride[last];
  int64_t cnt[kMaxDims], rem = rb;
  const T* ptr = in;
  // unroll 1: at -O3 GCC peels these dim loops kMaxDims times in every Op's copy.
#pragma GCC unroll 1
  for (int d = last; d >= 0; --d) {
    cnt[d] = rem % p.rshape[d];
    rem /= p.rshape[d];
    ptr += cnt[d] * p.rstride[d];
  }
  int64_t pos = rb;
  while (pos < re) {
    int64_t n = std::min(inner - cnt[last], re - pos);
    f(ptr, istride, n, pos);
    pos += n;
    if (pos >= re) break;
    ptr -= cnt[last] * istride;
    cnt[last] = 0;
#pragma GCC unroll 1
    for (int d = last - 1; d >= 0; --d) {
      ++cnt[d];
      ptr += p.rstride[d];
      if (cnt[d] < p.rshape[d]) break;
      ptr -= cnt[d] * p.rstride[d];
      cnt[d] = 0;
    }
  }
}

// Folds reduce indices [rb, re) of the input block starting at `in`.
template <class Op>
inline void reduce_walk(const ReducePlan& p, const Op& op, typename Op::acc_t& acc,
                        const typename Op::in_t* in, int64_t rb, int64_t re) {
  if (rb >= re) return;
  if (p.nr == 0) { op.run(acc, in, 1, 1, 0); return; }
  walk_runs(p, in, rb, re, [&](const typename Op::in_t* ptr, int64_t s, int64_t n, int64_t pos) {
    op.run(acc, ptr, s, n, pos);
  });
}

// Input offset (elements) of output o, from the kept dims.
inline int64_t kept_offset(const ReducePlan& p, int64_t o) {
  int64_t off = 0;
#pragma GCC unroll 1
  for (int d = p.nk - 1; d >= 0; --d) {
    off += (o % p.kshape[d]) * p.kstride[d];
    o /= p.kshape[d];
  }
  return off;
}

namespace reduce_detail {

// One Op seen through untyped pointers: `op` is the const Op*, `base` the input's
// first element (in_t), accumulators are arrays of acc_size-byte acc_t.
struct OpTable {
  using ColsFn = void (*)(const void* op, const ReducePlan& p, void* acc, const void* in, int64_t m, int64_t rb,
                          int64_t re);
  int64_t acc_size, in_size;
  // acc[j] = init(), j < n
  void (*init)(const void* op, void* acc, int64_t n);
  // Outputs [ob, oe): each folds reduce indices [rb, re) from init(), then
  // finish(o) when part is null, else stores the partial in part[o - ob].
  void (*outputs)(const void* op, const ReducePlan& p, const void* base, int64_t ob, int64_t oe, int64_t rb,
                  int64_t re, void* part);
  // Folds reduce indices [rb, re) of the column block at `in` (m contiguous
  // columns; each reduce index is one input row of them) into acc[j], j < m,
  // through Op::rows, run by run (kCols ops; null otherwise). acc is
  // kAccAlign-aligned.
  ColsFn cols;
  // combine(a[j], b[j]), j < n
  void (*combine)(const void* op, void* a, const void* b, int64_t n);
  // finish(o0 + j, acc[j]), j < n
  void (*finish)(const void* op, int64_t o0, const void* acc, int64_t n);
};

// Alignment (bytes) of every block of accumulators handed to OpTable::cols.
constexpr int64_t kAccAlign = 16;

// The schedules, written once (reduce_engine.cpp).
void reduce(const ReducePlan& p, const OpTable& t, const void* op, const void* base);

template <class Op> void op_init(const void* op, void* acc, int64_t n) {
  using A = typename Op::acc_t;
  const Op& o = *static_cast<const Op*>(op);
  A* a = static_cast<A*>(acc);
  for (int64_t j = 0; j < n; ++j) ::new (static_cast<void*>(a + j)) A(o.init());
}
// The per-output loop stays typed (init/walk/finish inline, no indirect call per
// output); the schedule reaches it once per thread chunk.
template <class Op>
void op_outputs(const void* op, const ReducePlan& p, const void* base, int64_t ob, int64_t oe, int64_t rb,
                int64_t re, void* part) {
  using A = typename Op::acc_t;
  const Op& o = *static_cast<const Op*>(op);
  const auto* in = static_cast<const typename Op::in_t*>(base);
  for (int64_t i = ob; i < oe; ++i) {
    A acc = o.init();
    reduce_walk(p, o, acc, in + kept_offset(p, i), rb, re);
    if (part) ::new (static_cast<void*>(static_cast<A*>(part) + (i - ob))) A(acc);
    else o.finish(i, acc);
  }
}
template <class Op>
void op_cols(const void* op, const ReducePlan& p, void* __restrict acc, const void* __restrict in, int64_t m,
             int64_t rb, int64_t re) {
  using T = typename Op::in_t;
  if (rb >= re) return;
  const Op& o = *static_cast<const Op*>(op);
  // The schedule's column blocks start kAccAlign-aligned (see reduce_engine.cpp).
  auto* a = static_cast<typename Op::acc_t*>(__builtin_assume_aligned(acc, kAccAlign));
  walk_runs(p, static_cast<const T*>(in), rb, re,
            [&](const T* ptr, int64_t rs, int64_t nr, int64_t pos) { o.rows(a, ptr, rs, nr, m, pos); });
}
template <class Op> void op_combine(const void* op, void* a_ptr, const void* b_ptr, int64_t n) {
  using A = typename Op::acc_t;
  const Op& o = *static_cast<const Op*>(op);
  A* __restrict a = static_cast<A*>(a_ptr);  // two different partial blocks
  const A* __restrict b = static_cast<const A*>(b_ptr);
  for (int64_t j = 0; j < n; ++j) o.combine(a[j], b[j]);
}
template <class Op> void op_finish(const void* op, int64_t o0, const void* acc_ptr, int64_t n) {
  using A = typename Op::acc_t;
  const Op& o = *static_cast<const Op*>(op);
  const A* __restrict acc = static_cast<const A*>(acc_ptr);
  for (int64_t j = 0; j < n; ++j) o.finish(o0 + j, acc[j]);
}

template <class Op> constexpr OpTable::ColsFn cols_fn() {
  if constexpr (Op::kCols) return &op_cols<Op>;
  else return nullptr;
}

// The table of one Op: a constant, built at compile time.
template <class Op> struct OpTableOf {
  using A = typename Op::acc_t;
  static_assert(std::is_trivially_copyable_v<A> && std::is_trivially_destructible_v<A>,
                "reduce accumulators live in byte buffers");
  static_assert(alignof(A) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__, "accumulator over-aligned for new[]");
  static constexpr OpTable value = {
      static_cast<int64_t>(sizeof(A)), static_cast<int64_t>(sizeof(typename Op::in_t)),
      &op_init<Op>, &op_outputs<Op>, cols_fn<Op>(), &op_combine<Op>, &op_finish<Op>};
};

}  // namespace reduce_detail

// Runs the reduction described by `op` over the plan; `base` is the input's first element.
template <class Op>
void reduce_kernel(const ReducePlan& p, const Op& op, const typename Op::in_t* base) {
  reduce_detail::reduce(p, reduce_detail::OpTableOf<Op>::value, &op, base);
}

// Base of the simple ops: run/rows fold element by element through
// Derived::fold(acc&, const in_t&, int64_t idx); ops with SIMD kernels shadow them.
template <class Derived, class T, class Acc>
struct FoldOp {
  using in_t = T;
  using acc_t = Acc;
  static constexpr bool kCols = true;
  const Derived& self() const { return static_cast<const Derived&>(*this); }
  void run(Acc& a, const T* p, int64_t s, int64_t n, int64_t idx0) const {
    for (int64_t i = 0; i < n; ++i) self().fold(a, p[i * s], idx0 + i);
  }
  void rows(Acc* a, const T* p, int64_t rs, int64_t nr, int64_t m, int64_t idx0) const {
    for (int64_t r = 0; r < nr; ++r)
      for (int64_t j = 0; j < m; ++j) self().fold(a[j], p[r * rs + j], idx0 + r);
  }
};

// Loads any element as the compute type U (half/bfloat16 through float).
template <class U, class T> inline U ld(const T& v) { return Cvt<T>::template load<U>(v); }

}  // namespace ember
