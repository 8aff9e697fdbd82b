// norm_cuda.h — the CUDA kernels behind the normalisation family (norm.h), declared
// for both modules (host-only C++). norm.cpp's *_cuda helpers check nothing new:
// the op files have checked every argument; these take contiguous arrays on one
// CUDA device.
//
// Dtypes: x / dy / y / dx of one floating dtype T (float32, float64, float16,
// bfloat16; read and written in T, computed in float, float64 in double: the
// compute dtype cd); weight / bias cd arrays or undefined; saved statistics
// (mean, invstd / rstd, var) float64, as on the CPU; parameter grads float64.
#pragma once
#include "core/array.h"
#include "core/cuda_kernel.h"

// ---- batch norm, x (N, C, S). training: batch statistics (two-level Welford:
// per-block partials, merged per channel in a fixed order), mean/invstd (C) written,
// var_unbiased (C, may be undefined) for the running stats; eval: mean = running
// mean, invstd = 1/sqrt(running var + eps) (rm / rv float64 (C)). Then y.
EMBER_CUDA_KERNEL(norm_bn_forward, void,
                  (const Array& y, const Array& mean, const Array& invstd, const Array& var_unbiased,
                   const Array& x, const Array& weight, const Array& bias, const Array& rm, const Array& rv,
                   int64_t N, int64_t C, int64_t S, bool training, double eps));
// Per-channel sum(dy) and sum(dy * (x - mean)) (two-level), then grad_weight /
// grad_bias (float64 (C), either may be undefined) and dx (may be undefined):
// training dx = w*invstd/M * (M*dy - sum(dy) - xhat*sum(dy*xhat)); eval dx = dy*w*invstd.
EMBER_CUDA_KERNEL(norm_bn_backward, void,
                  (const Array& dx, const Array& grad_weight, const Array& grad_bias, const Array& dy,
                   const Array& x, const Array& mean, const Array& invstd, const Array& weight, int64_t N,
                   int64_t C, int64_t S, bool training));

// ---- layer norm / RMS norm over rows x (R, D): mean (zeros for rms) and rstd (R,).
EMBER_CUDA_KERNEL(norm_ln_forward, void,
                  (const Array& y, const Array& mean, const Array& rstd, const Array& x, const Array& weight,
                   const Array& bias, int64_t R, int64_t D, double eps, bool rms));
// dx (may be undefined), grad_weight / grad_bias (float64 (D), may be undefined).
EMBER_CUDA_KERNEL(norm_ln_backward, void,
                  (const Array& dx, const Array& grad_weight, const Array& grad_bias, const Array& dy,
                   const Array& x, const Array& mean, const Array& rstd, const Array& weight, int64_t R, int64_t D,
                   bool rms));

// ---- group norm, x (N, C, S), G groups: mean / rstd (N*G); var (N*G, biased, may be
// undefined: instance norm's running stats).
EMBER_CUDA_KERNEL(norm_gn_forward, void,
                  (const Array& y, const Array& mean, const Array& rstd, const Array& var, const Array& x,
                   const Array& weight, const Array& bias, int64_t N, int64_t C, int64_t S, int64_t G, double eps));
EMBER_CUDA_KERNEL(norm_gn_backward, void,
                  (const Array& dx, const Array& grad_weight, const Array& grad_bias, const Array& dy,
                   const Array& x, const Array& mean, const Array& rstd, const Array& weight, int64_t N, int64_t C,
                   int64_t S, int64_t G));

// ---- running statistics (float64 (C) arrays):
// out = (1 - momentum) * cur + momentum * stat.
EMBER_CUDA_KERNEL(norm_running_update, void,
                  (const Array& out, const Array& cur, const Array& stat, double momentum));
// Instance norm: mean_out[c] = mean_n mean[n, c], var_out[c] = mean_n var[n, c] * S / (S - 1).
EMBER_CUDA_KERNEL(norm_instance_stats, void,
                  (const Array& mean_out, const Array& var_out, const Array& mean, const Array& var, int64_t N,
                   int64_t C, int64_t S));

// ---- local response norm across channels of x (N, C, S) (lrn_cpu.cpp's math); every
// array contiguous in the compute dtype (float32 / float64), scale = k + alpha/size *
// window sum of x^2.
EMBER_CUDA_KERNEL(norm_lrn_forward, void,
                  (const Array& y, const Array& scale, const Array& x, int64_t N, int64_t C, int64_t S, int64_t size,
                   double alpha, double beta, double k));
EMBER_CUDA_KERNEL(norm_lrn_backward, void,
                  (const Array& gx, const Array& grad, const Array& x, const Array& y, const Array& scale, int64_t N,
                   int64_t C, int64_t S, int64_t size, double alpha, double beta));
