// norm.cpp — bindings of fused normalisations (csrc/ops/norm).
#include "bindings.h"
#include "ops/norm/norm.h"

namespace ember {

void bind_norm(py::module_& m) {
  using A = py::arg;
  m.def("batch_norm", &batch_norm, A("x"), A("weight"), A("bias"), A("running_mean"), A("running_var"),
        A("training"), A("momentum"), A("eps"), release_gil());
  m.def("batch_norm_backward", &batch_norm_backward, A("grad"), A("x"), A("weight"), A("mean"), A("invstd"),
        A("training"), A("mask"), release_gil());
  m.def("layer_norm", &layer_norm, A("x"), A("normalized_shape"), A("weight"), A("bias"), A("eps"),
        A("rms") = false, release_gil());
  m.def("layer_norm_backward", &layer_norm_backward, A("grad"), A("x"), A("normalized_shape"), A("mean"),
        A("rstd"), A("weight"), A("rms"), A("mask"), release_gil());
  m.def("group_norm", &group_norm, A("x"), A("num_groups"), A("weight"), A("bias"), A("eps"), release_gil());
  m.def("group_norm_backward", &group_norm_backward, A("grad"), A("x"), A("mean"), A("rstd"), A("num_groups"),
        A("weight"), A("mask"), release_gil());
  m.def("instance_norm", &instance_norm, A("x"), A("weight"), A("bias"), A("running_mean"), A("running_var"),
        A("momentum"), A("eps"), release_gil());
  m.def("local_response_norm", &local_response_norm, A("x"), A("size"), A("alpha"), A("beta"), A("k"),
        release_gil());
  m.def("local_response_norm_backward", &local_response_norm_backward, A("grad"), A("x"), A("y"), A("scale"),
        A("size"), A("alpha"), A("beta"), A("k"), release_gil());
}

}  // namespace ember
