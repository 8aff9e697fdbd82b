// binary_kernels.h — the binary elementwise kernels, compiled once per ISA.
//
// binary_cpu.cpp, binary_avx2.cpp and binary_avx512.cpp each define EW_ISA and
// include this file (see unary_kernels.h). A kernel processes one StridedLoop run
// of n elements. Three layouts get their own loop, which the compiler vectorises:
// all contiguous, b broadcast (stride 0, e.g. a Python scalar), a broadcast;
// anything else walks the byte strides. Both inputs are in the compute dtype;
// comparisons and logical ops write bool.
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

// f(a, b, p) — p is add/sub's alpha (1 for the others).
#define EW_BINARY(NAME, OK, OUT, EXPR)                                 \
  struct B_##NAME {                                                    \
    template <class T> static constexpr bool ok = OK;                  \
    template <class T> using out = OUT;                                \
    template <class T> static inline OUT f(T a, T b, T p) {            \
      (void)p;                                                         \
      return EXPR;                                                     \
    }                                                                  \
  };

EW_BINARY(add, kNum<T>, T, static_cast<T>(a + p * b))
EW_BINARY(sub, kNum<T>, T, static_cast<T>(a - p * b))
EW_BINARY(mul, kNum<T>, T, static_cast<T>(a * b))
EW_BINARY(div, kFlt<T>, T, a / b)
EW_BINARY(div_trunc, kNum<T>, T, [&] { if constexpr (kFlt<T>) return trunc_(a / b); else return idiv_trunc(a, b); }())
EW_BINARY(floor_divide, kNum<T>, T, div_floor(a, b))
EW_BINARY(remainder, kNum<T>, T, remainder_(a, b))
EW_BINARY(fmod, kNum<T>, T, fmod_any(a, b))
EW_BINARY(pow, kNum<T>, T, [&] { if constexpr (kFlt<T>) return pow_(a, b); else return ipow(a, b); }())
EW_BINARY(atan2, kFlt<T>, T, atan2_(a, b))
EW_BINARY(maximum, kNum<T>, T, maximum_(a, b))
EW_BINARY(minimum, kNum<T>, T, minimum_(a, b))
EW_BINARY(eq, true, bool, a == b)
EW_BINARY(ne, true, bool, a != b)
EW_BINARY(lt, true, bool, a < b)
EW_BINARY(le, true, bool, a <= b)
EW_BINARY(gt, true, bool, a > b)
EW_BINARY(ge, true, bool, a >= b)
EW_BINARY(logical_and, true, bool, static_cast<bool>(a) && static_cast<bool>(b))
EW_BINARY(logical_or, true, bool, static_cast<bool>(a) || static_cast<bool>(b))
EW_BINARY(logical_xor, true, bool, static_cast<bool>(a) != static_cast<bool>(b))
EW_BINARY(bitwise_and, kInt<T>, T, static_cast<T>(a & b))
EW_BINARY(bitwise_or, kInt<T>, T, static_cast<T>(a | b))
EW_BINARY(bitwise_xor, kInt<T>, T, static_cast<T>(a ^ b))
#undef EW_BINARY

template <class Op, class T>
void binary_run(char* out, int64_t so, const char* pa, int64_t sa, const char* pb, int64_t sb, int64_t n,
                const void* params) {
  using O = typename Op::template out<T>;
  const T p = params ? *static_cast<const T*>(params) : T(1);
  O* o = reinterpret_cast<O*>(out);
  const T* a = reinterpret_cast<const T*>(pa);
  const T* b = reinterpret_cast<const T*>(pb);
  if (so == sizeof(O)) {
    if (sa == sizeof(T) && sb == sizeof(T)) {
      for (int64_t i = 0; i < n; ++i) o[i] = Op::template f<T>(a[i], b[i], p);
      return;
    }
    if (sa == sizeof(T) && sb == 0) {
      const T bv = *b;
      for (int64_t i = 0; i < n; ++i) o[i] = Op::template f<T>(a[i], bv, p);
      return;
    }
    if (sa == 0 && sb == sizeof(T)) {
      const T av = *a;
      for (int64_t i = 0; i < n; ++i) o[i] = Op::template f<T>(av, b[i], p);
      return;
    }
  }
  for (int64_t i = 0; i < n; ++i)
    *reinterpret_cast<O*>(out + i * so) = Op::template f<T>(*reinterpret_cast<const T*>(pa + i * sa),
                                                            *reinterpret_cast<const T*>(pb + i * sb), p);
}

template <class Op, class T>
BinaryRunFn pick() {
  if constexpr (Op::template ok<T>) return &binary_run<Op, T>;
  else return nullptr;
}

template <class T>
BinaryRunFn lookup(BOp op) {
  switch (op) {
#define EW_CASE(n) case BOp::n: return pick<B_##n, T>();
    EMBER_BINARY_OPS(EW_CASE)
#undef EW_CASE
    default: return nullptr;
  }
}

}  // namespace

BinaryRunFn binary_kernel(BOp op, DType dt) {
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
