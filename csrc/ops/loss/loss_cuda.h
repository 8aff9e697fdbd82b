// loss_cuda.h — the CUDA kernels behind the fused classification losses
// (cross_entropy / nll_loss, loss.h). Host-only declarations shared by both modules.
//
// Layout (loss_check.h's Layout): x contiguous (n, c, s), the class dim with stride
// s; x any floating dtype T, computed in float (float64 in double): the "compute
// dtype" cd. target int64 contiguous (n*s); weight cd contiguous (c) or undefined;
// per-sample arrays (loss, lse, grad of reduction none) cd contiguous (n*s).
// Targets outside [0, c) (other than ignore_index) are not reported (that needs a
// synchronisation): their loss and gradient are NaN, so they cannot pass unseen.
#pragma once
#include "core/array.h"
#include "core/cuda_kernel.h"

// loss[j] (per sample, 0 when ignored) and lse[j] (log-sum-exp over classes; 0 for
// nll_loss, log_softmax=false). eps: label smoothing (0 for nll_loss).
EMBER_CUDA_KERNEL(loss_ce_forward, void,
                  (const Array& loss, const Array& lse, const Array& x, const Array& target, const Array& weight,
                   int64_t n, int64_t c, int64_t s, int64_t ignore_index, double eps, bool log_softmax));
// total_weight (0-d cd) = sum of w[t] over non-ignored samples; out (0-d cd, when
// defined) = sum of loss (reduction sum) or that sum / total_weight (mean).
// Deterministic two-level sums in float64.
EMBER_CUDA_KERNEL(loss_ce_reduce, void,
                  (const Array& out, const Array& total_weight, const Array& loss, const Array& target,
                   const Array& weight, int64_t c, int64_t ignore_index, int reduction));
// gx (x's shape and dtype) = d loss / d x. grad: per sample (reduction none) or 0-d,
// total_weight: 0-d (read on the device: no synchronisation).
EMBER_CUDA_KERNEL(loss_ce_backward, void,
                  (const Array& gx, const Array& grad, const Array& x, const Array& target, const Array& weight,
                   const Array& lse, const Array& total_weight, int64_t n, int64_t c, int64_t s,
                   int64_t ignore_index, double eps, bool log_softmax, int reduction));
