// reduce_minmax_cpu.cpp — amax/amin (values) and max/min/argmax/argmin with
// indices on the CPU.
//
// NaN wins (the first NaN for indices); ties keep the first index. Contiguous
// float runs find the extreme with the SIMD tables, then (for indices) locate
// its first position with vector compares while the chunk is still in L1, which
// is cheaper than tracking indices in-vector.
#include <limits>
#include <type_traits>

#include "reduce_engine.h"
#include "reduce_kernels.h"
#include "reduce_simd.h"

namespace ember {
namespace {

template <class C> inline bool is_nan(C v) {
  if constexpr (std::is_floating_point_v<C>) return v != v;
  else return false;
}

// True when x should replace the current extreme a (NaN sticks once taken).
template <bool IsMax, class C> inline bool better(C x, C a) {
  if constexpr (std::is_floating_point_v<C>) return (IsMax ? x > a : x < a) || (x != x && a == a);
  else return IsMax ? x > a : x < a;
}

template <bool IsMax, class C> constexpr C worst() {
  if constexpr (std::is_same_v<C, bool>) return !IsMax;
  else if constexpr (std::is_floating_point_v<C>)
    return IsMax ? -std::numeric_limits<C>::infinity() : std::numeric_limits<C>::infinity();
  else return IsMax ? std::numeric_limits<C>::lowest() : std::numeric_limits<C>::max();
}

template <bool IsMax, class T> inline T simd_extreme(const ReduceKernels& K, const T* p, int64_t n) {
  if constexpr (std::is_same_v<T, float>) return IsMax ? K.max_f32(p, n) : K.min_f32(p, n);
  else return IsMax ? K.max_f64(p, n) : K.min_f64(p, n);
}

template <bool IsMax, class T> inline int64_t simd_arg_extreme(const ReduceKernels& K, const T* p, int64_t n) {
  if constexpr (std::is_same_v<T, float>) return IsMax ? K.argmax_f32(p, n) : K.argmin_f32(p, n);
  else return IsMax ? K.argmax_f64(p, n) : K.argmin_f64(p, n);
}

template <bool IsMax, class T>
struct ExtremeOp : FoldOp<ExtremeOp<IsMax, T>, T, compute_t<T>> {
  using C = compute_t<T>;
  T* out;
  const ReduceKernels& K;
  explicit ExtremeOp(T* o) : out(o), K(reduce_kernels()) {}
  C init() const { return worst<IsMax, C>(); }
  void fold(C& a, const T& x, int64_t) const {
    C v = ld<C>(x);
    if (better<IsMax>(v, a)) a = v;
  }
  void run(C& a, const T* p, int64_t s, int64_t n, int64_t idx0) const {
    if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
      if (s == 1) { fold(a, simd_extreme<IsMax>(K, p, n), 0); return; }
    }
    FoldOp<ExtremeOp, T, C>::run(a, p, s, n, idx0);
  }
  void rows(C* a, const T* p, int64_t rs, int64_t nr, int64_t m, int64_t idx0) const {
    if constexpr (std::is_same_v<T, float>) { (IsMax ? K.max_rows_f32 : K.min_rows_f32)(a, p, rs, nr, m); return; }
    if constexpr (std::is_same_v<T, double>) { (IsMax ? K.max_rows_f64 : K.min_rows_f64)(a, p, rs, nr, m); return; }
    FoldOp<ExtremeOp, T, C>::rows(a, p, rs, nr, m, idx0);
  }
  void combine(C& a, const C& b) const { if (better<IsMax>(b, a)) a = b; }
  void finish(int64_t o, const C& a) const { out[o] = Cvt<T>::template store<C>(a); }
};

template <class C> struct ArgAcc { C v; int64_t i; };

template <bool IsMax, class T>
struct ArgOp : FoldOp<ArgOp<IsMax, T>, T, ArgAcc<compute_t<T>>> {
  using C = compute_t<T>;
  using Acc = ArgAcc<C>;
  T* values;        // may be null (argmax)
  int64_t* index;
  const ReduceKernels& K;
  ArgOp(T* v, int64_t* i) : values(v), index(i), K(reduce_kernels()) {}
  Acc init() const { return {worst<IsMax, C>(), -1}; }
  void fold(Acc& a, const T& x, int64_t idx) const {
    C v = ld<C>(x);
    if (a.i < 0 || better<IsMax>(v, a.v)) { a.v = v; a.i = idx; }
  }
  void run(Acc& a, const T* p, int64_t s, int64_t n, int64_t idx0) const {
    if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
      if (s == 1) {
        int64_t k = simd_arg_extreme<IsMax>(K, p, n);
        fold(a, p[k], idx0 + k);
        return;
      }
    }
    FoldOp<ArgOp, T, Acc>::run(a, p, s, n, idx0);
  }
  // fold() without branches: the columns schedule runs this loop over rows two at
  // a time (unroll-and-jam), where a branchy fold stalls.
  void rows(Acc* a, const T* p, int64_t rs, int64_t nr, int64_t m, int64_t idx0) const {
    for (int64_t r = 0; r < nr; ++r)
      for (int64_t j = 0; j < m; ++j) {
        C v = ld<C>(p[r * rs + j]);
        bool take = a[j].i < 0 || better<IsMax>(v, a[j].v);
        a[j].v = take ? v : a[j].v;
        a[j].i = take ? idx0 + r : a[j].i;
      }
  }
  void combine(Acc& a, const Acc& b) const {
    if (b.i >= 0 && (a.i < 0 || better<IsMax>(b.v, a.v))) a = b;
  }
  void finish(int64_t o, const Acc& a) const {
    if (values) values[o] = Cvt<T>::template store<C>(a.v);
    index[o] = a.i;
  }
};

}  // namespace

void extreme_kernel_cpu(const Array& in, const ReducePlan& p, const Array& values, const Array& indices,
                        bool is_max) {
  EMBER_DISPATCH_ALL(in.dtype(), (is_max ? "max" : "min"), [&] {
    using T = scalar_t;
    T* v = values.defined() ? values.data<T>() : nullptr;
    if (indices.defined()) {
      int64_t* ix = indices.data<int64_t>();
      if (is_max) reduce_kernel(p, ArgOp<true, T>(v, ix), in.data<T>());
      else reduce_kernel(p, ArgOp<false, T>(v, ix), in.data<T>());
    } else if (is_max) {
      reduce_kernel(p, ExtremeOp<true, T>(v), in.data<T>());
    } else {
      reduce_kernel(p, ExtremeOp<false, T>(v), in.data<T>());
    }
  });
}

}  // namespace ember
