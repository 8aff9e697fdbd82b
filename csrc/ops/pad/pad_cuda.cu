// pad_cuda.cu — reflect / replicate / circular padding on CUDA, forward (a gather)
// and backward (a scatter-add).
//
// How: one thread per element of y (grid-stride loop, int64 indices). The linear
// index is split into (outer, o_0, ..., o_{k-1}) over y's contiguous shape; each
// padded coordinate maps to its source coordinate by the closed form of pad.cpp's
// index_map (PadDims, passed by value: no index maps on the device), and the
// source offset is rebuilt over x's contiguous shape. Consecutive threads walk a
// row of y, and (inside the row's interior) a row of x: coalesced both ways.
// Forward moves raw bytes (1/2/4/8-byte instantiations). Backward zeroes gx and
// atomically adds each gy element into its source (float32 / float64: the host
// widens 16-bit grads); several outputs share an edge source, so float sums there
// are not bitwise deterministic.
#include "core/cuda_utils.cuh"
#include "ops/pad/pad_cuda.h"

namespace ember {
namespace pad_cuda {
namespace {

__device__ __forceinline__ int64_t source_index(int64_t o, int d, const PadDims& p) {
  if (p.mode == 3) {  // circular
    const int64_t kept = p.kept[d];
    return p.first[d] + (((o - p.shift[d]) % kept) + kept) % kept;
  }
  int64_t i = o - p.lo[d];
  const int64_t in = p.in[d];
  if (p.mode == 1) {  // reflect
    if (i < 0) i = -i;
    if (i >= in) i = 2 * (in - 1) - i;
  } else {  // replicate
    i = i < 0 ? 0 : (i >= in ? in - 1 : i);
  }
  return i;
}

// Offset into x (contiguous (outer, in...)) of the source of y's element i.
__device__ __forceinline__ int64_t source_offset(int64_t i, const PadDims& p) {
  int64_t src = 0, stride = 1;
  for (int d = p.k - 1; d >= 0; --d) {
    const int64_t q = i / p.out[d];
    const int64_t o = i - q * p.out[d];
    i = q;
    src += source_index(o, d, p) * stride;
    stride *= p.in[d];
  }
  return src + i * stride;  // i is now the outer index
}

template <class B>
__global__ void pad_forward_kernel(B* __restrict__ y, const B* __restrict__ x, int64_t n, PadDims p) {
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step)
    y[i] = x[source_offset(i, p)];
}

template <class T>
__global__ void pad_backward_kernel(T* gx, const T* __restrict__ gy, int64_t n, PadDims p) {
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step)
    atomicAdd(gx + source_offset(i, p), gy[i]);
}

void check(const char* op, const Array& dst, const Array& src, const PadDims& p, bool forward) {
  EMBER_CHECK(dst.device().is_cuda() && src.device() == dst.device(), Runtime, "[", op,
              "] expected all tensors on the same device, got ", dst.device().str(), " and ", src.device().str());
  EMBER_CHECK(dst.is_contiguous() && src.is_contiguous() && dst.dtype() == src.dtype() && p.k >= 1 && p.k <= 3 &&
                  p.mode >= 1 && p.mode <= 3,
              Value, "[", op, "] internal: bad pad operands");
  const Array& x = forward ? src : dst;
  const Array& y = forward ? dst : src;
  int64_t nx = p.outer, ny = p.outer;
  for (int d = 0; d < p.k; ++d) {
    nx *= p.in[d];
    ny *= p.out[d];
    EMBER_CHECK(p.in[d] > 0 && p.kept[d] > 0, Value, "[", op, "] internal: empty padded dim");
  }
  EMBER_CHECK(x.numel() == nx && y.numel() == ny, Value, "[", op, "] internal: pad sizes do not match");
}

void forward_cuda(const Array& y, const Array& x, const PadDims& p) {
  const char* op = "pad";
  check(op, y, x, p, true);
  cuda::DeviceGuard g(y.device().index, op);
  const int64_t n = y.numel();
  if (n == 0) return;
  switch (y.itemsize()) {
    case 1: pad_forward_kernel<uint8_t><<<cuda::grid_for(n), cuda::kThreads, 0, cuda::current_stream()>>>(
                static_cast<uint8_t*>(y.data_ptr()), static_cast<const uint8_t*>(x.data_ptr()), n, p); break;
    case 2: pad_forward_kernel<uint16_t><<<cuda::grid_for(n), cuda::kThreads, 0, cuda::current_stream()>>>(
                static_cast<uint16_t*>(y.data_ptr()), static_cast<const uint16_t*>(x.data_ptr()), n, p); break;
    case 4: pad_forward_kernel<uint32_t><<<cuda::grid_for(n), cuda::kThreads, 0, cuda::current_stream()>>>(
                static_cast<uint32_t*>(y.data_ptr()), static_cast<const uint32_t*>(x.data_ptr()), n, p); break;
    default: pad_forward_kernel<uint64_t><<<cuda::grid_for(n), cuda::kThreads, 0, cuda::current_stream()>>>(
                static_cast<uint64_t*>(y.data_ptr()), static_cast<const uint64_t*>(x.data_ptr()), n, p); break;
  }
  cuda::check_launch(op);
}

void backward_cuda(const Array& gx, const Array& gy, const PadDims& p) {
  const char* op = "pad_backward";
  check(op, gx, gy, p, false);
  EMBER_CHECK(gx.dtype() == DType::Float32 || gx.dtype() == DType::Float64, Type, "[", op,
              "] CUDA kernel expects a float32 or float64 grad, got ", dtype_name(gx.dtype()));
  cuda::DeviceGuard g(gx.device().index, op);
  if (gx.numel() == 0) return;
  cudaStream_t stream = cuda::current_stream();
  EMBER_CUDA_CHECK(cudaMemsetAsync(gx.data_ptr(), 0, static_cast<size_t>(gx.nbytes()), stream), op);
  const int64_t n = gy.numel();
  if (n == 0) return;
  if (gx.dtype() == DType::Float32)
    pad_backward_kernel<float><<<cuda::grid_for(n), cuda::kThreads, 0, stream>>>(gx.data<float>(), gy.data<float>(),
                                                                                   n, p);
  else
    pad_backward_kernel<double><<<cuda::grid_for(n), cuda::kThreads, 0, stream>>>(gx.data<double>(),
                                                                                    gy.data<double>(), n, p);
  cuda::check_launch(op);
}

}  // namespace
}  // namespace pad_cuda

EMBER_CUDA_REGISTER(pad_map_forward, pad_cuda::forward_cuda);
EMBER_CUDA_REGISTER(pad_map_backward, pad_cuda::backward_cuda);

}  // namespace ember
