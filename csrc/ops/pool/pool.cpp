// pool.cpp — argument checks, output shapes and dispatch of max / average /
// adaptive pooling (torch's rules and error cases), plus the shared checks of
// pool_check.h. Inputs of any strides are made contiguous and seen as planes
// (P, H, W); threads split the planes. The 1x2 / 2x2 stride-2 windows take the
// vectorised row kernels (pool_fast_kernels.h), every other geometry the generic
// window loops.
#include "pool.h"

#include <algorithm>
#include <limits>

#include "core/checked.h"
#include "core/cpu_features.h"
#include "core/lowp_compute.h"
#include "core/parallel.h"
#include "pool_check.h"
#include "pool_cuda.h"

namespace ember {
namespace pool_detail {

void check_float_input(const Array& x, const char* op, const char* what) {
  EMBER_CHECK(x.defined(), Value, "[", op, "] ", what, " is undefined");
  // The CUDA kernels (pool_cuda.cu) take float16 / bfloat16 natively; on the CPU they
  // run the float32 kernels (core/lowp_compute.h).
  EMBER_CHECK(is_floating(x.dtype()), Type, "[", op, "] expected a float32 or float64 (or float16 / bfloat16) ",
              what, ", got ", dtype_name(x.dtype()));
}

void check_same_device(const Array& a, const Array& b, const char* op) {
  EMBER_CHECK(a.device() == b.device(), Runtime, "[", op, "] expected all tensors on the same device, got ",
              a.device().str(), " and ", b.device().str());
}

void check_pool_input(const Shape& xs, int64_t sd, const char* op) {
  const int64_t nd = static_cast<int64_t>(xs.size());
  EMBER_CHECK(nd == sd + 1 || nd == sd + 2, Runtime, "[", op, "] expected a ", sd + 1, "-D (C, ",
              sd == 1 ? "L" : "H, W", ") or ", sd + 2, "-D (N, C, ", sd == 1 ? "L" : "H, W",
              ") input, got shape ", shape_str(xs));
  for (int64_t d = nd - sd - 1; d < nd; ++d) {
    EMBER_CHECK(xs[d] > 0, Runtime, "[", op,
                "] expected an input with non-zero sizes except an optional batch dim, got shape ", shape_str(xs));
  }
}

int64_t planes(const Shape& s, int64_t sd) {
  // The leading dims of an existing array: their product is part of its checked numel.
  if (static_cast<int64_t>(s.size()) <= sd) return 1;
  return checked_numel(Shape(s.begin(), s.end() - sd), "pool");
}

Shape with_spatial(const Shape& s, const Shape& spatial) {
  Shape r(s.begin(), s.end() - spatial.size());
  r.insert(r.end(), spatial.begin(), spatial.end());
  return r;
}

int64_t plane_grain(int64_t work_per_plane) {
  return std::max<int64_t>(1, 32768 / std::max<int64_t>(1, work_per_plane));
}

std::string op_name(const char* base, int64_t sd) { return std::string(base) + (sd == 1 ? "1d" : "2d"); }

const FastKernels& fast_kernels() {
  switch (simd_level()) {
    case SimdLevel::AVX512: return fast_kernels_avx512();
    case SimdLevel::AVX2: return fast_kernels_avx2();
    default: return fast_kernels_scalar();
  }
}

bool fast_geometry(const Geom& g) {
  return g.kw == 2 && g.sw == 2 && g.pw == 0 && g.ph == 0 && (g.kh == 1 || (g.kh == 2 && g.dh == 1)) &&
         (g.OH - 1) * g.sh + g.kh <= g.H && 2 * g.OW <= g.W && g.H * g.W < (int64_t(1) << 31);
}

}  // namespace pool_detail

namespace {
using namespace pool_detail;

// Floor division for b > 0, a > INT64_MIN; written so no intermediate overflows.
int64_t floor_div(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-(a + 1)) / b) - 1; }

// torch's pooling_output_shape: a ceil_mode window must start inside the input or the left padding.
// Every term is overflow-checked: kernel, stride and dilation can be anything up to int64.
int64_t out_size(int64_t in, int64_t k, int64_t pad, int64_t stride, int64_t dil, bool ceil_mode, const char* op) {
  const int64_t padded = checked_add(in, checked_mul(2, pad, op), op);
  const int64_t span = checked_add(checked_mul(dil, k - 1, op), 1, op);
  const int64_t num = padded - span;  // both non-negative: cannot overflow
  // ceil_mode rounds up; num % stride instead of num + stride - 1, which can overflow.
  int64_t out = floor_div(num, stride) + (ceil_mode && num % stride != 0 ? 1 : 0) + 1;
  // A ceil_mode window must start inside the input or the left padding ((out - 1) * stride <= num: no overflow).
  if (ceil_mode && out > 0 && (out - 1) * stride >= in + pad) --out;
  return out;
}

// Checks the window arguments against an input of shape xs; returns the plane geometry.
Geom pool_geometry(const Shape& xs, const PoolParams& p, bool dilated, const std::string& op) {
  const int64_t sd = static_cast<int64_t>(p.kernel.size());
  const char* o = op.c_str();
  EMBER_CHECK(sd == 1 || sd == 2, Value, "[", o, "] expected a kernel_size of 1 or 2 ints, got ", shape_str(p.kernel));
  const Shape dil = dilated ? p.dilation : Shape(sd, 1);
  EMBER_CHECK(static_cast<int64_t>(p.stride.size()) == sd && static_cast<int64_t>(p.padding.size()) == sd &&
                  static_cast<int64_t>(dil.size()) == sd,
              Value, "[", o, "] expected stride, padding and dilation of ", sd, " ints each, got stride=",
              shape_str(p.stride), ", padding=", shape_str(p.padding), ", dilation=", shape_str(dil));
  check_pool_input(xs, sd, o);
  for (int64_t i = 0; i < sd; ++i) {
    EMBER_CHECK(p.kernel[i] > 0, Runtime, "[", o, "] kernel_size should be greater than zero, got ",
                shape_str(p.kernel));
    EMBER_CHECK(p.stride[i] > 0, Runtime, "[", o, "] stride should be greater than zero, got ", shape_str(p.stride));
    EMBER_CHECK(dil[i] > 0, Runtime, "[", o, "] dilation should be greater than zero, got ", shape_str(dil));
    EMBER_CHECK(p.padding[i] >= 0, Runtime, "[", o, "] padding must be non-negative, got ", shape_str(p.padding));
    EMBER_CHECK(p.padding[i] <= p.kernel[i] / 2, Runtime, "[", o,
                "] pad should be at most half of kernel size, got padding=", shape_str(p.padding),
                ", kernel_size=", shape_str(p.kernel));
  }
  const int64_t nd = static_cast<int64_t>(xs.size());
  Geom g;
  g.P = planes(xs, sd);
  g.W = xs[nd - 1];
  g.kw = p.kernel[sd - 1], g.sw = p.stride[sd - 1], g.pw = p.padding[sd - 1], g.dw = dil[sd - 1];
  g.OW = out_size(g.W, g.kw, g.pw, g.sw, g.dw, p.ceil_mode, o);
  if (sd == 2) {
    g.H = xs[nd - 2];
    g.kh = p.kernel[0], g.sh = p.stride[0], g.ph = p.padding[0], g.dh = dil[0];
    g.OH = out_size(g.H, g.kh, g.ph, g.sh, g.dh, p.ceil_mode, o);
  }
  if (g.OH < 1 || g.OW < 1) {
    Shape in(xs.end() - sd - 1, xs.end());
    Shape out = in;
    out[sd] = g.OW;
    if (sd == 2) out[1] = g.OH;
    EMBER_FAIL(Runtime, "[", o, "] given input size ", shape_str(in), ", the calculated output size ", shape_str(out),
               " is too small");
  }
  return g;
}

void fast_max(const FastKernels& k, const float* x, float* y, int64_t* i, const Geom& g, int64_t b, int64_t e) {
  k.max_f32(x, y, i, g, b, e);
}
void fast_max(const FastKernels& k, const double* x, double* y, int64_t* i, const Geom& g, int64_t b, int64_t e) {
  k.max_f64(x, y, i, g, b, e);
}
void fast_avg(const FastKernels& k, const float* x, float* y, const Geom& g, float d, int64_t b, int64_t e) {
  k.avg_f32(x, y, g, d, b, e);
}
void fast_avg(const FastKernels& k, const double* x, double* y, const Geom& g, double d, int64_t b, int64_t e) {
  k.avg_f64(x, y, g, d, b, e);
}
void fast_avg_backward(const FastKernels& k, const float* g, float* x, const Geom& geo, float d, int64_t b,
                       int64_t e) {
  k.avg_bwd_f32(g, x, geo, d, b, e);
}
void fast_avg_backward(const FastKernels& k, const double* g, double* x, const Geom& geo, double d, int64_t b,
                       int64_t e) {
  k.avg_bwd_f64(g, x, geo, d, b, e);
}

Shape out_shape(const Shape& xs, const Geom& g, int64_t sd) {
  return with_spatial(xs, sd == 1 ? Shape{g.OW} : Shape{g.OH, g.OW});
}

}  // namespace

std::tuple<Array, Array> max_pool(const Array& x, const PoolParams& p, bool with_indices) {
  const int64_t sd = static_cast<int64_t>(p.kernel.size());
  const std::string op = op_name("max_pool", sd == 1 ? 1 : 2);
  check_float_input(x, op.c_str(), "input");
  if (lowp::on_cpu(x)) return lowp::in_float32(x.dtype(), max_pool, x, p, with_indices);
  const Geom g = pool_geometry(x.shape(), p, true, op);
  const Shape os = out_shape(x.shape(), g, sd);
  Array xc = x.contiguous();
  Array y = Array::empty(os, x.dtype(), x.device(), op.c_str());
  Array idx = with_indices ? Array::empty(os, DType::Int64, x.device(), op.c_str()) : Array();
  if (g.P == 0) return {y, idx};
  if (x.device().is_cuda()) {
    cuda_kernels::pool_max_forward(op.c_str())(y, idx, xc, g, false);
    return {y, idx};
  }
  int64_t* ip = with_indices ? idx.data<int64_t>() : nullptr;
  const bool fast = fast_geometry(g);
  const FastKernels& fk = fast_kernels();
  const int64_t grain = plane_grain(g.H * g.W + g.OH * g.OW * g.kh * g.kw);
  EMBER_DISPATCH_FLOAT(x.dtype(), op.c_str(), [&] {
    const scalar_t* xp = xc.data<scalar_t>();
    scalar_t* yp = y.data<scalar_t>();
    parallel_for(0, g.P, grain, [&](int64_t b, int64_t e) {
      if (fast)
        fast_max(fk, xp, yp, ip, g, b, e);
      else
        max_pool_generic<scalar_t>(xp, yp, ip, g, b, e);
    });
  });
  return {y, idx};
}

Array avg_pool(const Array& x, const PoolParams& p, bool count_include_pad, int64_t divisor_override) {
  const int64_t sd = static_cast<int64_t>(p.kernel.size());
  const std::string op = op_name("avg_pool", sd == 1 ? 1 : 2);
  check_float_input(x, op.c_str(), "input");
  if (lowp::on_cpu(x)) return lowp::in_float32(x.dtype(), avg_pool, x, p, count_include_pad, divisor_override);
  const Geom g = pool_geometry(x.shape(), p, false, op);
  Array xc = x.contiguous();
  Array y = Array::empty(out_shape(x.shape(), g, sd), x.dtype(), x.device(), op.c_str());
  if (g.P == 0) return y;
  if (x.device().is_cuda()) {
    cuda_kernels::pool_avg_forward(op.c_str())(y, xc, g, count_include_pad, divisor_override, false);
    return y;
  }
  const bool fast = fast_geometry(g);
  const FastKernels& fk = fast_kernels();
  const int64_t grain = plane_grain(g.H * g.W + g.OH * g.OW * g.kh * g.kw);
  EMBER_DISPATCH_FLOAT(x.dtype(), op.c_str(), [&] {
    const scalar_t* xp = xc.data<scalar_t>();
    scalar_t* yp = y.data<scalar_t>();
    const scalar_t div = static_cast<scalar_t>(divisor_override ? divisor_override : g.kh * g.kw);
    parallel_for(0, g.P, grain, [&](int64_t b, int64_t e) {
      if (fast)
        fast_avg(fk, xp, yp, g, div, b, e);
      else
        avg_pool_generic<scalar_t>(xp, yp, g, count_include_pad, divisor_override, b, e);
    });
  });
  return y;
}

Array avg_pool_backward(const Array& grad, const Shape& input_shape, const PoolParams& p, bool count_include_pad,
                        int64_t divisor_override) {
  const int64_t sd = static_cast<int64_t>(p.kernel.size());
  const std::string op = op_name("avg_pool", sd == 1 ? 1 : 2) + "_backward";
  check_float_input(grad, op.c_str(), "grad");
  if (lowp::on_cpu(grad))
    return lowp::in_float32(grad.dtype(), avg_pool_backward, grad, input_shape, p, count_include_pad,
                            divisor_override);
  const Geom g = pool_geometry(input_shape, p, false, op);
  const Shape os = out_shape(input_shape, g, sd);
  EMBER_CHECK(grad.shape() == os, Runtime, "[", op, "] expected grad of shape ", shape_str(os), ", got ",
              shape_str(grad.shape()));
  Array gc = grad.contiguous();
  Array gx = Array::empty(input_shape, grad.dtype(), grad.device(), op.c_str());
  if (g.P == 0) return gx;
  if (grad.device().is_cuda()) {
    cuda_kernels::pool_avg_backward(op.c_str())(gx, gc, g, count_include_pad, divisor_override, false);
    return gx;
  }
  EMBER_DISPATCH_FLOAT(grad.dtype(), op.c_str(), [&] {
    const scalar_t* gp = gc.data<scalar_t>();
    scalar_t* xp = gx.data<scalar_t>();
    const bool fast = fast_geometry(g);
    const FastKernels& fk = fast_kernels();
    const scalar_t div = static_cast<scalar_t>(divisor_override ? divisor_override : g.kh * g.kw);
    parallel_for(0, g.P, plane_grain(g.H * g.W + g.OH * g.OW * g.kh * g.kw), [&](int64_t b, int64_t e) {
      if (fast)
        fast_avg_backward(fk, gp, xp, g, div, b, e);
      else
        avg_pool_backward_generic<scalar_t>(gp, xp, g, count_include_pad, divisor_override, b, e);
    });
  });
  return gx;
}

namespace {

Geom adaptive_geometry(const Shape& xs, const Shape& output_size, const std::string& op) {
  const int64_t sd = static_cast<int64_t>(output_size.size());
  const char* o = op.c_str();
  EMBER_CHECK(sd == 1 || sd == 2, Value, "[", o, "] expected an output_size of 1 or 2 ints, got ",
              shape_str(output_size));
  {
    // torch's adaptive max pools only need dims 1.. non-zero (a 3-D (C, H, W) input may have
    // C = 0) and its adaptive avg pools only the spatial dims, unlike the windowed pools
    // (check_pool_input) that need every dim of an unbatched input.
    const int64_t nd = static_cast<int64_t>(xs.size());
    const bool avg = op.find("avg") != std::string::npos;
    EMBER_CHECK(nd == sd + 1 || nd == sd + 2, Runtime, "[", o, "] expected a ", sd + 1, "-D (C, ",
                sd == 1 ? "L" : "H, W", ") or ", sd + 2, "-D (N, C, ", sd == 1 ? "L" : "H, W",
                ") input, got shape ", shape_str(xs));
    for (int64_t d = avg ? nd - sd : 1; d < nd; ++d)
      EMBER_CHECK(xs[d] > 0, Runtime, "[", o, "] expected input to have non-zero sizes for non-batch dimensions, got ",
                  "shape ", shape_str(xs), " with dimension ", d, " being empty");
  }
  for (int64_t s : output_size) {
    EMBER_CHECK(s >= 0, Runtime, "[", o, "] elements of output_size must be greater than or equal to 0, got ",
                shape_str(output_size));
  }
  Geom g;
  const int64_t nd = static_cast<int64_t>(xs.size());
  g.P = planes(xs, sd);
  g.W = xs[nd - 1];
  g.OW = output_size[sd - 1];
  if (sd == 2) {
    g.H = xs[nd - 2];
    g.OH = output_size[0];
  }
  return g;
}

}  // namespace

std::tuple<Array, Array> adaptive_max_pool(const Array& x, const Shape& output_size, bool with_indices) {
  const std::string op = op_name("adaptive_max_pool", output_size.size() == 1 ? 1 : 2);
  check_float_input(x, op.c_str(), "input");
  if (lowp::on_cpu(x)) return lowp::in_float32(x.dtype(), adaptive_max_pool, x, output_size, with_indices);
  const Geom g = adaptive_geometry(x.shape(), output_size, op);
  const Shape os = with_spatial(x.shape(), output_size);
  Array xc = x.contiguous();
  Array y = Array::empty(os, x.dtype(), x.device(), op.c_str());
  Array idx = with_indices ? Array::empty(os, DType::Int64, x.device(), op.c_str()) : Array();
  if (y.numel() == 0) return {y, idx};
  if (x.device().is_cuda()) {
    cuda_kernels::pool_max_forward(op.c_str())(y, idx, xc, g, true);
    return {y, idx};
  }
  int64_t* ip = with_indices ? idx.data<int64_t>() : nullptr;
  // Each output reads about (H/OH + 1) * (W/OW + 1) inputs.
  const int64_t work = g.H * g.W + g.OH * g.OW * (g.H / g.OH + 1) * (g.W / g.OW + 1);
  EMBER_DISPATCH_FLOAT(x.dtype(), op.c_str(), [&] {
    const scalar_t* xp = xc.data<scalar_t>();
    scalar_t* yp = y.data<scalar_t>();
    parallel_for(0, g.P, plane_grain(work), [&](int64_t b, int64_t e) {
      adaptive_max_generic<scalar_t>(xp, yp, ip, g, b, e);
    });
  });
  return {y, idx};
}

Array adaptive_avg_pool(const Array& x, const Shape& output_size) {
  const std::string op = op_name("adaptive_avg_pool", output_size.size() == 1 ? 1 : 2);
  check_float_input(x, op.c_str(), "input");
  if (lowp::on_cpu(x)) return lowp::in_float32(x.dtype(), adaptive_avg_pool, x, output_size);
  const Geom g = adaptive_geometry(x.shape(), output_size, op);
  Array xc = x.contiguous();
  Array y = Array::empty(with_spatial(x.shape(), output_size), x.dtype(), x.device(), op.c_str());
  if (y.numel() == 0) return y;
  if (x.device().is_cuda()) {
    cuda_kernels::pool_avg_forward(op.c_str())(y, xc, g, false, 0, true);
    return y;
  }
  const int64_t work = g.H * g.W + g.OH * g.OW * (g.H / g.OH + 1) * (g.W / g.OW + 1);
  EMBER_DISPATCH_FLOAT(x.dtype(), op.c_str(), [&] {
    const scalar_t* xp = xc.data<scalar_t>();
    scalar_t* yp = y.data<scalar_t>();
    parallel_for(0, g.P, plane_grain(work),
                 [&](int64_t b, int64_t e) { adaptive_avg_generic<scalar_t>(xp, yp, g, b, e); });
  });
  return y;
}

Array adaptive_avg_pool_backward(const Array& grad, const Shape& input_shape, int64_t spatial_dims) {
  const std::string op = op_name("adaptive_avg_pool", spatial_dims == 1 ? 1 : 2) + "_backward";
  check_float_input(grad, op.c_str(), "grad");
  if (lowp::on_cpu(grad))
    return lowp::in_float32(grad.dtype(), adaptive_avg_pool_backward, grad, input_shape, spatial_dims);
  EMBER_CHECK((spatial_dims == 1 || spatial_dims == 2) && grad.ndim() == static_cast<int64_t>(input_shape.size()) &&
                  grad.ndim() > spatial_dims,
              Runtime, "[", op, "] grad of shape ", shape_str(grad.shape()), " does not match input shape ",
              shape_str(input_shape));
  const Shape out_sz(grad.shape().end() - spatial_dims, grad.shape().end());
  const Geom g = adaptive_geometry(input_shape, out_sz, op);
  EMBER_CHECK(grad.shape() == with_spatial(input_shape, out_sz), Runtime, "[", op, "] grad of shape ",
              shape_str(grad.shape()), " does not match input shape ", shape_str(input_shape));
  Array gc = grad.contiguous();
  Array gx = Array::empty(input_shape, grad.dtype(), grad.device(), op.c_str());
  if (g.P == 0) return gx;
  if (grad.numel() == 0) {
    gx.zero_();
    return gx;
  }
  if (grad.device().is_cuda()) {
    cuda_kernels::pool_avg_backward(op.c_str())(gx, gc, g, false, 0, true);
    return gx;
  }
  const int64_t work = g.H * g.W + g.OH * g.OW * (g.H / g.OH + 1) * (g.W / g.OW + 1);
  EMBER_DISPATCH_FLOAT(grad.dtype(), op.c_str(), [&] {
    const scalar_t* gp = gc.data<scalar_t>();
    scalar_t* xp = gx.data<scalar_t>();
    parallel_for(0, g.P, plane_grain(work), [&](int64_t b, int64_t e) {
      adaptive_avg_backward_generic<scalar_t>(gp, xp, g, b, e);
    });
  });
  return gx;
}

}  // namespace ember
