// grid_sample.cpp — argument checks (torch's grid_sampler messages, prefixed with
// the op name), output allocation and dispatch of the grid_sample kernels
// (grid_sample_cpu.cpp for 4-D input, grid_sample_3d_cpu.cpp for 5-D). Inputs are made contiguous; float16 / bfloat16 compute in
// float32 and are cast back. CUDA tensors get "no CUDA kernel yet".
#include "grid_sample.h"

#include "core/checked.h"

namespace ember {
namespace {

using grid_sample_detail::Geom;

void check_tensor(const Array& a, const char* op, const char* what) {
  EMBER_CHECK(a.defined(), Value, "[", op, "] ", what, " is undefined");
  EMBER_CHECK(a.device().is_cpu(), Runtime, "[", op, "] no CUDA kernel yet: ", what, " is on ", a.device().str());
  EMBER_CHECK(is_floating(a.dtype()), Type, "[", op, "] expected a floating point ", what, ", got ",
              dtype_name(a.dtype()));
}

Geom geometry(const Array& input, const Array& grid, int64_t mode, int64_t padding, bool align_corners,
              const char* op) {
  check_tensor(input, op, "input");
  check_tensor(grid, op, "grid");
  EMBER_CHECK(input.dtype() == grid.dtype(), Runtime, "[", op, "] expected input and grid to have the same dtype, got ",
              dtype_name(input.dtype()), " input and ", dtype_name(grid.dtype()), " grid");
  EMBER_CHECK(mode >= 0 && mode <= 2, Value, "[", op, "] expected mode 0 (bilinear), 1 (nearest) or 2 (bicubic), got ",
              mode);
  EMBER_CHECK(padding >= 0 && padding <= 2, Value, "[", op,
              "] expected padding_mode 0 (zeros), 1 (border) or 2 (reflection), got ", padding);
  const int64_t nd = input.ndim();
  EMBER_CHECK(nd == 4 || nd == 5, Runtime, "[", op,
              "] expected 4-D input (N, C, H, W) or 5-D input (N, C, D, H, W), got shape ", shape_str(input.shape()));
  const int64_t k = nd - 2;  // coordinates per grid point
  EMBER_CHECK(grid.ndim() == nd, Runtime, "[", op, "] expected ", nd, "-D grid (N, ", nd == 4 ? "H_out, W_out, 2" :
              "D_out, H_out, W_out, 3", ") for ", nd, "-D input, got shape ", shape_str(grid.shape()));
  EMBER_CHECK(grid.shape()[0] == input.shape()[0], Runtime, "[", op,
              "] expected grid and input to have the same batch size, got input of shape ", shape_str(input.shape()),
              " and grid of shape ", shape_str(grid.shape()));
  EMBER_CHECK(grid.shape()[nd - 1] == k, Runtime, "[", op, "] expected grid to have size ", k,
              " in its last dimension, got grid of shape ", shape_str(grid.shape()));
  for (int64_t d = 2; d < nd; ++d)
    EMBER_CHECK(input.shape()[d] > 0, Runtime, "[", op,
                "] expected input to have non-empty spatial dimensions, got input of shape ",
                shape_str(input.shape()));
  EMBER_CHECK(nd == 4 || mode != 2, Runtime, "[", op, "] bicubic interpolation only supports 4-D input, got shape ",
              shape_str(input.shape()));
  Shape out{input.shape()[0], input.shape()[1]};
  for (int64_t d = 1; d < nd - 1; ++d) out.push_back(grid.shape()[d]);
  checked_numel(out, op);
  const Shape& s = input.shape();
  if (nd == 4)
    return Geom{s[0], s[1], 1, s[2], s[3], 1, grid.shape()[1], grid.shape()[2], static_cast<int>(mode),
                static_cast<int>(padding), align_corners};
  return Geom{s[0], s[1], s[2], s[3], s[4], grid.shape()[1], grid.shape()[2], grid.shape()[3],
              static_cast<int>(mode), static_cast<int>(padding), align_corners};
}

Shape out_shape(const Array& input, const Array& grid) {
  Shape out{input.shape()[0], input.shape()[1]};
  for (int64_t d = 1; d < grid.ndim() - 1; ++d) out.push_back(grid.shape()[d]);
  return out;
}

DType compute_dtype(DType d) { return d == DType::Float64 ? DType::Float64 : DType::Float32; }

}  // namespace

Array grid_sample(const Array& input, const Array& grid, int64_t mode, int64_t padding_mode, bool align_corners) {
  const char* op = "grid_sample";
  const Geom g = geometry(input, grid, mode, padding_mode, align_corners, op);
  const DType cd = compute_dtype(input.dtype());
  Array x = input.to(cd).contiguous(), gr = grid.to(cd).contiguous();
  Array y = Array::empty(out_shape(input, grid), cd, input.device(), op);
  const bool vol = input.ndim() == 5;
  if (y.numel() > 0) {
    if (cd == DType::Float32)
      (vol ? grid_sample_detail::forward_3d<float> : grid_sample_detail::forward<float>)(
          g, x.data<float>(), gr.data<float>(), y.data<float>());
    else
      (vol ? grid_sample_detail::forward_3d<double> : grid_sample_detail::forward<double>)(
          g, x.data<double>(), gr.data<double>(), y.data<double>());
  }
  return cd == input.dtype() ? y : y.to(input.dtype());
}

std::pair<Array, Array> grid_sample_backward(const Array& grad, const Array& input, const Array& grid, int64_t mode,
                                             int64_t padding_mode, bool align_corners, bool need_input,
                                             bool need_grid) {
  const char* op = "grid_sample_backward";
  const Geom g = geometry(input, grid, mode, padding_mode, align_corners, op);
  check_tensor(grad, op, "grad");
  const Shape want = out_shape(input, grid);
  EMBER_CHECK(grad.shape() == want, Runtime, "[", op, "] expected grad of shape ", shape_str(want), ", got ",
              shape_str(grad.shape()));
  const bool vol = input.ndim() == 5;
  const DType cd = compute_dtype(input.dtype());
  Array x = input.to(cd).contiguous(), gr = grid.to(cd).contiguous(), gy = grad.to(cd).contiguous();
  Array gx, gg;
  if (need_input) gx = Array::zeros(input.shape(), cd, input.device(), op);
  if (need_grid) gg = Array::zeros(grid.shape(), cd, grid.device(), op);
  if (gy.numel() > 0 && (need_input || need_grid)) {
    if (cd == DType::Float32)
      (vol ? grid_sample_detail::backward_3d<float> : grid_sample_detail::backward<float>)(g, gy.data<float>(), x.data<float>(), gr.data<float>(),
                                          need_input ? gx.data<float>() : nullptr,
                                          need_grid ? gg.data<float>() : nullptr);
    else
      (vol ? grid_sample_detail::backward_3d<double> : grid_sample_detail::backward<double>)(g, gy.data<double>(), x.data<double>(), gr.data<double>(),
                                           need_input ? gx.data<double>() : nullptr,
                                           need_grid ? gg.data<double>() : nullptr);
  }
  if (cd != input.dtype()) {
    if (need_input) gx = gx.to(input.dtype());
    if (need_grid) gg = gg.to(input.dtype());
  }
  return {gx, gg};
}

}  // namespace ember
