// pool.cpp — bindings of pooling, adaptive pooling, max-unpooling and interpolation
// (csrc/ops/pool). Window arguments arrive as lists of 1 or 2 ints.
#include <optional>

#include "bindings.h"
#include "ops/pool/pool.h"

namespace ember {
namespace {

PoolParams params(Shape kernel, Shape stride, Shape padding, Shape dilation, bool ceil_mode) {
  return PoolParams{std::move(kernel), std::move(stride), std::move(padding), std::move(dilation), ceil_mode};
}

std::optional<Array> opt(const Array& a) { return a.defined() ? std::optional<Array>(a) : std::nullopt; }

}  // namespace

void bind_pool(py::module_& m) {
  m.def(
      "max_pool",
      [](const Array& x, Shape kernel, Shape stride, Shape padding, Shape dilation, bool ceil_mode,
         bool with_indices) {
        auto [y, idx] = max_pool(x, params(kernel, stride, padding, dilation, ceil_mode), with_indices);
        return std::make_tuple(y, opt(idx));
      },
      py::arg("x"), py::arg("kernel"), py::arg("stride"), py::arg("padding"), py::arg("dilation"),
      py::arg("ceil_mode"), py::arg("with_indices"), release_gil());
  m.def(
      "avg_pool",
      [](const Array& x, Shape kernel, Shape stride, Shape padding, bool ceil_mode, bool count_include_pad,
         int64_t divisor_override) {
        return avg_pool(x, params(kernel, stride, padding, {}, ceil_mode), count_include_pad, divisor_override);
      },
      py::arg("x"), py::arg("kernel"), py::arg("stride"), py::arg("padding"), py::arg("ceil_mode"),
      py::arg("count_include_pad"), py::arg("divisor_override") = 0, release_gil());
  m.def(
      "avg_pool_backward",
      [](const Array& grad, Shape input_shape, Shape kernel, Shape stride, Shape padding, bool ceil_mode,
         bool count_include_pad, int64_t divisor_override) {
        return avg_pool_backward(grad, input_shape, params(kernel, stride, padding, {}, ceil_mode), count_include_pad,
                                 divisor_override);
      },
      py::arg("grad"), py::arg("input_shape"), py::arg("kernel"), py::arg("stride"), py::arg("padding"),
      py::arg("ceil_mode"), py::arg("count_include_pad"), py::arg("divisor_override") = 0, release_gil());
  m.def(
      "adaptive_max_pool",
      [](const Array& x, Shape output_size, bool with_indices) {
        auto [y, idx] = adaptive_max_pool(x, output_size, with_indices);
        return std::make_tuple(y, opt(idx));
      },
      py::arg("x"), py::arg("output_size"), py::arg("with_indices"), release_gil());
  m.def("adaptive_avg_pool", &adaptive_avg_pool, py::arg("x"), py::arg("output_size"), release_gil());
  m.def("adaptive_avg_pool_backward", &adaptive_avg_pool_backward, py::arg("grad"), py::arg("input_shape"),
        py::arg("spatial_dims"), release_gil());
  m.def(
      "pool_scatter",
      [](const Array& src, const Array& idx, Shape out_shape, int64_t spatial_dims, bool accumulate,
         const std::string& op) { return pool_scatter(src, idx, out_shape, spatial_dims, accumulate, op.c_str()); },
      py::arg("src"), py::arg("idx"), py::arg("out_shape"), py::arg("spatial_dims"), py::arg("accumulate"),
      py::arg("op"), release_gil());
  m.def(
      "pool_gather",
      [](const Array& src, const Array& idx, int64_t spatial_dims, const std::string& op) {
        return pool_gather(src, idx, spatial_dims, op.c_str());
      },
      py::arg("src"), py::arg("idx"), py::arg("spatial_dims"), py::arg("op"), release_gil());
  m.def("interpolate", &interpolate, py::arg("x"), py::arg("output_size"), py::arg("mode"), py::arg("align_corners"),
        py::arg("scales"), py::arg("antialias"), release_gil());
  m.def("interpolate_backward", &interpolate_backward, py::arg("grad"), py::arg("input_shape"), py::arg("mode"),
        py::arg("align_corners"), py::arg("scales"), py::arg("antialias"), release_gil());
}

}  // namespace ember
