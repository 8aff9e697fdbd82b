// pad.h — torch.nn.functional.pad: constant, reflect, replicate and circular padding
// (forward and backward), CPU, any dtype for the forward.
//
// `pad` lists (begin, end) pairs from the last dim backwards, as in PyTorch:
// (left, right) pads the last dim, (left, right, top, bottom) the last two, ...
// Negative values crop. mode is "constant", "reflect", "replicate" or "circular".
#pragma once
#include <string>
#include <vector>

#include "core/array.h"

namespace ember {

Array pad(const Array& x, const std::vector<int64_t>& pad, const std::string& mode, double value);
// dL/dx of pad for the upstream grad: constant mode crops (and zero-fills what the
// forward cropped); the other modes scatter-add each output position into its source.
Array pad_backward(const Array& grad, const std::vector<int64_t>& input_shape, const std::vector<int64_t>& pad,
                   const std::string& mode);

namespace pad_detail {
// Source index along one padded dim for each output index (reflect/replicate/circular).
enum class Mode { Constant, Reflect, Replicate, Circular };
// x viewed as (outer, in[0], ..., in[k-1]) contiguous, y as (outer, out[0], ...): y = x[maps].
// maps[d] has out[d] entries. elem_bytes selects a copy width (1, 2, 4 or 8).
void gather(const void* x, void* y, int64_t elem_bytes, int64_t outer, const std::vector<int64_t>& in,
            const std::vector<std::vector<int64_t>>& maps);
// gx (outer, in...) = sum of gy (outer, out...) at each source position; float / double.
void scatter_add_f32(const float* gy, float* gx, int64_t outer, const std::vector<int64_t>& in,
                     const std::vector<std::vector<int64_t>>& maps);
void scatter_add_f64(const double* gy, double* gx, int64_t outer, const std::vector<int64_t>& in,
                     const std::vector<std::vector<int64_t>>& maps);
}  // namespace pad_detail

}  // namespace ember
