// conv_kernels.h — internal: the geometry every conv kernel shares and the two kernel
// families behind conv.cpp's routing.
//
// GEMM kernels (conv_gemm_cpu.cpp) run each image (and group) as one product on
// ember's GEMM with the im2col matrix gathered straight from a padded copy of the
// image (gemm::sgemm_gather_b), so no column buffer is built in the forward or the
// weight gradient. Direct kernels (conv_direct_kernels.h, one build per ISA) serve
// shapes where a GEMM has too few rows to pay for its packing (depthwise, a handful
// of channels). All buffers are contiguous NCHW; 1-D convolutions run with H = KH = 1.
#pragma once
#include <cstdint>

namespace ember {
namespace conv_detail {

// y (N, O, Ho, Wo) = conv(x (N, C, H, W), w (O, C/groups, KH, KW)). Padding is per side
// and may be negative (a crop), as the transposed-convolution rewrites need.
struct Geom {
  int64_t N, C, H, W;
  int64_t O, KH, KW;
  int64_t Ho, Wo;
  int64_t sh, sw, dh, dw;
  int64_t pt, pb, pl, pr;
  int64_t groups;
  int64_t Cg() const { return C / groups; }
  int64_t Og() const { return O / groups; }
  int64_t taps() const { return Cg() * KH * KW; }  // the GEMM's reduction length per group
  bool padded() const { return pt || pb || pl || pr; }
  int64_t Hp() const { return H + pt + pb; }  // the padded (or cropped) window
  int64_t Wp() const { return W + pl + pr; }
};

// --- GEMM kernels (float and double are instantiated) ---
// y = conv(x, w) + b (b may be null).
template <class T>
void forward_gemm(const Geom& g, const T* x, const T* w, const T* b, T* y);
// gx (N, C, H, W) = adjoint of the forward applied to gy, + b per channel of gx (may be
// null): a GEMM with w^T per image, then col2im. Any stride.
template <class T>
void backward_input_gemm(const Geom& g, const T* gy, const T* w, const T* b, T* gx);
// gw (O, C/groups, KH, KW) = sum over images of gy @ im2col(x)^T; gb (O) = sum of gy
// over images and pixels when gb is not null.
template <class T>
void backward_weight_gemm(const Geom& g, const T* gy, const T* x, T* gw, T* gb);

// --- direct kernels, one table per ISA ---
struct DirectKernels {
  void (*forward_f32)(const Geom&, const float* x, const float* w, const float* b, float* y);
  void (*forward_f64)(const Geom&, const double* x, const double* w, const double* b, double* y);
  void (*backward_input_f32)(const Geom&, const float* gy, const float* w, const float* b, float* gx);
  void (*backward_input_f64)(const Geom&, const double* gy, const double* w, const double* b, double* gx);
  void (*backward_weight_f32)(const Geom&, const float* gy, const float* x, float* gw, float* gb);
  void (*backward_weight_f64)(const Geom&, const double* gy, const double* x, double* gw, double* gb);
};
const DirectKernels& direct_scalar();
const DirectKernels& direct_avx2();
const DirectKernels& direct_avx512();

}  // namespace conv_detail
}  // namespace ember
