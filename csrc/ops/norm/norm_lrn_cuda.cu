// norm_lrn_cuda.cu — local response norm across channels, forward and backward, CUDA.
//
// y = x * d^-beta, d = k + alpha/size * sum_{j in [c - size/2, c + (size-1)/2]} x_j^2
// (zero padded), as lrn_cpu.cpp; the window sums are taken directly (size terms),
// no running difference. Backward:
//   gx_i = g_i d_i^-beta - 2 alpha beta/size * x_i * sum_{c: i in window(c)} g_c y_c / d_c.
// Layout: contiguous (N, C, S) in the compute dtype; one thread per element (flat
// grid-stride); neighbouring threads take neighbouring s, so each window term is a
// coalesced load.
#include <cmath>

#include "norm_cuda.h"
#include "norm_cuda_common.cuh"

namespace ember {
namespace norm_cuda {
namespace {

// d^-beta, as the CPU's pow_neg: 1 / d^beta where d <= 0.
__device__ __forceinline__ float pow_neg(float d, float beta) { return d > 0.0f ? powf(d, -beta) : 1.0f / powf(d, beta); }
__device__ __forceinline__ double pow_neg(double d, double beta) { return d > 0.0 ? pow(d, -beta) : 1.0 / pow(d, beta); }

template <class A>
__global__ void lrn_forward_kernel(const A* __restrict__ x, A* __restrict__ y, A* __restrict__ scale, int64_t C,
                                   int64_t S, int64_t size, A alpha, A beta, A k, int64_t total) {
  const int64_t lo = size / 2, hi = (size - 1) / 2;
  const A as = alpha / static_cast<A>(size);
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += step) {
    const int64_t s = i % S, t = i / S, c = t % C, n = t / C;
    const int64_t j0 = c - lo < 0 ? 0 : c - lo;
    const int64_t j1 = c + hi > C - 1 ? C - 1 : c + hi;
    const A* xs = x + n * C * S + s;
    A acc = 0;
    for (int64_t j = j0; j <= j1; ++j) {
      const A v = xs[j * S];
      acc += v * v;
    }
    const A d = k + as * acc;
    scale[i] = d;
    y[i] = x[i] * pow_neg(d, beta);
  }
}

template <class A>
__global__ void lrn_backward_kernel(const A* __restrict__ g, const A* __restrict__ x, const A* __restrict__ y,
                                    const A* __restrict__ scale, A* __restrict__ gx, int64_t C, int64_t S,
                                    int64_t size, A alpha, A beta, int64_t total) {
  const int64_t lo = size / 2, hi = (size - 1) / 2;
  const A coef = A(2) * alpha * beta / static_cast<A>(size);
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += step) {
    const int64_t s = i % S, t = i / S, c = t % C, n = t / C;
    // channels whose window holds c: [c - hi, c + lo]
    const int64_t c0 = c - hi < 0 ? 0 : c - hi;
    const int64_t c1 = c + lo > C - 1 ? C - 1 : c + lo;
    const int64_t base = n * C * S + s;
    A acc = 0;
    for (int64_t j = c0; j <= c1; ++j) {
      const int64_t o = base + j * S;
      acc += g[o] * y[o] / scale[o];
    }
    gx[i] = g[i] * pow_neg(scale[i], beta) - coef * x[i] * acc;
  }
}

void lrn_forward(const Array& y, const Array& scale, const Array& x, int64_t N, int64_t C, int64_t S, int64_t size,
                 double alpha, double beta, double k) {
  const char* op = "local_response_norm";
  check_arrays(op, x, {&y, &scale, &x});
  EMBER_CHECK((x.dtype() == DType::Float32 || x.dtype() == DType::Float64) && y.dtype() == x.dtype() &&
                  scale.dtype() == x.dtype(),
              Type, "[", op, "] CUDA kernel: expected float32 / float64 arrays of one dtype");
  EMBER_CHECK(size > 0 && x.numel() == N * C * S && y.numel() == x.numel() && scale.numel() == x.numel(), Value,
              "[", op, "] CUDA kernel: sizes do not match (N, C, S)");
  const int64_t total = x.numel();
  if (total == 0) return;
  cuda::DeviceGuard guard(x.device().index, op);
  EMBER_DISPATCH_FLOAT(x.dtype(), op, [&] {
    using A = scalar_t;
    lrn_forward_kernel<A><<<cuda::grid_for(total), cuda::kThreads, 0, cuda::current_stream()>>>(
        x.data<A>(), y.data<A>(), scale.data<A>(), C, S, size, static_cast<A>(alpha), static_cast<A>(beta),
        static_cast<A>(k), total);
    cuda::check_launch(op);
  });
}

void lrn_backward(const Array& gx, const Array& grad, const Array& x, const Array& y, const Array& scale, int64_t N,
                  int64_t C, int64_t S, int64_t size, double alpha, double beta) {
  const char* op = "local_response_norm_backward";
  check_arrays(op, x, {&gx, &grad, &x, &y, &scale});
  EMBER_CHECK((x.dtype() == DType::Float32 || x.dtype() == DType::Float64) && gx.dtype() == x.dtype() &&
                  grad.dtype() == x.dtype() && y.dtype() == x.dtype() && scale.dtype() == x.dtype(),
              Type, "[", op, "] CUDA kernel: expected float32 / float64 arrays of one dtype");
  EMBER_CHECK(size > 0 && x.numel() == N * C * S && gx.numel() == x.numel() && grad.numel() == x.numel() &&
                  y.numel() == x.numel() && scale.numel() == x.numel(),
              Value, "[", op, "] CUDA kernel: sizes do not match (N, C, S)");
  const int64_t total = x.numel();
  if (total == 0) return;
  cuda::DeviceGuard guard(x.device().index, op);
  EMBER_DISPATCH_FLOAT(x.dtype(), op, [&] {
    using A = scalar_t;
    lrn_backward_kernel<A><<<cuda::grid_for(total), cuda::kThreads, 0, cuda::current_stream()>>>(
        grad.data<A>(), x.data<A>(), y.data<A>(), scale.data<A>(), gx.data<A>(), C, S, size, static_cast<A>(alpha),
        static_cast<A>(beta), total);
    cuda::check_launch(op);
  });
}

}  // namespace
}  // namespace norm_cuda

EMBER_CUDA_REGISTER(norm_lrn_forward, norm_cuda::lrn_forward);
EMBER_CUDA_REGISTER(norm_lrn_backward, norm_cuda::lrn_backward);

}  // namespace ember
