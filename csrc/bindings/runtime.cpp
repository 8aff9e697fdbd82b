// runtime.cpp — process-level settings: threads, SIMD level, allocator and CUDA
// device queries.
#include "bindings.h"
#include "core/allocator.h"
#include "core/cpu_features.h"
#include "core/cuda_api.h"
#include "core/parallel.h"

namespace ember {

void bind_runtime(py::module_& m) {
#ifdef EMBER_VERSION
  m.attr("__version__") = EMBER_VERSION;
#endif
#ifdef NDEBUG
  m.attr("build_type") = "Release";
#else
  m.attr("build_type") = "Debug";
#endif
  m.def("get_num_threads", &get_num_threads);
  m.def("set_num_threads", [](int n) {
    EMBER_CHECK(n >= 1, Value, "[set_num_threads] expected a positive number of threads, got ", n);
    py::gil_scoped_release g;
    set_num_threads(n);
  });
  m.def("simd_level", [] { return std::string(simd_level_name(simd_level())); });
  m.def("cpu_max_simd_level", [] { return std::string(simd_level_name(cpu_max_simd_level())); });
  m.def("set_simd_level", [](const std::string& s) {
    SimdLevel l = s == "scalar" ? SimdLevel::Scalar : s == "avx2" ? SimdLevel::AVX2 : SimdLevel::AVX512;
    EMBER_CHECK(s == "scalar" || s == "avx2" || s == "avx512", Value,
                "[set_simd_level] expected 'scalar', 'avx2' or 'avx512', got '", s, "'");
    set_simd_level_cap(l);
  });
  m.def("cpu_empty_cache", &cpu_empty_cache);
  m.def("cpu_cached_bytes", &cpu_cached_bytes);
  m.def("cpu_allocated_bytes", &cpu_allocated_bytes);

  auto c = m.def_submodule("cuda", "CUDA runtime queries");
  c.def("compiled", &cuda::compiled);
  c.def("device_count", [] { return cuda::device_count(nullptr); });
  c.def("unavailable_reason", [] {
    std::string why;
    cuda::device_count(&why);
    return why;
  });
  c.def("device_name", &cuda::device_name);
  c.def("synchronize", &cuda::synchronize, release_gil());
  c.def("set_device", &cuda::set_device);
  c.def("current_device", &cuda::current_device);
  c.def("empty_cache", &cuda::empty_cache);
  c.def("allocated_bytes", &cuda::allocated_bytes);
  c.def("cached_bytes", &cuda::cached_bytes);
}

}  // namespace ember
