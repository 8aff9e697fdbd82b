// gemm.cpp — bindings of matmul / mm / addmm (the math is in ops/gemm).
#include "bindings.h"
#include "ops/linalg/linear.h"
#include "ops/linalg/matmul.h"

namespace ember {
void bind_gemm(py::module_& m) {
  m.def("matmul", &matmul, release_gil());
  m.def("mm_out", &mm_out, py::arg("out"), py::arg("a"), py::arg("b"), py::arg("alpha") = 1.0,
        py::arg("beta") = 0.0, release_gil());
  m.def("addmm", &addmm, py::arg("input"), py::arg("a"), py::arg("b"), py::arg("beta") = 1.0,
        py::arg("alpha") = 1.0, release_gil());
  m.def("linear", &linear, py::arg("x"), py::arg("w"), py::arg("bias") = std::nullopt, release_gil());
  // ember.backends.cuda.matmul.allow_tf32 / ember.backends.cudnn.allow_tf32
  m.def("_get_cuda_matmul_allow_tf32", &cuda_matmul_allow_tf32);
  m.def("_set_cuda_matmul_allow_tf32", &set_cuda_matmul_allow_tf32, py::arg("on"));
  m.def("_get_cuda_conv_allow_tf32", &cuda_conv_allow_tf32);
  m.def("_set_cuda_conv_allow_tf32", &set_cuda_conv_allow_tf32, py::arg("on"));
}
}  // namespace ember
