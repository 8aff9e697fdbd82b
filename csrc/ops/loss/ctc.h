// ctc.h — connectionist temporal classification loss (Graves et al., 2006): CPU
// (ctc_cpu.cpp, which also holds the host code of both devices) and CUDA (ctc_cuda.cu).
#pragma once
#include <cstdint>
#include <vector>

#include "core/array.h"

namespace ember {

// log_probs (T, N, C) float; targets int, either (N, S) padded or 1-D concatenated
// (sum of target_lengths); input_lengths, target_lengths (N,) int. Returns
// {nll (N,), log_alpha (N, T, 2*max_target_len+1)}; the second is for backward. (On CUDA
// with CUDA-tensor lengths and padded targets its last dim is 2*S+1: see ctc_cpu.cpp.)
std::vector<Array> ctc_loss_forward(const Array& log_probs, const Array& targets, const Array& input_lengths,
                                    const Array& target_lengths, int64_t blank);
// d(sum_n grad[n] * nll[n]) / d log_probs, with torch's convention: the gradient is
// exp(lp) * g - exp(log_occupancy + nll - lp) * g, which equals the true gradient
// once it flows through the log_softmax that produced log_probs. Steps past a
// sample's input length get 0; with zero_infinity, samples of infinite loss get 0.
Array ctc_loss_backward(const Array& grad, const Array& log_probs, const Array& targets, const Array& input_lengths,
                        const Array& target_lengths, const Array& nll, const Array& log_alpha, int64_t blank,
                        bool zero_infinity);

}  // namespace ember
