// random.cpp — bindings of the random op family: the Generator class and the
// sampling kernels. Every op takes `generator=None` (the default generator).
#include "core/philox.h"
#include "ops/random/random.h"

#include "bindings.h"

namespace ember {
void bind_random(py::module_& m) {
  py::class_<Generator, std::shared_ptr<Generator>>(m, "Generator")
      .def(py::init([](std::optional<uint64_t> seed) {
             return std::make_shared<Generator>(seed ? *seed : nondeterministic_seed());
           }),
           py::arg("seed") = py::none())
      .def("manual_seed", &Generator::manual_seed)
      .def("seed", &Generator::seed)
      .def("initial_seed", &Generator::initial_seed)
      .def_property_readonly("offset", &Generator::offset)
      .def("get_state", &Generator::get_state)
      .def("set_state", &Generator::set_state);
  m.def("default_generator", [] { return default_generator(); });
  // Raw Philox4x32-10 of one counter under one key (for known-answer tests).
  m.def("_philox4x32_10", [](std::array<uint32_t, 4> ctr, std::array<uint32_t, 2> key) {
    Philox4 c{{ctr[0], ctr[1], ctr[2], ctr[3]}};
    Philox4 r = philox4x32_10(c, key[0], key[1]);
    return std::array<uint32_t, 4>{r.v[0], r.v[1], r.v[2], r.v[3]};
  });

  auto gen = py::arg("generator") = py::none();
  m.def("uniform_", &uniform_, py::arg("self"), py::arg("from") = 0.0, py::arg("to") = 1.0, gen, release_gil());
  m.def("normal_", &normal_, py::arg("self"), py::arg("mean") = 0.0, py::arg("std") = 1.0, gen, release_gil());
  m.def("log_normal_", &log_normal_, py::arg("self"), py::arg("mean") = 1.0, py::arg("std") = 2.0, gen, release_gil());
  m.def("exponential_", &exponential_, py::arg("self"), py::arg("lambd") = 1.0, gen, release_gil());
  m.def("cauchy_", &cauchy_, py::arg("self"), py::arg("median") = 0.0, py::arg("sigma") = 1.0, gen, release_gil());
  m.def("geometric_", &geometric_, py::arg("self"), py::arg("p"), gen, release_gil());
  m.def("random_", [](const Array& self, std::optional<int64_t> from, std::optional<int64_t> to, Generator* g,
                      const std::string& op) { random_(self, from, to, g, op.c_str()); },
        py::arg("self"), py::arg("from") = py::none(), py::arg("to") = py::none(), gen, py::arg("op") = "random_",
        release_gil());
  m.def("bernoulli_", py::overload_cast<const Array&, double, Generator*>(&bernoulli_), py::arg("self"),
        py::arg("p") = 0.5, gen, release_gil());
  m.def("bernoulli_tensor_", py::overload_cast<const Array&, const Array&, Generator*>(&bernoulli_), py::arg("self"),
        py::arg("p"), gen, release_gil());
  m.def("bernoulli", &bernoulli, py::arg("p"), gen, release_gil());
  m.def("randperm", [](int64_t n, DType dtype, int dev_type, int dev_index, Generator* g) {
    return randperm(n, dtype, make_device(dev_type, dev_index), g);
  }, py::arg("n"), py::arg("dtype") = DType::Int64, py::arg("device_type") = 0, py::arg("device_index") = 0, gen,
        release_gil());
  m.def("multinomial", &multinomial, py::arg("probs"), py::arg("num_samples"), py::arg("replacement") = false, gen,
        release_gil());
}
}  // namespace ember
