// dtype.h — ember's element types, their sizes and names, PyTorch's promotion
// rules, half/bfloat16 conversions and the dispatch macros kernels switch on.
#pragma once
#include <cstdint>
#include <cmath>
#include <cstring>

namespace ember {

enum class DType : uint8_t { Bool, UInt8, Int32, Int64, Float16, BFloat16, Float32, Float64 };
constexpr int kNumDTypes = 8;

inline int64_t itemsize(DType t) {
  switch (t) {
    case DType::Bool: case DType::UInt8: return 1;
    case DType::Float16: case DType::BFloat16: return 2;
    case DType::Int32: case DType::Float32: return 4;
    default: return 8;
  }
}
inline bool is_floating(DType t) {
  return t == DType::Float16 || t == DType::BFloat16 || t == DType::Float32 || t == DType::Float64;
}
inline bool is_integral(DType t, bool include_bool = false) {
  return t == DType::UInt8 || t == DType::Int32 || t == DType::Int64 || (include_bool && t == DType::Bool);
}
const char* dtype_name(DType t);  // "float32", ...

// PyTorch's promotion between two tensors of the same "dimension category":
// bool < integers < floats; within a category the wider type; f16 + bf16 -> f32.
DType promote_types(DType a, DType b);

// 16-bit float storage types: plain bit containers, converted through float.
struct Half { uint16_t x; };
struct BFloat16 { uint16_t x; };

inline float half_to_float(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = (h >> 10) & 0x1f, man = h & 0x3ff, bits;
  if (exp == 0) {  // zero or subnormal: exactly man * 2^-24
    float f = (float)man * (1.0f / 16777216.0f);
    return sign ? -f : f;
  }
  if (exp == 31) bits = sign | 0x7f800000u | (man << 13);
  else bits = sign | ((exp + 112) << 23) | (man << 13);
  float f; std::memcpy(&f, &bits, 4); return f;
}
// Round-to-nearest-even through float arithmetic: scaling by 2^112 then 2^-110
// makes the FPU do the rounding (the well-known FP16 conversion trick).
inline uint16_t float_to_half(float f) {
  auto bits_of = [](float v) { uint32_t u; std::memcpy(&u, &v, 4); return u; };
  auto from_bits = [](uint32_t u) { float v; std::memcpy(&v, &u, 4); return v; };
  float base = (std::fabs(f) * 0x1.0p+112f) * 0x1.0p-110f;
  uint32_t w = bits_of(f), shl1_w = w + w, sign = w & 0x80000000u;
  uint32_t bias = shl1_w & 0xff000000u;
  if (bias < 0x71000000u) bias = 0x71000000u;
  base = from_bits((bias >> 1) + 0x07800000u) + base;
  uint32_t b = bits_of(base);
  uint32_t nonsign = ((b >> 13) & 0x7c00u) + (b & 0x0fffu);
  return (uint16_t)((sign >> 16) | (shl1_w > 0xff000000u ? 0x7e00u : nonsign));
}
inline float bf16_to_float(uint16_t b) {
  uint32_t bits = (uint32_t)b << 16; float f; std::memcpy(&f, &bits, 4); return f;
}
inline uint16_t float_to_bf16(float f) {
  uint32_t x; std::memcpy(&x, &f, 4);
  if ((x & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((x >> 16) | 0x40);  // quiet NaN
  x += 0x7fff + ((x >> 16) & 1);  // round to nearest even
  return (uint16_t)(x >> 16);
}

// Maps a C++ type to its DType.
template <class T> struct dtype_of;
template <> struct dtype_of<bool> { static constexpr DType value = DType::Bool; };
template <> struct dtype_of<uint8_t> { static constexpr DType value = DType::UInt8; };
template <> struct dtype_of<int32_t> { static constexpr DType value = DType::Int32; };
template <> struct dtype_of<int64_t> { static constexpr DType value = DType::Int64; };
template <> struct dtype_of<Half> { static constexpr DType value = DType::Float16; };
template <> struct dtype_of<BFloat16> { static constexpr DType value = DType::BFloat16; };
template <> struct dtype_of<float> { static constexpr DType value = DType::Float32; };
template <> struct dtype_of<double> { static constexpr DType value = DType::Float64; };

// Loads/stores any element type through a compute type (half/bf16 through float).
template <class T> struct Cvt {
  template <class U> static inline U load(const T& v) { return static_cast<U>(v); }
  template <class U> static inline T store(U v) { return static_cast<T>(v); }
};
template <> struct Cvt<Half> {
  template <class U> static inline U load(const Half& v) { return static_cast<U>(half_to_float(v.x)); }
  template <class U> static inline Half store(U v) { return Half{float_to_half(static_cast<float>(v))}; }
};
template <> struct Cvt<BFloat16> {
  template <class U> static inline U load(const BFloat16& v) { return static_cast<U>(bf16_to_float(v.x)); }
  template <class U> static inline BFloat16 store(U v) { return BFloat16{float_to_bf16(static_cast<float>(v))}; }
};
template <> struct Cvt<bool> {
  template <class U> static inline U load(const bool& v) { return static_cast<U>(v); }
  template <class U> static inline bool store(U v) { return v != U(0); }
};

// The type kernels compute in: float for the 16-bit floats, else the type itself.
template <class T> struct compute_type { using type = T; };
template <> struct compute_type<Half> { using type = float; };
template <> struct compute_type<BFloat16> { using type = float; };
template <class T> using compute_t = typename compute_type<T>::type;

// Element conversion between any two dtypes (exact for int64 -> int64).
template <class D, class S>
inline D convert(const S& v) {
  return Cvt<D>::template store<compute_t<S>>(Cvt<S>::template load<compute_t<S>>(v));
}

}  // namespace ember

// Dispatch: the body (a lambda expression) is expanded once per case with
// `scalar_t` naming the element type. Usage:
//   EMBER_DISPATCH_FLOAT(a.dtype(), "exp", [&] { kernel<scalar_t>(...); });
#define EMBER_DTYPE_CASE(ENUM, TYPE, ...) \
  case ::ember::DType::ENUM: {            \
    using scalar_t = TYPE;                \
    return __VA_ARGS__();                 \
  }
#define EMBER_DISPATCH_FAIL(dt, NAME) \
  default:                            \
    throw ::ember::Error(::ember::ErrorKind::Type, std::string("[") + NAME + "] unsupported dtype " + ::ember::dtype_name(dt));

// float32 and float64 (the compute dtypes of most kernels).
#define EMBER_DISPATCH_FLOAT(DT, NAME, ...)              \
  [&] {                                                  \
    const ::ember::DType _dt = (DT);                     \
    switch (_dt) {                                       \
      EMBER_DTYPE_CASE(Float32, float, __VA_ARGS__)      \
      EMBER_DTYPE_CASE(Float64, double, __VA_ARGS__)     \
      EMBER_DISPATCH_FAIL(_dt, NAME)                     \
    }                                                    \
  }()
// All floating types, half and bfloat16 included (load/store through Cvt<scalar_t>).
#define EMBER_DISPATCH_ALL_FLOAT(DT, NAME, ...)          \
  [&] {                                                  \
    const ::ember::DType _dt = (DT);                     \
    switch (_dt) {                                       \
      EMBER_DTYPE_CASE(Float32, float, __VA_ARGS__)      \
      EMBER_DTYPE_CASE(Float64, double, __VA_ARGS__)     \
      EMBER_DTYPE_CASE(Float16, ::ember::Half, __VA_ARGS__) \
      EMBER_DTYPE_CASE(BFloat16, ::ember::BFloat16, __VA_ARGS__) \
      EMBER_DISPATCH_FAIL(_dt, NAME)                     \
    }                                                    \
  }()
// Numeric types without bool and without 16-bit floats.
#define EMBER_DISPATCH_NUMERIC(DT, NAME, ...)            \
  [&] {                                                  \
    const ::ember::DType _dt = (DT);                     \
    switch (_dt) {                                       \
      EMBER_DTYPE_CASE(Float32, float, __VA_ARGS__)      \
      EMBER_DTYPE_CASE(Float64, double, __VA_ARGS__)     \
      EMBER_DTYPE_CASE(Int32, int32_t, __VA_ARGS__)      \
      EMBER_DTYPE_CASE(Int64, int64_t, __VA_ARGS__)      \
      EMBER_DTYPE_CASE(UInt8, uint8_t, __VA_ARGS__)      \
      EMBER_DISPATCH_FAIL(_dt, NAME)                     \
    }                                                    \
  }()
// Every dtype.
#define EMBER_DISPATCH_ALL(DT, NAME, ...)                \
  [&] {                                                  \
    const ::ember::DType _dt = (DT);                     \
    switch (_dt) {                                       \
      EMBER_DTYPE_CASE(Float32, float, __VA_ARGS__)      \
      EMBER_DTYPE_CASE(Float64, double, __VA_ARGS__)     \
      EMBER_DTYPE_CASE(Int32, int32_t, __VA_ARGS__)      \
      EMBER_DTYPE_CASE(Int64, int64_t, __VA_ARGS__)      \
      EMBER_DTYPE_CASE(UInt8, uint8_t, __VA_ARGS__)      \
      EMBER_DTYPE_CASE(Bool, bool, __VA_ARGS__)          \
      EMBER_DTYPE_CASE(Float16, ::ember::Half, __VA_ARGS__) \
      EMBER_DTYPE_CASE(BFloat16, ::ember::BFloat16, __VA_ARGS__) \
      EMBER_DISPATCH_FAIL(_dt, NAME)                     \
    }                                                    \
  }()
