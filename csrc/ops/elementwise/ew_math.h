// ew_math.h — scalar element functions shared by the unary and binary kernels,
// overloaded for every kernel dtype. All static (internal linkage) so each
// per-ISA file compiles and keeps its own copy (see vec_math.h). float32 exp,
// exp2, log, tanh and sigmoid use the branch-free vm:: versions so loops over
// them vectorise; the rest call libm through compiler builtins.
#pragma once
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "vec_math.h"

namespace ewm {

template <class T> static inline constexpr bool is_flt = std::is_floating_point_v<T>;

#define EWM_F1(NAME, BUILTIN)                                                      \
  static inline float NAME(float x) { return __builtin_##BUILTIN##f(x); }        \
  static inline double NAME(double x) { return __builtin_##BUILTIN(x); }
EWM_F1(floor_, floor)
EWM_F1(ceil_, ceil)
EWM_F1(trunc_, trunc)
EWM_F1(rint_, nearbyint)
EWM_F1(sqrt_, sqrt)
EWM_F1(log1p_, log1p)
EWM_F1(expm1_, expm1)
EWM_F1(log10_, log10)
EWM_F1(sin_, sin)
EWM_F1(cos_, cos)
EWM_F1(tan_, tan)
EWM_F1(asin_, asin)
EWM_F1(acos_, acos)
EWM_F1(atan_, atan)
EWM_F1(sinh_, sinh)
EWM_F1(cosh_, cosh)
EWM_F1(erf_, erf)
#undef EWM_F1
static inline float fabs_(float x) { return __builtin_fabsf(x); }
static inline double fabs_(double x) { return __builtin_fabs(x); }

static inline float exp_(float x) { return vm::exp(x); }
static inline double exp_(double x) { return vm::exp(x); }
static inline float exp2_(float x) { return vm::exp2(x); }
static inline double exp2_(double x) { return __builtin_exp2(x); }
static inline float log_(float x) { return vm::log(x); }
static inline double log_(double x) { return __builtin_log(x); }
static inline float log2_(float x) { return __builtin_log2f(x); }
static inline double log2_(double x) { return __builtin_log2(x); }
static inline float tanh_(float x) { return vm::tanh(x); }
static inline double tanh_(double x) { return __builtin_tanh(x); }
static inline float sigmoid_(float x) { return vm::sigmoid(x); }
static inline double sigmoid_(double x) { return vm::sigmoid(x); }

static inline float fmod_(float a, float b) { return __builtin_fmodf(a, b); }
static inline double fmod_(double a, double b) { return __builtin_fmod(a, b); }
static inline float pow_(float a, float b) { return __builtin_powf(a, b); }
static inline double pow_(double a, double b) { return __builtin_pow(a, b); }
static inline float atan2_(float a, float b) { return __builtin_atan2f(a, b); }
static inline double atan2_(double a, double b) { return __builtin_atan2(a, b); }
static inline float copysign_(float a, float b) { return __builtin_copysignf(a, b); }
static inline double copysign_(double a, double b) { return __builtin_copysign(a, b); }

// Inverse error function: Giles' single-precision approximation refined by two
// Newton steps on erf (full double accuracy), with the IEEE edge values.
template <class T>
static inline T erfinv_(T y) {
  if (!(y >= T(-1) && y <= T(1))) return std::numeric_limits<T>::quiet_NaN();
  if (y == T(1)) return std::numeric_limits<T>::infinity();
  if (y == T(-1)) return -std::numeric_limits<T>::infinity();
  double yd = static_cast<double>(y);
  double w = -__builtin_log((1.0 - yd) * (1.0 + yd)), x;
  if (w < 5.0) {
    w -= 2.5;
    double p = 2.81022636e-08;
    p = 3.43273939e-07 + p * w; p = -3.5233877e-06 + p * w; p = -4.39150654e-06 + p * w;
    p = 0.00021858087 + p * w; p = -0.00125372503 + p * w; p = -0.00417768164 + p * w;
    p = 0.246640727 + p * w; p = 1.50140941 + p * w;
    x = p * yd;
  } else {
    w = __builtin_sqrt(w) - 3.0;
    double p = -0.000200214257;
    p = 0.000100950558 + p * w; p = 0.00134934322 + p * w; p = -0.00367342844 + p * w;
    p = 0.00573950773 + p * w; p = -0.0076224613 + p * w; p = 0.00943887047 + p * w;
    p = 1.00167406 + p * w; p = 2.83297682 + p * w;
    x = p * yd;
  }
  const double two_over_sqrtpi = 1.12837916709551257390;
  for (int it = 0; it < 2; ++it) {
    double err = __builtin_erf(x) - yd;
    x -= err / (two_over_sqrtpi * __builtin_exp(-x * x));
  }
  return static_cast<T>(x);
}

// NaN-propagating max/min (torch.maximum/minimum).
template <class T> static inline T maximum_(T a, T b) {
  if constexpr (is_flt<T>) return (a != a) ? a : ((b != b || b > a) ? b : a);
  else return b > a ? b : a;
}
template <class T> static inline T minimum_(T a, T b) {
  if constexpr (is_flt<T>) return (a != a) ? a : ((b != b || b < a) ? b : a);
  else return b < a ? b : a;
}

// Integer division that never traps: b == 0 is rejected before the kernel runs;
// b == -1 is negation (INT_MIN / -1 would raise SIGFPE).
template <class T> static inline T idiv_trunc(T a, T b) {
  if constexpr (std::is_signed_v<T>) {
    if (b == T(-1)) return static_cast<T>(T(0) - static_cast<std::make_unsigned_t<T>>(a));
  }
  return b == T(0) ? T(0) : static_cast<T>(a / b);
}
template <class T> static inline T imod_trunc(T a, T b) {
  if constexpr (std::is_signed_v<T>) {
    if (b == T(-1)) return T(0);
  }
  return b == T(0) ? T(0) : static_cast<T>(a % b);
}

// PyTorch's div_floor for floats (matches Python's // on values and signed zeros).
template <class T> static inline T div_floor_flt(T a, T b) {
  if (b == T(0)) return a / b;
  T mod = fmod_(a, b);
  T div = (a - mod) / b;
  if ((mod != T(0)) && ((b < T(0)) != (mod < T(0)))) div -= T(1);
  T fl;
  if (div != T(0)) {
    fl = floor_(div);
    if (div - fl > T(0.5)) fl += T(1);
  } else {
    fl = copysign_(T(0), a / b);
  }
  return fl;
}
template <class T> static inline T div_floor(T a, T b) {
  if constexpr (is_flt<T>) return div_floor_flt(a, b);
  else {
    T q = idiv_trunc(a, b);
    if constexpr (std::is_signed_v<T>) {
      T r = imod_trunc(a, b);
      if (r != 0 && ((r < 0) != (b < 0))) q -= 1;
    }
    return q;
  }
}
template <class T> static inline T remainder_(T a, T b) {
  if constexpr (is_flt<T>) {
    T m = fmod_(a, b);
    if ((m != T(0)) && ((b < T(0)) != (m < T(0)))) m += b;
    return m;
  } else {
    T r = imod_trunc(a, b);
    if constexpr (std::is_signed_v<T>) {
      if (r != 0 && ((r < 0) != (b < 0))) r += b;
    }
    return r;
  }
}
template <class T> static inline T fmod_any(T a, T b) {
  if constexpr (is_flt<T>) return fmod_(a, b);
  else return imod_trunc(a, b);
}

// Integer power by squaring; negative exponents give 1/a^|b| truncated (PyTorch).
template <class T> static inline T ipow(T a, T b) {
  if constexpr (std::is_signed_v<T>) {
    if (b < 0) {
      if (a == 1) return 1;
      if (a == -1) return (b & 1) ? T(-1) : T(1);
      return 0;
    }
  }
  using U = std::make_unsigned_t<T>;
  U r = 1, base = static_cast<U>(a);
  U e = static_cast<U>(b);
  while (e) {
    if (e & 1) r = static_cast<U>(r * base);
    base = static_cast<U>(base * base);
    e >>= 1;
  }
  return static_cast<T>(r);
}

}  // namespace ewm
