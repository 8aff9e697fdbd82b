// bindings.h — shared pieces of the pybind11 module: one bind_<family>(m) per
// op family (each in its own file), and argument helpers.
#pragma once
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "core/array.h"

namespace py = pybind11;

namespace ember {

// Kernels run without the GIL.
using release_gil = py::call_guard<py::gil_scoped_release>;

void bind_array(py::module_& m);
void bind_runtime(py::module_& m);
void bind_elementwise(py::module_& m);
void bind_reduce(py::module_& m);
void bind_gemm(py::module_& m);
void bind_index(py::module_& m);
void bind_shape(py::module_& m);
void bind_factory(py::module_& m);
void bind_sort(py::module_& m);
void bind_random(py::module_& m);
void bind_dlpack(py::module_& m);
void bind_softmax(py::module_& m);
void bind_loss(py::module_& m);
void bind_conv(py::module_& m);
void bind_pool(py::module_& m);
void bind_norm(py::module_& m);
void bind_embedding(py::module_& m);
void bind_optim(py::module_& m);
void bind_rnn(py::module_& m);
void bind_attention(py::module_& m);
void bind_grad_mode(py::module_& m);
void bind_grid_sample(py::module_& m);

Device make_device(int type, int index);

}  // namespace ember
