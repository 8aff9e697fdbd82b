// conv.h — 1-D and 2-D convolutions and transposed convolutions (forward and the
// two backward products). CPU: float32/float64 (float16/bfloat16 computed in float32).
// CUDA: implicit GEMMs in the tensors' own dtype (conv_cuda.cu; float32 on TF32 tensor
// cores while ember.backends.cudnn.allow_tf32 is set).
//
// Shapes follow PyTorch: x (N, C, [H,] W), weight (O, C/groups, [KH,] KW) for a
// convolution and (C_in, C_out/groups, [KH,] KW) for a transposed one. The number of
// spatial dims (1 or 2) is stride.size(). `padding` holds 2 values per spatial dim,
// (begin, end) for each dim in order, so 'same' padding may be asymmetric; a negative
// value crops (the gradients of a transposed convolution with output_padding need
// that; F.conv2d itself rejects negative padding). `op` names the caller ("conv2d",
// "conv_transpose1d", ...) in error messages.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "core/array.h"

namespace ember {

using IntList = std::vector<int64_t>;

// y = conv(x, w) + bias.
Array conv_forward(const Array& x, const Array& w, const std::optional<Array>& bias, const IntList& stride,
                   const IntList& padding, const IntList& dilation, int64_t groups, const std::string& op);

// dL/dx of conv_forward for the upstream grad gy; input_shape is x's shape.
Array conv_backward_input(const Array& gy, const Array& w, const IntList& input_shape, const IntList& stride,
                          const IntList& padding, const IntList& dilation, int64_t groups, const std::string& op);

// dL/dw (and dL/dbias when bias_grad) of conv_forward: {gw, gb} (gb undefined when not asked).
std::vector<Array> conv_backward_weight(const Array& gy, const Array& x, const IntList& weight_shape,
                                        const IntList& stride, const IntList& padding, const IntList& dilation,
                                        int64_t groups, bool bias_grad, const std::string& op);

// Transposed convolution: the adjoint of conv_forward in x, plus bias. padding is one
// value per spatial dim (symmetric, as in PyTorch), output_padding adds to the end.
Array conv_transpose_forward(const Array& x, const Array& w, const std::optional<Array>& bias,
                             const IntList& stride, const IntList& padding, const IntList& output_padding,
                             const IntList& dilation, int64_t groups, const std::string& op);

}  // namespace ember
