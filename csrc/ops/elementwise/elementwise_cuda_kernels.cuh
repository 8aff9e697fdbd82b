// elementwise_cuda_kernels.cuh — the op functors and launch templates shared by
// elementwise_cuda.cu (unary) and elementwise_binary_cuda.cu (binary).
//
// An op is a functor over the compute type C (float for half/bfloat16, else the
// element type) with capability flags: kFloat (f32 f64 f16 bf16), kInt (u8 i32
// i64), kBool, and kPred (the result is bool: out is a bool array).
//
// Launch: operands are described by one StridedIndex over out's shape. When out is
// contiguous and every input is contiguous or a single broadcast value, the flat
// kernel runs, with 16-byte vector loads/stores (float4-style) when the pointers
// are aligned; else the strided kernel computes offsets per element.
#pragma once
#include <cstring>
#include <type_traits>

#include "core/cuda_utils.cuh"

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
#define EMBER_BINARY(Name, F, I, B, P, R, expr)                                     \
  struct Name {                                                                     \
    EMBER_OP_FLAGS(F, I, B, P)                                                      \
    template <class C> __device__ __forceinline__ R operator()(C a, C b) const {     \
      return expr;                                                                  \
    }                                                                               \
  };
EMBER_BINARY(AddF, true, true, false, false, C, static_cast<C>(a + b))
EMBER_BINARY(SubF, true, true, false, false, C, static_cast<C>(a - b))
EMBER_BINARY(MulF, true, true, false, false, C, static_cast<C>(a * b))
EMBER_BINARY(DivF, true, false, false, false, C, a / b)
EMBER_BINARY(DivTruncF, true, false, false, false, C, m_trunc(a / b))
EMBER_BINARY(PowF, true, false, false, false, C, m_pow(a, b))
EMBER_BINARY(Atan2F, true, false, false, false, C, m_atan2(a, b))
EMBER_BINARY(FmodF, true, false, false, false, C, m_fmod(a, b))
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
// Python's modulo: the result takes the divisor's sign.
struct RemainderF {
  EMBER_OP_FLAGS(true, false, false, false)
  template <class C> __device__ __forceinline__ C operator()(C a, C b) const {
    C mod = m_fmod(a, b);
    if (mod != C(0) && ((b < C(0)) != (mod < C(0)))) mod += b;
    return mod;
  }
};
// PyTorch's div_floor_floating: floor(a / b) computed from fmod so it is exact.
struct FloorDivideF {
  EMBER_OP_FLAGS(true, false, false, false)
  template <class C> __device__ __forceinline__ C operator()(C a, C b) const {
    if (b == C(0)) return a / b;
    C mod = m_fmod(a, b);
    C div = (a - mod) / b;
    if (mod != C(0) && ((b < C(0)) != (mod < C(0)))) div -= C(1);
    if (div == C(0)) return m_copysign(C(0), a / b);
    C fl = m_floor(div);
    if (div - fl > C(0.5)) fl += C(1);
    return fl;
  }
};
#undef EMBER_OP_FLAGS

// ---------------------------------------------------------------- kernels

template <class Op, class T>
using out_t = typename std::conditional<Op::kPred, bool, T>::type;

template <class Op, class T, class O>
__device__ __forceinline__ O apply1(const Op& op, T x) {
  return DevCvt<O>::store(op(DevCvt<T>::load(x)));
}
template <class Op, class T, class O>
__device__ __forceinline__ O apply2(const Op& op, T a, T b) {
  return DevCvt<O>::store(op(DevCvt<T>::load(a), DevCvt<T>::load(b)));
}

// out contiguous; in contiguous or (in_scalar) one value. vec: pointers are
// aligned for V-element vector accesses.
template <class Op, class T, class O>
__global__ void unary_flat(O* out, const T* in, int64_t n, bool in_scalar, bool vec, Op op) {
  constexpr int V = vec_width<T>();
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  const int64_t tid = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (in_scalar) {
    const O v = apply1<Op, T, O>(op, in[0]);
    for (int64_t i = tid; i < n; i += step) out[i] = v;
    return;
  }
  int64_t done = 0;
  if (vec) {
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

template <class Op, class T, class O>
__global__ void binary_flat(O* out, const T* a, const T* b, int64_t n, bool a_scalar, bool b_scalar, bool vec,
                            Op op) {
  constexpr int V = vec_width<T>();
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  const int64_t tid = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  const T a0 = a[0], b0 = b[0];  // n >= 1: element 0 always exists
  int64_t done = 0;
  if (vec) {
    using VT = AlignedVec<T, V>;
    using VO = AlignedVec<O, V>;
    const int64_t nv = n / V;
    for (int64_t i = tid; i < nv; i += step) {
      VT x, y;
      if (!a_scalar) {
        x = reinterpret_cast<const VT*>(a)[i];
      } else {
#pragma unroll
        for (int j = 0; j < V; ++j) x.v[j] = a0;
      }
      if (!b_scalar) {
        y = reinterpret_cast<const VT*>(b)[i];
      } else {
#pragma unroll
        for (int j = 0; j < V; ++j) y.v[j] = b0;
      }
      VO z;
#pragma unroll
      for (int j = 0; j < V; ++j) z.v[j] = apply2<Op, T, O>(op, x.v[j], y.v[j]);
      reinterpret_cast<VO*>(out)[i] = z;
    }
    done = nv * V;
  }
  for (int64_t i = done + tid; i < n; i += step)
    out[i] = apply2<Op, T, O>(op, a_scalar ? a0 : a[i], b_scalar ? b0 : b[i]);
}

template <class Op, class T, class O>
__global__ void binary_strided(O* out, const T* a, const T* b, int64_t n, StridedIndex<3> ix, Op op) {
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step) {
    int64_t off[3];
    ix.offsets(i, off);
    out[off[0]] = apply2<Op, T, O>(op, a[off[1]], b[off[2]]);
  }
}

// ---------------------------------------------------------------- host side

// Checks that `in` broadcasts to out's shape (right-aligned).
void check_broadcast(const char* op, const Array& in, const Array& out);
// Same CUDA device for all (message names both devices).
void check_same_device(const char* op, const Array& out, const Array& in);
[[noreturn]] void fail_dtype(const char* op, DType dt);
[[noreturn]] void fail_dtypes(const char* op, const Array& out, const Array& a, const Array* b, bool pred);

template <class Op, class T>
void launch_unary(const Array& out, const Array& in, const char* name) {
  using O = out_t<Op, T>;
  const int64_t n = out.numel();
  StridedIndex<2> ix = make_strided_index<2>(out.shape(), {&out, &in});
  bool sc[2];
  if (ix.flat(sc) && !sc[0]) {
    constexpr int V = vec_width<T>();
    const bool vec = !sc[1] && n >= V && aligned_to(out.data_ptr(), sizeof(O) * V) &&
                     aligned_to(in.data_ptr(), sizeof(T) * V);
    unary_flat<Op, T, O><<<cuda::grid_for(n, vec ? V : 1), cuda::kThreads>>>(
        out.data<O>(), in.data<T>(), n, sc[1], vec, Op{});
  } else {
    unary_strided<Op, T, O><<<cuda::grid_for(n), cuda::kThreads>>>(out.data<O>(), in.data<T>(), n, ix, Op{});
  }
  cuda::check_launch(name);
}

template <class Op, class T>
void launch_binary(const Array& out, const Array& a, const Array& b, const char* name) {
  using O = out_t<Op, T>;
  const int64_t n = out.numel();
  StridedIndex<3> ix = make_strided_index<3>(out.shape(), {&out, &a, &b});
  bool sc[3];
  if (ix.flat(sc) && !sc[0]) {
    constexpr int V = vec_width<T>();
    const bool vec = n >= V && aligned_to(out.data_ptr(), sizeof(O) * V) &&
                     (sc[1] || aligned_to(a.data_ptr(), sizeof(T) * V)) &&
                     (sc[2] || aligned_to(b.data_ptr(), sizeof(T) * V));
    binary_flat<Op, T, O><<<cuda::grid_for(n, vec ? V : 1), cuda::kThreads>>>(
        out.data<O>(), a.data<T>(), b.data<T>(), n, sc[1], sc[2], vec, Op{});
  } else {
    binary_strided<Op, T, O><<<cuda::grid_for(n), cuda::kThreads>>>(out.data<O>(), a.data<T>(), b.data<T>(), n,
                                                                     ix, Op{});
  }
  cuda::check_launch(name);
}

// Runs F<scalar_t>() for the dtypes Op supports; other dtypes raise.
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
void run_unary(const char* name, const Array& out, const Array& in) {
  const DType want = Op::kPred ? DType::Bool : in.dtype();
  if (out.dtype() != want) fail_dtypes(name, out, in, nullptr, Op::kPred);
  dispatch_op<Op>(in.dtype(), name, [&](auto tag) { launch_unary<Op, decltype(tag)>(out, in, name); });
}

template <class Op>
void run_binary(const char* name, const Array& out, const Array& a, const Array& b) {
  const DType want = Op::kPred ? DType::Bool : a.dtype();
  if (a.dtype() != b.dtype() || out.dtype() != want) fail_dtypes(name, out, a, &b, Op::kPred);
  dispatch_op<Op>(a.dtype(), name, [&](auto tag) { launch_binary<Op, decltype(tag)>(out, a, b, name); });
}

}  // namespace ew_cuda
}  // namespace ember
