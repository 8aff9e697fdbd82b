// ternary.cpp — where(cond, a, b), lerp, addcmul and addcdiv: checks, promotion
// and their CPU kernels (StridedLoop<4> over out and three broadcast operands).
//
// where only moves bytes, so its kernel is chosen by itemsize, not dtype. lerp
// uses PyTorch's two-sided formula (exact at weight 0 and 1). Scalar operands
// (where's a/b, lerp's weight) are stride-0 operands pointing at a stack buffer.
// On CUDA, lerp/addcmul/addcdiv are composed from the binary CUDA kernels, and
// where runs shape_cuda.cu's kernel (scalars passed by value).
#include <cstring>

#include "core/overlap.h"
#include "core/strided_loop.h"
#include "elementwise.h"
#include "ops/shape/shape_cuda.h"

namespace ember {
namespace {

using ew::kGrain;

// Strides of an operand (array or stride-0 scalar) broadcast to shape.
struct Src {
  char* ptr;
  int64_t st[kMaxDims];
};
Src make_src(const Operand& o, const void* buf, const Shape& shape) {
  Src s;
  if (o.arr) {
    s.ptr = static_cast<char*>(o.arr->data_ptr());
    broadcast_byte_strides(*o.arr, shape, s.st);
  } else {
    s.ptr = const_cast<char*>(static_cast<const char*>(buf));
    for (int i = 0; i < kMaxDims; ++i) s.st[i] = 0;
  }
  return s;
}

template <class F>
void run4(const Array& out, const Src& x, const Src& y, const Src& z, const F& f) {
  if (out.numel() == 0) return;
  int64_t so[kMaxDims];
  broadcast_byte_strides(out, out.shape(), so);
  StridedLoop<4> loop(out.shape(), {static_cast<char*>(out.data_ptr()), x.ptr, y.ptr, z.ptr},
                      {so, x.st, y.st, z.st});
  loop.run(f, kGrain);
}

template <class T>
void where_kernel(const Array& out, const Src& c, const Src& a, const Src& b) {
  run4(out, c, a, b, [](char* const* p, const int64_t* s, int64_t n) {
    for (int64_t i = 0; i < n; ++i) {
      bool cv = *reinterpret_cast<const bool*>(p[1] + i * s[1]);
      *reinterpret_cast<T*>(p[0] + i * s[0]) = cv ? *reinterpret_cast<const T*>(p[2] + i * s[2])
                                                  : *reinterpret_cast<const T*>(p[3] + i * s[3]);
    }
  });
}

enum class TOp { lerp, addcmul, addcdiv };

template <TOp op, class T>
void ternary_kernel(const Array& out, const Src& x, const Src& y, const Src& z, T value) {
  run4(out, x, y, z, [value](char* const* p, const int64_t* s, int64_t n) {
    for (int64_t i = 0; i < n; ++i) {
      T a = *reinterpret_cast<const T*>(p[1] + i * s[1]);
      T b = *reinterpret_cast<const T*>(p[2] + i * s[2]);
      T c = *reinterpret_cast<const T*>(p[3] + i * s[3]);
      T r;
      if constexpr (op == TOp::lerp) {
        T w = c;
        T aw = w < T(0) ? -w : w;
        r = aw < T(0.5) ? a + w * (b - a) : b - (b - a) * (T(1) - w);
      } else if constexpr (op == TOp::addcmul) {
        r = static_cast<T>(a + value * b * c);
      } else {
        r = static_cast<T>(a + value * (b / c));
      }
      *reinterpret_cast<T*>(p[0] + i * s[0]) = r;
    }
  });
}

Shape broadcast3(const char* op, const Operand* ops) {
  Shape shape;
  for (int i = 0; i < 3; ++i)
    if (ops[i].arr) shape = broadcast_shapes(shape, ops[i].arr->shape(), op);
  return shape;
}

Array finish(const Array& res, DType odt, const Array* out) {
  if (out) {
    if (res.data_ptr() != out->data_ptr() || res.dtype() != out->dtype()) Array(*out).copy_(res);
    else out->bump_version();
    return *out;
  }
  return res.dtype() == odt ? res : res.to(odt);
}

// lerp / addcmul / addcdiv. x, y are arrays; z an array or (lerp's weight) a scalar.
Array ternary(TOp op, const char* name, const Operand& X0, const Operand& Y0, const Operand& Z0, Scalar value,
              const Array* out) {
  Operand ops[3] = {X0, Y0, Z0};
  Array moved[3];
  Device dev = ew::common_device(name, ops, 3, moved);
  const Operand &X = ops[0], &Y = ops[1], &Z = ops[2];
  const bool via_tmp = out && out->defined() && check_write(*out, {X.arr, Y.arr, Z.arr}, name);
  DType rt;
  if (op == TOp::lerp) {
    rt = X.arr->dtype();
    EMBER_CHECK(is_floating(rt), Type, "[lerp] expected a floating point tensor, got ", dtype_name(rt));
    EMBER_CHECK(Y.arr->dtype() == rt, Type, "[lerp] expected dtype ", dtype_name(rt), " for `end` but got dtype ",
                dtype_name(Y.arr->dtype()));
    if (Z.arr)
      EMBER_CHECK(Z.arr->dtype() == rt, Type, "[lerp] expected dtype ", dtype_name(rt),
                  " for `weight` but got dtype ", dtype_name(Z.arr->dtype()));
  } else {
    rt = result_type(ops, 3);
    if (op == TOp::addcdiv)
      EMBER_CHECK(is_floating(rt), Type, "[addcdiv] integer division with addcdiv is not supported: "
                  "use floating point tensors");
    EMBER_CHECK(rt != DType::Bool, Type, "[", name, "] not implemented for bool tensors");
    EMBER_CHECK(is_floating(rt) || value.kind != Scalar::Float, Type, "[", name,
                "] for integral input tensors, argument value must not be a floating point number");
  }
  Shape shape = broadcast3(name, ops);
  if (out) ew::check_out(name, *out, shape, rt, dev);
  if (dev.is_cuda()) {
    // Composed from the binary kernels (the CUDA family has no fused ternary kernels).
    Array r;
    if (op == TOp::lerp) {
      Array diff = binary(BOp::sub, Y, X);
      r = binary(BOp::add, X, binary(BOp::mul, Operand(diff), Z));
    } else {
      Array t = binary(op == TOp::addcmul ? BOp::mul : BOp::div, Y, Z);
      r = binary(BOp::add, X, Operand(t), nullptr, value);
    }
    return finish(r, rt, out);
  }
  const DType kdt = ew::kernel_dtype(rt);
  Array cx = X.arr->to(kdt), cy = Y.arr->to(kdt), cz;
  alignas(8) char zbuf[8];
  if (Z.arr) cz = Z.arr->to(kdt);
  else ew::store_scalar(Z.s, kdt, zbuf);
  Src sx = make_src(Operand(cx), nullptr, shape), sy = make_src(Operand(cy), nullptr, shape);
  Src sz = Z.arr ? make_src(Operand(cz), nullptr, shape) : make_src(Z, zbuf, shape);
  Array res = (out && !via_tmp && out->dtype() == kdt) ? *out : Array::empty(shape, kdt);
  auto go = [&](auto tag) {
    using T = decltype(tag);
    T v{};
    ew::store_scalar(value, kdt, &v);
    switch (op) {
      case TOp::lerp: return ternary_kernel<TOp::lerp, T>(res, sx, sy, sz, v);
      case TOp::addcmul: return ternary_kernel<TOp::addcmul, T>(res, sx, sy, sz, v);
      case TOp::addcdiv: return ternary_kernel<TOp::addcdiv, T>(res, sx, sy, sz, v);
    }
  };
  switch (kdt) {
    case DType::Float32: go(float{}); break;
    case DType::Float64: go(double{}); break;
    case DType::Int32: if (op == TOp::addcmul) { ternary_kernel<TOp::addcmul, int32_t>(res, sx, sy, sz, [&] { int32_t v; ew::store_scalar(value, kdt, &v); return v; }()); break; } [[fallthrough]];
    case DType::Int64: if (op == TOp::addcmul) { ternary_kernel<TOp::addcmul, int64_t>(res, sx, sy, sz, [&] { int64_t v; ew::store_scalar(value, kdt, &v); return v; }()); break; } [[fallthrough]];
    case DType::UInt8: if (op == TOp::addcmul) { ternary_kernel<TOp::addcmul, uint8_t>(res, sx, sy, sz, [&] { uint8_t v; ew::store_scalar(value, kdt, &v); return v; }()); break; } [[fallthrough]];
    default: EMBER_FAIL(Type, "[", name, "] not implemented for ", dtype_name(kdt), " tensors");
  }
  return finish(res, rt, out);
}

}  // namespace

Array where(const Array& cond0, const Operand& A0, const Operand& B0, const Array* out) {
  EMBER_CHECK(cond0.defined(), Value, "[where] undefined condition");
  EMBER_CHECK(cond0.dtype() == DType::Bool, Type, "[where] expected condition to be a boolean tensor, got ",
              dtype_name(cond0.dtype()));
  Operand ops[3] = {Operand(cond0), A0, B0};
  Array moved[3];
  Device dev = ew::common_device("where", ops, 3, moved);
  const Array& cond = *ops[0].arr;
  const Operand &A = ops[1], &B = ops[2];
  const bool via_tmp = out && out->defined() && check_write(*out, {&cond, A.arr, B.arr}, "where");
  Operand ab[2] = {A, B};
  DType rt = result_type(ab, 2);
  Shape shape = broadcast3("where", ops);
  if (out) ew::check_out("where", *out, shape, rt, dev);
  if (dev.is_cuda()) {  // shape_cuda.cu: scalars go to the kernel by value
    Array ca, cb;
    uint64_t abits = 0, bbits = 0;
    if (A.arr) ca = A.arr->to(rt); else ew::store_scalar(A.s, rt, &abits);
    if (B.arr) cb = B.arr->to(rt); else ew::store_scalar(B.s, rt, &bbits);
    Array res = (out && !via_tmp && out->dtype() == rt) ? *out : Array::empty(shape, rt, dev);
    cuda_kernels::shape_where("where")(res, cond, A.arr ? &ca : nullptr, B.arr ? &cb : nullptr, abits, bbits);
    return finish(res, rt, out);
  }
  Array ca, cb;
  alignas(8) char abuf[8], bbuf[8];
  if (A.arr) ca = A.arr->to(rt); else ew::store_scalar(A.s, rt, abuf);
  if (B.arr) cb = B.arr->to(rt); else ew::store_scalar(B.s, rt, bbuf);
  Src sc = make_src(ops[0], nullptr, shape);
  Src sa = A.arr ? make_src(Operand(ca), nullptr, shape) : make_src(A, abuf, shape);
  Src sb = B.arr ? make_src(Operand(cb), nullptr, shape) : make_src(B, bbuf, shape);
  Array res = (out && !via_tmp && out->dtype() == rt) ? *out : Array::empty(shape, rt);
  switch (itemsize(rt)) {
    case 1: where_kernel<uint8_t>(res, sc, sa, sb); break;
    case 2: where_kernel<uint16_t>(res, sc, sa, sb); break;
    case 4: where_kernel<uint32_t>(res, sc, sa, sb); break;
    default: where_kernel<uint64_t>(res, sc, sa, sb); break;
  }
  return finish(res, rt, out);
}

Array lerp(const Array& start, const Array& end, const Operand& weight, const Array* out) {
  return ternary(TOp::lerp, "lerp", Operand(start), Operand(end), weight, Scalar::from_int(1), out);
}
Array addcmul(const Array& self, const Array& t1, const Array& t2, Scalar value, const Array* out) {
  return ternary(TOp::addcmul, "addcmul", Operand(self), Operand(t1), Operand(t2), value, out);
}
Array addcdiv(const Array& self, const Array& t1, const Array& t2, Scalar value, const Array* out) {
  return ternary(TOp::addcdiv, "addcdiv", Operand(self), Operand(t1), Operand(t2), value, out);
}

}  // namespace ember
