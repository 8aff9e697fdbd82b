// sort_cuda.cu — sort / argsort / topk / kthvalue / median / unique on CUDA
// (sort_select, sort_unique).
//
// How (every slice along dim at once, with ONE instantiation of CUB's
// DeviceRadixSort::SortPairs<uint64 key, int64 value>, which keeps the binary small):
//  1. keys pass: self seen with dim moved last (a transposed view, any strides) is
//     read in logical row-major order; element i (row r = i / n) gets an unsigned
//     radix key whose unsigned order is torch's order: floats by the sign-flip trick
//     with -0.0 folded onto +0.0 and every NaN onto the all-ones key (the largest:
//     NaN last ascending); signed integers with the sign bit flipped; bool/uint8 as
//     8-bit keys. Descending inverts the key within its width, so NaN comes first,
//     and a stable ascending sort of inverted keys keeps equal keys in input order,
//     exactly like the CPU's stable_sort(greater_nan). Its value is i (int64).
//  2. sort: when the key's bits plus the row number's bits fit in 64, the key is
//     (r << kbits) | key and one stable radix sort over bits [0, kbits + rbits)
//     orders every row at once. Otherwise (64-bit keys and several rows) two stable
//     passes, LSD order: by key, then by row (r = value / n). Afterwards row r
//     occupies [r n, (r + 1) n), its elements in torch's stable order.
//  3. gather pass: one thread per output entry reads the global position g of its
//     sorted element, copies self[g] (as raw bytes) and writes p = g - r n as the
//     int64 index into the contiguous outputs (through their transposed views).
// topk = the first k entries; kthvalue = the entry of rank k-1 (the stable order
// breaks ties by index, as the CPU's nth_element with an index tie-break); median =
// rank (n-1)/2, or for a float row ending in NaN its first NaN (a per-row binary
// search over the sorted row), which is the first NaN in input order.
// unique: the flattened input sorted as above (ascending, stable), a start flag per
// run of equal values (compared in the compute type: NaN != NaN, -0.0 == 0.0), an
// in-place CUB InclusiveSum of the flags giving each sorted element its group + 1,
// one host synchronisation to read the group count (the result's size), then one
// pass writing values / inverse / run starts and one turning starts into counts.
// Instantiations: the keys pass per dtype (8), the gather per element size (4), one
// radix sort, one scan.
#include <cub/device/device_radix_sort.cuh>
#include <cub/device/device_scan.cuh>

#include <utility>

#include "core/cuda_utils.cuh"
#include "ops/sort/sort_cuda.h"

namespace ember {
namespace sort_cuda {
namespace {

using Key = unsigned long long;  // the one key type handed to CUB
using Pos = long long;           // the one value type: a global element position

// The key's integer type and its significant bits.
template <class T> struct KeyOf { using type = uint32_t; static constexpr int bits = 32; };
template <> struct KeyOf<bool> { using type = uint16_t; static constexpr int bits = 8; };
template <> struct KeyOf<uint8_t> { using type = uint16_t; static constexpr int bits = 8; };
template <> struct KeyOf<Half> { using type = uint16_t; static constexpr int bits = 16; };
template <> struct KeyOf<BFloat16> { using type = uint16_t; static constexpr int bits = 16; };
template <> struct KeyOf<int64_t> { using type = unsigned long long; static constexpr int bits = 64; };
template <> struct KeyOf<double> { using type = unsigned long long; static constexpr int bits = 64; };

__device__ __forceinline__ uint16_t key16_float(uint16_t b, uint16_t exp_mask) {
  if ((b & 0x7FFFu) > exp_mask) return 0xFFFFu;  // NaN
  if (b == 0x8000u) b = 0;                        // -0.0 == +0.0
  return (b & 0x8000u) ? static_cast<uint16_t>(~b) : static_cast<uint16_t>(b | 0x8000u);
}

__device__ __forceinline__ uint16_t make_key(bool v) { return v ? 1 : 0; }
__device__ __forceinline__ uint16_t make_key(uint8_t v) { return v; }
__device__ __forceinline__ uint16_t make_key(Half v) { return key16_float(v.x, 0x7C00u); }
__device__ __forceinline__ uint16_t make_key(BFloat16 v) { return key16_float(v.x, 0x7F80u); }
__device__ __forceinline__ uint32_t make_key(int32_t v) { return static_cast<uint32_t>(v) ^ 0x80000000u; }
__device__ __forceinline__ unsigned long long make_key(int64_t v) {
  return static_cast<unsigned long long>(v) ^ (1ull << 63);
}
__device__ __forceinline__ uint32_t make_key(float v) {
  if (v != v) return 0xFFFFFFFFu;
  uint32_t u = __float_as_uint(v);
  if (u == 0x80000000u) u = 0;
  return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}
__device__ __forceinline__ unsigned long long make_key(double v) {
  if (v != v) return ~0ull;
  unsigned long long u = static_cast<unsigned long long>(__double_as_longlong(v));
  if (u == (1ull << 63)) u = 0;
  return (u & (1ull << 63)) ? ~u : (u | (1ull << 63));
}

// keys[i], pos[i] = i for element i of x (dim last, logical row-major order); with
// `composite` the row number sits above the key's bits.
template <class T>
__global__ void keys_kernel(Key* __restrict__ keys, Pos* __restrict__ pos, const T* __restrict__ x, int64_t total,
                            int64_t n, StridedIndex<1> ix, bool descending, bool composite) {
  using K = typename KeyOf<T>::type;
  constexpr int kbits = KeyOf<T>::bits;
  const Key mask = kbits == 64 ? ~Key(0) : ((Key(1) << (kbits % 64)) - 1);
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += step) {
    int64_t off[1];
    ix.offsets(i, off);
    Key k = static_cast<Key>(static_cast<K>(make_key(x[off[0]])));
    if (descending) k = ~k & mask;
    if (composite && kbits < 64) k |= static_cast<Key>(i / n) << (kbits % 64);
    keys[i] = k;
    pos[i] = i;
  }
}

// keys[j] = the row of the element now at j (its global position / n), for the row pass.
__global__ void row_keys_kernel(Key* __restrict__ keys, const Pos* __restrict__ pos, int64_t total, int64_t n) {
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t j = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; j < total; j += step)
    keys[j] = static_cast<Key>(pos[j] / n);
}

// start[r] = the first NaN of sorted row r if it ends in one, else (n - 1) / 2.
// Sorted element j of row r is x at global position pos[r n + j]; its NaNs are last.
template <class T>
__global__ void median_start_kernel(int64_t* __restrict__ start, const T* __restrict__ x,
                                    const Pos* __restrict__ pos, int64_t rows, int64_t n, StridedIndex<1> src) {
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t r = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; r < rows; r += step) {
    auto is_nan = [&](int64_t j) {
      int64_t so[1];
      src.offsets(pos[r * n + j], so);
      const auto v = DevCvt<T>::load(x[so[0]]);
      return v != v;
    };
    if (!is_nan(n - 1)) {
      start[r] = (n - 1) / 2;
      continue;
    }
    int64_t lo = 0, hi = n - 1;  // sorted element hi is NaN: find the first one
    while (lo < hi) {
      const int64_t mid = lo + (hi - lo) / 2;
      if (is_nan(mid)) hi = mid;
      else lo = mid + 1;
    }
    start[r] = lo;
  }
}

// Output entry i (row r, j < m) takes sorted element start + j of its row.
template <class B>
__global__ void gather_sorted_kernel(B* __restrict__ values, int64_t* __restrict__ indices, const B* __restrict__ x,
                                     const Pos* __restrict__ pos, int64_t total_out, int64_t m, int64_t n, int64_t j0,
                                     const int64_t* __restrict__ row_start, StridedIndex<1> src,
                                     StridedIndex<1> dst) {
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < total_out; i += step) {
    const int64_t row = i / m, j = i - row * m;
    const int64_t start = row_start ? row_start[row] : j0;
    const int64_t g = pos[row * n + start + j];  // global position r n + p
    int64_t so[1], d[1];
    src.offsets(g, so);
    dst.offsets(i, d);
    values[d[0]] = x[so[0]];
    indices[d[0]] = g - row * n;
  }
}

template <class F>
inline void dispatch_bytes(int64_t itemsize, const F& f) {
  switch (itemsize) {
    case 1: f(uint8_t{}); break;
    case 2: f(uint16_t{}); break;
    case 4: f(uint32_t{}); break;
    default: f(static_cast<unsigned long long>(0)); break;
  }
}

int bits_for(int64_t v) {  // bits that hold 0 .. v - 1
  int b = 0;
  while (b < 63 && (int64_t(1) << b) < v) ++b;
  return b;
}

// One stable LSD radix sort of (keys, pos) pairs over bits [0, end_bit): in -> out.
// temp grows as needed (the caching allocator reuses it between calls).
void radix_pass(Array& temp, const Key* kin, Key* kout, const Pos* pin, Pos* pout, int64_t total, int end_bit,
                Device dev, const char* op) {
  cudaStream_t stream = cuda::current_stream();
  size_t bytes = 0;
  EMBER_CUDA_CHECK(cub::DeviceRadixSort::SortPairs(nullptr, bytes, kin, kout, pin, pout, total, 0, end_bit, stream),
                   op);
  if (!temp.defined() || temp.numel() < static_cast<int64_t>(bytes))
    temp = Array::empty({static_cast<int64_t>(bytes > 0 ? bytes : 1)}, DType::UInt8, dev, op);
  EMBER_CUDA_CHECK(cub::DeviceRadixSort::SortPairs(temp.data_ptr(), bytes, kin, kout, pin, pout, total, 0, end_bit,
                                                   stream),
                   op);
}

// Sorts every row (n elements, dim last) of xt by torch's order; returns the sorted
// global positions (int64, total): row r's elements at [r n, (r + 1) n).
Array sorted_positions(const Array& xt, const StridedIndex<1>& src, int64_t n, bool descending, const char* op) {
  const Device dev = xt.device();
  const int64_t total = xt.numel(), rows = total / n;
  cudaStream_t stream = cuda::current_stream();
  const int64_t kbytes = checked_mul(total, static_cast<int64_t>(sizeof(Key)), op);
  Array k0 = Array::empty({kbytes}, DType::UInt8, dev, op), k1 = Array::empty({kbytes}, DType::UInt8, dev, op);
  Array p0 = Array::empty({total}, DType::Int64, dev, op), p1 = Array::empty({total}, DType::Int64, dev, op);
  Key* key0 = static_cast<Key*>(k0.data_ptr());
  Key* key1 = static_cast<Key*>(k1.data_ptr());
  Pos* pos0 = reinterpret_cast<Pos*>(p0.data_ptr());
  Pos* pos1 = reinterpret_cast<Pos*>(p1.data_ptr());
  const int rbits = bits_for(rows);
  Array temp;
  bool result_in_p1 = true;
  EMBER_DISPATCH_ALL(xt.dtype(), op, [&] {
    using T = scalar_t;
    constexpr int kbits = KeyOf<T>::bits;
    const bool composite = kbits + rbits <= 64;
    keys_kernel<T><<<cuda::grid_for(total), cuda::kThreads, 0, stream>>>(
        key0, pos0, static_cast<const T*>(xt.data_ptr()), total, n, src, descending, composite);
    cuda::check_launch(op);
    if (composite) {
      radix_pass(temp, key0, key1, pos0, pos1, total, kbits + rbits, dev, op);
      return;
    }
    // 64-bit keys and several rows: stably by key, then stably by row.
    radix_pass(temp, key0, key1, pos0, pos1, total, kbits, dev, op);
    row_keys_kernel<<<cuda::grid_for(total), cuda::kThreads, 0, stream>>>(key0, pos1, total, n);
    cuda::check_launch(op);
    radix_pass(temp, key0, key1, pos1, pos0, total, rbits, dev, op);
    result_in_p1 = false;
  });
  return result_in_p1 ? p1 : p0;
}

void sort_select_cuda(const Array& self, int64_t dim, bool descending, int mode, int64_t k, const Array& values,
                      const Array& indices) {
  const char* op = mode == kFirst ? "sort" : (mode == kRank ? "kthvalue" : "median");
  EMBER_CHECK(self.device().is_cuda() && values.device() == self.device() && indices.device() == self.device(),
              Runtime, "[", op, "] expected all tensors on the same device, got ", self.device().str(), " and ",
              values.device().str());
  const int64_t nd = self.ndim();
  EMBER_CHECK(nd >= 1 && dim >= 0 && dim < nd && values.ndim() == nd && values.is_contiguous() &&
                  indices.is_contiguous() && indices.shape() == values.shape() && indices.dtype() == DType::Int64 &&
                  values.dtype() == self.dtype() && mode >= kFirst && mode <= kMedian,
              Value, "[", op, "] internal: bad sort outputs");
  const int64_t n = self.shape()[dim], m = values.shape()[dim];
  EMBER_CHECK(m <= n && (mode == kFirst || (m == 1 && k >= 0 && k < n)), Value, "[", op, "] internal: bad rank");
  for (int64_t d = 0; d < nd; ++d)
    EMBER_CHECK(d == dim || values.shape()[d] == self.shape()[d], Value, "[", op, "] internal: bad output shape");
  cuda::DeviceGuard g(self.device().index, op);
  if (values.numel() == 0 || n == 0) return;
  const Array xt = self.transpose(dim, nd - 1);
  const Array vt = values.transpose(dim, nd - 1);
  const int64_t rows = self.numel() / n, total_out = values.numel();
  const StridedIndex<1> src = make_strided_index<1>(xt.shape(), {&xt});
  const StridedIndex<1> dst = make_strided_index<1>(vt.shape(), {&vt});
  cudaStream_t stream = cuda::current_stream();
  const Array pos = sorted_positions(xt, src, n, descending, op);
  const Pos* sorted = reinterpret_cast<const Pos*>(pos.data_ptr());
  Array row_start;
  if (mode == kMedian && is_floating(self.dtype())) {
    row_start = Array::empty({rows}, DType::Int64, self.device(), op);
    EMBER_DISPATCH_ALL_FLOAT(self.dtype(), op, [&] {
      median_start_kernel<scalar_t><<<cuda::grid_for(rows), cuda::kThreads, 0, stream>>>(
          row_start.data<int64_t>(), static_cast<const scalar_t*>(xt.data_ptr()), sorted, rows, n, src);
    });
    cuda::check_launch(op);
  }
  const int64_t j0 = mode == kFirst ? 0 : (mode == kRank ? k : (n - 1) / 2);
  dispatch_bytes(self.itemsize(), [&](auto t) {
    using B = decltype(t);
    gather_sorted_kernel<B><<<cuda::grid_for(total_out), cuda::kThreads, 0, stream>>>(
        static_cast<B*>(values.data_ptr()), indices.data<int64_t>(), static_cast<const B*>(xt.data_ptr()), sorted,
        total_out, m, n, j0, row_start.defined() ? row_start.data<int64_t>() : nullptr, src, dst);
  });
  cuda::check_launch(op);
}

// ---------------------------------------------------------------- unique

template <class T>
__global__ void run_start_kernel(int64_t* __restrict__ pos, const T* __restrict__ v, int64_t n) {
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t j = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; j < n; j += step)
    pos[j] = (j == 0 || !(DevCvt<T>::load(v[j]) == DevCvt<T>::load(v[j - 1]))) ? 1 : 0;
}

// pos: inclusive scan of the start flags (group + 1 per sorted element).
template <class B>
__global__ void unique_fill_kernel(B* __restrict__ values, int64_t* __restrict__ starts,
                                   int64_t* __restrict__ inverse, const B* __restrict__ sorted,
                                   const int64_t* __restrict__ perm, const int64_t* __restrict__ pos, int64_t n) {
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t j = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; j < n; j += step) {
    const int64_t g = pos[j] - 1;
    if (j == 0 || pos[j] != pos[j - 1]) {
      values[g] = sorted[j];
      starts[g] = j;
    }
    if (inverse) inverse[perm[j]] = g;
  }
}

__global__ void counts_kernel(int64_t* __restrict__ counts, const int64_t* __restrict__ starts, int64_t u,
                              int64_t n) {
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t g = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; g < u; g += step)
    counts[g] = (g + 1 < u ? starts[g + 1] : n) - starts[g];
}

UniqueResult unique_cuda(const Array& self, bool return_inverse, bool return_counts) {
  const char* op = "unique";
  EMBER_CHECK(self.device().is_cuda(), Runtime, "[unique] expected a CUDA tensor, got ", self.device().str());
  cuda::DeviceGuard g(self.device().index, op);
  const Device dev = self.device();
  const Array flat = self.reshape({-1});
  const int64_t n = flat.numel();
  if (n == 0)
    return {Array::empty({0}, self.dtype(), dev), Array::empty(return_inverse ? self.shape() : Shape{0},
                                                               DType::Int64, dev),
            Array::empty({0}, DType::Int64, dev)};
  Array sorted = Array::empty({n}, self.dtype(), dev, op);
  Array perm = Array::empty({n}, DType::Int64, dev, op);
  sort_select_cuda(flat, 0, false, kFirst, 0, sorted, perm);
  cudaStream_t stream = cuda::current_stream();
  Array pos = Array::empty({n}, DType::Int64, dev, op);
  EMBER_DISPATCH_ALL(self.dtype(), op, [&] {
    run_start_kernel<scalar_t><<<cuda::grid_for(n), cuda::kThreads, 0, stream>>>(
        pos.data<int64_t>(), static_cast<const scalar_t*>(sorted.data_ptr()), n);
  });
  cuda::check_launch(op);
  size_t bytes = 0;
  EMBER_CUDA_CHECK(cub::DeviceScan::InclusiveSum(nullptr, bytes, pos.data<int64_t>(), n, stream), op);
  Array temp = Array::empty({static_cast<int64_t>(bytes > 0 ? bytes : 1)}, DType::UInt8, dev, op);
  EMBER_CUDA_CHECK(cub::DeviceScan::InclusiveSum(temp.data_ptr(), bytes, pos.data<int64_t>(), n, stream), op);
  int64_t u = 0;
  // The result size depends on the data: this is the op's one host synchronisation.
  EMBER_CUDA_CHECK(cudaMemcpyAsync(&u, pos.data<int64_t>() + (n - 1), sizeof(int64_t), cudaMemcpyDeviceToHost,
                                   stream),
                   op);
  EMBER_CUDA_CHECK(cudaStreamSynchronize(stream), op);
  Array values = Array::empty({u}, self.dtype(), dev, op);
  Array starts = Array::empty({u}, DType::Int64, dev, op);
  Array inverse = Array::empty(return_inverse ? self.shape() : Shape{0}, DType::Int64, dev, op);
  Array counts = Array::empty({return_counts ? u : 0}, DType::Int64, dev, op);
  dispatch_bytes(self.itemsize(), [&](auto t) {
    using B = decltype(t);
    unique_fill_kernel<B><<<cuda::grid_for(n), cuda::kThreads, 0, stream>>>(
        static_cast<B*>(values.data_ptr()), starts.data<int64_t>(),
        return_inverse ? inverse.data<int64_t>() : nullptr, static_cast<const B*>(sorted.data_ptr()),
        perm.data<int64_t>(), pos.data<int64_t>(), n);
  });
  cuda::check_launch(op);
  if (return_counts) {
    counts_kernel<<<cuda::grid_for(u), cuda::kThreads, 0, stream>>>(counts.data<int64_t>(), starts.data<int64_t>(),
                                                                     u, n);
    cuda::check_launch(op);
  }
  return {values, inverse, counts};
}

}  // namespace
}  // namespace sort_cuda

EMBER_CUDA_REGISTER(sort_select, sort_cuda::sort_select_cuda);
EMBER_CUDA_REGISTER(sort_unique, sort_cuda::unique_cuda);

}  // namespace ember
