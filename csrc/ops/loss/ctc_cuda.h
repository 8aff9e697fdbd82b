// ctc_cuda.h — the CUDA kernels behind ctc_loss (ctc.h; host code in ctc_cpu.cpp).
// Host-only declarations shared by both modules.
//
// Layout: log_probs (T, N, C) contiguous, float32 or float64 (computed in that dtype);
// targets int64 contiguous, (N, S) padded (sample n's labels start at n * S) or 1-D
// concatenated (they start at tg_start[n]); in_len, tg_len int64 (N) on the device
// (views are fine); tg_start int64 (N) for the 1-D layout, undefined for the padded
// one. log_alpha (N, T, L') with L' = log_alpha.shape[2] (odd) >= 2 * tg_len[n] + 1.
// The host checks every length it can read without a synchronisation; the kernels
// check lengths again and the target values (which stay on the device): a sample
// whose lengths or targets are out of range gets a NaN loss, NaN log_alpha and a NaN
// gradient (as cross_entropy's CUDA path does for bad targets, loss_cuda.h).
#pragma once
#include "core/array.h"
#include "core/cuda_kernel.h"

// nll (N) = -log p(target | input) per sample (+inf when no alignment exists);
// log_alpha (N, T, L'): the forward variables, -inf where unreachable (kept for backward).
EMBER_CUDA_KERNEL(loss_ctc_forward, void,
                  (const Array& nll, const Array& log_alpha, const Array& log_probs, const Array& targets,
                   const Array& in_len, const Array& tg_len, const Array& tg_start, int64_t blank));
// grad_lp (T, N, C) = d(sum_n grad[n] * nll[n]) / d log_probs with ctc.h's convention;
// grad (N) in log_probs' dtype. 0 for t >= in_len[n], and for samples of infinite
// loss when zero_infinity.
EMBER_CUDA_KERNEL(loss_ctc_backward, void,
                  (const Array& grad_lp, const Array& grad, const Array& log_probs, const Array& targets,
                   const Array& in_len, const Array& tg_len, const Array& tg_start, const Array& nll,
                   const Array& log_alpha, int64_t blank, bool zero_infinity));
