// norm.cpp — SIMD table selection and the argument helpers of the normalisation
// family (norm_common.h), and the CUDA paths of the ops (outputs allocated here,
// kernels in norm_batch_cuda.cu / norm_layer_cuda.cu / norm_group_cuda.cu). The ops
// themselves live in one file each.
#include <cmath>

#include "core/cpu_features.h"
#include "norm_common.h"
#include "norm_cuda.h"

namespace ember {
namespace norm_detail {

const Kernels& kernels() {
  switch (simd_level()) {
    case SimdLevel::AVX512: return kernels_avx512();
    case SimdLevel::AVX2: return kernels_avx2();
    default: return kernels_scalar();
  }
}

void check_input(const Array& x, const char* op, const char* what) {
  EMBER_CHECK(x.defined(), Value, "[", op, "] ", what, " is undefined");
  EMBER_CHECK(is_floating(x.dtype()), Type, "[", op, "] expected a floating point ", what, ", got ",
              dtype_name(x.dtype()));
}

Array param(const OptArray& p, int64_t n, DType cd, const char* op, const char* what) {
  if (!p || !p->defined()) return Array();
  check_input(*p, op, what);
  EMBER_CHECK(p->numel() == n, Runtime, "[", op, "] ", what, " should contain ", n, " elements not ", p->numel(),
              " (got shape ", shape_str(p->shape()), ")");
  return p->to(cd).contiguous().reshape({n});
}

void update_running(const Array& r, const std::vector<double>& v, double momentum) {
  const int64_t n = static_cast<int64_t>(v.size());
  Array cur = r.to(DType::Float64).contiguous();
  Array out = Array::empty({n}, DType::Float64);
  const double* c = cur.data<double>();
  double* o = out.data<double>();
  for (int64_t i = 0; i < n; ++i) o[i] = (1.0 - momentum) * c[i] + momentum * v[i];
  r.copy_(out.reshape(r.shape()));
}

void check_same_device(const char* op, const Array& x, std::initializer_list<const Array*> others) {
  for (const Array* a : others) {
    if (!a || !a->defined()) continue;
    EMBER_CHECK(a->device() == x.device(), Runtime, "[", op, "] expected all tensors on the same device, got ",
                x.device().str(), " and ", a->device().str());
  }
}

// ---------------------------------------------------------------- CUDA paths
namespace {
Array f64_vector(const Array& a, int64_t n) { return a.to(DType::Float64).contiguous().reshape({n}); }
Array opt_cast(const OptArray& p, DType cd, int64_t n) {
  return p && p->defined() ? p->to(cd).contiguous().reshape({n}) : Array();
}
}  // namespace

void update_running_cuda(const Array& r, const Array& stat, double momentum) {
  const int64_t n = r.numel();
  Array cur = f64_vector(r, n);
  Array out = Array::empty({n}, DType::Float64, r.device());
  cuda_kernels::norm_running_update("running_stats")(out, cur, stat, momentum);
  r.copy_(out.reshape(r.shape()));
}

void instance_running_cuda(const OptArray& rm, const OptArray& rv, const Array& mean, const Array& var, int64_t N,
                           int64_t C, int64_t S, double momentum) {
  const Device dev = mean.device();
  Array m = Array::empty({C}, DType::Float64, dev), v = Array::empty({C}, DType::Float64, dev);
  cuda_kernels::norm_instance_stats("instance_norm")(m, v, mean.reshape({N * C}), var, N, C, S);
  if (rm && rm->defined()) update_running_cuda(*rm, m, momentum);
  if (rv && rv->defined()) update_running_cuda(*rv, v, momentum);
}

std::tuple<Array, Array, Array> batch_norm_cuda(const Array& x, const Array& w, const Array& b, const Array& rm,
                                                const Array& rv, bool training, double momentum, double eps,
                                                int64_t N, int64_t C, int64_t S) {
  const char* op = "batch_norm";
  const Device dev = x.device();
  Array xc = x.contiguous();
  Array y = Array::empty(x.shape(), x.dtype(), dev, op);
  Array mean = Array::zeros({C}, DType::Float64, dev, op), invstd = Array::empty({C}, DType::Float64, dev, op);
  if (training && N * S == 0) {  // as the CPU: no statistics, no running-stat update
    invstd.fill_(1.0 / std::sqrt(eps));
    return {y, mean, invstd};
  }
  const bool track = rm.defined() || rv.defined();
  Array var_unb = training && track ? Array::empty({C}, DType::Float64, dev, op) : Array();
  Array rm64 = training ? Array() : f64_vector(rm, C), rv64 = training ? Array() : f64_vector(rv, C);
  cuda_kernels::norm_bn_forward(op)(y, mean, invstd, var_unb, xc, w, b, rm64, rv64, N, C, S, training, eps);
  if (training) {
    if (rm.defined()) update_running_cuda(rm, mean, momentum);
    if (rv.defined()) update_running_cuda(rv, var_unb, momentum);
  }
  return {y, mean, invstd};
}

std::tuple<Array, Array, Array> batch_norm_backward_cuda(const Array& grad, const Array& x, const OptArray& weight,
                                                         const Array& mean, const Array& invstd, bool training,
                                                         GradMask mask, DType pd, int64_t N, int64_t C, int64_t S) {
  const char* op = "batch_norm_backward";
  const Device dev = x.device();
  const DType cd = compute_dtype(x.dtype());
  Array xc = x.contiguous(), gc = grad.to(x.dtype()).contiguous();
  Array w = opt_cast(weight, cd, C);
  Array gx = mask[0] ? Array::empty(x.shape(), x.dtype(), dev, op) : Array();
  Array gw = mask[1] ? Array::empty({C}, DType::Float64, dev, op) : Array();
  Array gb = mask[2] ? Array::empty({C}, DType::Float64, dev, op) : Array();
  if (mask[0] || mask[1] || mask[2])
    cuda_kernels::norm_bn_backward(op)(gx, gw, gb, gc, xc, mean, invstd, w, N, C, S, training);
  return {gx, gw.defined() ? gw.to(pd) : gw, gb.defined() ? gb.to(pd) : gb};
}

std::tuple<Array, Array, Array> layer_norm_cuda(const Array& x, const Array& w, const Array& b, double eps, bool rms,
                                                const Shape& lead, int64_t R, int64_t D) {
  const char* op = rms ? "rms_norm" : "layer_norm";
  const Device dev = x.device();
  Array xc = x.contiguous();
  Array y = Array::empty(x.shape(), x.dtype(), dev, op);
  Array mean = Array::zeros(lead, DType::Float64, dev, op), rstd = Array::zeros(lead, DType::Float64, dev, op);
  if (x.numel() > 0) cuda_kernels::norm_ln_forward(op)(y, mean, rstd, xc, w, b, R, D, eps, rms);
  return {y, mean, rstd};
}

std::tuple<Array, Array, Array> layer_norm_backward_cuda(const Array& grad, const Array& x, const Array& mean,
                                                         const Array& rstd, const Array& w, bool rms, GradMask mask,
                                                         DType pd, const std::vector<int64_t>& normalized_shape,
                                                         int64_t R, int64_t D) {
  const char* op = rms ? "rms_norm_backward" : "layer_norm_backward";
  const Device dev = x.device();
  Array xc = x.contiguous(), gc = grad.to(x.dtype()).contiguous();
  Array gx = mask[0] ? Array::empty(x.shape(), x.dtype(), dev, op) : Array();
  Array gw = mask[1] ? Array::zeros({D}, DType::Float64, dev, op) : Array();
  Array gb = mask[2] ? Array::zeros({D}, DType::Float64, dev, op) : Array();
  if (x.numel() > 0 && (mask[0] || mask[1] || mask[2]))
    cuda_kernels::norm_ln_backward(op)(gx, gw, gb, gc, xc, mean, rstd, w, R, D, rms);
  if (gw.defined()) gw = gw.reshape(normalized_shape).to(pd);
  if (gb.defined()) gb = gb.reshape(normalized_shape).to(pd);
  return {gx, gw, gb};
}

std::vector<Array> group_norm_cuda(const Array& x, const Array& w, const Array& b, double eps, int64_t N, int64_t C,
                                   int64_t S, int64_t G, bool want_var) {
  const char* op = "group_norm";
  const Device dev = x.device();
  Array xc = x.contiguous();
  Array y = Array::empty(x.shape(), x.dtype(), dev, op);
  Array mean = Array::zeros({N, G}, DType::Float64, dev, op), rstd = Array::zeros({N, G}, DType::Float64, dev, op);
  Array var = want_var ? Array::zeros({N * G}, DType::Float64, dev, op) : Array();
  if (x.numel() > 0) cuda_kernels::norm_gn_forward(op)(y, mean, rstd, var, xc, w, b, N, C, S, G, eps);
  return {y, mean, rstd, var};
}

std::tuple<Array, Array, Array> group_norm_backward_cuda(const Array& grad, const Array& x, const Array& mean,
                                                         const Array& rstd, const Array& w, GradMask mask, DType pd,
                                                         int64_t N, int64_t C, int64_t S, int64_t G) {
  const char* op = "group_norm_backward";
  const Device dev = x.device();
  Array xc = x.contiguous(), gc = grad.to(x.dtype()).contiguous();
  Array gx = mask[0] ? Array::empty(x.shape(), x.dtype(), dev, op) : Array();
  Array gw = mask[1] ? Array::zeros({C}, DType::Float64, dev, op) : Array();
  Array gb = mask[2] ? Array::zeros({C}, DType::Float64, dev, op) : Array();
  if (x.numel() > 0 && (mask[0] || mask[1] || mask[2]))
    cuda_kernels::norm_gn_backward(op)(gx, gw, gb, gc, xc, mean, rstd, w, N, C, S, G);
  return {gx, gw.defined() ? gw.to(pd) : gw, gb.defined() ? gb.to(pd) : gb};
}

}  // namespace norm_detail
}  // namespace ember
