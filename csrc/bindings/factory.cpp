// factory.cpp — bindings of the factory op family (csrc/ops/factory).
#include "bindings.h"
#include "ops/factory/factory.h"

namespace ember {
void bind_factory(py::module_& m) {
  m.def("arange", [](double start, double end, double step, DType dtype, int dt, int di) {
    py::gil_scoped_release g;
    return arange(start, end, step, dtype, make_device(dt, di));
  }, py::arg("start"), py::arg("end"), py::arg("step"), py::arg("dtype"), py::arg("device_type") = 0,
     py::arg("device_index") = 0);
  m.def("arange_int64", [](int64_t start, int64_t end, int64_t step, DType dtype, int dt, int di) {
    py::gil_scoped_release g;
    return arange_int64(start, end, step, dtype, make_device(dt, di));
  }, py::arg("start"), py::arg("end"), py::arg("step"), py::arg("dtype"), py::arg("device_type") = 0,
     py::arg("device_index") = 0);
  m.def("linspace", [](double start, double end, int64_t steps, DType dtype, int dt, int di) {
    py::gil_scoped_release g;
    return linspace(start, end, steps, dtype, make_device(dt, di));
  }, py::arg("start"), py::arg("end"), py::arg("steps"), py::arg("dtype"), py::arg("device_type") = 0,
     py::arg("device_index") = 0);
  m.def("logspace", [](double start, double end, int64_t steps, double base, DType dtype, int dt, int di) {
    py::gil_scoped_release g;
    return logspace(start, end, steps, base, dtype, make_device(dt, di));
  }, py::arg("start"), py::arg("end"), py::arg("steps"), py::arg("base"), py::arg("dtype"),
     py::arg("device_type") = 0, py::arg("device_index") = 0);
  m.def("eye", [](int64_t n, int64_t mm, DType dtype, int dt, int di) {
    py::gil_scoped_release g;
    return eye(n, mm, dtype, make_device(dt, di));
  }, py::arg("n"), py::arg("m") = -1, py::arg("dtype"), py::arg("device_type") = 0, py::arg("device_index") = 0);
}
}  // namespace ember
