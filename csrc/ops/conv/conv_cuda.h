// conv_cuda.h — the CUDA convolution kernels behind conv.cpp (conv_cuda.cu).
//
// One 2-D geometry (conv_kernels.h's Geom; 1-D runs with H = KH = 1, padding may be
// negative = a crop) and three implicit GEMMs on the tensor-core tiles of
// ops/gemm/mma_tile.cuh. Every array is contiguous NCHW / (O, C/groups, KH, KW), all of
// one dtype (float16, bfloat16, float32, float64) on one CUDA device; the host has
// checked shapes and allocated the outputs. float32 runs on TF32 tensor cores when
// allow_tf32 (ember.backends.cudnn.allow_tf32), else on FMA.
#pragma once
#include "core/array.h"
#include "core/cuda_kernel.h"
#include "ops/conv/conv_kernels.h"

// y (N, O, Ho, Wo) = conv(x, w) + bias (bias nullable, O elements).
EMBER_CUDA_KERNEL(conv2d_forward, void,
                  (const Array& y, const Array& x, const Array& w, const Array* bias, const conv_detail::Geom& g,
                   bool allow_tf32));
// gx (N, C, H, W) = adjoint in x of the convolution g applied to gy, + bias per channel
// of gx (nullable; the transposed convolution's bias).
EMBER_CUDA_KERNEL(conv2d_backward_input, void,
                  (const Array& gx, const Array& gy, const Array& w, const Array* bias, const conv_detail::Geom& g,
                   bool allow_tf32));
// gw (O, C/groups, KH, KW) = dL/dw; gb (O) = sum of gy over images and pixels (nullable).
EMBER_CUDA_KERNEL(conv2d_backward_weight, void,
                  (const Array& gw, const Array* gb, const Array& gy, const Array& x, const conv_detail::Geom& g,
                   bool allow_tf32));
