// embedding.cpp — bindings of embedding_bag (csrc/ops/embedding).
#include "bindings.h"
#include "ops/embedding/embedding_bag.h"

namespace ember {

void bind_embedding(py::module_& m) {
  m.def("embedding_bag", &embedding_bag, py::arg("weight"), py::arg("indices"), py::arg("offsets"),
        py::arg("mode"), py::arg("per_sample_weights") = std::nullopt, py::arg("padding_idx") = -1, release_gil());
  m.def("embedding_bag_backward", &embedding_bag_backward, py::arg("grad"), py::arg("indices"), py::arg("offsets"),
        py::arg("bag_size"), py::arg("argmax"), py::arg("num_weights"), py::arg("mode"),
        py::arg("per_sample_weights") = std::nullopt, py::arg("padding_idx") = -1, release_gil());
}

}  // namespace ember
