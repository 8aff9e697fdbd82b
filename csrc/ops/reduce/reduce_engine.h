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
#pragma once
#include <algorithm>
#include <memory>

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
  for (int d = p.nk - 1; d >= 0; --d) {
    off += (o % p.kshape[d]) * p.kstride[d];
    o /= p.kshape[d];
  }
  return off;
}

// Folds reduce indices [rb, re) of column block `in` (m contiguous columns) into acc.
template <class Op>
inline void cols_range(const ReducePlan& p, const Op& op, typename Op::acc_t* acc, const typename Op::in_t* in,
                       int64_t m, int64_t rb, int64_t re) {
  if (rb >= re) return;
  // Every reduce index is one input row of m contiguous elements.
  walk_runs(p, in, rb, re, [&](const typename Op::in_t* ptr, int64_t s, int64_t n, int64_t pos) {
    op.rows(acc, ptr, s, n, m, pos);
  });
}

template <class Op>
void reduce_columns(const ReducePlan& p, const Op& op, const typename Op::in_t* base) {
  using acc_t = typename Op::acc_t;
  constexpr int64_t B = std::clamp<int64_t>(32768 / static_cast<int64_t>(sizeof(acc_t)), 256, 4096);
  const int64_t K = p.kshape[p.nk - 1];
  // Near-equal blocks (multiples of 16 columns) rather than B, B, ..., remainder.
  const int64_t nb0 = (K + B - 1) / B;
  const int64_t bw = std::min(B, ((K + nb0 - 1) / nb0 + 15) / 16 * 16);
  const int64_t nb = (K + bw - 1) / bw;
  const int64_t tasks = (p.n_out / K) * nb;
  const int nt = get_num_threads();
  if (tasks < 2 * nt && nt > 1 && p.n_red >= 16 && p.n_red * std::min(K, bw) >= 65536) {
    // Few column blocks, many rows: threads split the rows of each block (each
    // streams contiguous memory) and their partial columns combine in row order.
    std::unique_ptr<acc_t[]> part(new acc_t[nt * B]);
    for (int64_t t = 0; t < tasks; ++t) {
      int64_t row = t / nb, j0 = (t % nb) * bw, m = std::min(bw, K - j0), o0 = row * K + j0;
      const typename Op::in_t* in = base + kept_offset(p, o0);
      parallel_for(0, nt, 1, [&](int64_t cb, int64_t ce) {
        for (int64_t c = cb; c < ce; ++c) {
          acc_t* acc = part.get() + c * B;
          for (int64_t j = 0; j < m; ++j) acc[j] = op.init();
          cols_range(p, op, acc, in, m, p.n_red * c / nt, p.n_red * (c + 1) / nt);
        }
      });
      for (int64_t j = 0; j < m; ++j) {
        acc_t a = part[j];
        for (int c = 1; c < nt; ++c) op.combine(a, part[c * B + j]);
        op.finish(o0 + j, a);
      }
    }
    return;
  }
  const int64_t grain = std::max<int64_t>(1, 65536 / std::max<int64_t>(1, p.n_red * std::min(K, bw)));
  parallel_for(0, tasks, grain, [&](int64_t tb, int64_t te) {
    std::unique_ptr<acc_t[]> acc(new acc_t[B]);
    for (int64_t t = tb; t < te; ++t) {
      int64_t row = t / nb, j0 = (t % nb) * bw, m = std::min(bw, K - j0);
      int64_t o0 = row * K + j0;
      for (int64_t j = 0; j < m; ++j) acc[j] = op.init();
      cols_range(p, op, acc.get(), base + kept_offset(p, o0), m, 0, p.n_red);
      for (int64_t j = 0; j < m; ++j) op.finish(o0 + j, acc[j]);
    }
  });
}

template <class Op>
void reduce_kernel(const ReducePlan& p, const Op& op, const typename Op::in_t* base) {
  using acc_t = typename Op::acc_t;
  if (p.n_out == 0) return;
  const int nt = get_num_threads();
  if constexpr (Op::kCols) {
    if (p.nk > 0 && p.kstride[p.nk - 1] == 1 && p.kshape[p.nk - 1] >= 16 && p.nr > 0 &&
        p.rstride[p.nr - 1] != 1) {
      reduce_columns(p, op, base);
      return;
    }
  }
  if (p.n_out >= 2 * nt || p.n_red < 32768 || nt == 1) {
    const int64_t grain = std::max<int64_t>(1, 32768 / std::max<int64_t>(1, p.n_red));
    parallel_for(0, p.n_out, grain, [&](int64_t ob, int64_t oe) {
      for (int64_t o = ob; o < oe; ++o) {
        acc_t acc = op.init();
        reduce_walk(p, op, acc, base + kept_offset(p, o), 0, p.n_red);
        op.finish(o, acc);
      }
    });
    return;
  }
  std::unique_ptr<acc_t[]> part(new acc_t[nt]);  // not vector: acc_t may be bool
  for (int64_t o = 0; o < p.n_out; ++o) {
    const typename Op::in_t* in = base + kept_offset(p, o);
    for (int c = 0; c < nt; ++c) part[c] = op.init();
    parallel_for(0, nt, 1, [&](int64_t cb, int64_t ce) {
      for (int64_t c = cb; c < ce; ++c)
        reduce_walk(p, op, part[c], in, p.n_red * c / nt, p.n_red * (c + 1) / nt);
    });
    acc_t acc = part[0];
    for (int c = 1; c < nt; ++c) op.combine(acc, part[c]);
    op.finish(o, acc);
  }
}

}  // namespace ember

namespace ember {

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
