// grid_sample.cpp — bindings of the grid_sample family (csrc/ops/grid_sample).
#include "bindings.h"
#include "ops/grid_sample/grid_sample.h"

namespace ember {

void bind_grid_sample(py::module_& m) {
  m.def("grid_sample", &grid_sample, py::arg("input"), py::arg("grid"), py::arg("mode"), py::arg("padding_mode"),
        py::arg("align_corners"), release_gil());
  // Returns (grad_input or None, grad_grid or None).
  m.def(
      "grid_sample_backward",
      [](const Array& grad, const Array& input, const Array& grid, int64_t mode, int64_t padding_mode,
         bool align_corners, bool need_input, bool need_grid) {
        std::pair<Array, Array> r;
        {
          py::gil_scoped_release release;
          r = grid_sample_backward(grad, input, grid, mode, padding_mode, align_corners, need_input, need_grid);
        }
        py::object a = r.first.defined() ? py::cast(r.first) : py::none();
        py::object b = r.second.defined() ? py::cast(r.second) : py::none();
        return py::make_tuple(a, b);
      },
      py::arg("grad"), py::arg("input"), py::arg("grid"), py::arg("mode"), py::arg("padding_mode"),
      py::arg("align_corners"), py::arg("need_input"), py::arg("need_grid"));
}

}  // namespace ember
