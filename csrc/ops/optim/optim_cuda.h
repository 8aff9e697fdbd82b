// optim_cuda.h — the CUDA fused multi-tensor optimizer step (optim_cuda.cu), shared
// by optim.cpp (host checks, step counters, per-tensor scalars) and the CUDA module.
//
// One registered kernel runs every optimizer of optim.h: `algo` picks the update
// rule, `Hyper` carries the group's hyper-parameters, `Group` the raw device
// pointers of the group's tensors (params, grads, state buffers in the order
// optim.cpp lists them) and up to three per-tensor scalars precomputed on the host
// in double exactly as for the CPU kernels (bias corrections, clr, ...). Host-only
// C++ here: no CUDA headers.
#pragma once
#include <cstdint>
#include <vector>

#include "core/cuda_kernel.h"
#include "core/dtype.h"

namespace ember {
namespace optim_cuda {

enum Algo : int {
  kSgd = 0,
  kAdam,      // s0 = step_size, s1 = bc2_sqrt; buf: exp_avg, exp_avg_sq[, max_exp_avg_sq]
  kAdamax,    // s0 = clr; buf: exp_avg, exp_inf
  kNAdam,     // s0 = bc2, s1 = c1, s2 = c2; buf: exp_avg, exp_avg_sq
  kRAdam,     // s0 = bc1, s1 = sqrt(bc2), s2 = rect (< 0: not rectified); buf: exp_avg, exp_avg_sq
  kLion,      // buf: exp_avg
  kRmsprop,   // buf: square_avg[, grad_avg (centered)][, momentum_buffer (momentum > 0)]
  kAdagrad,   // s0 = clr; buf: sum
  kAdadelta,  // buf: square_avg, acc_delta
  kAsgd,      // s0 = 1 - lambd * eta, s1 = -eta, s2 = mu; buf: ax
  kRprop,     // buf: prev, step_size
  kNumAlgos
};

struct Hyper {
  double lr = 0, beta1 = 0, beta2 = 0, eps = 0, wd = 0;
  double momentum = 0, dampening = 0;
  double alpha = 0;  // RMSprop's alpha, Adadelta's rho
  double etaminus = 0, etaplus = 0, step_min = 0, step_max = 0;
  bool maximize = false, nesterov = false, amsgrad = false, decoupled = false, centered = false;
};

// Tensor t of the group at index t of every vector; buf[k][t] is state buffer k.
// Every pointer is on device `device`, contiguous, numel[t] elements of dtype[t]
// (float32 or float64; a group may mix them). flag[t]: SGD's "fresh buffer".
struct Group {
  int device = 0;
  std::vector<int64_t> numel;
  std::vector<DType> dtype;
  std::vector<void*> p;
  std::vector<const void*> g;
  std::vector<std::vector<void*>> buf;
  std::vector<double> s[3];
  std::vector<uint8_t> flag;
};

}  // namespace optim_cuda
}  // namespace ember

EMBER_CUDA_KERNEL(optim_multi_tensor_step, void,
                  (int algo, const ember::optim_cuda::Group& group, const ember::optim_cuda::Hyper& hyper));
