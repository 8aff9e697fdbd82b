// elementwise.h — unary, binary and ternary elementwise ops: the public C++ entry
// points (checks, NumPy broadcasting, PyTorch type promotion, output allocation,
// device dispatch) and the op ids the per-ISA kernel tables are indexed by.
//
// Operands are arrays or Python-style "weak" scalars (Operand): a scalar never
// widens a tensor of its own category (float32 tensor + 2.5 stays float32; int
// tensor + 2.5 becomes float32), exactly as PyTorch's result_type.
#pragma once
#include <cstdint>
#include <optional>

#include "core/array.h"

namespace ember {

// ---- op ids (the string names equal the Python op names) ----
#define EMBER_UNARY_OPS(X)                                                                          \
  X(neg) X(abs) X(exp) X(exp2) X(log) X(log2) X(log10) X(log1p) X(expm1) X(sqrt) X(rsqrt) X(square) \
  X(reciprocal) X(sin) X(cos) X(tan) X(asin) X(acos) X(atan) X(sinh) X(cosh) X(tanh) X(sigmoid)    \
  X(relu) X(erf) X(erfinv) X(sign) X(floor) X(ceil) X(round) X(trunc) X(frac) X(isnan) X(isinf)    \
  X(isfinite) X(logical_not) X(bitwise_not) X(clamp) X(nan_to_num) X(round_decimals)

#define EMBER_BINARY_OPS(X)                                                                  \
  X(add) X(sub) X(mul) X(div) X(div_trunc) X(floor_divide) X(remainder) X(fmod) X(pow)      \
  X(atan2) X(maximum) X(minimum) X(eq) X(ne) X(lt) X(le) X(gt) X(ge) X(logical_and)         \
  X(logical_or) X(logical_xor) X(bitwise_and) X(bitwise_or) X(bitwise_xor)

enum class UOp : uint8_t {
#define EMBER_X(n) n,
  EMBER_UNARY_OPS(EMBER_X)
#undef EMBER_X
  count_
};
enum class BOp : uint8_t {
#define EMBER_X(n) n,
  EMBER_BINARY_OPS(EMBER_X)
#undef EMBER_X
  count_
};
const char* op_name(UOp op);
const char* op_name(BOp op);

// A Python number passed where a tensor could be: kind says which Python type it was.
struct Scalar {
  enum Kind : uint8_t { Bool, Int, Float };
  Kind kind = Float;
  double d = 0;   // the value (exact for Float and Bool)
  int64_t i = 0;  // the value of an Int (exact for all of int64)
  static Scalar from_double(double v) { return Scalar{Float, v, static_cast<int64_t>(v)}; }
  static Scalar from_int(int64_t v) { return Scalar{Int, static_cast<double>(v), v}; }
  static Scalar from_bool(bool v) { return Scalar{Bool, v ? 1.0 : 0.0, v ? 1 : 0}; }
  DType dtype() const { return kind == Bool ? DType::Bool : kind == Int ? DType::Int64 : DType::Float32; }
};

// An array or a weak scalar. Holds a pointer: the array must outlive the Operand.
struct Operand {
  const Array* arr = nullptr;
  Scalar s;
  Operand() = default;
  Operand(const Array& a) : arr(&a) {}
  Operand(Scalar v) : s(v) {}
  bool is_scalar() const { return arr == nullptr; }
};

// PyTorch's result_type over the operands (dimensioned tensors > 0-d tensors > scalars).
DType result_type(const Operand* ops, int n);

// ---- entry points. `out`, when given, receives the result (shape = broadcast shape,
// the result dtype must be castable to it) and is returned; in-place = out is an input.
Array unary(UOp op, const Array& a, const Array* out = nullptr);
// clamp with either bound optional (scalar or array bounds).
Array clamp(const Array& a, const std::optional<Operand>& lo, const std::optional<Operand>& hi,
            const Array* out = nullptr);
Array nan_to_num(const Array& a, std::optional<double> nan, std::optional<double> posinf,
                 std::optional<double> neginf, const Array* out = nullptr);
Array round(const Array& a, int64_t decimals, const Array* out = nullptr);
// alpha scales b for add/sub (PyTorch's add(a, b, alpha=)).
Array binary(BOp op, const Operand& a, const Operand& b, const Array* out = nullptr, Scalar alpha = Scalar::from_int(1));
Array where(const Array& cond, const Operand& a, const Operand& b, const Array* out = nullptr);
// lerp(start, end, weight): weight an array or scalar.
Array lerp(const Array& start, const Array& end, const Operand& weight, const Array* out = nullptr);
// self + value * t1 * t2  /  self + value * t1 / t2
Array addcmul(const Array& self, const Array& t1, const Array& t2, Scalar value, const Array* out = nullptr);
Array addcdiv(const Array& self, const Array& t1, const Array& t2, Scalar value, const Array* out = nullptr);

// ---- internal: per-ISA kernel tables (unary_kernels.h / binary_kernels.h) ----
// A run of n elements; strides in bytes; params points at the op's parameters in
// the compute type (clamp bounds, nan_to_num values, add's alpha).
using UnaryRunFn = void (*)(char* out, int64_t so, const char* in, int64_t si, int64_t n, const void* params);
using BinaryRunFn = void (*)(char* out, int64_t so, const char* a, int64_t sa, const char* b, int64_t sb,
                             int64_t n, const void* params);
// nullptr when the op does not support the dtype. `dt` is the input (compute) dtype.
UnaryRunFn unary_kernel(UOp op, DType dt);
BinaryRunFn binary_kernel(BOp op, DType dt);
namespace ew_scalar { UnaryRunFn unary_kernel(UOp op, DType dt); BinaryRunFn binary_kernel(BOp op, DType dt); }
namespace ew_avx2 { UnaryRunFn unary_kernel(UOp op, DType dt); BinaryRunFn binary_kernel(BOp op, DType dt); }
namespace ew_avx512 { UnaryRunFn unary_kernel(UOp op, DType dt); BinaryRunFn binary_kernel(BOp op, DType dt); }

// Shared helpers of the dispatch files (elementwise.cpp, ternary.cpp).
namespace ew {
// PyTorch's canCast: no float -> integer, no non-bool -> bool.
bool can_cast(DType from, DType to);
// Writes v converted to dt (saturating for integers) into buf (>= 8 bytes).
void store_scalar(const Scalar& v, DType dt, void* buf);
// Checks `out` for an op producing `shape`/`dtype` on `dev` (shape, castability, device).
void check_out(const char* op, const Array& out, const Shape& shape, DType dtype, Device dev);
// The device shared by the array operands (error naming both when they differ). A 0-d
// CPU tensor among tensors on a GPU is copied there (PyTorch's rule): its Operand in
// `ops` then points at the copy, kept in moved[i] (n entries).
Device common_device(const char* op, Operand* ops, int n, Array* moved);
// The dtype kernels compute in for a result dtype (16-bit floats go through float32).
inline DType kernel_dtype(DType t) { return (t == DType::Float16 || t == DType::BFloat16) ? DType::Float32 : t; }
constexpr int64_t kGrain = 32768;
}  // namespace ew

}  // namespace ember
