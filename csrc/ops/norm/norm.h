// norm.h — fused normalisation layers: batch norm, layer norm / RMS norm, group
// norm (instance norm runs on it), local response norm. Forward and backward,
// CPU and CUDA (norm_*_cuda.cu), float32/float64 (float16/bfloat16 are computed in
// float32 and cast back).
//
// Saved statistics (mean, invstd/rstd, LRN's scale) are returned so the Python
// autograd Functions can hand them to the backward kernels; batch/group/layer
// statistics are float64 arrays, LRN's scale has the compute dtype.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <tuple>
#include <vector>

#include "core/array.h"

namespace ember {

using OptArray = std::optional<Array>;
// Which of (grad_input, grad_weight, grad_bias) a backward computes; the others
// come back undefined (None in Python).
using GradMask = std::array<bool, 3>;

// ---- batch norm: x (N, C, *) normalised per channel over N and *.
// training: batch mean / biased var; running stats (when given) are updated in
// place: r = (1 - momentum) * r + momentum * stat, with the unbiased variance.
// Eval: the running stats normalise. Returns (y, mean (C,), invstd (C,)), the
// statistics that normalised (float64).
std::tuple<Array, Array, Array> batch_norm(const Array& x, const OptArray& weight, const OptArray& bias,
                                           const OptArray& running_mean, const OptArray& running_var, bool training,
                                           double momentum, double eps);
// training: dx = w*invstd/M * (M*dy - sum(dy) - xhat*sum(dy*xhat)); eval: dx = dy*w*invstd.
// grad_weight = sum(dy*xhat), grad_bias = sum(dy) per channel.
std::tuple<Array, Array, Array> batch_norm_backward(const Array& grad, const Array& x, const OptArray& weight,
                                                    const Array& mean, const Array& invstd, bool training,
                                                    GradMask mask);

// ---- layer norm over the trailing dims `normalized_shape`; rms: y = x*rstd*w
// with rstd = 1/sqrt(mean(x^2) + eps) (RMSNorm, no bias). Returns (y, mean, rstd),
// mean/rstd of shape x.shape[:-len(normalized_shape)] (mean is zeros for rms).
std::tuple<Array, Array, Array> layer_norm(const Array& x, const std::vector<int64_t>& normalized_shape,
                                           const OptArray& weight, const OptArray& bias, double eps, bool rms);
std::tuple<Array, Array, Array> layer_norm_backward(const Array& grad, const Array& x,
                                                    const std::vector<int64_t>& normalized_shape, const Array& mean,
                                                    const Array& rstd, const OptArray& weight, bool rms,
                                                    GradMask mask);

// ---- group norm: x (N, C, *) normalised over (C/G, *) per sample and group;
// weight/bias per channel. Returns (y, mean (N, G), rstd (N, G)).
std::tuple<Array, Array, Array> group_norm(const Array& x, int64_t num_groups, const OptArray& weight,
                                           const OptArray& bias, double eps);
std::tuple<Array, Array, Array> group_norm_backward(const Array& grad, const Array& x, const Array& mean,
                                                    const Array& rstd, int64_t num_groups, const OptArray& weight,
                                                    GradMask mask);

// ---- instance norm with input statistics: group norm with G = C, plus the
// running-stat update (the mean over the batch of each sample's mean and
// unbiased var) when running stats are given. Returns (y, mean (N, C), rstd (N, C)).
std::tuple<Array, Array, Array> instance_norm(const Array& x, const OptArray& weight, const OptArray& bias,
                                              const OptArray& running_mean, const OptArray& running_var,
                                              double momentum, double eps);

// ---- local response norm across channels of x (N, C, *):
// y = x / (k + alpha/size * sum_{window} x^2)^beta, the window [c - size/2, c + (size-1)/2]
// zero padded. Returns (y, scale) with scale = k + alpha/size * sum.
std::tuple<Array, Array> local_response_norm(const Array& x, int64_t size, double alpha, double beta, double k);
Array local_response_norm_backward(const Array& grad, const Array& x, const Array& y, const Array& scale,
                                   int64_t size, double alpha, double beta, double k);

}  // namespace ember
