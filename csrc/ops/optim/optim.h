// optim.h — fused optimizer steps: one native call updates every parameter of a
// parameter group (PyTorch's torch.optim update rules, step for step).
//
// Each call takes parallel lists: params, grads and the optimizer's state buffers
// (one Array per parameter), plus 0-d "step" tensors (float32 or float64, as
// torch's state['step']) that the kernel increments itself, so no step count
// crosses to the host. Hyper-parameters (lr, betas, ...) arrive as doubles: on
// the CPU there is no device to sync with, and per-tensor scalars derived from
// the step (bias corrections) are computed in double exactly as torch's Python
// does before being rounded to the parameter's dtype.
//
// Buffers and params are updated in place (their version counters bumped).
// float32 and float64 params (one group may mix them); contiguous arrays; CPU only.
#pragma once
#include <vector>

#include "core/array.h"

namespace ember {

using ArrayList = std::vector<Array>;

// momentum_buffers: empty when momentum == 0; fresh[i]: buffer i is new and is set to
// the (decayed) gradient instead of being blended (torch's "buf is None").
void sgd_step(const ArrayList& params, const ArrayList& grads, const ArrayList& momentum_buffers,
              const std::vector<bool>& fresh, double lr, double momentum, double dampening, double weight_decay,
              bool nesterov, bool maximize);
// Adam / AdamW (decoupled); max_exp_avg_sqs empty unless amsgrad.
void adam_step(const ArrayList& params, const ArrayList& grads, const ArrayList& exp_avgs,
               const ArrayList& exp_avg_sqs, const ArrayList& max_exp_avg_sqs, const ArrayList& steps, double lr,
               double beta1, double beta2, double eps, double weight_decay, bool amsgrad, bool maximize,
               bool decoupled);
// grad_avgs empty unless centered; momentum_buffers empty unless momentum > 0.
void rmsprop_step(const ArrayList& params, const ArrayList& grads, const ArrayList& square_avgs,
                  const ArrayList& grad_avgs, const ArrayList& momentum_buffers, const ArrayList& steps, double lr,
                  double alpha, double eps, double weight_decay, double momentum, bool centered, bool maximize);
void adagrad_step(const ArrayList& params, const ArrayList& grads, const ArrayList& sums, const ArrayList& steps,
                  double lr, double lr_decay, double weight_decay, double eps, bool maximize);
void adadelta_step(const ArrayList& params, const ArrayList& grads, const ArrayList& square_avgs,
                   const ArrayList& acc_deltas, const ArrayList& steps, double lr, double rho, double eps,
                   double weight_decay, bool maximize);
void adamax_step(const ArrayList& params, const ArrayList& grads, const ArrayList& exp_avgs,
                 const ArrayList& exp_infs, const ArrayList& steps, double lr, double beta1, double beta2, double eps,
                 double weight_decay, bool maximize);
// mu_products: 0-d tensors, updated in place.
void nadam_step(const ArrayList& params, const ArrayList& grads, const ArrayList& exp_avgs,
                const ArrayList& exp_avg_sqs, const ArrayList& mu_products, const ArrayList& steps, double lr,
                double beta1, double beta2, double eps, double weight_decay, double momentum_decay,
                bool decoupled, bool maximize);
void radam_step(const ArrayList& params, const ArrayList& grads, const ArrayList& exp_avgs,
                const ArrayList& exp_avg_sqs, const ArrayList& steps, double lr, double beta1, double beta2,
                double eps, double weight_decay, bool decoupled, bool maximize);
// mus, etas: 0-d tensors, updated in place. torch builds their new values with
// torch.as_tensor(python float), i.e. rounded to the default dtype: round_to_float32
// says whether that is float32.
void asgd_step(const ArrayList& params, const ArrayList& grads, const ArrayList& axs, const ArrayList& mus,
               const ArrayList& etas, const ArrayList& steps, double lr, double lambd, double alpha, double t0,
               double weight_decay, bool maximize, bool round_to_float32);
void rprop_step(const ArrayList& params, const ArrayList& grads, const ArrayList& prevs,
                const ArrayList& step_sizes, const ArrayList& steps, double etaminus, double etaplus,
                double step_size_min, double step_size_max, bool maximize);
// Lion (Chen et al. 2023; lucidrains/lion-pytorch): decoupled decay, sign update.
void lion_step(const ArrayList& params, const ArrayList& grads, const ArrayList& exp_avgs, double lr, double beta1,
               double beta2, double weight_decay, bool maximize);

}  // namespace ember
