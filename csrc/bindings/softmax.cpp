// softmax.cpp — bindings of the fused softmax family (csrc/ops/softmax).
#include "bindings.h"
#include "ops/softmax/softmax.h"

namespace ember {

void bind_softmax(py::module_& m) {
  m.def("softmax", &softmax, py::arg("x"), py::arg("dim"), py::arg("log") = false, release_gil());
  m.def("softmax_backward", &softmax_backward, py::arg("grad"), py::arg("y"), py::arg("dim"),
        py::arg("log") = false, release_gil());
}

}  // namespace ember
