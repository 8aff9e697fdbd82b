// shape.cpp — bindings of the shape op family (csrc/ops/shape).
#include "bindings.h"
#include "ops/shape/shape.h"

namespace ember {
void bind_shape(py::module_& m) {
  m.def("cat", &cat, py::arg("arrays"), py::arg("dim") = 0, release_gil());
  m.def("stack", &stack, py::arg("arrays"), py::arg("dim") = 0, release_gil());
  m.def("repeat", &repeat, py::arg("self"), py::arg("repeats"), release_gil());
  m.def("repeat_interleave", &repeat_interleave, py::arg("self"), py::arg("repeats"), py::arg("dim") = py::none(),
        release_gil());
  m.def("flip", &flip, py::arg("self"), py::arg("dims"), release_gil());
  m.def("roll", &roll, py::arg("self"), py::arg("shifts"), py::arg("dims"), release_gil());
  m.def("tril", &tril, py::arg("self"), py::arg("diagonal") = 0, release_gil());
  m.def("triu", &triu, py::arg("self"), py::arg("diagonal") = 0, release_gil());
}
}  // namespace ember
