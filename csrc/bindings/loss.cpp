// loss.cpp — bindings of the fused classification losses (csrc/ops/loss).
// reduction: 0 none, 1 mean, 2 sum.
#include "bindings.h"
#include "ops/loss/ctc.h"
#include "ops/loss/loss.h"

namespace ember {

void bind_loss(py::module_& m) {
  m.def("cross_entropy_forward", &cross_entropy_forward, py::arg("input"), py::arg("target"),
        py::arg("weight") = py::none(), py::arg("ignore_index") = -100, py::arg("label_smoothing") = 0.0,
        py::arg("reduction") = 1, py::arg("log_softmax") = true, release_gil());
  m.def("cross_entropy_backward", &cross_entropy_backward, py::arg("grad"), py::arg("input"), py::arg("target"),
        py::arg("weight"), py::arg("lse"), py::arg("total_weight"), py::arg("ignore_index"),
        py::arg("label_smoothing"), py::arg("reduction"), py::arg("log_softmax"), release_gil());
  m.def("ctc_loss_forward", &ctc_loss_forward, py::arg("log_probs"), py::arg("targets"), py::arg("input_lengths"),
        py::arg("target_lengths"), py::arg("blank") = 0, release_gil());
  m.def("ctc_loss_backward", &ctc_loss_backward, py::arg("grad"), py::arg("log_probs"), py::arg("targets"),
        py::arg("input_lengths"), py::arg("target_lengths"), py::arg("nll"), py::arg("log_alpha"), py::arg("blank"),
        py::arg("zero_infinity"), release_gil());
}

}  // namespace ember
