// pool.h — pooling, adaptive pooling, max-unpooling and interpolation over the last
// one or two dims of (N, C, *spatial) or unbatched (C, *spatial) arrays, CPU,
// float32/float64. The number of spatial dims is the length of `kernel` /
// `output_size` (1 or 2); 1-d ops run the 2-d kernels with a height of 1. CUDA
// kernels in pool_cuda.cu (which also take float16 / bfloat16). float16 / bfloat16
// CPU arrays run the float32 kernels and are rounded back once (core/lowp_compute.h).
// Indices of max pooling are flat per (N, C) plane (h * W + w), as torch's.
#pragma once
#include <cstdint>
#include <tuple>
#include <vector>

#include "core/array.h"

namespace ember {

// Window geometry, torch's conventions (stride given explicitly); ceil_mode keeps a
// last window that starts inside the input or the left padding.
struct PoolParams {
  Shape kernel, stride, padding, dilation;
  bool ceil_mode = false;
};

// (out, indices): indices is int64 of out's shape when with_indices, else undefined.
std::tuple<Array, Array> max_pool(const Array& x, const PoolParams& p, bool with_indices);

// divisor_override 0 means none (torch rejects 0; a negative divisor is allowed, as torch).
Array avg_pool(const Array& x, const PoolParams& p, bool count_include_pad, int64_t divisor_override);
// Gradient wrt the input (of shape input_shape) of avg_pool; the adjoint of the forward.
Array avg_pool_backward(const Array& grad, const Shape& input_shape, const PoolParams& p, bool count_include_pad,
                        int64_t divisor_override);

// output_size entries are >= 0 (0 gives an empty output, as torch).
std::tuple<Array, Array> adaptive_max_pool(const Array& x, const Shape& output_size, bool with_indices);
Array adaptive_avg_pool(const Array& x, const Shape& output_size);
// spatial_dims: 1 or 2 (the grad's last dims are the output size).
Array adaptive_avg_pool_backward(const Array& grad, const Shape& input_shape, int64_t spatial_dims);

// Plane scatter / gather by flat indices over the last `spatial_dims` dims:
// pool_scatter: out (of out_shape) = 0, then out[plane][idx[k]] (+)= src[plane][k]
//   (accumulate: max-pool backward; assign: max_unpool forward). src and idx share a shape.
// pool_gather: out[plane][k] = src[plane][idx[k]] (the adjoint of pool_scatter).
// Indices outside the plane raise "[op] found an invalid max index ...".
Array pool_scatter(const Array& src, const Array& idx, const Shape& out_shape, int64_t spatial_dims, bool accumulate,
                   const char* op);
Array pool_gather(const Array& src, const Array& idx, int64_t spatial_dims, const char* op);

// ---- interpolation (F.interpolate): separable resampling, one pass per spatial dim
// (1 to 3 spatial dims; x is (N, C, *spatial)).
enum class InterpMode : int { Nearest = 0, NearestExact = 1, Linear = 2, Cubic = 3, Area = 4 };
// scales[i] > 0: the user's scale factor for dim i (the source index uses 1/scale,
// torch's recompute_scale_factor=False); <= 0: none (in/out is used).
Array interpolate(const Array& x, const Shape& output_size, int mode, bool align_corners,
                  const std::vector<double>& scales, bool antialias);
Array interpolate_backward(const Array& grad, const Shape& input_shape, int mode, bool align_corners,
                           const std::vector<double>& scales, bool antialias);

}  // namespace ember
