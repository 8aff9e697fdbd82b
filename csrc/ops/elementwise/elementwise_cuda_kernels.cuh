// elementwise_cuda_kernels.cuh — the op functors and launch templates shared by
// elementwise_cuda.cu (unary) and elementwise_binary_cuda.cu (binary).
//
// An op is a functor over the compute type C (float for half/bfloat16, else the
// element type) with capability flags: kFloat (f32 f64 f16 bf16), kInt (u8 i32
// i64), kBool, and kPred (the result is bool: out is a bool array). Each op is
// instantiated only for the dtypes its flags name, with two kernels per dtype
// (flat and strided).
//
// Launch (grid-stride loops, 256 threads, on the current stream): operands are
// described by one StridedIndex over out's shape. When out is contiguous and every
// input is contiguous or a single value, the flat kernel runs, with 16-byte vector
// loads/stores (float4-style) when the pointers are aligned; else the strided
// kernel computes offsets per element (32-bit fast divmod when they fit). A single
// value is either read once from memory (a stride-0 array) or passed by value (a
// Python number, already in the compute type: no 0-d tensor, no fill launch).
// add/sub take alpha by value too (a + alpha * b, like the CPU kernels).
#pragma once
#include <cstring>
#include <tuple>
#include <type_traits>

#include "core/cuda_utils.cuh"
#include "elementwise.h"
#include "elementwise_cuda.h"

namespace ember {
namespace ew_cuda {

// ---------------------------------------------------------------- math overloads

#define EMBER_DM1(name, ffn, dfn)                                         \
  __device__ __forceinline__ float name(float x) { return ffn(x); }     \
  __device__ __forceinline__ double name(double x) { return ::dfn(x); }
#define EMBER_DM2(name, ffn, dfn)                                                  \
  __device__ __forceinline__ float name(float x, float y) { return ffn(x, y); }  \
  __device__ __forceinline__ double name(double x, double y) { return ::dfn(x, y); }
EMBER_DM1(m_exp, expf, exp)
EMBER_DM1(m_exp2, exp2f, exp2)
EMBER_DM1(m_log, logf, log)
EMBER_DM1(m_log2, log2f, log2)
EMBER_DM1(m_log10, log10f, log10)
EMBER_DM1(m_log1p, log1pf, log1p)
EMBER_DM1(m_expm1, expm1f, expm1)
EMBER_DM1(m_sqrt, sqrtf, sqrt)
EMBER_DM1(m_rsqrt, rsqrtf, rsqrt)
EMBER_DM1(m_sin, sinf, sin)
EMBER_DM1(m_cos, cosf, cos)
EMBER_DM1(m_tan, tanf, tan)
EMBER_DM1(m_asin, asinf, asin)
EMBER_DM1(m_acos, acosf, acos)
EMBER_DM1(m_atan, atanf, atan)
EMBER_DM1(m_sinh, sinhf, sinh)
EMBER_DM1(m_cosh, coshf, cosh)
EMBER_DM1(m_tanh, tanhf, tanh)
EMBER_DM1(m_erf, erff, erf)
EMBER_DM1(m_erfinv, erfinvf, erfinv)
EMBER_DM1(m_floor, floorf, floor)
EMBER_DM1(m_ceil, ceilf, ceil)
EMBER_DM1(m_rint, rintf, rint)
EMBER_DM1(m_trunc, truncf, trunc)
EMBER_DM1(m_fabs, fabsf, fabs)
EMBER_DM2(m_pow, powf, pow)
EMBER_DM2(m_atan2, atan2f, atan2)
EMBER_DM2(m_fmod, fmodf, fmod)
EMBER_DM2(m_copysign, copysignf, copysign)
#undef EMBER_DM1
#undef EMBER_DM2

// ---------------------------------------------------------------- op functors

#define EMBER_OP_FLAGS(F, I, B, P)                       \
  static constexpr bool kFloat = F, kInt = I, kBool = B, kPred = P;

// Float-only unary math: f(x) in the compute type.
#define EMBER_FLOAT_UNARY(Name, expr)                                     \
  struct Name {                                                           \
    EMBER_OP_FLAGS(true, false, false, false)                             \
    template <class C> __device__ __forceinline__ C operator()(C x) const { \
      return expr;                                                        \
    }                                                                     \
  };
EMBER_FLOAT_UNARY(ExpF, m_exp(x))
EMBER_FLOAT_UNARY(Exp2F, m_exp2(x))
EMBER_FLOAT_UNARY(LogF, m_log(x))
EMBER_FLOAT_UNARY(Log2F, m_log2(x))
EMBER_FLOAT_UNARY(Log10F, m_log10(x))
EMBER_FLOAT_UNARY(Log1pF, m_log1p(x))
EMBER_FLOAT_UNARY(Expm1F, m_expm1(x))
EMBER_FLOAT_UNARY(SqrtF, m_sqrt(x))
EMBER_FLOAT_UNARY(RsqrtF, m_rsqrt(x))
EMBER_FLOAT_UNARY(ReciprocalF, C(1) / x)
EMBER_FLOAT_UNARY(SinF, m_sin(x))
EMBER_FLOAT_UNARY(CosF, m_cos(x))
EMBER_FLOAT_UNARY(TanF, m_tan(x))
EMBER_FLOAT_UNARY(AsinF, m_asin(x))
EMBER_FLOAT_UNARY(AcosF, m_acos(x))
EMBER_FLOAT_UNARY(AtanF, m_atan(x))
EMBER_FLOAT_UNARY(SinhF, m_sinh(x))
EMBER_FLOAT_UNARY(CoshF, m_cosh(x))
EMBER_FLOAT_UNARY(TanhF, m_tanh(x))
// exp(-x) overflows to inf for very negative x and 1/(1+inf) = 0: no NaN.
EMBER_FLOAT_UNARY(SigmoidF, C(1) / (C(1) + m_exp(-x)))
EMBER_FLOAT_UNARY(ErfF, m_erf(x))
EMBER_FLOAT_UNARY(ErfinvF, m_erfinv(x))
EMBER_FLOAT_UNARY(FracF, x - m_trunc(x))
#undef EMBER_FLOAT_UNARY

// Unary ops on floats and integers; an integer rounding op is the identity.
struct NegF {
  EMBER_OP_FLAGS(true, true, false, false)
  template <class C> __device__ __forceinline__ C operator()(C x) const { return static_cast<C>(-x); }
};
struct AbsF {
  EMBER_OP_FLAGS(true, true, false, false)
  template <class C> __device__ __forceinline__ C operator()(C x) const {
    if constexpr (std::is_floating_point<C>::value) return m_fabs(x);
    else if constexpr (std::is_unsigned<C>::value) return x;
    else return x < 0 ? static_cast<C>(-x) : x;
  }
};
struct SquareF {
  EMBER_OP_FLAGS(true, true, false, false)
  template <class C> __device__ __forceinline__ C operator()(C x) const { return static_cast<C>(x * x); }
};
// x < 0 ? 0 : x keeps NaN (like PyTorch's relu).
struct ReluF {
  EMBER_OP_FLAGS(true, true, false, false)
  template <class C> __device__ __forceinline__ C operator()(C x) const {
    if constexpr (std::is_unsigned<C>::value) return x;
    else return x < C(0) ? C(0) : x;
  }
};
// 0 for 0 and NaN, like PyTorch.
struct SignF {
  EMBER_OP_FLAGS(true, true, false, false)
  template <class C> __device__ __forceinline__ C operator()(C x) const {
    if constexpr (std::is_unsigned<C>::value) return static_cast<C>(x != 0);
    else return static_cast<C>(static_cast<int>(C(0) < x) - static_cast<int>(x < C(0)));
  }
};
#define EMBER_ROUNDING_UNARY(Name, fn)                                    \
  struct Name {                                                           \
    EMBER_OP_FLAGS(true, true, false, false)                              \
    template <class C> __device__ __forceinline__ C operator()(C x) const { \
      if constexpr (std::is_floating_point<C>::value) return fn(x);       \
      else return x;                                                      \
    }                                                                     \
  };
EMBER_ROUNDING_UNARY(FloorF, m_floor)
EMBER_ROUNDING_UNARY(CeilF, m_ceil)
EMBER_ROUNDING_UNARY(RoundF, m_rint)  // half to even, like torch.round
EMBER_ROUNDING_UNARY(TruncF, m_trunc)
#undef EMBER_ROUNDING_UNARY

struct BitwiseNotF {
  EMBER_OP_FLAGS(false, true, true, false)
  template <class C> __device__ __forceinline__ C operator()(C x) const {
    if constexpr (std::is_same<C, bool>::value) return !x;
    else return static_cast<C>(~x);
  }
};

// Predicates (bool out).
struct IsnanF {
  EMBER_OP_FLAGS(true, true, true, true)
  template <class C> __device__ __forceinline__ bool operator()(C x) const {
    if constexpr (std::is_floating_point<C>::value) return x != x;
    else return false;
  }
};
struct IsinfF {
  EMBER_OP_FLAGS(true, true, true, true)
  template <class C> __device__ __forceinline__ bool operator()(C x) const {
    if constexpr (std::is_floating_point<C>::value) return ::isinf(x);
    else return false;
  }
};
struct IsfiniteF {
  EMBER_OP_FLAGS(true, true, true, true)
  template <class C> __device__ __forceinline__ bool operator()(C x) const {
    if constexpr (std::is_floating_point<C>::value) return ::isfinite(x);
    else return true;
  }
};
struct LogicalNotF {
  EMBER_OP_FLAGS(true, true, true, true)
  template <class C> __device__ __forceinline__ bool operator()(C x) const { return !(x != C(0)); }
};

// ---- binary

// Integer division that never misbehaves: b == 0 gives 0 (the CPU raises
// ZeroDivisionError before its kernel runs; on CUDA that check would need a
// device-to-host copy, so the quotient and remainder of a division by zero are 0),
// and b == -1 is negation (INT_MIN / -1 overflows). As ew_math.h on the CPU.
template <class C>
__device__ __forceinline__ C idiv_trunc(C a, C b) {
  if constexpr (std::is_signed<C>::value) {
    if (b == C(-1)) return static_cast<C>(C(0) - static_cast<typename std::make_unsigned<C>::type>(a));
  }
  return b == C(0) ? C(0) : static_cast<C>(a / b);
}
template <class C>
__device__ __forceinline__ C imod_trunc(C a, C b) {
  if constexpr (std::is_signed<C>::value) {
    if (b == C(-1)) return C(0);
  }
  return b == C(0) ? C(0) : static_cast<C>(a % b);
}
// Integer power by squaring; negative exponents give 1/a^|b| truncated (PyTorch).
template <class C>
__device__ __forceinline__ C ipow(C a, C b) {
  if constexpr (std::is_signed<C>::value) {
    if (b < 0) {
      if (a == 1) return C(1);
      if (a == -1) return (b & 1) ? C(-1) : C(1);
      return C(0);
    }
  }
  using U = typename std::make_unsigned<C>::type;
  U r = 1, base = static_cast<U>(a), e = static_cast<U>(b);
  while (e) {
    if (e & 1) r = static_cast<U>(r * base);
    base = static_cast<U>(base * base);
    e >>= 1;
  }
  return static_cast<C>(r);
}

// Ops that take add/sub's alpha as a third operand (1 when not given).
struct AlphaOp {};
struct AddF : AlphaOp {
  static constexpr bool kFloat = true, kInt = true, kBool = false, kPred = false;
  template <class C> __device__ __forceinline__ C operator()(C a, C b, C alpha) const {
    return static_cast<C>(a + alpha * b);
  }
};
struct SubF : AlphaOp {
  static constexpr bool kFloat = true, kInt = true, kBool = false, kPred = false;
  template <class C> __device__ __forceinline__ C operator()(C a, C b, C alpha) const {
    return static_cast<C>(a - alpha * b);
  }
};

#define EMBER_BINARY(Name, F, I, B, P, R, expr)                                     \
  struct Name {                                                                     \
    EMBER_OP_FLAGS(F, I, B, P)                                                      \
    template <class C> __device__ __forceinline__ R operator()(C a, C b) const {     \
      return expr;                                                                  \
    }                                                                               \
  };
EMBER_BINARY(MulF, true, true, false, false, C, static_cast<C>(a * b))
EMBER_BINARY(DivF, true, false, false, false, C, a / b)
EMBER_BINARY(Atan2F, true, false, false, false, C, m_atan2(a, b))
EMBER_BINARY(EqF, true, true, true, true, bool, a == b)
EMBER_BINARY(NeF, true, true, true, true, bool, a != b)
EMBER_BINARY(LtF, true, true, true, true, bool, a < b)
EMBER_BINARY(LeF, true, true, true, true, bool, a <= b)
EMBER_BINARY(GtF, true, true, true, true, bool, a > b)
EMBER_BINARY(GeF, true, true, true, true, bool, a >= b)
EMBER_BINARY(LogicalAndF, true, true, true, true, bool, (a != C(0)) && (b != C(0)))
EMBER_BINARY(LogicalOrF, true, true, true, true, bool, (a != C(0)) || (b != C(0)))
EMBER_BINARY(LogicalXorF, true, true, true, true, bool, (a != C(0)) != (b != C(0)))
EMBER_BINARY(BitwiseAndF, false, true, true, false, C, static_cast<C>(a & b))
EMBER_BINARY(BitwiseOrF, false, true, true, false, C, static_cast<C>(a | b))
EMBER_BINARY(BitwiseXorF, false, true, true, false, C, static_cast<C>(a ^ b))
#undef EMBER_BINARY

// NaN-propagating, like torch.maximum / torch.minimum.
struct MaximumF {
  EMBER_OP_FLAGS(true, true, false, false)
  template <class C> __device__ __forceinline__ C operator()(C a, C b) const {
    if constexpr (std::is_floating_point<C>::value) {
      if (a != a) return a;
      if (b != b) return b;
    }
    return a > b ? a : b;
  }
};
struct MinimumF {
  EMBER_OP_FLAGS(true, true, false, false)
  template <class C> __device__ __forceinline__ C operator()(C a, C b) const {
    if constexpr (std::is_floating_point<C>::value) {
      if (a != a) return a;
      if (b != b) return b;
    }
    return a < b ? a : b;
  }
};
struct DivTruncF {
  EMBER_OP_FLAGS(true, true, false, false)
  template <class C> __device__ __forceinline__ C operator()(C a, C b) const {
    if constexpr (std::is_floating_point<C>::value) return m_trunc(a / b);
    else return idiv_trunc(a, b);
  }
};
struct FmodF {
  EMBER_OP_FLAGS(true, true, false, false)
  template <class C> __device__ __forceinline__ C operator()(C a, C b) const {
    if constexpr (std::is_floating_point<C>::value) return m_fmod(a, b);
    else return imod_trunc(a, b);
  }
};
struct PowF {
  EMBER_OP_FLAGS(true, true, false, false)
  template <class C> __device__ __forceinline__ C operator()(C a, C b) const {
    if constexpr (std::is_floating_point<C>::value) return m_pow(a, b);
    else return ipow(a, b);
  }
};
// Python's modulo: the result takes the divisor's sign.
struct RemainderF {
  EMBER_OP_FLAGS(true, true, false, false)
  template <class C> __device__ __forceinline__ C operator()(C a, C b) const {
    if constexpr (std::is_floating_point<C>::value) {
      C mod = m_fmod(a, b);
      if (mod != C(0) && ((b < C(0)) != (mod < C(0)))) mod += b;
      return mod;
    } else {
      C r = imod_trunc(a, b);
      if constexpr (std::is_signed<C>::value) {
        if (r != 0 && ((r < 0) != (b < 0))) r = static_cast<C>(r + b);
      }
      return r;
    }
  }
};
// Floats: PyTorch's div_floor_floating, floor(a / b) computed from fmod so it is
// exact. Integers: the truncated quotient, one less when the signs differ and
// there is a remainder.
struct FloorDivideF {
  EMBER_OP_FLAGS(true, true, false, false)
  template <class C> __device__ __forceinline__ C operator()(C a, C b) const {
    if constexpr (!std::is_floating_point<C>::value) {
      C q = idiv_trunc(a, b);
      if constexpr (std::is_signed<C>::value) {
        const C r = imod_trunc(a, b);
        if (r != 0 && ((r < 0) != (b < 0))) q = static_cast<C>(q - 1);
      }
      return q;
    } else {
      if (b == C(0)) return a / b;
      C mod = m_fmod(a, b);
      C div = (a - mod) / b;
      if (mod != C(0) && ((b < C(0)) != (mod < C(0)))) div -= C(1);
      if (div == C(0)) return m_copysign(C(0), a / b);
      C fl = m_floor(div);
      if (div - fl > C(0.5)) fl += C(1);
      return fl;
    }
  }
};
#undef EMBER_OP_FLAGS

// ---------------------------------------------------------------- op sets

// Ops with the same flags that share one kernel per dtype: `k` (passed with the
// functor, by value) picks the member at run time. The branch is uniform over the
// whole grid, so it costs a compare or two per element, and each set adds one
// kernel pair per dtype to the fatbin instead of one per member. Hot ops (add, mul,
// exp, relu, ...) keep their own kernels.
template <class... Ops>
struct OpSet {
  using First = typename std::tuple_element<0, std::tuple<Ops...>>::type;
  static constexpr bool kFloat = First::kFloat, kInt = First::kInt, kBool = First::kBool, kPred = First::kPred;
  static_assert(((Ops::kFloat == kFloat && Ops::kInt == kInt && Ops::kBool == kBool && Ops::kPred == kPred) && ...),
                "the members of an OpSet must serve the same dtypes");
  int k = 0;
  template <class... C>
  __device__ __forceinline__ auto operator()(C... x) const {
    using R = decltype(First{}(x...));
    R r{};
    int i = 0;
    (void)((i++ == k ? (r = Ops{}(x...), true) : false) || ...);
    return r;
  }
};

using PredBinarySet = OpSet<EqF, NeF, LtF, LeF, GtF, GeF, LogicalAndF, LogicalOrF, LogicalXorF>;
using BitwiseSet = OpSet<BitwiseAndF, BitwiseOrF, BitwiseXorF>;
using MinMaxSet = OpSet<MaximumF, MinimumF>;
using IntDivSet = OpSet<DivTruncF, FloorDivideF, RemainderF, FmodF, PowF>;
using FloatMathSet = OpSet<Exp2F, LogF, Log2F, Log10F, Log1pF, Expm1F, RsqrtF, ReciprocalF, SinF, CosF, TanF, AsinF,
                           AcosF, AtanF, SinhF, CoshF, ErfF, ErfinvF, FracF>;
using RoundingSet = OpSet<SignF, FloorF, CeilF, RoundF, TruncF>;
using PredUnarySet = OpSet<IsnanF, IsinfF, IsfiniteF, LogicalNotF>;

// ---------------------------------------------------------------- kernels

template <class Op, class T>
using out_t = typename std::conditional<Op::kPred, bool, T>::type;
template <class T>
using comp_t = typename DevCvt<T>::C;  // float for half/bfloat16, else T

// Elements per vector access of the flat kernels: 16 bytes, at most 8 elements (so
// 1-byte types do not inline an op 16 times), and 1 (no vector path at all) where
// the cost is the arithmetic, not the memory access: the integer division ops, and
// the transcendental set (whose vector path only doubled its code in the fatbin).
template <class Op>
struct int_division_op : std::false_type {};
template <> struct int_division_op<IntDivSet> : std::true_type {};
template <class Op, class T>
constexpr int ew_vec_width() {
  if (std::is_same<Op, FloatMathSet>::value) return 1;
  if (int_division_op<Op>::value && !std::is_floating_point<typename DevCvt<T>::C>::value) return 1;
  return vec_width<T>() > 8 ? 8 : vec_width<T>();
}

template <class Op, class T, class O>
__device__ __forceinline__ O apply1(const Op& op, T x) {
  return DevCvt<O>::store(op(DevCvt<T>::load(x)));
}
template <class Op, class O, class C>
__device__ __forceinline__ O apply2(const Op& op, C a, C b, C alpha) {
  if constexpr (std::is_base_of<AlphaOp, Op>::value) return DevCvt<O>::store(op(a, b, alpha));
  else return DevCvt<O>::store(op(a, b));
}

// out contiguous; in contiguous or (in_scalar) one value. vec: pointers are
// aligned for V-element vector accesses. out may be in (in-place).
template <class Op, class T, class O>
__global__ void unary_flat(O* out, const T* in, int64_t n, bool in_scalar, bool vec, Op op) {
  constexpr int V = ew_vec_width<Op, T>();
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  const int64_t tid = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (in_scalar) {
    const O v = apply1<Op, T, O>(op, in[0]);
    for (int64_t i = tid; i < n; i += step) out[i] = v;
    return;
  }
  int64_t done = 0;
  if (V > 1 && vec) {
    using VT = AlignedVec<T, V>;
    using VO = AlignedVec<O, V>;
    const int64_t nv = n / V;
    for (int64_t i = tid; i < nv; i += step) {
      const VT x = reinterpret_cast<const VT*>(in)[i];
      VO y;
#pragma unroll
      for (int j = 0; j < V; ++j) y.v[j] = apply1<Op, T, O>(op, x.v[j]);
      reinterpret_cast<VO*>(out)[i] = y;
    }
    done = nv * V;
  }
  for (int64_t i = done + tid; i < n; i += step) out[i] = apply1<Op, T, O>(op, in[i]);
}

template <class Op, class T, class O>
__global__ void unary_strided(O* out, const T* in, int64_t n, StridedIndex<2> ix, Op op) {
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step) {
    int64_t off[2];
    ix.offsets(i, off);
    out[off[0]] = apply1<Op, T, O>(op, in[off[1]]);
  }
}

// How a binary operand of the flat kernel is read.
enum : int {
  kArr = 0,  // contiguous array: element i
  kMem = 1,  // one value read from memory once (a stride-0 array, e.g. a 0-d tensor)
  kVal = 2,  // one value passed by value (a Python number)
};

// out contiguous. va/vb: the kVal values (compute type). vec: every kArr operand
// and out aligned for V-element vector accesses. out may be a or b (in-place).
template <class Op, class T, class O>
__global__ void binary_flat(O* out, const T* a, const T* b, int64_t n, int ka, int kb, comp_t<T> va, comp_t<T> vb,
                            comp_t<T> alpha, bool vec, Op op) {
  using C = comp_t<T>;
  constexpr int V = ew_vec_width<Op, T>();
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  const int64_t tid = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (ka == kMem) va = DevCvt<T>::load(a[0]);  // n >= 1: element 0 exists
  if (kb == kMem) vb = DevCvt<T>::load(b[0]);
  const bool a_arr = ka == kArr, b_arr = kb == kArr;
  int64_t done = 0;
  if (V > 1 && vec) {
    using VT = AlignedVec<T, V>;
    using VO = AlignedVec<O, V>;
    const int64_t nv = n / V;
    for (int64_t i = tid; i < nv; i += step) {
      C x[V], y[V];
      if (a_arr) {
        const VT t = reinterpret_cast<const VT*>(a)[i];
#pragma unroll
        for (int j = 0; j < V; ++j) x[j] = DevCvt<T>::load(t.v[j]);
      } else {
#pragma unroll
        for (int j = 0; j < V; ++j) x[j] = va;
      }
      if (b_arr) {
        const VT t = reinterpret_cast<const VT*>(b)[i];
#pragma unroll
        for (int j = 0; j < V; ++j) y[j] = DevCvt<T>::load(t.v[j]);
      } else {
#pragma unroll
        for (int j = 0; j < V; ++j) y[j] = vb;
      }
      VO z;
#pragma unroll
      for (int j = 0; j < V; ++j) z.v[j] = apply2<Op, O, C>(op, x[j], y[j], alpha);
      reinterpret_cast<VO*>(out)[i] = z;
    }
    done = nv * V;
  }
  for (int64_t i = done + tid; i < n; i += step) {
    const C x = a_arr ? DevCvt<T>::load(a[i]) : va;
    const C y = b_arr ? DevCvt<T>::load(b[i]) : vb;
    out[i] = apply2<Op, O, C>(op, x, y, alpha);
  }
}

// Any strides. a_val / b_val: that operand is the value va / vb (its pointer is
// not read; its index column is a placeholder).
template <class Op, class T, class O>
__global__ void binary_strided(O* out, const T* a, const T* b, int64_t n, StridedIndex<3> ix, bool a_val,
                               bool b_val, comp_t<T> va, comp_t<T> vb, comp_t<T> alpha, Op op) {
  using C = comp_t<T>;
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step) {
    int64_t off[3];
    ix.offsets(i, off);
    const C x = a_val ? va : DevCvt<T>::load(a[off[1]]);
    const C y = b_val ? vb : DevCvt<T>::load(b[off[2]]);
    out[off[0]] = apply2<Op, O, C>(op, x, y, alpha);
  }
}

// ---------------------------------------------------------------- host side

// Op names for messages (elementwise_cuda.cu).
const char* uop_name(UOp op);
const char* bop_name(BOp op);
// Checks that `in` broadcasts to out's shape (right-aligned).
void check_broadcast(const char* op, const Array& in, const Array& out);
// Same CUDA device for all (message names both devices).
void check_same_device(const char* op, const Array& out, const Array& in);
[[noreturn]] void fail_dtype(const char* op, DType dt);
[[noreturn]] void fail_dtypes(const char* op, const Array& out, const Array& a, const Array* b, bool pred);

template <class C>
C from_bytes(const EwScalar& s) {
  C v;
  std::memcpy(&v, s.bytes, sizeof(C));
  return v;
}

// The launch decisions that do not depend on the op (elementwise_cuda.cu), so each
// (op, dtype) instantiation adds only its two kernels and a few host instructions.
struct UnaryPlan {
  StridedIndex<2> ix;
  bool flat = false;       // out contiguous, in contiguous or one value
  bool in_scalar = false;  // (flat) in is one value read from memory
  bool vec = false;        // (flat) vector accesses
  unsigned grid = 1;
};
UnaryPlan plan_unary(const Array& out, const Array& in, int vec_width);
struct BinaryPlan {
  StridedIndex<3> ix;
  bool flat = false;
  int ka = kArr, kb = kArr;  // (flat) how a and b are read
  bool vec = false;
  unsigned grid = 1;
};
BinaryPlan plan_binary(const Array& out, const Array& a, const Array& b, const EwBinaryArgs& args, int vec_width);

template <class Op, class T>
void launch_unary(const Array& out, const Array& in, const char* name, const Op& op) {
  using O = out_t<Op, T>;
  const UnaryPlan p = plan_unary(out, in, ew_vec_width<Op, T>());
  cudaStream_t stream = cuda::current_stream();
  if (p.flat)
    unary_flat<Op, T, O><<<p.grid, cuda::kThreads, 0, stream>>>(out.data<O>(), in.data<T>(), out.numel(),
                                                                 p.in_scalar, p.vec, op);
  else
    unary_strided<Op, T, O><<<p.grid, cuda::kThreads, 0, stream>>>(out.data<O>(), in.data<T>(), out.numel(), p.ix,
                                                                    op);
  cuda::check_launch(name);
}

template <class Op, class T>
void launch_binary(const Array& out, const Array& a, const Array& b, const EwBinaryArgs& args, const char* name,
                   const Op& op) {
  using O = out_t<Op, T>;
  using C = comp_t<T>;
  const bool a_val = args.scalar_operand == 1, b_val = args.scalar_operand == 2;
  const C sv = a_val || b_val ? from_bytes<C>(args.scalar) : C(0);
  const C alpha = args.has_alpha ? from_bytes<C>(args.alpha) : C(1);
  const BinaryPlan p = plan_binary(out, a, b, args, ew_vec_width<Op, T>());
  const T* pa = a_val ? nullptr : a.data<T>();
  const T* pb = b_val ? nullptr : b.data<T>();
  cudaStream_t stream = cuda::current_stream();
  if (p.flat)
    binary_flat<Op, T, O><<<p.grid, cuda::kThreads, 0, stream>>>(out.data<O>(), pa, pb, out.numel(), p.ka, p.kb, sv,
                                                                  sv, alpha, p.vec, op);
  else
    binary_strided<Op, T, O><<<p.grid, cuda::kThreads, 0, stream>>>(out.data<O>(), pa, pb, out.numel(), p.ix, a_val,
                                                                     b_val, sv, sv, alpha, op);
  cuda::check_launch(name);
}

// Runs f(scalar_t{}) for the dtypes Op supports; other dtypes raise.
template <class Op, class F>
void dispatch_op(DType dt, const char* name, F&& f) {
  switch (dt) {
    case DType::Float32: if constexpr (Op::kFloat) return f(float{}); break;
    case DType::Float64: if constexpr (Op::kFloat) return f(double{}); break;
    case DType::Float16: if constexpr (Op::kFloat) return f(Half{}); break;
    case DType::BFloat16: if constexpr (Op::kFloat) return f(BFloat16{}); break;
    case DType::Int32: if constexpr (Op::kInt) return f(int32_t{}); break;
    case DType::Int64: if constexpr (Op::kInt) return f(int64_t{}); break;
    case DType::UInt8: if constexpr (Op::kInt) return f(uint8_t{}); break;
    case DType::Bool: if constexpr (Op::kBool) return f(bool{}); break;
  }
  fail_dtype(name, dt);
}

template <class Op>
void run_unary(const char* name, const Array& out, const Array& in, const Op& op = Op{}) {
  const DType want = Op::kPred ? DType::Bool : in.dtype();
  if (out.dtype() != want) fail_dtypes(name, out, in, nullptr, Op::kPred);
  dispatch_op<Op>(in.dtype(), name, [&](auto tag) { launch_unary<Op, decltype(tag)>(out, in, name, op); });
}

template <class Op>
void run_binary(const char* name, const Array& out, const Array& a, const Array& b, const EwBinaryArgs& args,
                const Op& op = Op{}) {
  const bool a_val = args.scalar_operand == 1, b_val = args.scalar_operand == 2;
  const DType dt = a_val ? b.dtype() : a.dtype();  // the dtype of the array operand(s)
  const DType want = Op::kPred ? DType::Bool : dt;
  if ((!a_val && !b_val && a.dtype() != b.dtype()) || out.dtype() != want)
    fail_dtypes(name, out, a_val ? b : a, a_val || b_val ? nullptr : &b, Op::kPred);
  dispatch_op<Op>(dt, name, [&](auto tag) { launch_binary<Op, decltype(tag)>(out, a, b, args, name, op); });
}

}  // namespace ew_cuda
}  // namespace ember
