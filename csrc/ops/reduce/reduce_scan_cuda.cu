// reduce_scan_cuda.cu — inclusive cumsum / cumprod along one dim on CUDA.
//
// Input and output are contiguous, of one dtype (the host casts first), seen as
// (outer, len, inner) around the dim. Running values are float64 for floating types
// (as the CPU scan) and uint64 for bool/integers (wrapping like int64).
//  * inner == 1 (scan along contiguous rows): a group of G threads owns a row and walks
//    it in tiles of G elements (coalesced loads/stores): each warp scans its 32 values
//    with __shfl_up_sync; for G = 256 (rows of >= 2048 elements) warp totals go through
//    shared memory; a running carry joins the tiles. G = 32 otherwise (a warp per row).
//  * few long rows (len >= 65536, too few rows to fill the GPU): reduce-then-scan in
//    three kernels, no atomics: (1) one block per (chunk, row) reduces its chunk into
//    totals, (2) the rows kernel scans the totals, (3) one block per (chunk, row) scans
//    its chunk starting from the previous chunks' prefix.
//  * inner > 1: one thread per (outer, inner) column walks len with stride inner;
//    neighbouring threads read neighbouring columns (coalesced).
// Kernels exist for int64 and the floating types; a bool/uint8/int32 scan (an explicit
// dtype=) runs in int64 on a converted copy and is converted back on the device, which
// truncates exactly like the CPU's int64 -> T store.
#include "reduce_cuda.h"
#include "reduce_cuda_engine.cuh"

namespace ember {
namespace reduce_cuda {
namespace {

template <class T, bool F = IsFloatLike<T>::value> struct ScanAcc { using type = double; };
template <class T> struct ScanAcc<T, false> { using type = unsigned long long; };

template <class T>
__device__ __forceinline__ typename ScanAcc<T>::type scan_load(const T& x) {
  if constexpr (IsFloatLike<T>::value) return static_cast<double>(DevCvt<T>::load(x));
  else if constexpr (std::is_same<T, bool>::value) return x ? 1ull : 0ull;
  else return static_cast<unsigned long long>(static_cast<long long>(x));
}
template <class T>
__device__ __forceinline__ T scan_store(typename ScanAcc<T>::type a) {
  if constexpr (IsFloatLike<T>::value) return DevCvt<T>::store(a);
  else if constexpr (std::is_same<T, bool>::value) return a != 0;
  else return static_cast<T>(static_cast<long long>(a));
}

template <class A>
__device__ __forceinline__ A scan_op(A a, A b, bool is_prod) { return is_prod ? a * b : a + b; }

// grid: (row groups (grid-stride), chunks per row), 256 threads, G = 32 or 256 threads
// per row. Block y scans elements [y * chunk, min(len, (y + 1) * chunk)) of its rows,
// starting from carry_in[row * gridDim.y + y - 1] when carry_in is given and y > 0.
template <class T>
__global__ void __launch_bounds__(cuda::kThreads)
    scan_rows_kernel(const T* __restrict__ src, T* __restrict__ dst, int64_t rows, int64_t len, int G,
                     bool is_prod, int64_t chunk, const typename ScanAcc<T>::type* __restrict__ carry_in) {
  using A = typename ScanAcc<T>::type;
  __shared__ A warp_tot[cuda::kThreads / 32];
  const A ident = is_prod ? A(1) : A(0);
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int rows_per_block = blockDim.x / G;
  const int grp = threadIdx.x / G, tid = threadIdx.x % G;
  const int nw = G / 32;  // warps per row
  const int64_t ngroups = (rows + rows_per_block - 1) / rows_per_block;
  const int64_t c = blockIdx.y, nch = gridDim.y;
  const int64_t lo = c * chunk;
  const int64_t hi = min(len, lo + chunk);
  for (int64_t g = blockIdx.x; g < ngroups; g += gridDim.x) {  // block-uniform
    const int64_t row = g * rows_per_block + grp;
    const bool valid = row < rows;
    const T* s = src + (valid ? row : 0) * len;
    T* d = dst + (valid ? row : 0) * len;
    A carry = (carry_in && valid && c > 0) ? carry_in[row * nch + c - 1] : ident;
    for (int64_t t0 = lo; t0 < hi; t0 += G) {  // uniform: every row has the same range
      const int64_t i = t0 + tid;
      A x = (valid && i < hi) ? scan_load(s[i]) : ident;
      // Inclusive scan within the warp.
#pragma unroll
      for (int off = 1; off < 32; off <<= 1) {
        const A y = __shfl_up_sync(cuda_reduce::kFullMask, x, off);
        if (lane >= off) x = scan_op(y, x, is_prod);
      }
      A tile_total;
      if (nw == 1) {
        tile_total = __shfl_sync(cuda_reduce::kFullMask, x, 31);
      } else {
        if (lane == 31) warp_tot[warp] = x;
        __syncthreads();
        A before = ident;
        for (int w = 0; w < warp; ++w) before = scan_op(before, warp_tot[w], is_prod);
        tile_total = before;
        for (int w = warp; w < nw; ++w) tile_total = scan_op(tile_total, warp_tot[w], is_prod);
        x = scan_op(before, x, is_prod);
        __syncthreads();  // warp_tot is rewritten by the next tile
      }
      x = scan_op(carry, x, is_prod);
      if (valid && i < hi) d[i] = scan_store<T>(x);
      carry = scan_op(carry, tile_total, is_prod);
    }
  }
}

struct ScanCombineF {
  bool is_prod;
  template <class A> __device__ __forceinline__ A operator()(A a, A b) const { return scan_op(a, b, is_prod); }
};

// grid (chunks, rows), 256 threads: totals[row * nch + c] = sum/prod of chunk c of row.
template <class T>
__global__ void __launch_bounds__(cuda::kThreads)
    scan_chunk_totals_kernel(const T* __restrict__ src, typename ScanAcc<T>::type* __restrict__ totals, int64_t len,
                             int64_t chunk, bool is_prod) {
  using A = typename ScanAcc<T>::type;
  __shared__ A smem[32];
  const int64_t c = blockIdx.x, row = blockIdx.y, nch = gridDim.x;
  const int64_t lo = c * chunk;
  const int64_t hi = min(len, lo + chunk);
  const T* s = src + row * len;
  A acc = is_prod ? A(1) : A(0);
  for (int64_t i = lo + threadIdx.x; i < hi; i += blockDim.x) acc = scan_op(acc, scan_load(s[i]), is_prod);
  acc = cuda_reduce::block_reduce(acc, ScanCombineF{is_prod}, smem);
  if (threadIdx.x == 0) totals[row * nch + c] = acc;
}

// One thread per (outer, inner) column.
template <class T>
__global__ void __launch_bounds__(cuda::kThreads)
    scan_cols_kernel(const T* __restrict__ src, T* __restrict__ dst, int64_t outer, int64_t len, int64_t inner,
                     bool is_prod) {
  using A = typename ScanAcc<T>::type;
  const int64_t n = outer * inner;
  for (int64_t c = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; c < n;
       c += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t o = c / inner, j = c - o * inner;
    const int64_t base = o * len * inner + j;
    A acc = is_prod ? A(1) : A(0);
    for (int64_t k = 0; k < len; ++k) {
      acc = scan_op(acc, scan_load(src[base + k * inner]), is_prod);
      dst[base + k * inner] = scan_store<T>(acc);
    }
  }
}

template <class T>
void launch_scan(const Array& in, const Array& out, int64_t outer, int64_t len, int64_t inner, bool is_prod,
                 const char* name) {
  using A = typename ScanAcc<T>::type;
  cudaStream_t stream = cuda::current_stream();
  const int64_t grid_cap = static_cast<int64_t>(sm_count(name)) * 32;
  if (inner == 1 && len >= 65536 && outer < sm_count(name) * 4) {
    // Few long rows: reduce-then-scan over chunks (see the header).
    const int64_t chunk = std::max<int64_t>(8192, ceil_div(ceil_div(len, 65535), 256) * 256);
    const int64_t nch = ceil_div(len, chunk);  // <= 65535
    const int64_t bytes = checked_mul(checked_mul(outer, nch, name), static_cast<int64_t>(sizeof(A)), name);
    Array totals = Array::empty({bytes}, DType::UInt8, in.device(), name);
    Array prefix = Array::empty({bytes}, DType::UInt8, in.device(), name);
    A* tp = static_cast<A*>(totals.data_ptr());
    A* pp = static_cast<A*>(prefix.data_ptr());
    scan_chunk_totals_kernel<T><<<dim3(static_cast<unsigned>(nch), static_cast<unsigned>(outer)), cuda::kThreads, 0,
                                  stream>>>(in.data<T>(), tp, len, chunk, is_prod);
    cuda::check_launch(name);
    const int Gt = nch >= 2048 ? cuda::kThreads : 32;
    const int64_t tgroups = ceil_div(outer, cuda::kThreads / Gt);
    scan_rows_kernel<A><<<dim3(static_cast<unsigned>(std::min(tgroups, grid_cap)), 1), cuda::kThreads, 0, stream>>>(
        tp, pp, outer, nch, Gt, is_prod, nch, nullptr);
    cuda::check_launch(name);
    scan_rows_kernel<T><<<dim3(static_cast<unsigned>(outer), static_cast<unsigned>(nch)), cuda::kThreads, 0,
                          stream>>>(in.data<T>(), out.data<T>(), outer, len, cuda::kThreads, is_prod, chunk, pp);
  } else if (inner == 1) {
    const int G = len >= 2048 ? cuda::kThreads : 32;
    const int64_t groups = ceil_div(outer, cuda::kThreads / G);
    scan_rows_kernel<T><<<dim3(static_cast<unsigned>(std::min(groups, grid_cap)), 1), cuda::kThreads, 0, stream>>>(
        in.data<T>(), out.data<T>(), outer, len, G, is_prod, len, nullptr);
  } else {
    const int64_t blocks = ceil_div(outer * inner, cuda::kThreads);
    scan_cols_kernel<T><<<static_cast<unsigned>(std::min(blocks, grid_cap)), cuda::kThreads, 0, stream>>>(
        in.data<T>(), out.data<T>(), outer, len, inner, is_prod);
  }
  cuda::check_launch(name);
}

void scan_cuda(const Array& in, int64_t dim, const Array& out, bool is_prod) {
  const char* name = is_prod ? "cumprod" : "cumsum";
  check_on(out, in.device(), name);
  EMBER_CHECK(in.is_contiguous() && out.is_contiguous() && in.dtype() == out.dtype() && in.shape() == out.shape(),
              Value, "[", name, "] CUDA scan expects contiguous input and output of one dtype and shape");
  if (in.numel() == 0) return;
  cuda::DeviceGuard g(in.device().index, name);
  if (in.dtype() == DType::Bool || in.dtype() == DType::UInt8 || in.dtype() == DType::Int32) {
    Array wide = Array::empty(in.shape(), DType::Int64, in.device(), name);
    scan_cuda(in.to(DType::Int64), dim, wide, is_prod);
    out.copy_(wide);  // int64 -> T on the device, truncating like the CPU's store
    return;
  }
  int64_t outer = 1, inner = 1, len = in.ndim() ? in.shape()[dim] : 1;
  for (int64_t d = 0; d < dim; ++d) outer *= in.shape()[d];
  for (int64_t d = dim + 1; d < in.ndim(); ++d) inner *= in.shape()[d];
  switch (in.dtype()) {
    case DType::Int64: return launch_scan<int64_t>(in, out, outer, len, inner, is_prod, name);
    case DType::Float16: return launch_scan<Half>(in, out, outer, len, inner, is_prod, name);
    case DType::BFloat16: return launch_scan<BFloat16>(in, out, outer, len, inner, is_prod, name);
    case DType::Float32: return launch_scan<float>(in, out, outer, len, inner, is_prod, name);
    case DType::Float64: return launch_scan<double>(in, out, outer, len, inner, is_prod, name);
    default: EMBER_FAIL(Type, "[", name, "] unsupported dtype ", dtype_name(in.dtype()));
  }
}

}  // namespace
}  // namespace reduce_cuda
}  // namespace ember

EMBER_CUDA_REGISTER(reduce_scan, ember::reduce_cuda::scan_cuda);
