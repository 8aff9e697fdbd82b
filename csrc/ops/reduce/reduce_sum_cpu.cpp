// reduce_sum_cpu.cpp — sum, mean, nansum, nanmean, prod, all, any, count_nonzero
// on the CPU, through the shared schedules of reduce_engine.h.
//
// Floating sums accumulate in float64; float32 runs and rows go through the SIMD
// tables of reduce_simd.h, which add short blocks in float32 first; integer and bool sums accumulate in
// uint64 so overflow wraps like PyTorch's int64 instead of being undefined.
#include <type_traits>

#include "reduce_engine.h"
#include "reduce_kernels.h"
#include "reduce_simd.h"

namespace ember {
namespace {

template <class T> constexpr bool kFloatLike = std::is_floating_point_v<T> ||
    std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>;
template <class T> using sum_acc_t = std::conditional_t<kFloatLike<T>, double, uint64_t>;
template <class T> using sum_out_t = std::conditional_t<kFloatLike<T>, T, int64_t>;

template <class T>
struct SumOp : FoldOp<SumOp<T>, T, sum_acc_t<T>> {
  using Acc = sum_acc_t<T>;
  using O = sum_out_t<T>;
  O* out;
  double scale;  // 1 for sum, 1/N for mean
  const ReduceKernels& K;
  SumOp(O* o, double s) : out(o), scale(s), K(reduce_kernels()) {}
  Acc init() const { return 0; }
  void fold(Acc& a, const T& x, int64_t) const { a += ld<Acc>(x); }
  void run(Acc& a, const T* p, int64_t s, int64_t n, int64_t idx0) const {
    if constexpr (std::is_same_v<T, float>) { if (s == 1) { a += K.sum_f32(p, n); return; } }
    if constexpr (std::is_same_v<T, double>) { if (s == 1) { a += K.sum_f64(p, n); return; } }
    FoldOp<SumOp<T>, T, Acc>::run(a, p, s, n, idx0);
  }
  void rows(Acc* a, const T* p, int64_t rs, int64_t nr, int64_t m, int64_t idx0) const {
    if constexpr (std::is_same_v<T, float>) { K.sum_rows_f32(a, p, rs, nr, m); return; }
    if constexpr (std::is_same_v<T, double>) { K.sum_rows_f64(a, p, rs, nr, m); return; }
    FoldOp<SumOp<T>, T, Acc>::rows(a, p, rs, nr, m, idx0);
  }
  void combine(Acc& a, const Acc& b) const { a += b; }
  void finish(int64_t o, const Acc& a) const {
    if constexpr (kFloatLike<T>) out[o] = Cvt<O>::template store<double>(a * scale);
    else out[o] = static_cast<int64_t>(a);
  }
};

template <class T>
struct ProdOp : FoldOp<ProdOp<T>, T, sum_acc_t<T>> {
  using Acc = sum_acc_t<T>;
  using O = sum_out_t<T>;
  O* out;
  Acc init() const { return 1; }
  void fold(Acc& a, const T& x, int64_t) const {
    if constexpr (kFloatLike<T>) a *= ld<double>(x);
    else a *= static_cast<Acc>(static_cast<int64_t>(x));  // two's complement wrap
  }
  void combine(Acc& a, const Acc& b) const { a *= b; }
  void finish(int64_t o, const Acc& a) const {
    if constexpr (kFloatLike<T>) out[o] = Cvt<O>::template store<double>(a);
    else out[o] = static_cast<int64_t>(a);
  }
};

struct NanAcc { double s; int64_t c; };

// nansum / nanmean: NaNs count as absent (floating inputs only).
template <class T>
struct NanSumOp : FoldOp<NanSumOp<T>, T, NanAcc> {
  T* out;
  bool mean;
  NanAcc init() const { return {0.0, 0}; }
  void fold(NanAcc& a, const T& x, int64_t) const {
    double v = ld<double>(x);
    if (v == v) { a.s += v; a.c += 1; }
  }
  void combine(NanAcc& a, const NanAcc& b) const { a.s += b.s; a.c += b.c; }
  void finish(int64_t o, const NanAcc& a) const {
    double r = mean ? a.s / static_cast<double>(a.c) : a.s;  // 0/0 -> NaN like torch
    out[o] = Cvt<T>::template store<double>(r);
  }
};

#if defined(__GNUC__) && !defined(__clang__)
#define EMBER_NO_VECTORIZE __attribute__((optimize("no-tree-vectorize")))
#else
#define EMBER_NO_VECTORIZE
#endif

// LogicalOp::fold over rows (the columns schedule) with the mode hoisted out of
// the loops and no branch per element. float inputs vectorise well this way; bool
// ones run fastest as a plain scalar loop (widening bytes to int64 in SSE2 costs
// more than it saves); other integers keep fold(), whose short-circuit skips
// the compare once a column's result is settled.
template <class T>
inline void logical_rows_loop(int64_t* a, const T* p, int64_t rs, int64_t nr, int64_t m, LogicalMode mode) {
  auto loop = [&](auto f) {
    for (int64_t r = 0; r < nr; ++r)
      for (int64_t j = 0; j < m; ++j) {
        const T& x = p[r * rs + j];
        int64_t nz;
        if constexpr (std::is_integral_v<T>) nz = x != 0;
        else nz = ld<double>(x) != 0.0;  // NaN is nonzero, -0.0 is zero
        a[j] = f(a[j], nz);
      }
  };
  if (mode == LogicalMode::All) loop([](int64_t s, int64_t z) { return s & z; });  // s, z in {0, 1}
  else if (mode == LogicalMode::Any) loop([](int64_t s, int64_t z) { return s | z; });
  else loop([](int64_t s, int64_t z) { return s + z; });
}
template <class T>
void logical_rows(int64_t* a, const T* p, int64_t rs, int64_t nr, int64_t m, LogicalMode mode) {
  logical_rows_loop(a, p, rs, nr, m, mode);
}
EMBER_NO_VECTORIZE inline void logical_rows_bool(int64_t* a, const bool* p, int64_t rs, int64_t nr, int64_t m,
                                                 LogicalMode mode) {
  logical_rows_loop(a, p, rs, nr, m, mode);
}

template <class T, class O>
struct LogicalOp : FoldOp<LogicalOp<T, O>, T, int64_t> {
  O* out;
  LogicalMode mode;
  int64_t init() const { return mode == LogicalMode::All ? 1 : 0; }
  void fold(int64_t& a, const T& x, int64_t) const {
    bool nz = ld<double>(x) != 0.0;  // NaN is nonzero, -0.0 is zero
    if constexpr (std::is_integral_v<T>) nz = x != 0;
    if (mode == LogicalMode::All) a = a && nz;
    else if (mode == LogicalMode::Any) a = a || nz;
    else a += nz;
  }
  void rows(int64_t* a, const T* p, int64_t rs, int64_t nr, int64_t m, int64_t idx0) const {
    if constexpr (std::is_same_v<T, bool>) logical_rows_bool(a, p, rs, nr, m, mode);
    else if constexpr (std::is_integral_v<T>) FoldOp<LogicalOp, T, int64_t>::rows(a, p, rs, nr, m, idx0);
    else logical_rows(a, p, rs, nr, m, mode);
  }
  void combine(int64_t& a, const int64_t& b) const {
    if (mode == LogicalMode::All) a = a && b;
    else if (mode == LogicalMode::Any) a = a || b;
    else a += b;
  }
  void finish(int64_t o, const int64_t& a) const { out[o] = static_cast<O>(a); }
};

}  // namespace

void sum_kernel_cpu(const Array& in, const ReducePlan& p, const Array& out, SumMode mode) {
  EMBER_DISPATCH_ALL(in.dtype(), "sum", [&] {
    using T = scalar_t;
    if (mode == SumMode::Prod) {
      ProdOp<T> op;
      op.out = out.data<sum_out_t<T>>();
      reduce_kernel(p, op, in.data<T>());
    } else if (mode == SumMode::NanSum || mode == SumMode::NanMean) {
      if constexpr (kFloatLike<T>) {
        NanSumOp<T> op;
        op.out = out.data<T>();
        op.mean = mode == SumMode::NanMean;
        reduce_kernel(p, op, in.data<T>());
      } else {  // no NaNs in integers: plain sum
        reduce_kernel(p, SumOp<T>(out.data<sum_out_t<T>>(), 1.0), in.data<T>());
      }
    } else {
      double scale = mode == SumMode::Mean ? 1.0 / static_cast<double>(p.n_red) : 1.0;
      reduce_kernel(p, SumOp<T>(out.data<sum_out_t<T>>(), scale), in.data<T>());
    }
  });
}

void logical_kernel_cpu(const Array& in, const ReducePlan& p, const Array& out, LogicalMode mode) {
  EMBER_DISPATCH_ALL(in.dtype(), "all", [&] {
    using T = scalar_t;
    auto go = [&](auto* o) {
      LogicalOp<T, std::remove_pointer_t<decltype(o)>> op;
      op.out = o;
      op.mode = mode;
      reduce_kernel(p, op, in.data<T>());
    };
    switch (out.dtype()) {
      case DType::Bool: go(out.data<bool>()); break;
      case DType::UInt8: go(out.data<uint8_t>()); break;
      default: go(out.data<int64_t>()); break;
    }
  });
}

}  // namespace ember
