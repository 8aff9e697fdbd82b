// reduce.cpp — bindings of the reduce op family (csrc/ops/reduce). Dims are
// lists; None or [] reduces every dim. Kernels run without the GIL.
#include "bindings.h"
#include "ops/reduce/reduce.h"

namespace ember {
namespace {
using OptDims = std::optional<std::vector<int64_t>>;
Dims dims_of(const OptDims& d) { return d ? *d : Dims{}; }
}  // namespace

void bind_reduce(py::module_& m) {
  using OptDType = std::optional<DType>;
  auto dims_keep_dtype = [&](const char* name, Array (*fn)(const Array&, const Dims&, bool, OptDType)) {
    m.def(name, [fn](const Array& a, const OptDims& dims, bool keepdim, OptDType dtype) {
      py::gil_scoped_release g;
      return fn(a, dims_of(dims), keepdim, dtype);
    }, py::arg("a"), py::arg("dims") = py::none(), py::arg("keepdim") = false, py::arg("dtype") = py::none());
  };
  dims_keep_dtype("sum", &sum);
  dims_keep_dtype("mean", &mean);
  dims_keep_dtype("nansum", &nansum);
  dims_keep_dtype("nanmean", &nanmean);
  dims_keep_dtype("prod", &prod);

  auto dims_keep = [&](const char* name, Array (*fn)(const Array&, const Dims&, bool)) {
    m.def(name, [fn](const Array& a, const OptDims& dims, bool keepdim) {
      py::gil_scoped_release g;
      return fn(a, dims_of(dims), keepdim);
    }, py::arg("a"), py::arg("dims") = py::none(), py::arg("keepdim") = false);
  };
  dims_keep("amax", &amax);
  dims_keep("amin", &amin);
  dims_keep("all", &all);
  dims_keep("any", &any);
  dims_keep("logsumexp", &logsumexp);
  m.def("count_nonzero", [](const Array& a, const OptDims& dims) {
    py::gil_scoped_release g;
    return count_nonzero(a, dims_of(dims));
  }, py::arg("a"), py::arg("dims") = py::none());

  m.def("max_dim", &max_dim, py::arg("a"), py::arg("dim"), py::arg("keepdim") = false, release_gil());
  m.def("min_dim", &min_dim, py::arg("a"), py::arg("dim"), py::arg("keepdim") = false, release_gil());
  m.def("argmax", &argmax, py::arg("a"), py::arg("dim") = py::none(), py::arg("keepdim") = false, release_gil());
  m.def("argmin", &argmin, py::arg("a"), py::arg("dim") = py::none(), py::arg("keepdim") = false, release_gil());

  auto var_like = [&](const char* name, auto fn) {
    m.def(name, [fn](const Array& a, const OptDims& dims, double correction, bool keepdim) {
      py::gil_scoped_release g;
      return fn(a, dims_of(dims), correction, keepdim);
    }, py::arg("a"), py::arg("dims") = py::none(), py::arg("correction") = 1.0, py::arg("keepdim") = false);
  };
  var_like("var", &var);
  var_like("std", &std_);
  var_like("var_mean", &var_mean);
  var_like("std_mean", &std_mean);

  m.def("vector_norm", [](const Array& a, double ord, const OptDims& dims, bool keepdim, OptDType dtype) {
    py::gil_scoped_release g;
    return vector_norm(a, ord, dims_of(dims), keepdim, dtype);
  }, py::arg("a"), py::arg("ord") = 2.0, py::arg("dims") = py::none(), py::arg("keepdim") = false,
     py::arg("dtype") = py::none());
  m.def("cumsum", &cumsum, py::arg("a"), py::arg("dim"), py::arg("dtype") = py::none(), release_gil());
  m.def("cumprod", &cumprod, py::arg("a"), py::arg("dim"), py::arg("dtype") = py::none(), release_gil());
}

}  // namespace ember
