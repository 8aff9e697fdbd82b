// index.cpp — bindings of the index op family (csrc/ops/index). In-place ops
// take the target array and return nothing; the caller owns version bumps
// through the kernel (which bumps them) and autograd bookkeeping.
#include "bindings.h"
#include "ops/index/index.h"

namespace ember {
void bind_index(py::module_& m) {
  m.def("gather", &gather, py::arg("self"), py::arg("dim"), py::arg("index"), release_gil());
  m.def("scatter_", &scatter_, py::arg("self"), py::arg("dim"), py::arg("index"), py::arg("src"),
        py::arg("reduce") = "", release_gil());
  m.def("scatter_value_", &scatter_value_, py::arg("self"), py::arg("dim"), py::arg("index"), py::arg("value"),
        py::arg("reduce") = "", release_gil());
  m.def("scatter_reduce_", &scatter_reduce_, py::arg("self"), py::arg("dim"), py::arg("index"), py::arg("src"),
        py::arg("reduce"), py::arg("include_self") = true, release_gil());
  m.def("index_select", &index_select, py::arg("self"), py::arg("dim"), py::arg("index"), release_gil());
  m.def("index_add_", &index_add_, py::arg("self"), py::arg("dim"), py::arg("index"), py::arg("source"),
        py::arg("alpha") = 1.0, release_gil());
  m.def("index", &index, py::arg("self"), py::arg("indices"), release_gil());
  m.def("index_put_", &index_put_, py::arg("self"), py::arg("indices"), py::arg("values"),
        py::arg("accumulate") = false, release_gil());
  m.def("masked_fill_", &masked_fill_, py::arg("self"), py::arg("mask"), py::arg("value"), release_gil());
  m.def("masked_select", &masked_select, py::arg("self"), py::arg("mask"), release_gil());
  m.def("nonzero", &nonzero, py::arg("self"), release_gil());
  m.def("one_hot", &one_hot, py::arg("self"), py::arg("num_classes") = -1, release_gil());
  m.def("take", &take, py::arg("self"), py::arg("index"), release_gil());
}
}  // namespace ember
