// copy_cuda.cu — copy_ and fill_ for arrays on one CUDA device.
//
// copy_cuda: dst[i] = convert<D>(src[i]) for any of the 8x8 dtype pairs, any
// strides (src broadcast with 0 strides). Same dtype and both contiguous is one
// cudaMemcpyAsync; otherwise one kernel per dtype pair with a flat path (both
// contiguous after dim merging) and a strided path (StridedIndex<2>, offsets
// from the linear index: 32-bit fast divmod when it fits, else 64-bit).
// Everything runs on the current stream. Conversions round like the CPU's
// convert<D, S> (through float for half/bfloat16, bool as != 0).
// fill_cuda: the value is converted on the host with the CPU's Cvt<T> (so both
// backends store identical bits) and written by a flat or strided kernel.
#include "cuda_api_kernels.h"
#include "cuda_utils.cuh"

namespace ember {
namespace {

template <class D, class S>
__global__ void copy_kernel(D* dst, const S* src, int64_t n, StridedIndex<2> ix, bool flat) {
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (flat) {
    for (; i < n; i += step) dst[i] = dev_convert<D, S>(src[i]);
  } else {
    for (; i < n; i += step) {
      int64_t off[2];
      ix.offsets(i, off);
      dst[off[0]] = dev_convert<D, S>(src[off[1]]);
    }
  }
}

template <class T>
__global__ void fill_kernel(T* dst, T value, int64_t n, StridedIndex<1> ix, bool flat) {
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (flat) {
    for (; i < n; i += step) dst[i] = value;
  } else {
    for (; i < n; i += step) {
      int64_t off[1];
      ix.offsets(i, off);
      dst[off[0]] = value;
    }
  }
}

}  // namespace

void copy_cuda(const Array& dst, const Array& src) {
  EMBER_CHECK(dst.device() == src.device() && dst.device().is_cuda(), Runtime,
              "[copy_] expected both arrays on the same CUDA device, got ", dst.device().str(), " and ",
              src.device().str());
  EMBER_CHECK(src.ndim() <= dst.ndim(), Value, "[copy_] cannot copy a source of shape ", shape_str(src.shape()),
              " into a destination of shape ", shape_str(dst.shape()));
  for (int64_t j = 0; j < src.ndim(); ++j) {
    int64_t s = src.shape()[j], d = dst.shape()[j + dst.ndim() - src.ndim()];
    EMBER_CHECK(s == d || s == 1, Value, "[copy_] source of shape ", shape_str(src.shape()),
                " does not broadcast to destination shape ", shape_str(dst.shape()));
  }
  const int64_t n = dst.numel();
  if (n == 0) return;
  const int dev = dst.device().index;
  if (dst.dtype() == src.dtype() && dst.is_contiguous() && src.is_contiguous() && src.numel() == n) {
    cuda::copy_d2d(dst.data_ptr(), src.data_ptr(), static_cast<size_t>(dst.nbytes()), dev);
    return;
  }
  cuda::DeviceGuard g(dev, "copy_");
  StridedIndex<2> ix = make_strided_index<2>(dst.shape(), {&dst, &src});
  bool scalar[2];
  const bool flat = ix.flat(scalar) && !scalar[0] && !scalar[1];
  EMBER_DISPATCH_ALL(dst.dtype(), "copy_", [&] {
    using D = scalar_t;
    EMBER_DISPATCH_ALL(src.dtype(), "copy_", [&] {
      copy_kernel<D, scalar_t><<<cuda::grid_for(n), cuda::kThreads, 0, cuda::current_stream()>>>(
          dst.data<D>(), src.data<scalar_t>(), n, ix, flat);
    });
  });
  cuda::check_launch("copy_");
}

void fill_cuda(const Array& dst, double value) {
  EMBER_CHECK(dst.device().is_cuda(), Runtime, "[fill_] expected a CUDA array, got ", dst.device().str());
  const int64_t n = dst.numel();
  if (n == 0) return;
  cuda::DeviceGuard g(dst.device().index, "fill_");
  StridedIndex<1> ix = make_strided_index<1>(dst.shape(), {&dst});
  bool scalar[1];
  const bool flat = ix.flat(scalar) && !scalar[0];
  EMBER_DISPATCH_ALL(dst.dtype(), "fill_", [&] {
    const scalar_t v = Cvt<scalar_t>::template store<double>(value);
    fill_kernel<scalar_t><<<cuda::grid_for(n), cuda::kThreads, 0, cuda::current_stream()>>>(dst.data<scalar_t>(), v, n, ix, flat);
  });
  cuda::check_launch("fill_");
}

EMBER_CUDA_REGISTER(cuda_copy, copy_cuda);
EMBER_CUDA_REGISTER(cuda_fill, fill_cuda);

}  // namespace ember
