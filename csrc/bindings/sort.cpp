// sort.cpp — bindings of the sort op family (csrc/ops/sort). Pairs come back
// as (values, indices) tuples; the Python layer wraps them in named tuples.
#include "bindings.h"
#include "ops/sort/sort.h"

namespace ember {
void bind_sort(py::module_& m) {
  m.def("sort", &sort, py::arg("self"), py::arg("dim") = -1, py::arg("descending") = false, release_gil());
  m.def("topk", &topk, py::arg("self"), py::arg("k"), py::arg("dim") = -1, py::arg("largest") = true,
        py::arg("sorted") = true, release_gil());
  m.def("kthvalue", &kthvalue, py::arg("self"), py::arg("k"), py::arg("dim") = -1, py::arg("keepdim") = false,
        release_gil());
  m.def("median", &median, py::arg("self"), py::arg("dim"), py::arg("keepdim") = false, release_gil());
  m.def("median_all", &median_all, py::arg("self"), release_gil());
  m.def("unique", &unique, py::arg("self"), py::arg("return_inverse") = false, py::arg("return_counts") = false,
        release_gil());
}
}  // namespace ember
