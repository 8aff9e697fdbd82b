// optim.cpp — bindings of the fused optimizer steps (csrc/ops/optim): each takes
// lists of Arrays (params, grads, state buffers, 0-d step tensors) and updates
// them in place, without the GIL.
#include "bindings.h"
#include "ops/optim/amp.h"
#include "ops/optim/optim.h"

namespace ember {

void bind_optim(py::module_& m) {
  m.def("sgd_step", &sgd_step, py::arg("params"), py::arg("grads"), py::arg("momentum_buffers"), py::arg("fresh"),
        py::arg("lr"), py::arg("momentum"), py::arg("dampening"), py::arg("weight_decay"), py::arg("nesterov"),
        py::arg("maximize"), release_gil());
  m.def("adam_step", &adam_step, py::arg("params"), py::arg("grads"), py::arg("exp_avgs"), py::arg("exp_avg_sqs"),
        py::arg("max_exp_avg_sqs"), py::arg("steps"), py::arg("lr"), py::arg("beta1"), py::arg("beta2"),
        py::arg("eps"), py::arg("weight_decay"), py::arg("amsgrad"), py::arg("maximize"), py::arg("decoupled"),
        release_gil());
  m.def("rmsprop_step", &rmsprop_step, py::arg("params"), py::arg("grads"), py::arg("square_avgs"),
        py::arg("grad_avgs"), py::arg("momentum_buffers"), py::arg("steps"), py::arg("lr"), py::arg("alpha"),
        py::arg("eps"), py::arg("weight_decay"), py::arg("momentum"), py::arg("centered"), py::arg("maximize"),
        release_gil());
  m.def("adagrad_step", &adagrad_step, py::arg("params"), py::arg("grads"), py::arg("sums"), py::arg("steps"),
        py::arg("lr"), py::arg("lr_decay"), py::arg("weight_decay"), py::arg("eps"), py::arg("maximize"),
        release_gil());
  m.def("adadelta_step", &adadelta_step, py::arg("params"), py::arg("grads"), py::arg("square_avgs"),
        py::arg("acc_deltas"), py::arg("steps"), py::arg("lr"), py::arg("rho"), py::arg("eps"),
        py::arg("weight_decay"), py::arg("maximize"), release_gil());
  m.def("adamax_step", &adamax_step, py::arg("params"), py::arg("grads"), py::arg("exp_avgs"), py::arg("exp_infs"),
        py::arg("steps"), py::arg("lr"), py::arg("beta1"), py::arg("beta2"), py::arg("eps"),
        py::arg("weight_decay"), py::arg("maximize"), release_gil());
  m.def("nadam_step", &nadam_step, py::arg("params"), py::arg("grads"), py::arg("exp_avgs"), py::arg("exp_avg_sqs"),
        py::arg("mu_products"), py::arg("steps"), py::arg("lr"), py::arg("beta1"), py::arg("beta2"), py::arg("eps"),
        py::arg("weight_decay"), py::arg("momentum_decay"), py::arg("decoupled"), py::arg("maximize"),
        release_gil());
  m.def("radam_step", &radam_step, py::arg("params"), py::arg("grads"), py::arg("exp_avgs"), py::arg("exp_avg_sqs"),
        py::arg("steps"), py::arg("lr"), py::arg("beta1"), py::arg("beta2"), py::arg("eps"),
        py::arg("weight_decay"), py::arg("decoupled"), py::arg("maximize"), release_gil());
  m.def("asgd_step", &asgd_step, py::arg("params"), py::arg("grads"), py::arg("axs"), py::arg("mus"),
        py::arg("etas"), py::arg("steps"), py::arg("lr"), py::arg("lambd"), py::arg("alpha"), py::arg("t0"),
        py::arg("weight_decay"), py::arg("maximize"), py::arg("round_to_float32"), release_gil());
  m.def("rprop_step", &rprop_step, py::arg("params"), py::arg("grads"), py::arg("prevs"), py::arg("step_sizes"),
        py::arg("steps"), py::arg("etaminus"), py::arg("etaplus"), py::arg("step_size_min"),
        py::arg("step_size_max"), py::arg("maximize"), release_gil());
  m.def("lion_step", &lion_step, py::arg("params"), py::arg("grads"), py::arg("exp_avgs"), py::arg("lr"),
        py::arg("beta1"), py::arg("beta2"), py::arg("weight_decay"), py::arg("maximize"), release_gil());
  // GradScaler (csrc/ops/optim/amp.h): torch's names.
  m.def("_amp_foreach_non_finite_check_and_unscale_", &amp_non_finite_check_and_unscale_, py::arg("grads"),
        py::arg("found_inf"), py::arg("inv_scale"), release_gil());
  m.def("_amp_update_scale_", &amp_update_scale_, py::arg("scale"), py::arg("growth_tracker"), py::arg("found_inf"),
        py::arg("growth_factor"), py::arg("backoff_factor"), py::arg("growth_interval"), release_gil());
}

}  // namespace ember
