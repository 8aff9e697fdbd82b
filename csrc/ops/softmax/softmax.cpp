// softmax.cpp — argument checks, layout and dispatch of the fused softmax /
// log_softmax kernels (softmax_kernels.h on the CPU, softmax_cuda.cu on CUDA). The
// input is made contiguous (a no-op for the usual case) and seen as (outer, n, inner)
// around `dim`; on the CPU float16 and bfloat16 are computed in float32 and cast back,
// the CUDA kernels load and store them directly (computing in float32).
#include "softmax.h"

#include <algorithm>

#include "core/cpu_features.h"
#include "core/parallel.h"
#include "softmax_cuda.h"

namespace ember {
namespace {
using softmax_detail::Kernels;

const Kernels& pick() {
  switch (simd_level()) {
    case SimdLevel::AVX512: return softmax_detail::kernels_avx512();
    case SimdLevel::AVX2: return softmax_detail::kernels_avx2();
    default: return softmax_detail::kernels_scalar();
  }
}

}  // namespace

const Kernels& softmax_detail::kernels_best() { return pick(); }

namespace {

const char* op_name(bool log, bool bwd) {
  if (bwd) return log ? "log_softmax_backward" : "softmax_backward";
  return log ? "log_softmax" : "softmax";
}

void check_input(const Array& a, const char* op, const char* what) {
  EMBER_CHECK(a.defined(), Value, "[", op, "] ", what, " is undefined");
  EMBER_CHECK(is_floating(a.dtype()), Type, "[", op, "] expected a floating point ", what, ", got ",
              dtype_name(a.dtype()));
}

struct Geometry {
  int64_t outer = 1, n = 1, inner = 1, items = 0, grain = 1;
};

Geometry geometry(const Shape& shape, int64_t dim) {
  Geometry g;
  for (int64_t i = 0; i < dim; ++i) g.outer *= shape[i];
  g.n = shape.empty() ? 1 : shape[dim];
  for (size_t i = dim + 1; i < shape.size(); ++i) g.inner *= shape[i];
  const int64_t nb = (g.inner + softmax_detail::kColBlock - 1) / softmax_detail::kColBlock;
  g.items = g.inner == 1 ? g.outer : g.outer * nb;
  const int64_t per_item = g.n * (g.inner == 1 ? 1 : std::min<int64_t>(g.inner, softmax_detail::kColBlock));
  // ~32K elements per chunk keeps small tensors on one thread.
  g.grain = std::max<int64_t>(1, 32768 / std::max<int64_t>(1, per_item));
  return g;
}

DType compute_dtype(DType d) { return d == DType::Float64 ? DType::Float64 : DType::Float32; }

}  // namespace

Array softmax(const Array& x, int64_t dim, bool log) {
  const char* op = op_name(log, false);
  check_input(x, op, "input");
  const int64_t d = x.ndim() == 0 ? wrap_dim(dim, 1, op) : wrap_dim(dim, x.ndim(), op);
  if (x.device().is_cuda()) {
    Array xc = x.contiguous();
    Array y = Array::empty(x.shape(), x.dtype(), x.device());
    if (x.numel() > 0) {
      const Geometry g = geometry(x.shape(), x.ndim() == 0 ? 0 : d);
      cuda_kernels::softmax_forward(op)(xc, y, g.outer, g.n, g.inner, log);
    }
    return y;
  }
  const DType cd = compute_dtype(x.dtype());
  Array xc = x.to(cd).contiguous();
  Array y = Array::empty(x.shape(), cd, x.device());
  if (x.numel() > 0) {
    const Geometry g = geometry(x.shape(), x.ndim() == 0 ? 0 : d);
    const Kernels& k = pick();
    if (cd == DType::Float32) {
      const float* xp = xc.data<float>();
      float* yp = y.data<float>();
      parallel_for(0, g.items, g.grain, [&](int64_t b, int64_t e) { k.fwd_f32(xp, yp, g.outer, g.n, g.inner, log, b, e); });
    } else {
      const double* xp = xc.data<double>();
      double* yp = y.data<double>();
      parallel_for(0, g.items, g.grain, [&](int64_t b, int64_t e) { k.fwd_f64(xp, yp, g.outer, g.n, g.inner, log, b, e); });
    }
  }
  return cd == x.dtype() ? y : y.to(x.dtype());
}

Array softmax_backward(const Array& grad, const Array& y, int64_t dim, bool log) {
  const char* op = op_name(log, true);
  check_input(grad, op, "grad");
  check_input(y, op, "output");
  EMBER_CHECK(grad.shape() == y.shape(), Value, "[", op, "] grad shape ", shape_str(grad.shape()),
              " does not match output shape ", shape_str(y.shape()));
  EMBER_CHECK(grad.device() == y.device(), Runtime, "[", op, "] expected all tensors on the same device, got ",
              grad.device().str(), " and ", y.device().str());
  const int64_t d = y.ndim() == 0 ? wrap_dim(dim, 1, op) : wrap_dim(dim, y.ndim(), op);
  if (y.device().is_cuda()) {
    const DType dt = promote_types(grad.dtype(), y.dtype());
    Array gc = grad.to(dt).contiguous(), yc = y.to(dt).contiguous();
    Array gx = Array::empty(y.shape(), dt, y.device());
    if (y.numel() > 0) {
      const Geometry g = geometry(y.shape(), y.ndim() == 0 ? 0 : d);
      cuda_kernels::softmax_backward(op)(gc, yc, gx, g.outer, g.n, g.inner, log);
    }
    return gx;
  }
  const DType cd = compute_dtype(promote_types(grad.dtype(), y.dtype()));
  Array gc = grad.to(cd).contiguous(), yc = y.to(cd).contiguous();
  Array gx = Array::empty(y.shape(), cd, y.device());
  if (y.numel() > 0) {
    const Geometry g = geometry(y.shape(), y.ndim() == 0 ? 0 : d);
    const Kernels& k = pick();
    if (cd == DType::Float32) {
      const float *gp = gc.data<float>(), *yp = yc.data<float>();
      float* op_ = gx.data<float>();
      parallel_for(0, g.items, g.grain,
                   [&](int64_t b, int64_t e) { k.bwd_f32(gp, yp, op_, g.outer, g.n, g.inner, log, b, e); });
    } else {
      const double *gp = gc.data<double>(), *yp = yc.data<double>();
      double* op_ = gx.data<double>();
      parallel_for(0, g.items, g.grain,
                   [&](int64_t b, int64_t e) { k.bwd_f64(gp, yp, op_, g.outer, g.n, g.inner, log, b, e); });
    }
  }
  const DType out_dt = promote_types(grad.dtype(), y.dtype());
  return cd == out_dt ? gx : gx.to(out_dt);
}

}  // namespace ember
