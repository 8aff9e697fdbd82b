// elementwise.cpp — checks, broadcasting, PyTorch type promotion, output
// allocation and device/ISA dispatch for the unary and binary elementwise ops.
//
// Flow of binary(): result_type over the operands (weak Python scalars), the op's
// rule maps it to a compute dtype and an output dtype, inputs not already in the
// compute dtype are converted (rare: mixed dtypes), a scalar operand becomes a
// stride-0 operand pointing at a stack buffer, and StridedLoop<3> feeds runs to the
// kernel chosen for simd_level(). 16-bit floats compute in float32. Same-shape,
// same-dtype contiguous float inputs skip all of that (the hot path of `a + b`).
// A write (out=, in-place) first runs torch's overlap checks (core/overlap.h); an
// input sharing memory with out in a layout the checks cannot clear (strided views)
// makes the op compute into a temporary, so no thread reads an element another
// thread already overwrote.
#include "elementwise.h"

#include <cmath>
#include <cstring>
#include <limits>

#include "core/cpu_features.h"
#include "core/overlap.h"
#include "core/strided_loop.h"

#include "elementwise_cuda.h"

namespace ember {

const char* op_name(UOp op) {
  static const char* names[] = {
#define EMBER_X(n) #n,
      EMBER_UNARY_OPS(EMBER_X)
#undef EMBER_X
  };
  return names[static_cast<int>(op)];
}
const char* op_name(BOp op) {
  static const char* names[] = {
#define EMBER_X(n) #n,
      EMBER_BINARY_OPS(EMBER_X)
#undef EMBER_X
  };
  return names[static_cast<int>(op)];
}

UnaryRunFn unary_kernel(UOp op, DType dt) {
  switch (simd_level()) {
    case SimdLevel::AVX512: return ew_avx512::unary_kernel(op, dt);
    case SimdLevel::AVX2: return ew_avx2::unary_kernel(op, dt);
    default: return ew_scalar::unary_kernel(op, dt);
  }
}
BinaryRunFn binary_kernel(BOp op, DType dt) {
  switch (simd_level()) {
    case SimdLevel::AVX512: return ew_avx512::binary_kernel(op, dt);
    case SimdLevel::AVX2: return ew_avx2::binary_kernel(op, dt);
    default: return ew_scalar::binary_kernel(op, dt);
  }
}

// ------------------------------------------------------------ promotion helpers

namespace {
constexpr int kUndef = -1;
int promote_skip_undef(int a, int b) {
  if (a == kUndef) return b;
  if (b == kUndef) return a;
  return static_cast<int>(promote_types(static_cast<DType>(a), static_cast<DType>(b)));
}
// PyTorch's combine_categories: a lower-priority class only matters when it is of
// a higher category (bool < int < float) than the higher-priority one.
int combine_categories(int higher, int lower) {
  if (higher != kUndef && is_floating(static_cast<DType>(higher))) return higher;
  if (higher == static_cast<int>(DType::Bool) || (lower != kUndef && is_floating(static_cast<DType>(lower))))
    return promote_skip_undef(higher, lower);
  if (higher != kUndef) return higher;
  return lower;
}
}  // namespace

DType result_type(const Operand* ops, int n) {
  int dim = kUndef, zero = kUndef, wrapped = kUndef;
  for (int i = 0; i < n; ++i) {
    if (ops[i].is_scalar()) wrapped = promote_skip_undef(wrapped, static_cast<int>(ops[i].s.dtype()));
    else if (ops[i].arr->ndim() > 0) dim = promote_skip_undef(dim, static_cast<int>(ops[i].arr->dtype()));
    else zero = promote_skip_undef(zero, static_cast<int>(ops[i].arr->dtype()));
  }
  int r = combine_categories(dim, combine_categories(zero, wrapped));
  return r == kUndef ? DType::Float32 : static_cast<DType>(r);
}

namespace ew {

bool can_cast(DType from, DType to) {
  if (is_floating(from) && !is_floating(to)) return false;
  if (from != DType::Bool && to == DType::Bool) return false;
  return true;
}

template <class T>
static T saturate(double v) {
  if (v != v) return T(0);
  if (v <= static_cast<double>(std::numeric_limits<T>::lowest())) return std::numeric_limits<T>::lowest();
  if (v >= static_cast<double>(std::numeric_limits<T>::max())) return std::numeric_limits<T>::max();
  return static_cast<T>(v);
}

void store_scalar(const Scalar& v, DType dt, void* buf) {
  switch (dt) {
    case DType::Float32: { float x = static_cast<float>(v.d); std::memcpy(buf, &x, 4); break; }
    case DType::Float64: std::memcpy(buf, &v.d, 8); break;
    case DType::Int32: {
      int32_t x = v.kind == Scalar::Float ? saturate<int32_t>(v.d) : static_cast<int32_t>(v.i);
      std::memcpy(buf, &x, 4);
      break;
    }
    case DType::Int64: {
      int64_t x = v.kind == Scalar::Float ? saturate<int64_t>(v.d) : v.i;
      std::memcpy(buf, &x, 8);
      break;
    }
    case DType::UInt8: {
      uint8_t x = v.kind == Scalar::Float ? saturate<uint8_t>(v.d) : static_cast<uint8_t>(v.i);
      std::memcpy(buf, &x, 1);
      break;
    }
    case DType::Bool: { bool x = v.d != 0; std::memcpy(buf, &x, 1); break; }
    case DType::Float16: { uint16_t x = float_to_half(static_cast<float>(v.d)); std::memcpy(buf, &x, 2); break; }
    case DType::BFloat16: { uint16_t x = float_to_bf16(static_cast<float>(v.d)); std::memcpy(buf, &x, 2); break; }
  }
}

void check_out(const char* op, const Array& out, const Shape& shape, DType dtype, Device dev) {
  EMBER_CHECK(out.defined(), Value, "[", op, "] out is undefined");
  EMBER_CHECK(out.shape() == shape, Runtime, "[", op, "] output with shape ", shape_str(out.shape()),
              " doesn't match the broadcast shape ", shape_str(shape));
  EMBER_CHECK(can_cast(dtype, out.dtype()), Runtime, "[", op, "] result type ", dtype_name(dtype),
              " can't be cast to the desired output type ", dtype_name(out.dtype()));
  EMBER_CHECK(out.device() == dev, Value, "[", op, "] expected out on ", dev.str(), ", got out on ",
              out.device().str());
}

Device common_device(const char* op, Operand* ops, int n, Array* moved) {
  // As in PyTorch, a 0-d CPU tensor joins tensors on another device as if it were a
  // number: it does not vote on the device and is copied there (a 0-d copy).
  auto cpu_0d = [](const Array& a) { return a.ndim() == 0 && a.device().is_cpu(); };
  const Array* first = nullptr;
  for (int i = 0; i < n; ++i) {
    if (ops[i].is_scalar()) continue;
    const Array& a = *ops[i].arr;
    EMBER_CHECK(a.defined(), Value, "[", op, "] undefined array operand");
    if (cpu_0d(a)) continue;
    if (!first) first = &a;
    else
      EMBER_CHECK(a.device() == first->device(), Runtime, "[", op,
                  "] expected all tensors to be on the same device, but found at least two devices, ",
                  first->device().str(), " and ", a.device().str());
  }
  if (!first) return cpu_device();  // only 0-d CPU tensors (or numbers)
  const Device dev = first->device();
  if (!dev.is_cpu()) {
    for (int i = 0; i < n; ++i) {
      if (ops[i].is_scalar() || !cpu_0d(*ops[i].arr)) continue;
      moved[i] = ops[i].arr->to(dev);
      ops[i] = Operand(moved[i]);
    }
  }
  return dev;
}

}  // namespace ew

// ------------------------------------------------------------ runners

namespace {

using ew::kGrain;

// Runs a binary kernel over out[shape] = f(a, b); a/b are arrays or stride-0 scalars.
void run_binary(BinaryRunFn fn, const Array& out, const Operand& a, const void* abuf, const Operand& b,
                const void* bbuf, const void* params) {
  const Shape& shape = out.shape();
  if (out.numel() == 0) return;
  int64_t so[kMaxDims], sa[kMaxDims] = {0}, sb[kMaxDims] = {0};
  broadcast_byte_strides(out, shape, so);
  if (a.arr) broadcast_byte_strides(*a.arr, shape, sa);
  if (b.arr) broadcast_byte_strides(*b.arr, shape, sb);
  char* pa = a.arr ? static_cast<char*>(a.arr->data_ptr()) : const_cast<char*>(static_cast<const char*>(abuf));
  char* pb = b.arr ? static_cast<char*>(b.arr->data_ptr()) : const_cast<char*>(static_cast<const char*>(bbuf));
  StridedLoop<3> loop(shape, {static_cast<char*>(out.data_ptr()), pa, pb}, {so, sa, sb});
  loop.run([&](char* const* p, const int64_t* st, int64_t n) { fn(p[0], st[0], p[1], st[1], p[2], st[2], n, params); },
           kGrain);
}

void run_unary(UnaryRunFn fn, const Array& out, const Array& in, const void* params) {
  if (out.numel() == 0) return;
  if (out.is_contiguous() && in.is_contiguous() && in.shape() == out.shape()) {
    char* po = static_cast<char*>(out.data_ptr());
    const char* pi = static_cast<const char*>(in.data_ptr());
    int64_t io = out.itemsize(), ii = in.itemsize();
    parallel_for(0, out.numel(), kGrain,
                 [&](int64_t s, int64_t e) { fn(po + s * io, io, pi + s * ii, ii, e - s, params); });
    return;
  }
  int64_t so[kMaxDims], si[kMaxDims];
  broadcast_byte_strides(out, out.shape(), so);
  broadcast_byte_strides(in, out.shape(), si);
  StridedLoop<2> loop(out.shape(), {static_cast<char*>(out.data_ptr()), static_cast<char*>(in.data_ptr())},
                      {so, si});
  loop.run([&](char* const* p, const int64_t* st, int64_t n) { fn(p[0], st[0], p[1], st[1], n, params); }, kGrain);
}

bool is_bool_out(BOp op) {
  return (op >= BOp::eq && op <= BOp::ge) || op == BOp::logical_and || op == BOp::logical_or ||
         op == BOp::logical_xor;
}
bool is_int_division(BOp op) {
  return op == BOp::div_trunc || op == BOp::floor_divide || op == BOp::remainder || op == BOp::fmod;
}

// True when an integer array holds a zero (the check that keeps integer division from trapping).
bool has_zero(const Array& a) {
  Array c = a.contiguous();
  const char* p = static_cast<const char*>(c.data_ptr());
  int64_t n = c.numel(), isz = c.itemsize();
  for (int64_t i = 0; i < n; ++i) {
    const char* e = p + i * isz;
    bool z = true;
    for (int64_t k = 0; k < isz; ++k) z = z && e[k] == 0;
    if (z) return true;
  }
  return false;
}

// Finishes an op computed into `res` (kernel dtype): writes it to out, or converts to odt.
Array finish(const Array& res, DType odt, const Array* out) {
  if (out) {
    if (res.data_ptr() != out->data_ptr() || res.dtype() != out->dtype()) Array(*out).copy_(res);
    else out->bump_version();
    return *out;
  }
  return res.dtype() == odt ? res : res.to(odt);
}

}  // namespace

// ------------------------------------------------------------ binary

static Array binary_general(BOp op, const Operand& A0, const Operand& B0, const Array* out, Scalar alpha) {
  const char* name = op_name(op);
  EMBER_CHECK(A0.arr || B0.arr, Type, "[", name, "] expected at least one tensor operand, got two numbers");
  Operand ops[2] = {A0, B0};
  Array moved[2];
  Device dev = ew::common_device(name, ops, 2, moved);
  const Operand &A = ops[0], &B = ops[1];
  // Overlap checks come first, as in torch (before shape and dtype checks).
  const bool via_tmp = out && out->defined() && check_write(*out, {A.arr, B.arr}, name);
  DType rt = result_type(ops, 2);
  DType cdt = rt, odt = rt;
  BOp kop = op;
  switch (op) {
    case BOp::add: case BOp::mul: case BOp::maximum: case BOp::minimum:
      if (rt == DType::Bool) kop = (op == BOp::add || op == BOp::maximum) ? BOp::bitwise_or : BOp::bitwise_and;
      break;
    case BOp::sub:
      EMBER_CHECK(rt != DType::Bool, Type, "[sub] subtraction, the `-` operator, with two bool tensors is not "
                  "supported: use the `^` or logical_xor() operator instead");
      break;
    case BOp::div: case BOp::atan2:
      if (!is_floating(rt)) cdt = odt = DType::Float32;
      break;
    case BOp::div_trunc: case BOp::floor_divide: case BOp::remainder: case BOp::fmod: case BOp::pow:
      EMBER_CHECK(rt != DType::Bool, Type, "[", name, "] not implemented for bool tensors");
      break;
    case BOp::bitwise_and: case BOp::bitwise_or: case BOp::bitwise_xor:
      EMBER_CHECK(!is_floating(rt), Type, "[", name, "] expected integer or bool tensors, got ", dtype_name(rt));
      break;
    default:  // comparisons and logical ops
      odt = DType::Bool;
      break;
  }
  const bool unit_alpha = alpha.kind != Scalar::Float ? alpha.i == 1 : alpha.d == 1.0;
  if (!unit_alpha) {
    EMBER_CHECK(op == BOp::add || op == BOp::sub, Value, "[", name, "] alpha is only accepted by add and sub");
    EMBER_CHECK(is_floating(cdt) || alpha.kind != Scalar::Float, Type, "[", name,
                "] for integral input tensors, argument alpha must not be a floating point number");
    EMBER_CHECK(cdt != DType::Bool || alpha.kind == Scalar::Bool, Type, "[", name,
                "] boolean alpha only supported for boolean results");
  }
  if (op == BOp::pow && !is_floating(cdt) && B.is_scalar())
    EMBER_CHECK(B.s.i >= 0, Runtime, "[pow] integers to negative integer powers are not allowed");

  Shape shape = A.arr ? A.arr->shape() : Shape{};
  if (B.arr) shape = broadcast_shapes(shape, B.arr->shape(), name);
  if (out) ew::check_out(name, *out, shape, odt, dev);

  // CUDA kernels take 16-bit floats as they are (computing in float32 inside);
  // the CPU kernels compute in float32 arrays.
  const DType kdt = dev.is_cuda() ? cdt : ew::kernel_dtype(cdt);
  const DType kodt = odt == DType::Bool ? DType::Bool : dev.is_cuda() ? odt : ew::kernel_dtype(odt);
  // Inputs in the kernel dtype (a conversion pass only when dtypes are mixed).
  Array ca, cb;
  if (A.arr) ca = A.arr->to(kdt);
  if (B.arr) cb = B.arr->to(kdt);
  Operand ka = A.arr ? Operand(ca) : A, kb = B.arr ? Operand(cb) : B;

  // Integer division by zero raises on the CPU. On CUDA a tensor divisor is not
  // checked (that would copy it to the host and wait): the kernels return 0 there.
  if (is_int_division(op) && !is_floating(kdt) && (kb.is_scalar() || dev.is_cpu())) {
    bool zero = kb.is_scalar() ? (kb.s.kind == Scalar::Float ? kb.s.d == 0 : kb.s.i == 0) : has_zero(cb);
    EMBER_CHECK(!zero, Runtime, "[", name, "] ZeroDivisionError: integer division by zero");
  }

  if (dev.is_cuda()) {
    // The kernel broadcasts the arrays itself; a Python number and alpha go to it
    // by value, in the compute type (float32 for 16-bit floats), op chosen by id.
    EwBinaryArgs args;
    const DType sdt = ew::kernel_dtype(kdt);
    if (ka.is_scalar()) {
      args.scalar_operand = 1;
      ew::store_scalar(ka.s, sdt, args.scalar.bytes);
    } else if (kb.is_scalar()) {
      args.scalar_operand = 2;
      ew::store_scalar(kb.s, sdt, args.scalar.bytes);
    }
    if (!unit_alpha) {
      args.has_alpha = true;
      ew::store_scalar(alpha, sdt, args.alpha.bytes);
    }
    Array res = (out && !via_tmp && out->dtype() == kodt) ? *out : Array::empty(shape, kodt, dev);
    const Array none;
    cuda_kernels::ew_binary(name)(static_cast<int>(kop), res, ka.arr ? *ka.arr : none, kb.arr ? *kb.arr : none,
                                  args);
    return finish(res, odt, out);
  }

  BinaryRunFn fn = binary_kernel(kop, kdt);
  EMBER_CHECK(fn, Type, "[", name, "] not implemented for ", dtype_name(kdt), " tensors");
  alignas(8) char abuf[8], bbuf[8], pbuf[8];
  if (ka.is_scalar()) ew::store_scalar(ka.s, kdt, abuf);
  if (kb.is_scalar()) ew::store_scalar(kb.s, kdt, bbuf);
  const void* params = nullptr;
  if (!unit_alpha) {
    ew::store_scalar(alpha, kdt, pbuf);
    params = pbuf;
  }
  Array res = (out && !via_tmp && out->dtype() == kodt) ? *out : Array::empty(shape, kodt, dev);
  run_binary(fn, res, ka, abuf, kb, bbuf, params);
  return finish(res, odt, out);
}

Array binary(BOp op, const Operand& A, const Operand& B, const Array* out, Scalar alpha) {
  // Hot path: same-shape, same-dtype contiguous float arrays on the CPU, no out=, alpha 1.
  if (!out && A.arr && B.arr && alpha.kind != Scalar::Float && alpha.i == 1) {
    const Array& x = *A.arr;
    const Array& y = *B.arr;
    const DType dt = x.dtype();
    if ((dt == DType::Float32 || dt == DType::Float64) && y.dtype() == dt && x.shape() == y.shape() &&
        x.defined() && y.defined() && x.device().is_cpu() && y.device().is_cpu() && x.is_contiguous() &&
        y.is_contiguous()) {
      if (BinaryRunFn fn = binary_kernel(op, dt)) {
        Array r = Array::empty(x.shape(), is_bool_out(op) ? DType::Bool : dt);
        char* po = static_cast<char*>(r.data_ptr());
        const char* pa = static_cast<const char*>(x.data_ptr());
        const char* pb = static_cast<const char*>(y.data_ptr());
        const int64_t is = x.itemsize(), os = r.itemsize(), n = x.numel();
        if (n <= kGrain) {
          if (n) fn(po, os, pa, is, pb, is, n, nullptr);
        } else {
          parallel_for(0, n, kGrain, [&](int64_t s, int64_t e) {
            fn(po + s * os, os, pa + s * is, is, pb + s * is, is, e - s, nullptr);
          });
        }
        return r;
      }
    }
  }
  return binary_general(op, A, B, out, alpha);
}

// ------------------------------------------------------------ unary

namespace {

enum class UKind { Float, Same, Pred, Bitwise };
UKind kind_of(UOp op) {
  switch (op) {
    case UOp::neg: case UOp::abs: case UOp::square: case UOp::relu: case UOp::sign: case UOp::floor:
    case UOp::ceil: case UOp::round: case UOp::trunc: case UOp::frac: case UOp::clamp:
    case UOp::nan_to_num: case UOp::round_decimals:
      return UKind::Same;
    case UOp::isnan: case UOp::isinf: case UOp::isfinite: case UOp::logical_not:
      return UKind::Pred;
    case UOp::bitwise_not:
      return UKind::Bitwise;
    default:
      return UKind::Float;
  }
}

// params: up to 3 doubles converted to the kernel dtype (clamp, nan_to_num, round_decimals).
Array unary_impl(UOp op, const Array& a, const Array* out, const double* params) {
  const char* name = op_name(op);
  EMBER_CHECK(a.defined(), Value, "[", name, "] undefined array");
  const DType dt = a.dtype();
  // Hot path: contiguous float input, no out=, no parameters.
  if (!out && !params && (dt == DType::Float32 || dt == DType::Float64) && a.device().is_cpu() &&
      a.is_contiguous()) {
    if (UnaryRunFn fn = unary_kernel(op, dt)) {
      Array r = Array::empty(a.shape(), kind_of(op) == UKind::Pred ? DType::Bool : dt);
      run_unary(fn, r, a, nullptr);
      return r;
    }
  }
  const bool via_tmp = out && out->defined() && check_write(*out, {&a}, name);
  DType cdt = dt, odt = dt;
  switch (kind_of(op)) {
    case UKind::Float:
      if (!is_floating(dt)) cdt = odt = DType::Float32;
      break;
    case UKind::Pred:
      odt = DType::Bool;
      break;
    case UKind::Bitwise:
      EMBER_CHECK(!is_floating(dt), Type, "[", name, "] expected an integer or bool tensor, got ", dtype_name(dt));
      break;
    case UKind::Same:
      if (op == UOp::square && dt == DType::Bool) cdt = odt = DType::Int64;
      else if (op == UOp::neg)
        EMBER_CHECK(dt != DType::Bool, Type, "[neg] negation, the `-` operator, on a bool tensor is not "
                    "supported: use the `~` or logical_not() operator instead");
      else if (op == UOp::frac)
        EMBER_CHECK(is_floating(dt), Type, "[frac] not implemented for ", dtype_name(dt), " tensors");
      else if (op != UOp::sign && op != UOp::nan_to_num)
        EMBER_CHECK(dt != DType::Bool, Type, "[", name, "] not implemented for bool tensors");
      break;
  }
  if (out) ew::check_out(name, *out, a.shape(), odt, a.device());
  const DType kdt = ew::kernel_dtype(cdt);
  const DType kodt = odt == DType::Bool ? DType::Bool : ew::kernel_dtype(odt);
  // Integer inputs of ops that are the identity on integers.
  if (!is_floating(kdt) && (op == UOp::nan_to_num || op == UOp::round_decimals)) {
    if (out) {
      Array(*out).copy_(a);
      return *out;
    }
    return a.clone();
  }
  if (a.device().is_cuda()) {
    // 16-bit floats go to the kernel as they are (it computes in float32); op by id.
    EMBER_CHECK(!params, Runtime, "[", name, "] is not implemented on CUDA yet");
    Array in = a.to(cdt);
    Array res = (out && !via_tmp && out->dtype() == odt) ? *out : Array::empty(a.shape(), odt, a.device());
    cuda_kernels::ew_unary(name)(static_cast<int>(op), res, in);
    return finish(res, odt, out);
  }
  UnaryRunFn fn = unary_kernel(op, kdt);
  EMBER_CHECK(fn, Type, "[", name, "] not implemented for ", dtype_name(kdt), " tensors");
  alignas(8) char pbuf[24];
  if (params)
    for (int i = 0; i < 3; ++i) ew::store_scalar(Scalar::from_double(params[i]), kdt, pbuf + i * itemsize(kdt));
  Array in = a.to(kdt);
  Array res = (out && !via_tmp && out->dtype() == kodt) ? *out : Array::empty(a.shape(), kodt);
  run_unary(fn, res, in, params ? pbuf : nullptr);
  return finish(res, odt, out);
}

}  // namespace

Array unary(UOp op, const Array& a, const Array* out) {
  EMBER_CHECK(op != UOp::clamp && op != UOp::nan_to_num && op != UOp::round_decimals, Value, "[", op_name(op),
              "] takes parameters: call its own entry point");
  return unary_impl(op, a, out, nullptr);
}

Array clamp(const Array& a, const std::optional<Operand>& lo, const std::optional<Operand>& hi, const Array* out) {
  EMBER_CHECK(lo || hi, Value, "[clamp] at least one of 'min' or 'max' must not be None");
  EMBER_CHECK(a.defined(), Value, "[clamp] undefined array");
  if (out && out->defined())
    check_write(*out, {&a, lo && lo->arr ? lo->arr : nullptr, hi && hi->arr ? hi->arr : nullptr}, "clamp");
  const bool tensor_bound = (lo && !lo->is_scalar()) || (hi && !hi->is_scalar());
  Operand ops[3];
  int n = 0;
  ops[n++] = Operand(a);
  if (lo) ops[n++] = *lo;
  if (hi) ops[n++] = *hi;
  DType rt = result_type(ops, n);
  EMBER_CHECK(rt != DType::Bool, Type, "[clamp] not implemented for bool tensors");
  if (tensor_bound || a.device().is_cuda()) {
    // min(max(a, lo), hi) with NaN propagation, through the binary kernels (the
    // CUDA family has no clamp kernel).
    Shape shape = a.shape();
    for (int i = 1; i < n; ++i)
      if (!ops[i].is_scalar()) shape = broadcast_shapes(shape, ops[i].arr->shape(), "clamp");
    Array moved[3];
    Device dev = ew::common_device("clamp", ops, n, moved);
    if (out) ew::check_out("clamp", *out, shape, rt, dev);
    Array r = a;
    if (lo) r = binary(BOp::maximum, Operand(r), *lo);
    if (hi) r = binary(BOp::minimum, Operand(r), *hi);
    if (r.shape() != shape) r = r.expand(shape).contiguous();
    r = r.to(rt);
    if (out) {
      Array(*out).copy_(r);
      return *out;
    }
    return r.data_ptr() == a.data_ptr() ? r.clone() : r;
  }
  const DType kdt = ew::kernel_dtype(rt);
  double p[3];
  if (is_floating(kdt)) {
    p[0] = lo ? lo->s.d : -std::numeric_limits<double>::infinity();
    p[1] = hi ? hi->s.d : std::numeric_limits<double>::infinity();
  } else {
    p[0] = lo ? lo->s.d : -1e300;  // saturates to the type's limits in store_scalar
    p[1] = hi ? hi->s.d : 1e300;
  }
  p[2] = 0;
  Array in = a.dtype() == rt ? a : a.to(rt);
  return unary_impl(UOp::clamp, in, out, p);
}

Array nan_to_num(const Array& a, std::optional<double> nan, std::optional<double> posinf,
                 std::optional<double> neginf, const Array* out) {
  double big = std::numeric_limits<double>::max();
  switch (a.dtype()) {
    case DType::Float32: big = std::numeric_limits<float>::max(); break;
    case DType::Float16: big = 65504.0; break;
    case DType::BFloat16: big = 3.3895313892515355e38; break;
    default: break;
  }
  double p[3] = {nan.value_or(0.0), posinf.value_or(big), neginf.value_or(-big)};
  return unary_impl(UOp::nan_to_num, a, out, p);
}

Array round(const Array& a, int64_t decimals, const Array* out) {
  if (decimals == 0) return unary_impl(UOp::round, a, out, nullptr);
  EMBER_CHECK(a.dtype() != DType::Bool, Type, "[round] not implemented for bool tensors");
  int64_t d = decimals < 0 ? -decimals : decimals;
  double p[3] = {std::pow(10.0, static_cast<double>(d)), decimals < 0 ? 1.0 : 0.0, 0.0};
  return unary_impl(UOp::round_decimals, a, out, p);
}

}  // namespace ember
