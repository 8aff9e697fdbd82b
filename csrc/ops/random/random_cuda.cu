// random_cuda.cu — CUDA kernels of the random ops.
//
// One thread per Philox block (grid-stride), running the same transforms as
// the CPU (random_transforms.h) on the same counters, so a seed and offset draw
// the same numbers on both backends (uniform, integer and Bernoulli samples bit
// for bit; Box-Muller and the inversions up to the last ulp of the device's
// libm). randperm and multinomial run their sequential parts on the CPU (see
// random.cpp). Every launch goes to the current stream.
#include <type_traits>

#include "core/cuda_utils.cuh"
#include "random_backend.h"

namespace ember {
namespace rng {
namespace {

template <class T, class F>
__global__ void fill_kernel(T* out, int64_t n, int64_t nb, F f, uint64_t seed, uint64_t offset) {
  using V = typename F::value_type;
  constexpr int P = F::kPerBlock;
  for (int64_t b = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; b < nb;
       b += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    V vals[P];
    f(philox_block(seed, offset + static_cast<uint64_t>(b)), b * P, vals);
    const int64_t base = b * P;
#pragma unroll
    for (int j = 0; j < P; ++j)
      if (base + j < n) out[base + j] = DevCvt<T>::store(vals[j]);
  }
}

template <class T, class F>
void run(const Array& out, const F& f, uint64_t seed, uint64_t offset, const char* op) {
  constexpr int P = F::kPerBlock;
  const int64_t n = out.numel();
  const int64_t nb = (n + P - 1) / P;
  if (nb == 0) return;
  cuda::DeviceGuard guard(out.device().index, op);
  fill_kernel<T, F><<<cuda::grid_for(nb), cuda::kThreads, 0, cuda::current_stream()>>>(out.data<T>(), n, nb, f, seed, offset);
  cuda::check_launch(op);
}

__global__ void unit_interval_kernel(const double* p, int64_t n, int* bad) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)
    if (!(p[i] >= 0.0 && p[i] <= 1.0)) *bad = 1;  // NaN compares false
}

}  // namespace

void fill_cuda(const Array& out, Dist d, const DistParams& p, uint64_t seed, uint64_t offset) {
  switch (d) {
    case Dist::Uniform:
      return EMBER_DISPATCH_ALL_FLOAT(out.dtype(), "uniform_", [&] {
        if constexpr (std::is_same_v<scalar_t, double>) run<double>(out, Uniform<double>{p.a, p.b}, seed, offset, "uniform_");
        else run<scalar_t>(out, Uniform<float>{static_cast<float>(p.a), static_cast<float>(p.b)}, seed, offset, "uniform_");
      });
    case Dist::Normal:
    case Dist::LogNormal: {
      const bool ln = d == Dist::LogNormal;
      return EMBER_DISPATCH_ALL_FLOAT(out.dtype(), "normal_", [&] {
        if constexpr (std::is_same_v<scalar_t, double>) run<double>(out, Normal<double>{p.a, p.b, ln}, seed, offset, "normal_");
        else run<scalar_t>(out, Normal<float>{p.a, p.b, ln}, seed, offset, "normal_");
      });
    }
    case Dist::Exponential:
      return EMBER_DISPATCH_ALL_FLOAT(out.dtype(), "exponential_",
                                      [&] { run<scalar_t>(out, Exponential{p.a}, seed, offset, "exponential_"); });
    case Dist::Cauchy:
      return EMBER_DISPATCH_ALL_FLOAT(out.dtype(), "cauchy_",
                                      [&] { run<scalar_t>(out, Cauchy{p.a, p.b}, seed, offset, "cauchy_"); });
    case Dist::Geometric:
      return EMBER_DISPATCH_ALL(out.dtype(), "geometric_",
                                [&] { run<scalar_t>(out, Geometric{p.a}, seed, offset, "geometric_"); });
    case Dist::RandInt:
      return EMBER_DISPATCH_ALL(out.dtype(), "random_",
                                [&] { run<scalar_t>(out, RandInt{p.low, p.range}, seed, offset, "random_"); });
    case Dist::Bernoulli:
      return EMBER_DISPATCH_ALL(out.dtype(), "bernoulli_",
                                [&] { run<scalar_t>(out, Bernoulli{p.a}, seed, offset, "bernoulli_"); });
  }
}

void bernoulli_tensor_cuda(const Array& out, const Array& p, uint64_t seed, uint64_t offset) {
  BernoulliTensor f{p.data<double>(), p.numel()};
  EMBER_DISPATCH_ALL(out.dtype(), "bernoulli", [&] { run<scalar_t>(out, f, seed, offset, "bernoulli"); });
}

bool probs_in_unit_interval_cuda(const Array& p) {
  const int dev = p.device().index;
  Array flag = Array::zeros({1}, DType::Int32, p.device());
  cuda::DeviceGuard guard(dev, "bernoulli");
  unit_interval_kernel<<<cuda::grid_for(p.numel()), cuda::kThreads, 0, cuda::current_stream()>>>(p.data<double>(), p.numel(), flag.data<int>());
  cuda::check_launch("bernoulli");
  // A host copy (and wait) by design: bernoulli raises on probabilities outside
  // [0, 1] like torch's CPU path, so the answer must reach the host.
  int bad = 0;
  cuda::copy_d2h(&bad, flag.data_ptr(), sizeof(int), dev);
  return bad == 0;
}

}  // namespace rng

EMBER_CUDA_REGISTER(random_fill, rng::fill_cuda);
EMBER_CUDA_REGISTER(random_bernoulli_tensor, rng::bernoulli_tensor_cuda);
EMBER_CUDA_REGISTER(random_probs_in_unit_interval, rng::probs_in_unit_interval_cuda);

}  // namespace ember
