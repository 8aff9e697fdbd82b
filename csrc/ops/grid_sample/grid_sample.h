// grid_sample.h — torch.nn.functional.grid_sample on 4-D input (N, C, H, W) with a
// sampling grid (N, H_out, W_out, 2) of normalised (x, y) in [-1, 1] (bilinear,
// nearest and bicubic interpolation), or on 5-D input (N, C, D, H, W) with a grid
// (N, D_out, H_out, W_out, 3) of (x, y, z) (trilinear — torch's 'bilinear' — and
// nearest); zeros, border and reflection padding; forward and backward (for the
// input and the grid). CPU, float32/float64 (float16 and bfloat16 are computed in
// float32).
#pragma once
#include <cstdint>
#include <utility>

#include "core/array.h"

namespace ember {

// mode: 0 bilinear, 1 nearest, 2 bicubic (torch's GridSamplerInterpolation codes).
// padding_mode: 0 zeros, 1 border, 2 reflection (torch's GridSamplerPadding codes).
Array grid_sample(const Array& input, const Array& grid, int64_t mode, int64_t padding_mode, bool align_corners);
// (d input, d grid) of grid_sample for the upstream grad (N, C, H_out, W_out). A
// gradient that is not asked for (need_input / need_grid false) comes back undefined.
std::pair<Array, Array> grid_sample_backward(const Array& grad, const Array& input, const Array& grid, int64_t mode,
                                             int64_t padding_mode, bool align_corners, bool need_input,
                                             bool need_grid);

namespace grid_sample_detail {
// Contiguous (N, C, [D,] H, W) input, (N, [Do,] Ho, Wo, 2|3) grid, (N, C, [Do,] Ho,
// Wo) output; D = Do = 1 for 4-D input.
struct Geom {
  int64_t N, C, D, H, W, Do, Ho, Wo;
  int mode, padding;
  bool align_corners;
};
template <class T>
void forward(const Geom& g, const T* x, const T* grid, T* y);
// gx (zero-filled by the caller) and/or ggrid; either may be null.
template <class T>
void backward(const Geom& g, const T* gy, const T* x, const T* grid, T* gx, T* ggrid);
// The 5-D (volumetric) kernels, grid_sample_3d_cpu.cpp.
template <class T>
void forward_3d(const Geom& g, const T* x, const T* grid, T* y);
template <class T>
void backward_3d(const Geom& g, const T* gy, const T* x, const T* grid, T* gx, T* ggrid);
}  // namespace grid_sample_detail

}  // namespace ember
