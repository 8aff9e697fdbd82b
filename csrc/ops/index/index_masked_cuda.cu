// index_masked_cuda.cu — CUDA masked_fill_, nonzero, masked_select and one_hot.
//
// masked_fill_: one thread per element of self (grid-stride, StridedIndex<2> over
// self and the broadcast mask); the value is converted on the host (Cvt<T>, same
// bits as the CPU) and the kernel moves it as raw bytes.
// nonzero / masked_select: their result size depends on the data, so they run
//   1. a flag pass: pos[i] = 1 where element i (logical row-major order) is
//      selected, else 0 (int64);
//   2. an in-place inclusive CUB DeviceScan::InclusiveSum over pos;
//   3. ONE host synchronisation: the count pos[n-1] is copied to the host to size
//      the output (as torch does); the error record is checked after it;
//   4. a fill pass: a selected element i writes to row pos[i] - 1, which keeps
//      the row-major order of the CPU kernels.
// one_hot: zeroed (N, C) int64 output, one thread per label writes its 1. With
// num_classes = -1 the class count is max + 1: a min/max pass (block reduction,
// then one atomicMin/atomicMax per block) and one synchronisation to read it;
// then bad labels raise ValueError like the CPU. With a given num_classes there is
// no sync: bad labels leave their row zero and are reported through the error
// record (IndexError, see index_cuda.h).
#include <cub/device/device_scan.cuh>

#include <climits>
#include <cstring>

#include "index_cuda_common.cuh"

namespace ember {
namespace idx_cuda {
namespace {

void check_same(const char* op, const Array& a, const Array& b) {
  EMBER_CHECK(a.device() == b.device(), Runtime, "[", op, "] expected all tensors on the same device, got ",
              a.device().str(), " and ", b.device().str());
}

// ---------------------------------------------------------------- masked_fill_

template <class B>
__global__ void masked_fill_kernel(B* self, const bool* __restrict__ mask, int64_t n, StridedIndex<2> ix, B value) {
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step) {
    int64_t off[2];
    ix.offsets(i, off);
    if (mask[off[1]]) self[off[0]] = value;
  }
}

void masked_fill_cuda(const Array& self, const Array& mask, double value, int64_t ivalue) {
  const char* op = "masked_fill_";
  EMBER_CHECK(self.device().is_cuda(), Runtime, "[", op, "] expected a CUDA tensor, got ", self.device().str());
  check_same(op, self, mask);
  EMBER_CHECK(mask.dtype() == DType::Bool && mask.ndim() <= self.ndim(), Value, "[", op, "] internal: bad mask");
  cuda::DeviceGuard g(self.device().index, op);
  pending_error_check(op);
  const int64_t n = self.numel();
  if (n == 0) return;
  const StridedIndex<2> ix = make_strided_index<2>(self.shape(), {&self, &mask});
  unsigned long long bits = 0;
  EMBER_DISPATCH_ALL(self.dtype(), op, [&] {
    // As the CPU's Cvt<T>::store<double>; int64 exactly from ivalue.
    const scalar_t v = Cvt<scalar_t>::template store<double>(value);
    std::memcpy(&bits, &v, sizeof(v));
    if (self.dtype() == DType::Int64) std::memcpy(&bits, &ivalue, sizeof(ivalue));
  });
  dispatch_bytes(self.itemsize(), [&](auto t) {
    using B = decltype(t);
    masked_fill_kernel<B><<<cuda::grid_for(n), cuda::kThreads, 0, cuda::current_stream()>>>(
        static_cast<B*>(self.data_ptr()), mask.data<bool>(), n, ix, static_cast<B>(bits));
  });
  cuda::check_launch(op);
}

// ---------------------------------------------------------------- flags, scan, count

template <class T>
__device__ __forceinline__ bool nonzero_elem(T v) {
  return DevCvt<T>::load(v) != typename DevCvt<T>::C(0);
}

// pos[i] = (src[offset(i)] != 0); i in logical row-major order.
template <class T>
__global__ void flag_kernel(int64_t* __restrict__ pos, const T* __restrict__ src, int64_t n, StridedIndex<1> ix) {
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step) {
    int64_t off[1];
    ix.offsets(i, off);
    pos[i] = nonzero_elem(src[off[0]]) ? 1 : 0;
  }
}

// Inclusive scan of pos (in place) and the total, read back with one sync.
int64_t scan_and_count(const Array& pos, const char* op) {
  const int64_t n = pos.numel();
  int64_t* p = pos.data<int64_t>();
  cudaStream_t stream = cuda::current_stream();
  size_t temp_bytes = 0;
  EMBER_CUDA_CHECK(cub::DeviceScan::InclusiveSum(nullptr, temp_bytes, p, n, stream), op);
  Array temp = Array::empty({static_cast<int64_t>(temp_bytes > 0 ? temp_bytes : 1)}, DType::UInt8, pos.device());
  EMBER_CUDA_CHECK(cub::DeviceScan::InclusiveSum(temp.data_ptr(), temp_bytes, p, n, stream), op);
  int64_t count = 0;
  // The result size depends on the data: this is the op's one host synchronisation.
  EMBER_CUDA_CHECK(cudaMemcpyAsync(&count, p + (n - 1), sizeof(int64_t), cudaMemcpyDeviceToHost, stream), op);
  EMBER_CUDA_CHECK(cudaStreamSynchronize(stream), op);
  pending_error_check(op);
  return count;
}

// Shape with a 0-d array seen as (1,).
Shape shape_1(const Array& a) { return a.ndim() == 0 ? Shape{1} : a.shape(); }

// ---------------------------------------------------------------- nonzero

struct Dims {
  int nd;
  int64_t sizes[kMaxDims];
};

// Selected element i writes its coordinates to row pos[i] - 1 of out (count, nd).
__global__ void nonzero_fill_kernel(int64_t* __restrict__ out, const int64_t* __restrict__ pos, int64_t n, Dims d) {
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step) {
    const int64_t prev = i > 0 ? pos[i - 1] : 0;
    if (pos[i] == prev) continue;
    int64_t* row = out + prev * d.nd;
    int64_t rem = i;
    for (int k = d.nd - 1; k >= 0; --k) {
      const int64_t q = rem / d.sizes[k];
      row[k] = rem - q * d.sizes[k];
      rem = q;
    }
  }
}

Array nonzero_cuda(const Array& self) {
  const char* op = "nonzero";
  EMBER_CHECK(self.device().is_cuda(), Runtime, "[", op, "] expected a CUDA tensor, got ", self.device().str());
  cuda::DeviceGuard g(self.device().index, op);
  pending_error_check(op);
  const int64_t nd = self.ndim();
  const Shape shape = shape_1(self);
  const int64_t n = shape_numel(shape);
  if (n == 0) return Array::empty({0, nd}, DType::Int64, self.device());
  const Array sv = self.ndim() == 0 ? self.reshape({1}) : self;
  Array pos = Array::empty({n}, DType::Int64, self.device(), op);
  const StridedIndex<1> ix = make_strided_index<1>(shape, {&sv});
  EMBER_DISPATCH_ALL(self.dtype(), op, [&] {
    flag_kernel<scalar_t><<<cuda::grid_for(n), cuda::kThreads, 0, cuda::current_stream()>>>(
        pos.data<int64_t>(), static_cast<const scalar_t*>(sv.data_ptr()), n, ix);
  });
  cuda::check_launch(op);
  const int64_t count = scan_and_count(pos, op);
  Array out = Array::empty({count, nd}, DType::Int64, self.device(), op);
  if (count == 0 || nd == 0) return out;
  Dims d;
  d.nd = static_cast<int>(nd);
  for (int64_t k = 0; k < nd; ++k) d.sizes[k] = self.shape()[k];
  nonzero_fill_kernel<<<cuda::grid_for(n), cuda::kThreads, 0, cuda::current_stream()>>>(out.data<int64_t>(),
                                                                                        pos.data<int64_t>(), n, d);
  cuda::check_launch(op);
  return out;
}

// ---------------------------------------------------------------- masked_select

// out[pos[i] - 1] = self[offset(i)] where selected.
template <class B>
__global__ void select_fill_kernel(B* __restrict__ out, const B* __restrict__ self, const int64_t* __restrict__ pos,
                                   int64_t n, StridedIndex<1> ix) {
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step) {
    const int64_t prev = i > 0 ? pos[i - 1] : 0;
    if (pos[i] == prev) continue;
    int64_t off[1];
    ix.offsets(i, off);
    out[prev] = self[off[0]];
  }
}

Array masked_select_cuda(const Array& self, const Array& mask) {
  const char* op = "masked_select";
  EMBER_CHECK(self.device().is_cuda(), Runtime, "[", op, "] expected a CUDA tensor, got ", self.device().str());
  check_same(op, self, mask);
  EMBER_CHECK(mask.dtype() == DType::Bool, Type, "[", op, "] expected a bool mask, got ", dtype_name(mask.dtype()));
  cuda::DeviceGuard g(self.device().index, op);
  pending_error_check(op);
  const Shape b = broadcast_shapes(self.shape(), mask.shape(), op);
  const int64_t n = shape_numel(b);
  if (n == 0) return Array::empty({0}, self.dtype(), self.device());
  const Shape bs = b.empty() ? Shape{1} : b;
  const Array sv = self.ndim() == 0 ? self.reshape({1}) : self;
  const Array mv = mask.ndim() == 0 ? mask.reshape({1}) : mask;
  Array pos = Array::empty({n}, DType::Int64, self.device(), op);
  const StridedIndex<1> mix = make_strided_index<1>(bs, {&mv});
  flag_kernel<bool><<<cuda::grid_for(n), cuda::kThreads, 0, cuda::current_stream()>>>(pos.data<int64_t>(),
                                                                                       mv.data<bool>(), n, mix);
  cuda::check_launch(op);
  const int64_t count = scan_and_count(pos, op);
  Array out = Array::empty({count}, self.dtype(), self.device(), op);
  if (count == 0) return out;
  const StridedIndex<1> six = make_strided_index<1>(bs, {&sv});
  dispatch_bytes(self.itemsize(), [&](auto t) {
    using B = decltype(t);
    select_fill_kernel<B><<<cuda::grid_for(n), cuda::kThreads, 0, cuda::current_stream()>>>(
        static_cast<B*>(out.data_ptr()), static_cast<const B*>(sv.data_ptr()), pos.data<int64_t>(), n, six);
  });
  cuda::check_launch(op);
  return out;
}

// ---------------------------------------------------------------- one_hot

// mm[0] = min, mm[1] = max of the labels (mm preset to LLONG_MAX, LLONG_MIN).
template <class I>
__global__ void minmax_kernel(long long* mm, const I* __restrict__ lab, int64_t n, StridedIndex<1> ix) {
  __shared__ long long smin[cuda::kThreads / 32], smax[cuda::kThreads / 32];
  long long lo = LLONG_MAX, hi = LLONG_MIN;
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step) {
    int64_t off[1];
    ix.offsets(i, off);
    const long long v = static_cast<long long>(lab[off[0]]);
    lo = v < lo ? v : lo;
    hi = v > hi ? v : hi;
  }
  for (int s = 16; s > 0; s >>= 1) {
    const long long a = __shfl_down_sync(0xffffffffu, lo, s), b = __shfl_down_sync(0xffffffffu, hi, s);
    lo = a < lo ? a : lo;
    hi = b > hi ? b : hi;
  }
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  if (lane == 0) {
    smin[warp] = lo;
    smax[warp] = hi;
  }
  __syncthreads();
  if (threadIdx.x == 0) {
    for (int w = 1; w < static_cast<int>(blockDim.x) / 32; ++w) {
      lo = smin[w] < lo ? smin[w] : lo;
      hi = smax[w] > hi ? smax[w] : hi;
    }
    atomicMin(&mm[0], lo);
    atomicMax(&mm[1], hi);
  }
}

__global__ void minmax_init_kernel(long long* mm) {
  mm[0] = LLONG_MAX;
  mm[1] = LLONG_MIN;
}

template <class I>
__global__ void one_hot_kernel(int64_t* __restrict__ out, const I* __restrict__ lab, int64_t n, StridedIndex<1> ix,
                               int64_t classes, IndexErrorRecord* rec, const char* op) {
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step) {
    int64_t off[1];
    ix.offsets(i, off);
    int64_t v = static_cast<int64_t>(lab[off[0]]);
    if (!check_index(v, classes, false, rec, -1, op)) continue;
    out[i * classes + v] = 1;
  }
}

Array one_hot_cuda(const Array& labels, int64_t num_classes) {
  const char* op = "one_hot";
  EMBER_CHECK(labels.device().is_cuda(), Runtime, "[", op, "] expected a CUDA tensor, got ", labels.device().str());
  EMBER_CHECK(labels.dtype() == DType::Int64 || labels.dtype() == DType::Int32, Type,
              "[one_hot] expected an int64 (or int32) tensor of class indices, got ", dtype_name(labels.dtype()));
  EMBER_CHECK(num_classes >= -1, Value, "[one_hot] num_classes must be -1 or non-negative, got ", num_classes);
  cuda::DeviceGuard g(labels.device().index, op);
  pending_error_check(op);
  const int64_t n = labels.numel();
  const Array lv = labels.ndim() == 0 ? labels.reshape({1}) : labels;
  const StridedIndex<1> ix = make_strided_index<1>(shape_1(labels), {&lv});
  cudaStream_t stream = cuda::current_stream();
  if (num_classes == -1) {
    EMBER_CHECK(n > 0, Value, "[one_hot] cannot infer the number of classes from an empty tensor");
    Array mm = Array::empty({2}, DType::Int64, labels.device(), op);
    minmax_init_kernel<<<1, 1, 0, stream>>>(reinterpret_cast<long long*>(mm.data<int64_t>()));
    cuda::check_launch(op);
    with_index64(labels, op, [&](auto it) {
      using I = decltype(it);
      minmax_kernel<I><<<cuda::grid_for(n, 8), cuda::kThreads, 0, stream>>>(
          reinterpret_cast<long long*>(mm.data<int64_t>()), static_cast<const I*>(lv.data_ptr()), n, ix);
    });
    cuda::check_launch(op);
    long long host_mm[2] = {0, 0};
    // The output shape depends on the labels: one host synchronisation.
    EMBER_CUDA_CHECK(cudaMemcpyAsync(host_mm, mm.data_ptr(), sizeof(host_mm), cudaMemcpyDeviceToHost, stream), op);
    EMBER_CUDA_CHECK(cudaStreamSynchronize(stream), op);
    pending_error_check(op);
    EMBER_CHECK(host_mm[0] >= 0, Value, "[one_hot] class values must be non-negative, got ", host_mm[0]);
    num_classes = host_mm[1] + 1;
  }
  Shape shape = labels.shape();
  shape.push_back(num_classes);
  Array out = Array::empty(shape, DType::Int64, labels.device(), op);
  if (out.numel() == 0) return out;
  EMBER_CUDA_CHECK(cudaMemsetAsync(out.data_ptr(), 0, static_cast<size_t>(out.nbytes()), stream), op);
  IndexErrorRecord* rec = error_record(op);
  with_index64(labels, op, [&](auto it) {
    using I = decltype(it);
    one_hot_kernel<I><<<cuda::grid_for(n), cuda::kThreads, 0, stream>>>(
        out.data<int64_t>(), static_cast<const I*>(lv.data_ptr()), n, ix, num_classes, rec, op);
  });
  cuda::check_launch(op);
  return out;
}

}  // namespace
}  // namespace idx_cuda

EMBER_CUDA_REGISTER(index_masked_fill, idx_cuda::masked_fill_cuda);
EMBER_CUDA_REGISTER(index_nonzero, idx_cuda::nonzero_cuda);
EMBER_CUDA_REGISTER(index_masked_select, idx_cuda::masked_select_cuda);
EMBER_CUDA_REGISTER(index_one_hot, idx_cuda::one_hot_cuda);

}  // namespace ember
