// unary_kernels.h — the unary elementwise kernels, compiled once per ISA.
//
// unary_cpu.cpp, unary_avx2.cpp and unary_avx512.cpp each define EW_ISA (a
// namespace name) and include this file; the per-file target flags make the
// compiler vectorise the contiguous loops for that ISA. A kernel processes one
// run of n elements with byte strides (one StridedLoop run); the contiguous case
// is a plain loop the compiler vectorises. Input and output are in the compute
// dtype except for the predicates (bool out).
// FP ops may be speculated (no program inspects FP exception flags): without this,
// GCC keeps the selects in exp/log/clamp as branches and leaves those loops scalar.
#pragma GCC optimize("no-trapping-math")
#include <cstring>

#include "ew_math.h"
#include "elementwise.h"

namespace ember {
namespace EW_ISA {
namespace {

using namespace ewm;
template <class T> constexpr bool kFlt = std::is_floating_point_v<T>;
template <class T> constexpr bool kNum = !std::is_same_v<T, bool>;
template <class T> constexpr bool kInt = !std::is_floating_point_v<T>;

// An op: ok<T> says whether the kernel exists for T, out<T> its output type and
// f(x, p0, p1, p2) the element function (p* are the op's parameters).
#define EW_UNARY(NAME, OK, OUT, EXPR)                                     \
  struct U_##NAME {                                                       \
    template <class T> static constexpr bool ok = OK;                     \
    template <class T> using out = OUT;                                   \
    template <class T> static inline OUT f(T x, T p0, T p1, T p2) {       \
      (void)p0; (void)p1; (void)p2;                                       \
      return EXPR;                                                        \
    }                                                                     \
  };

EW_UNARY(neg, kNum<T>, T, static_cast<T>(T(0) - x))
EW_UNARY(abs, kNum<T>, T, [&] { if constexpr (kFlt<T>) return fabs_(x); else if constexpr (std::is_unsigned_v<T>) return x; else return static_cast<T>(x < 0 ? T(0) - x : x); }())
EW_UNARY(exp, kFlt<T>, T, exp_(x))
EW_UNARY(exp2, kFlt<T>, T, exp2_(x))
EW_UNARY(log, kFlt<T>, T, log_(x))
EW_UNARY(log2, kFlt<T>, T, log2_(x))
EW_UNARY(log10, kFlt<T>, T, log10_(x))
EW_UNARY(log1p, kFlt<T>, T, log1p_(x))
EW_UNARY(expm1, kFlt<T>, T, expm1_(x))
EW_UNARY(sqrt, kFlt<T>, T, sqrt_(x))
EW_UNARY(rsqrt, kFlt<T>, T, T(1) / sqrt_(x))
EW_UNARY(square, kNum<T>, T, static_cast<T>(x * x))
EW_UNARY(reciprocal, kFlt<T>, T, T(1) / x)
EW_UNARY(sin, kFlt<T>, T, sin_(x))
EW_UNARY(cos, kFlt<T>, T, cos_(x))
EW_UNARY(tan, kFlt<T>, T, tan_(x))
EW_UNARY(asin, kFlt<T>, T, asin_(x))
EW_UNARY(acos, kFlt<T>, T, acos_(x))
EW_UNARY(atan, kFlt<T>, T, atan_(x))
EW_UNARY(sinh, kFlt<T>, T, sinh_(x))
EW_UNARY(cosh, kFlt<T>, T, cosh_(x))
EW_UNARY(tanh, kFlt<T>, T, tanh_(x))
EW_UNARY(sigmoid, kFlt<T>, T, sigmoid_(x))
// NaN stays NaN (x > 0 is false, and x != x keeps x).
EW_UNARY(relu, kNum<T>, T, (x > T(0) || x != x) ? x : T(0))
EW_UNARY(erf, kFlt<T>, T, erf_(x))
EW_UNARY(erfinv, kFlt<T>, T, erfinv_(x))
EW_UNARY(sign, true, T, [&] { if constexpr (std::is_same_v<T, bool>) return x; else if constexpr (kFlt<T>) return (x > T(0)) ? T(1) : (x < T(0)) ? T(-1) : T(0); /* NaN and -0 give +0, as in torch */ else return static_cast<T>((T(0) < x) - (x < T(0))); }())
EW_UNARY(floor, kNum<T>, T, [&] { if constexpr (kFlt<T>) return floor_(x); else return x; }())
EW_UNARY(ceil, kNum<T>, T, [&] { if constexpr (kFlt<T>) return ceil_(x); else return x; }())
EW_UNARY(round, kNum<T>, T, [&] { if constexpr (kFlt<T>) return rint_(x); else return x; }())
EW_UNARY(trunc, kNum<T>, T, [&] { if constexpr (kFlt<T>) return trunc_(x); else return x; }())
EW_UNARY(frac, kFlt<T>, T, x - trunc_(x))
EW_UNARY(isnan, true, bool, [&] { if constexpr (kFlt<T>) return x != x; else return false; }())
EW_UNARY(isinf, true, bool, [&] { if constexpr (kFlt<T>) return fabs_(x) == std::numeric_limits<T>::infinity(); else return false; }())
EW_UNARY(isfinite, true, bool, [&] { if constexpr (kFlt<T>) return (x - x) == (x - x); else return true; }())
EW_UNARY(logical_not, true, bool, !static_cast<bool>(x))
EW_UNARY(bitwise_not, kInt<T>, T, [&] { if constexpr (std::is_same_v<T, bool>) return !x; else return static_cast<T>(~x); }())
// p0 = lower bound, p1 = upper bound (+-inf / the type's limits when absent); a NaN bound gives NaN.
EW_UNARY(clamp, kNum<T>, T, [&] { T t = (x != x || x >= p0) ? x : p0; return (t != t || t <= p1) ? t : p1; }())
// p0 replaces NaN, p1 +inf, p2 -inf.
EW_UNARY(nan_to_num, kFlt<T>, T, (x != x) ? p0 : (x == std::numeric_limits<T>::infinity() ? p1 : (x == -std::numeric_limits<T>::infinity() ? p2 : x)))
// p0 = 10^|decimals|, p1 != 0 when decimals < 0 (PyTorch's formula).
EW_UNARY(round_decimals, kFlt<T>, T, p1 != T(0) ? rint_(x / p0) * p0 : rint_(x * p0) / p0)
#undef EW_UNARY

template <class Op, class T>
void unary_run(char* out, int64_t so, const char* in, int64_t si, int64_t n, const void* params) {
  using O = typename Op::template out<T>;
  T p0{}, p1{}, p2{};
  if (params) {
    const T* p = static_cast<const T*>(params);
    p0 = p[0]; p1 = p[1]; p2 = p[2];
  }
  if (so == sizeof(O) && si == sizeof(T)) {
    O* o = reinterpret_cast<O*>(out);
    const T* x = reinterpret_cast<const T*>(in);
    for (int64_t i = 0; i < n; ++i) o[i] = Op::template f<T>(x[i], p0, p1, p2);
    return;
  }
  for (int64_t i = 0; i < n; ++i)
    *reinterpret_cast<O*>(out + i * so) = Op::template f<T>(*reinterpret_cast<const T*>(in + i * si), p0, p1, p2);
}

template <class Op, class T>
UnaryRunFn pick() {
  if constexpr (Op::template ok<T>) return &unary_run<Op, T>;
  else return nullptr;
}

template <class T>
UnaryRunFn lookup(UOp op) {
  switch (op) {
#define EW_CASE(n) case UOp::n: return pick<U_##n, T>();
    EMBER_UNARY_OPS(EW_CASE)
#undef EW_CASE
    default: return nullptr;
  }
}

}  // namespace

UnaryRunFn unary_kernel(UOp op, DType dt) {
  switch (dt) {
    case DType::Float32: return lookup<float>(op);
    case DType::Float64: return lookup<double>(op);
    case DType::Int32: return lookup<int32_t>(op);
    case DType::Int64: return lookup<int64_t>(op);
    case DType::UInt8: return lookup<uint8_t>(op);
    case DType::Bool: return lookup<bool>(op);
    default: return nullptr;
  }
}

}  // namespace EW_ISA
}  // namespace ember
