// embedding_cuda.cu — embedding_bag on CUDA: forward (sum / mean / max of each
// bag's rows, per_sample_weights, padding_idx) and the weight gradient.
//
// How: one thread block per bag (grid-stride over bags), its threads over the D
// columns (32..256 threads, a multiple of 32, by D). Each thread walks the bag's
// entries in order: the entry's index is the same for the whole block (a broadcast
// load) and the row's columns are read by consecutive threads (coalesced). Sums
// accumulate in the weight's dtype in entry order, like the CPU kernel, so the
// forward matches it exactly; max keeps the first maximum per column, NaN winning.
// Backward: the same block-per-bag walk adds s * grad[b, d] into gw[index, d] with
// atomicAdd (bags share rows), so float sums are not bitwise deterministic.
// Bounds: bag b spans [offsets[b], offsets[b+1]) (the last to L); offsets and
// indices are checked in the kernel and reported through the index family's error
// record (ops/index/index_cuda.h); a bad bag or entry is skipped, never read.
#include "core/cuda_utils.cuh"
#include "ops/embedding/embedding_cuda.h"
#include "ops/index/index_cuda_common.cuh"

namespace ember {
namespace emb_cuda {
namespace {

using idx_cuda::IndexErrorRecord;

constexpr int kMean = 1, kMax = 2;  // 0: sum

// The bag's entry range, checked (a bad one reports and becomes empty).
__device__ __forceinline__ void bag_range(const int64_t* off, int64_t b, int64_t B, int64_t L, int64_t& begin,
                                          int64_t& end, IndexErrorRecord* rec, const char* op) {
  begin = off[b];
  end = b + 1 < B ? off[b + 1] : L;
  if (b == 0 && begin != 0) {
    if (threadIdx.x == 0) idx_cuda::report_bad_index(rec, begin, 1, -1, op);  // offsets[0] must be 0
    begin = end = 0;
    return;
  }
  if (begin < 0 || begin > L || end < begin || end > L) {
    if (threadIdx.x == 0) idx_cuda::report_bad_index(rec, begin < 0 || begin > L ? begin : end, L + 1, -1, op);
    begin = end = 0;
  }
}

template <class T>
__global__ void bag_forward_kernel(const T* __restrict__ w, const int64_t* __restrict__ idx,
                                   const int64_t* __restrict__ off, const T* __restrict__ psw, int64_t V, int64_t D,
                                   int64_t L, int64_t B, int mode, int64_t pad, T* __restrict__ out,
                                   int64_t* __restrict__ bag_size, int64_t* __restrict__ argmax,
                                   IndexErrorRecord* rec, const char* op) {
  for (int64_t b = blockIdx.x; b < B; b += gridDim.x) {
    int64_t begin, end;
    bag_range(off, b, B, L, begin, end, rec, op);
    if (threadIdx.x == 0) {  // the bag's size (and the report of any bad index), D or not
      int64_t count = 0;
      for (int64_t i = begin; i < end; ++i) {
        const int64_t r = idx[i];
        if (pad >= 0 && r == pad) continue;
        if (r < 0 || r >= V) idx_cuda::report_bad_index(rec, r, V, -1, op);
        else ++count;
      }
      bag_size[b] = count;
    }
    for (int64_t d = threadIdx.x; d < D; d += blockDim.x) {
      T acc = T(0);
      int64_t am = -1, count = 0;
      for (int64_t i = begin; i < end; ++i) {
        const int64_t r = idx[i];
        if ((pad >= 0 && r == pad) || r < 0 || r >= V) continue;
        const T v = w[r * D + d];
        if (mode == kMax) {
          if (am < 0 || v > acc || v != v) {
            if (!(am >= 0 && acc != acc)) {  // a NaN already won
              acc = v;
              am = r;
            }
          }
        } else {
          acc += (psw ? psw[i] : T(1)) * v;
        }
        ++count;
      }
      if (mode == kMean && count > 0) acc *= T(1) / static_cast<T>(count);
      out[b * D + d] = acc;
      if (mode == kMax) argmax[b * D + d] = am;
    }
  }
}

template <class T>
__global__ void bag_backward_kernel(T* gw, const T* __restrict__ g, const int64_t* __restrict__ idx,
                                    const int64_t* __restrict__ off, const T* __restrict__ psw,
                                    const int64_t* __restrict__ bag_size, const int64_t* __restrict__ argmax,
                                    int64_t V, int64_t D, int64_t L, int64_t B, int mode, int64_t pad,
                                    IndexErrorRecord* rec, const char* op) {
  for (int64_t b = blockIdx.x; b < B; b += gridDim.x) {
    const T* gb = g + b * D;
    if (mode == kMax) {
      for (int64_t d = threadIdx.x; d < D; d += blockDim.x) {
        const int64_t r = argmax[b * D + d];
        if (r >= 0 && r < V) atomicAdd(gw + r * D + d, gb[d]);
      }
      continue;
    }
    int64_t begin, end;
    bag_range(off, b, B, L, begin, end, rec, op);
    const int64_t n = bag_size[b];
    const T bag_scale = mode == kMean && n > 0 ? T(1) / static_cast<T>(n) : T(1);
    for (int64_t i = begin; i < end; ++i) {
      const int64_t r = idx[i];
      if ((pad >= 0 && r == pad) || r < 0 || r >= V) continue;
      const T s = psw ? psw[i] * bag_scale : bag_scale;
      for (int64_t d = threadIdx.x; d < D; d += blockDim.x) atomicAdd(gw + r * D + d, s * gb[d]);
    }
  }
}

int threads_for(int64_t D) {
  int64_t t = (D + 31) / 32 * 32;
  return static_cast<int>(t < 32 ? 32 : (t > 256 ? 256 : t));
}

void check_common(const char* op, const Array& a, const Array& indices, const Array& offsets) {
  for (const Array* x : {&indices, &offsets})
    EMBER_CHECK(x->device() == a.device(), Runtime, "[", op, "] expected all tensors on the same device, got ",
                a.device().str(), " and ", x->device().str());
  EMBER_CHECK(a.device().is_cuda() && a.ndim() == 2 && a.is_contiguous() && indices.dtype() == DType::Int64 &&
                  offsets.dtype() == DType::Int64 && indices.is_contiguous() && offsets.is_contiguous() &&
                  indices.ndim() == 1 && offsets.ndim() == 1,
              Value, "[", op, "] internal: bad embedding_bag operands");
}

void forward_cuda(const Array& weight, const Array& indices, const Array& offsets, int mode, const Array* psw,
                  int64_t padding_idx, const Array& out, const Array& bag_size, const Array& argmax) {
  const char* op = "embedding_bag";
  check_common(op, weight, indices, offsets);
  const int64_t V = weight.shape()[0], D = weight.shape()[1], L = indices.numel(), B = offsets.numel();
  EMBER_CHECK(out.device() == weight.device() && out.is_contiguous() && out.dtype() == weight.dtype() &&
                  out.numel() == B * D && bag_size.numel() == B && bag_size.dtype() == DType::Int64 &&
                  (mode != kMax || (argmax.numel() == B * D && argmax.dtype() == DType::Int64)) &&
                  (!psw || (psw->numel() == L && psw->dtype() == weight.dtype() && psw->is_contiguous())),
              Value, "[", op, "] internal: bad embedding_bag outputs");
  cuda::DeviceGuard g(weight.device().index, op);
  idx_cuda::pending_error_check(op);
  if (B == 0) return;
  IndexErrorRecord* rec = idx_cuda::error_record(op);
  const unsigned grid = static_cast<unsigned>(B < 65535 ? B : 65535);
  EMBER_DISPATCH_FLOAT(weight.dtype(), op, [&] {
    using T = scalar_t;
    bag_forward_kernel<T><<<grid, threads_for(D), 0, cuda::current_stream()>>>(
        weight.data<T>(), indices.data<int64_t>(), offsets.data<int64_t>(), psw ? psw->data<T>() : nullptr, V, D, L,
        B, mode, padding_idx, out.data<T>(), bag_size.data<int64_t>(),
        mode == kMax ? argmax.data<int64_t>() : nullptr, rec, op);
  });
  cuda::check_launch(op);
}

void backward_cuda(const Array& gw, const Array& grad, const Array& indices, const Array& offsets,
                   const Array& bag_size, const Array& argmax, int mode, const Array* psw, int64_t padding_idx) {
  const char* op = "embedding_bag_backward";
  check_common(op, grad, indices, offsets);
  const int64_t V = gw.shape()[0], D = grad.shape()[1], L = indices.numel(), B = offsets.numel();
  EMBER_CHECK(gw.device() == grad.device() && gw.is_contiguous() && gw.dtype() == grad.dtype() && gw.ndim() == 2 &&
                  gw.shape()[1] == D && grad.shape()[0] == B && bag_size.numel() == B &&
                  bag_size.dtype() == DType::Int64 && bag_size.is_contiguous() &&
                  (mode != kMax || (argmax.numel() == B * D && argmax.dtype() == DType::Int64 &&
                                    argmax.is_contiguous())) &&
                  (!psw || (psw->numel() == L && psw->dtype() == grad.dtype() && psw->is_contiguous())),
              Value, "[", op, "] internal: bad embedding_bag_backward operands");
  cuda::DeviceGuard g(grad.device().index, op);
  idx_cuda::pending_error_check(op);
  cudaStream_t stream = cuda::current_stream();
  if (gw.numel() == 0) return;
  EMBER_CUDA_CHECK(cudaMemsetAsync(gw.data_ptr(), 0, static_cast<size_t>(gw.nbytes()), stream), op);
  if (B == 0 || D == 0) return;
  IndexErrorRecord* rec = idx_cuda::error_record(op);
  const unsigned grid = static_cast<unsigned>(B < 65535 ? B : 65535);
  EMBER_DISPATCH_FLOAT(grad.dtype(), op, [&] {
    using T = scalar_t;
    bag_backward_kernel<T><<<grid, threads_for(D), 0, stream>>>(
        gw.data<T>(), grad.data<T>(), indices.data<int64_t>(), offsets.data<int64_t>(),
        psw ? psw->data<T>() : nullptr, bag_size.data<int64_t>(), mode == kMax ? argmax.data<int64_t>() : nullptr, V,
        D, L, B, mode, padding_idx, rec, op);
  });
  cuda::check_launch(op);
}

}  // namespace
}  // namespace emb_cuda

EMBER_CUDA_REGISTER(embedding_bag_fwd, emb_cuda::forward_cuda);
EMBER_CUDA_REGISTER(embedding_bag_bwd, emb_cuda::backward_cuda);

}  // namespace ember
