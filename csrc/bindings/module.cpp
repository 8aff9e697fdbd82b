// module.cpp — the ember._C extension: exception mapping and family bindings.
#include "bindings.h"

namespace ember {
Device make_device(int type, int index) {
  return Device{type == 1 ? DeviceType::CUDA : DeviceType::CPU, type == 1 ? index : 0};
}
}  // namespace ember

PYBIND11_MODULE(_C, m) {
  using namespace ember;
  m.doc() = "ember's native kernels";
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const Error& e) {
      switch (e.kind()) {
        case ErrorKind::Value: PyErr_SetString(PyExc_ValueError, e.what()); break;
        case ErrorKind::Type: PyErr_SetString(PyExc_TypeError, e.what()); break;
        case ErrorKind::Index: PyErr_SetString(PyExc_IndexError, e.what()); break;
        case ErrorKind::NotImplemented: PyErr_SetString(PyExc_NotImplementedError, e.what()); break;
        default: PyErr_SetString(PyExc_RuntimeError, e.what()); break;
      }
    }
  });
  bind_array(m);
  bind_runtime(m);
  bind_grad_mode(m);
  bind_elementwise(m);
  bind_reduce(m);
  bind_gemm(m);
  bind_index(m);
  bind_shape(m);
  bind_factory(m);
  bind_sort(m);
  bind_random(m);
  bind_dlpack(m);
  bind_softmax(m);
  bind_loss(m);
  bind_conv(m);
  bind_pool(m);
  bind_norm(m);
  bind_attention(m);
  bind_embedding(m);
  bind_optim(m);
  bind_rnn(m);
  bind_grid_sample(m);
}
