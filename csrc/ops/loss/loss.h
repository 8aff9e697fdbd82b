// loss.h — fused classification losses: cross_entropy (log-softmax + NLL in one
// pass) and nll_loss, with class-index targets, optional class weights,
// ignore_index, label smoothing and reduction none/mean/sum, on (N, C) or
// (N, C, d1, d2, ...) inputs (and (C,) with a 0-d target). CPU and CUDA
// (loss_cuda.cu), computed in float32 (float64 for float64 inputs).
#pragma once
#include <cstdint>
#include <optional>
#include <vector>

#include "core/array.h"

namespace ember {

enum class Reduction : int { None = 0, Mean = 1, Sum = 2 };

// Returns {loss, lse, total_weight}: loss is 0-d (mean/sum) or target-shaped
// (none); lse holds each sample's log-sum-exp (saved for backward; empty for
// nll_loss); total_weight is the 0-d sum of the weights of non-ignored targets.
// log_softmax=false is nll_loss (the input already holds log-probabilities).
std::vector<Array> cross_entropy_forward(const Array& input, const Array& target, const std::optional<Array>& weight,
                                         int64_t ignore_index, double label_smoothing, int reduction,
                                         bool log_softmax);
// d loss / d input. grad is 0-d (mean/sum) or target-shaped (none).
Array cross_entropy_backward(const Array& grad, const Array& input, const Array& target,
                             const std::optional<Array>& weight, const Array& lse, const Array& total_weight,
                             int64_t ignore_index, double label_smoothing, int reduction, bool log_softmax);

}  // namespace ember
