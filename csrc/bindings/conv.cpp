// conv.cpp — bindings of convolutions (csrc/ops/conv) and padding (csrc/ops/pad).
#include "bindings.h"
#include "ops/conv/conv.h"
#include "ops/pad/pad.h"

namespace ember {

void bind_conv(py::module_& m) {
  m.def("conv_forward", &conv_forward, py::arg("x"), py::arg("weight"), py::arg("bias"), py::arg("stride"),
        py::arg("padding"), py::arg("dilation"), py::arg("groups"), py::arg("op") = "conv2d", release_gil());
  m.def("conv_backward_input", &conv_backward_input, py::arg("grad"), py::arg("weight"), py::arg("input_shape"),
        py::arg("stride"), py::arg("padding"), py::arg("dilation"), py::arg("groups"),
        py::arg("op") = "conv2d_backward", release_gil());
  m.def("conv_backward_weight", &conv_backward_weight, py::arg("grad"), py::arg("x"), py::arg("weight_shape"),
        py::arg("stride"), py::arg("padding"), py::arg("dilation"), py::arg("groups"), py::arg("bias_grad"),
        py::arg("op") = "conv2d_backward", release_gil());
  m.def("conv_transpose_forward", &conv_transpose_forward, py::arg("x"), py::arg("weight"), py::arg("bias"),
        py::arg("stride"), py::arg("padding"), py::arg("output_padding"), py::arg("dilation"), py::arg("groups"),
        py::arg("op") = "conv_transpose2d", release_gil());
  m.def("pad", &pad, py::arg("x"), py::arg("pad"), py::arg("mode"), py::arg("value") = 0.0, release_gil());
  m.def("pad_backward", &pad_backward, py::arg("grad"), py::arg("input_shape"), py::arg("pad"), py::arg("mode"),
        release_gil());
}

}  // namespace ember
