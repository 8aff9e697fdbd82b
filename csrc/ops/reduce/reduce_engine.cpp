// reduce_engine.cpp — the schedules of reduce_engine.h, written once for every Op
// and driven through its OpTable (accumulators handled as bytes).
//
// columns: blocks of m <= B contiguous output columns (B * acc_size ~ 32 KB of
// accumulators) take whole input rows through the Op's typed walk (OpTable::cols,
// one call per block and thread); threads split the blocks, or, with fewer blocks
// than threads and many rows, split the rows of each block into nt partial blocks
// that combine in thread (= row) order.
// per output: threads split the outputs; each chunk runs the Op's typed loop.
// split: few outputs, long reductions; each thread folds a contiguous share of one
// output's reduce range, the partials combine in index order.
#include <cstddef>
#include <memory>

#include "reduce_engine.h"

namespace ember {
namespace reduce_detail {
namespace {

// new unsigned char[n] is aligned for any fundamental type, so for kAccAlign.
static_assert(alignof(std::max_align_t) >= kAccAlign, "column blocks must be kAccAlign-aligned");

void reduce_columns(const ReducePlan& p, const OpTable& t, const void* op, const unsigned char* base, int nt) {
  const int64_t as = t.acc_size, es = t.in_size;
  const int64_t B = std::clamp<int64_t>(32768 / as, 256, 4096);
  const int64_t K = p.kshape[p.nk - 1];
  // Near-equal blocks (multiples of 16 columns) rather than B, B, ..., remainder.
  const int64_t nb0 = (K + B - 1) / B;
  const int64_t bw = std::min(B, ((K + nb0 - 1) / nb0 + 15) / 16 * 16);
  const int64_t nb = (K + bw - 1) / bw;
  const int64_t tasks = (p.n_out / K) * nb;
  // Bytes between the threads' partial blocks, rounded so each starts aligned.
  const int64_t bs = (B * as + kAccAlign - 1) / kAccAlign * kAccAlign;
  if (tasks < 2 * nt && nt > 1 && p.n_red >= 16 && p.n_red * std::min(K, bw) >= 65536) {
    // Few column blocks, many rows: threads split the rows of each block (each
    // streams contiguous memory) and their partial columns combine in row order.
    std::unique_ptr<unsigned char[]> part(new unsigned char[nt * bs]);
    for (int64_t task = 0; task < tasks; ++task) {
      int64_t row = task / nb, j0 = (task % nb) * bw, m = std::min(bw, K - j0), o0 = row * K + j0;
      const unsigned char* in = base + kept_offset(p, o0) * es;
      parallel_for(0, nt, 1, [&](int64_t cb, int64_t ce) {
        for (int64_t c = cb; c < ce; ++c) {
          unsigned char* acc = part.get() + c * bs;
          t.init(op, acc, m);
          t.cols(op, p, acc, in, m, p.n_red * c / nt, p.n_red * (c + 1) / nt);
        }
      });
      for (int c = 1; c < nt; ++c) t.combine(op, part.get(), part.get() + c * bs, m);
      t.finish(op, o0, part.get(), m);
    }
    return;
  }
  const int64_t grain = std::max<int64_t>(1, 65536 / std::max<int64_t>(1, p.n_red * std::min(K, bw)));
  parallel_for(0, tasks, grain, [&](int64_t tb, int64_t te) {
    std::unique_ptr<unsigned char[]> acc(new unsigned char[B * as]);
    for (int64_t task = tb; task < te; ++task) {
      int64_t row = task / nb, j0 = (task % nb) * bw, m = std::min(bw, K - j0);
      int64_t o0 = row * K + j0;
      t.init(op, acc.get(), m);
      t.cols(op, p, acc.get(), base + kept_offset(p, o0) * es, m, 0, p.n_red);
      t.finish(op, o0, acc.get(), m);
    }
  });
}

}  // namespace

void reduce(const ReducePlan& p, const OpTable& t, const void* op, const void* base_ptr) {
  if (p.n_out == 0) return;
  const auto* base = static_cast<const unsigned char*>(base_ptr);
  const int nt = get_num_threads();
  if (t.cols && p.nk > 0 && p.kstride[p.nk - 1] == 1 && p.kshape[p.nk - 1] >= 16 && p.nr > 0 &&
      p.rstride[p.nr - 1] != 1) {
    reduce_columns(p, t, op, base, nt);
    return;
  }
  if (p.n_out >= 2 * nt || p.n_red < 32768 || nt == 1) {
    const int64_t grain = std::max<int64_t>(1, 32768 / std::max<int64_t>(1, p.n_red));
    parallel_for(0, p.n_out, grain, [&](int64_t ob, int64_t oe) {
      t.outputs(op, p, base, ob, oe, 0, p.n_red, nullptr);
    });
    return;
  }
  // Split: few outputs, long reductions.
  const int64_t as = t.acc_size;
  std::unique_ptr<unsigned char[]> part(new unsigned char[nt * as]);
  for (int64_t o = 0; o < p.n_out; ++o) {
    parallel_for(0, nt, 1, [&](int64_t cb, int64_t ce) {
      for (int64_t c = cb; c < ce; ++c)
        t.outputs(op, p, base, o, o + 1, p.n_red * c / nt, p.n_red * (c + 1) / nt, part.get() + c * as);
    });
    for (int c = 1; c < nt; ++c) t.combine(op, part.get(), part.get() + c * as, 1);
    t.finish(op, o, part.get(), 1);
  }
}

}  // namespace reduce_detail
}  // namespace ember
