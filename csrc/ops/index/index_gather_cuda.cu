// index_gather_cuda.cu — CUDA gather-like kernels of the index family: gather /
// index_select / take (index_gather), advanced indexing (index_add_offsets,
// index_advanced_get / _put), and the out-of-bounds error record (index_cuda.h).
//
// How: one thread per output element, a grid-stride loop over the linear index;
// StridedIndex<N> (core/cuda_utils.cuh) maps it to each operand's element offset
// (sizes merged on the host, so contiguous data walks linearly: consecutive
// threads touch consecutive elements, coalesced). Elements only move, so the
// gathers are instantiated per element size (1/2/4/8 bytes); indices are int64
// (the host widens int32 CUDA indices: one instantiation, not two).
// Every index is range-checked in the kernel; a bad one is never dereferenced:
// gathers write 0 there and record the error (index_cuda_common.cuh).
// Advanced indexing folds the index arrays into int64 element offsets first
// (kBadOffset marks a bad index), then one get/put kernel walks the result shape.
// index_put_ with accumulate=True adds atomically (atomicAdd for float/double, a
// CAS loop for the other dtypes); duplicate indices then sum, in no fixed order.
#include <cuda_runtime.h>

#include <atomic>
#include <mutex>
#include <string>

#include "index_cuda_common.cuh"

namespace ember {
namespace idx_cuda {

// ---------------------------------------------------------------- error record

namespace {
std::mutex g_rec_mutex;
IndexErrorRecord* g_rec = nullptr;
}  // namespace

IndexErrorRecord* error_record(const char* op) {
  std::lock_guard<std::mutex> lock(g_rec_mutex);
  if (!g_rec) {
    void* p = nullptr;
    EMBER_CUDA_CHECK(cudaHostAlloc(&p, sizeof(IndexErrorRecord), cudaHostAllocMapped | cudaHostAllocPortable), op);
    void* dp = nullptr;
    EMBER_CUDA_CHECK(cudaHostGetDevicePointer(&dp, p, 0), op);
    // With unified addressing (every 64-bit platform CUDA 13 supports) dp == p.
    EMBER_CHECK(dp == p, Runtime, "[", op, "] mapped host memory needs unified addressing");
    auto* r = static_cast<IndexErrorRecord*>(p);
    r->flag = 0;
    r->dim = -1;
    r->value = 0;
    r->size = 0;
    r->op = 0;
    g_rec = r;
  }
  return g_rec;
}

void pending_error_check(const char* op) {
  IndexErrorRecord* r = error_record(op);
  if (!r->flag) return;
  std::atomic_thread_fence(std::memory_order_acquire);
  const long long value = r->value, size = r->size;
  const int dim = r->dim;
  const char* who = reinterpret_cast<const char*>(static_cast<uintptr_t>(r->op));
  r->flag = 0;
  const std::string from = who ? std::string(" (reported by an earlier asynchronous CUDA ") + who + ")" : "";
  if (dim >= 0)
    EMBER_FAIL(Index, "[", op, "] index ", value, " is out of bounds for dim ", dim, " with size ", size, from);
  EMBER_FAIL(Index, "[", op, "] index ", value, " is out of bounds for a tensor of ", size, " elements", from);
}

namespace {

void check_errors(int dev, const char* op) {
  cuda::DeviceGuard g(dev, op);
  EMBER_CUDA_CHECK(cudaStreamSynchronize(cuda::current_stream()), op);
  pending_error_check(op);
}

// ---------------------------------------------------------------- gather

// out[o0] = self[o1 + index[o2] * dim_stride]
template <class T, class I>
__global__ void gather_kernel(T* __restrict__ out, const T* __restrict__ self, const I* __restrict__ index,
                              int64_t n, StridedIndex<3> ix, int64_t dim_stride, int64_t size, bool allow_negative,
                              int dim, IndexErrorRecord* rec, const char* op) {
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step) {
    int64_t off[3];
    ix.offsets(i, off);
    int64_t v = static_cast<int64_t>(index[off[2]]);
    if (!check_index(v, size, allow_negative, rec, dim, op)) {
      out[off[0]] = T(0);
      continue;
    }
    out[off[0]] = self[off[1] + v * dim_stride];
  }
}

void gather_cuda(const Array& out, const Array& self, int64_t dim, const Array& index, bool allow_negative,
                 const char* op) {
  EMBER_CHECK(out.device().is_cuda() && self.device() == out.device() && index.device() == out.device(), Runtime,
              "[", op, "] expected all tensors on the same CUDA device, got ", out.device().str(), ", ",
              self.device().str(), " and ", index.device().str());
  EMBER_CHECK(index.shape() == out.shape() && self.dtype() == out.dtype() && self.ndim() == out.ndim() && dim >= 0 &&
                  dim < self.ndim(),
              Value, "[", op, "] internal: gather operands do not match");
  cuda::DeviceGuard g(out.device().index, op);
  pending_error_check(op);
  const int64_t n = out.numel();
  if (n == 0) return;
  // self seen with out's shape and a 0 stride along dim (the index supplies that coordinate).
  Shape st = self.strides();
  st[dim] = 0;
  for (int64_t d = 0; d < self.ndim(); ++d)
    if (d != dim && self.shape()[d] == 1) st[d] = 0;
  const Array sview(self.storage(), out.shape(), st, self.offset(), self.dtype());
  const StridedIndex<3> ix = make_strided_index<3>(out.shape(), {&out, &sview, &index});
  IndexErrorRecord* rec = error_record(op);
  const int64_t dim_stride = self.strides()[dim], size = self.shape()[dim];
  dispatch_bytes(self.itemsize(), [&](auto t) {
    using T = decltype(t);
    with_index64(index, op, [&](auto it) {
      using I = decltype(it);
      gather_kernel<T, I><<<cuda::grid_for(n), cuda::kThreads, 0, cuda::current_stream()>>>(
          static_cast<T*>(out.data_ptr()), static_cast<const T*>(self.data_ptr()),
          static_cast<const I*>(index.data_ptr()), n, ix, dim_stride, size, allow_negative,
          allow_negative ? -1 : static_cast<int>(dim), rec, op);
    });
  });
  cuda::check_launch(op);
}

// ---------------------------------------------------------------- advanced indexing

constexpr int64_t kBadOffset = INT64_MIN;

// offsets[o0] += wrap(index[o1]) * stride, or kBadOffset for a bad index (sticky).
template <class I>
__global__ void add_offsets_kernel(int64_t* offsets, const I* __restrict__ index, int64_t n, StridedIndex<2> ix,
                                   int64_t size, int64_t stride, int dim, IndexErrorRecord* rec, const char* op) {
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step) {
    int64_t off[2];
    ix.offsets(i, off);
    int64_t v = static_cast<int64_t>(index[off[1]]);
    const int64_t cur = offsets[off[0]];
    if (!check_index(v, size, true, rec, dim, op) || cur == kBadOffset) {
      offsets[off[0]] = kBadOffset;
      continue;
    }
    offsets[off[0]] = cur + v * stride;
  }
}

void add_offsets_cuda(const Array& offsets, const Array& index, int64_t size, int64_t stride, int64_t dim,
                      const char* op) {
  EMBER_CHECK(offsets.device().is_cuda() && index.device() == offsets.device(), Runtime, "[", op,
              "] expected all tensors on the same device, got ", offsets.device().str(), " and ",
              index.device().str());
  EMBER_CHECK(offsets.dtype() == DType::Int64 && offsets.is_contiguous(), Value, "[", op,
              "] internal: offsets must be contiguous int64");
  cuda::DeviceGuard g(offsets.device().index, op);
  pending_error_check(op);
  const int64_t n = offsets.numel();
  if (n == 0) return;
  EMBER_CHECK(index.ndim() <= offsets.ndim(), Value, "[", op, "] internal: index does not broadcast");
  const StridedIndex<2> ix = make_strided_index<2>(offsets.shape(), {&offsets, &index});
  IndexErrorRecord* rec = error_record(op);
  with_index64(index, op, [&](auto it) {
    using I = decltype(it);
    add_offsets_kernel<I><<<cuda::grid_for(n), cuda::kThreads, 0, cuda::current_stream()>>>(
        offsets.data<int64_t>(), static_cast<const I*>(index.data_ptr()), n, ix, size, stride,
        static_cast<int>(dim), rec, op);
  });
  cuda::check_launch(op);
}

// out[o0] = self[o1 + offsets[o2]]
template <class T>
__global__ void advanced_get_kernel(T* __restrict__ out, const T* __restrict__ self,
                                    const int64_t* __restrict__ offsets, int64_t n, StridedIndex<3> ix) {
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step) {
    int64_t off[3];
    ix.offsets(i, off);
    const int64_t o = offsets[off[2]];
    out[off[0]] = o == kBadOffset ? T(0) : self[off[1] + o];
  }
}

void advanced_get_cuda(const Array& out, const Array& self_view, const Array& offsets_view) {
  const char* op = "index";
  EMBER_CHECK(out.device().is_cuda() && self_view.device() == out.device() && offsets_view.device() == out.device(),
              Runtime, "[index] expected all tensors on the same device, got ", out.device().str(), " and ",
              self_view.device().str());
  EMBER_CHECK(self_view.shape() == out.shape() && offsets_view.shape() == out.shape() &&
                  offsets_view.dtype() == DType::Int64 && self_view.dtype() == out.dtype(),
              Value, "[index] internal: operands do not match");
  cuda::DeviceGuard g(out.device().index, op);
  pending_error_check(op);
  const int64_t n = out.numel();
  if (n == 0) return;
  const StridedIndex<3> ix = make_strided_index<3>(out.shape(), {&out, &self_view, &offsets_view});
  dispatch_bytes(out.itemsize(), [&](auto t) {
    using T = decltype(t);
    advanced_get_kernel<T><<<cuda::grid_for(n), cuda::kThreads, 0, cuda::current_stream()>>>(
        static_cast<T*>(out.data_ptr()), static_cast<const T*>(self_view.data_ptr()), offsets_view.data<int64_t>(),
        n, ix);
  });
  cuda::check_launch(op);
}

template <class T>
__device__ __forceinline__ void atomic_add_elem(T* p, T v) {
  if constexpr (std::is_same<T, float>::value || std::is_same<T, double>::value) {
    atomicAdd(p, v);
  } else {
    using C = typename DevCvt<T>::C;
    const C b = DevCvt<T>::load(v);
    atomic_update(p, [b](T a) { return DevCvt<T>::store(DevCvt<T>::load(a) + b); });
  }
}

// self[o0 + offsets[o1]] = (or +=) values[o2]
template <class T>
__global__ void advanced_put_kernel(T* self, const int64_t* __restrict__ offsets, const T* __restrict__ values,
                                    int64_t n, StridedIndex<3> ix, bool accumulate) {
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step) {
    int64_t off[3];
    ix.offsets(i, off);
    const int64_t o = offsets[off[1]];
    if (o == kBadOffset) continue;
    T* dst = self + off[0] + o;
    if (accumulate) atomic_add_elem(dst, values[off[2]]);
    else *dst = values[off[2]];
  }
}

void advanced_put_cuda(const Array& self_view, const Array& offsets_view, const Array& values_view,
                       bool accumulate) {
  const char* op = "index_put_";
  EMBER_CHECK(self_view.device().is_cuda() && offsets_view.device() == self_view.device() &&
                  values_view.device() == self_view.device(),
              Runtime, "[index_put_] expected all tensors on the same device, got ", self_view.device().str(), " and ",
              values_view.device().str());
  EMBER_CHECK(offsets_view.shape() == self_view.shape() && values_view.shape() == self_view.shape() &&
                  offsets_view.dtype() == DType::Int64 && values_view.dtype() == self_view.dtype(),
              Value, "[index_put_] internal: operands do not match");
  cuda::DeviceGuard g(self_view.device().index, op);
  pending_error_check(op);
  const int64_t n = self_view.numel();
  if (n == 0) return;
  const StridedIndex<3> ix = make_strided_index<3>(self_view.shape(), {&self_view, &offsets_view, &values_view});
  EMBER_DISPATCH_ALL(self_view.dtype(), op, [&] {
    using T = scalar_t;
    advanced_put_kernel<T><<<cuda::grid_for(n), cuda::kThreads, 0, cuda::current_stream()>>>(
        static_cast<T*>(self_view.data_ptr()), offsets_view.data<int64_t>(),
        static_cast<const T*>(values_view.data_ptr()), n, ix, accumulate);
  });
  cuda::check_launch(op);
}

}  // namespace
}  // namespace idx_cuda

EMBER_CUDA_REGISTER(index_gather, idx_cuda::gather_cuda);
EMBER_CUDA_REGISTER(index_add_offsets, idx_cuda::add_offsets_cuda);
EMBER_CUDA_REGISTER(index_advanced_get, idx_cuda::advanced_get_cuda);
EMBER_CUDA_REGISTER(index_advanced_put, idx_cuda::advanced_put_cuda);
EMBER_CUDA_REGISTER(index_cuda_check_errors, idx_cuda::check_errors);

}  // namespace ember
