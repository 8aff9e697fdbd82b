// reduce_stats_cuda.cu — var/std (+ mean), vector norms and logsumexp on CUDA
// (float32 and float64: reduce.cpp widens float16/bfloat16 inputs to float32 first, to
// keep the number of kernel instances down).
//
// var: Welford per thread, Chan's merge across threads/blocks (reduce_cuda.cuh), so it
// stays accurate when |mean| >> std. norm: p = 0 (count), 1, 2, +-inf (NaN wins), any
// other p through pow. logsumexp: an online (max, sum of exp(x - max)) pair rescaled
// when the max grows; +-inf and NaN follow the CPU kernel (reduce_stats_cpu.cpp).
// Schedules come from reduce_cuda_engine.cuh.
#include <cmath>

#include "reduce_cuda.h"
#include "reduce_cuda_engine.cuh"

namespace ember {
namespace reduce_cuda {
namespace {

template <class T>
struct VarOp {
  static constexpr bool kVec = false;
  using in_t = T;
  using C = typename DevCvt<T>::C;
  using acc_t = cuda_reduce::Welford<C>;
  T* out;
  T* mean_out;  // may be null
  double correction;
  bool take_sqrt;
  __device__ acc_t init() const { return acc_t::zero(); }
  __device__ void fold(acc_t& a, const T& x, int64_t) const { a.push(DevCvt<T>::load(x)); }
  __device__ acc_t combine(acc_t a, const acc_t& b) const { return acc_t::combine(a, b); }
  __device__ void finish(int64_t o, const acc_t& a) const {
    const double den = static_cast<double>(a.n) - correction;
    double v = static_cast<double>(a.m2) / (den > 0.0 ? den : 0.0);  // 0/0 -> NaN like the CPU
    if (take_sqrt) v = sqrt(v);
    out[o] = DevCvt<T>::store(v);
    if (mean_out) mean_out[o] = DevCvt<T>::store(a.n > C(0) ? static_cast<double>(a.mean) : static_cast<double>(NAN));
  }
};

enum NormKind : int { kZero, kOne, kTwo, kInf, kNegInf, kGeneral };

template <class T>
struct NormOp {
  static constexpr bool kVec = false;
  using in_t = T;
  using C = typename DevCvt<T>::C;
  using acc_t = C;
  T* out;
  int kind;
  C ord;
  __device__ acc_t init() const { return kind == kNegInf ? dinf<C>() : C(0); }
  __device__ void fold(acc_t& a, const T& x, int64_t) const {
    const C v = fabs(DevCvt<T>::load(x));
    switch (kind) {
      case kZero: a += (v != C(0)) ? C(1) : C(0); break;
      case kOne: a += v; break;
      case kTwo: a += v * v; break;
      case kInf: if (v > a || v != v) a = v; break;
      case kNegInf: if (v < a || v != v) a = v; break;
      default: a += dpow(v, ord); break;
    }
  }
  __device__ acc_t combine(acc_t a, const acc_t& b) const {
    if (kind == kInf) return (b > a || b != b) ? b : a;
    if (kind == kNegInf) return (b < a || b != b) ? b : a;
    return a + b;
  }
  __device__ void finish(int64_t o, const acc_t& a) const {
    C r = a;
    if (kind == kTwo) r = dsqrt(a);
    else if (kind == kGeneral) r = dpow(a, C(1) / ord);
    out[o] = DevCvt<T>::store(r);
  }
};

template <class C> struct LseAcc { C m, s; };

template <class T>
struct LogSumExpOp {
  static constexpr bool kVec = false;
  using in_t = T;
  using C = typename DevCvt<T>::C;
  using acc_t = LseAcc<C>;
  T* out;
  __device__ acc_t init() const { return acc_t{-dinf<C>(), C(0)}; }
  __device__ void fold(acc_t& a, const T& x, int64_t) const {
    const C v = DevCvt<T>::load(x);
    const C ninf = -dinf<C>();
    if (v > a.m) {
      if (a.s == a.s) a.s = (a.m == ninf ? C(0) : a.s * dexp(a.m - v)) + C(1);
      a.m = v;
    } else if (v == v) {
      if (v != ninf) a.s += v == a.m ? C(1) : dexp(v - a.m);
    } else {
      a.s = v;  // NaN sticks in s
    }
  }
  __device__ acc_t combine(acc_t a, const acc_t& b) const {
    const C ninf = -dinf<C>();
    if (b.s != b.s || a.s != a.s) return acc_t{a.m, dnan<C>()};
    if (b.m == ninf) return a;
    if (a.m == ninf) return b;
    if (b.m == a.m) return acc_t{a.m, a.s + b.s};
    if (b.m > a.m) return acc_t{b.m, a.s * dexp(a.m - b.m) + b.s};
    return acc_t{a.m, a.s + b.s * dexp(b.m - a.m)};
  }
  __device__ void finish(int64_t o, const acc_t& a) const {
    C r;
    if (a.s != a.s) r = a.s;
    else if (isinf(a.m)) r = a.m;
    else r = a.m + dlog(a.s);
    out[o] = DevCvt<T>::store(r);
  }
};

#define EMBER_REDUCE_DISPATCH_FLOAT(DT, NAME, ...)                \
  [&] {                                                           \
    switch (DT) {                                                 \
      EMBER_DTYPE_CASE(Float32, float, __VA_ARGS__)               \
      EMBER_DTYPE_CASE(Float64, double, __VA_ARGS__)              \
      EMBER_DISPATCH_FAIL(DT, NAME)                               \
    }                                                             \
  }()

void check_out(const Array& in, const Array& out, const char* name) {
  check_on(out, in.device(), name);
  EMBER_CHECK(out.dtype() == in.dtype(), Type, "[", name, "] CUDA kernel expects the output in the input's dtype ",
              dtype_name(in.dtype()), ", got ", dtype_name(out.dtype()));
}

void var_cuda(const Array& in, const ReducePlan& p, const Array& out, const Array& mean_out, double correction,
              bool take_sqrt) {
  const char* name = take_sqrt ? "std" : "var";
  check_out(in, out, name);
  if (mean_out.defined()) check_out(in, mean_out, name);
  cuda::DeviceGuard g(in.device().index, name);
  EMBER_REDUCE_DISPATCH_FLOAT(in.dtype(), name, [&] {
    using T = scalar_t;
    VarOp<T> op{out.data<T>(), mean_out.defined() ? mean_out.data<T>() : nullptr, correction, take_sqrt};
    launch(op, in.data<T>(), p, in.device(), name);
  });
}

void norm_cuda(const Array& in, const ReducePlan& p, const Array& out, double ord) {
  const char* name = "linalg.vector_norm";
  check_out(in, out, name);
  cuda::DeviceGuard g(in.device().index, name);
  int kind = kGeneral;
  if (ord == 0) kind = kZero;
  else if (ord == 1) kind = kOne;
  else if (ord == 2) kind = kTwo;
  else if (std::isinf(ord)) kind = ord > 0 ? kInf : kNegInf;
  EMBER_REDUCE_DISPATCH_FLOAT(in.dtype(), name, [&] {
    using T = scalar_t;
    using C = typename DevCvt<T>::C;
    NormOp<T> op{out.data<T>(), kind, static_cast<C>(ord)};
    launch(op, in.data<T>(), p, in.device(), name);
  });
}

void logsumexp_cuda(const Array& in, const ReducePlan& p, const Array& out) {
  const char* name = "logsumexp";
  check_out(in, out, name);
  cuda::DeviceGuard g(in.device().index, name);
  EMBER_REDUCE_DISPATCH_FLOAT(in.dtype(), name, [&] {
    using T = scalar_t;
    LogSumExpOp<T> op{out.data<T>()};
    launch(op, in.data<T>(), p, in.device(), name);
  });
}

}  // namespace
}  // namespace reduce_cuda
}  // namespace ember

EMBER_CUDA_REGISTER(reduce_var, ember::reduce_cuda::var_cuda);
EMBER_CUDA_REGISTER(reduce_norm, ember::reduce_cuda::norm_cuda);
EMBER_CUDA_REGISTER(reduce_logsumexp, ember::reduce_cuda::logsumexp_cuda);
