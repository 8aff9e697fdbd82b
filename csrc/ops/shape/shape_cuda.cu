// shape_cuda.cu — CUDA kernels of the shape family: tril/triu (shape_triangle),
// cat (shape_cat) and where (shape_where, called by elementwise/ternary.cpp).
//
// All three only move elements, so each is instantiated per element size (1, 2,
// 4, 8 bytes), one thread per output element in a grid-stride loop (256 threads,
// int64 indices throughout):
//  * triangle: out is contiguous, so (row i, column j) come from the linear index;
//    self is read through StridedIndex<2> (any strides); dropped elements are 0.
//  * cat: inputs contiguous and of out's dtype (the host copies otherwise). Out is
//    seen as (outer, out_row) and input k as (outer, row_k) landing at column
//    col_k; blockIdx.y picks the input from a table passed by value (64 a launch),
//    blockIdx.x/threadIdx.x stride over that input's elements: reads contiguous,
//    writes contiguous within each row.
//  * where: StridedIndex<4> over (out, cond, a, b) broadcast to out's shape; a
//    scalar a/b comes by value as raw bits.
#include <algorithm>
#include <cstring>
#include <vector>

#include "core/cuda_utils.cuh"
#include "ops/shape/shape_cuda.h"

namespace ember {
namespace shape_cuda {
namespace {

template <class F>
inline void dispatch_bytes(int64_t itemsize, const F& f) {
  switch (itemsize) {
    case 1: f(uint8_t{}); break;
    case 2: f(uint16_t{}); break;
    case 4: f(uint32_t{}); break;
    default: f(static_cast<unsigned long long>(0)); break;
  }
}

void check_same(const char* op, const Array& a, const Array& b) {
  EMBER_CHECK(a.device() == b.device(), Runtime, "[", op, "] expected all tensors on the same device, got ",
              a.device().str(), " and ", b.device().str());
}

// ---------------------------------------------------------------- tril / triu

template <class B>
__global__ void triangle_kernel(B* __restrict__ out, const B* __restrict__ self, int64_t n, StridedIndex<2> ix,
                                int64_t R, int64_t C, int64_t k, bool lower) {
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step) {
    const int64_t q = i / C;
    const int64_t col = i - q * C, row = q % R;
    const int64_t d = col - row;  // |d| < 2^62: no overflow against any k
    const bool keep = lower ? d <= k : d >= k;
    if (keep) {
      int64_t off[2];
      ix.offsets(i, off);
      out[off[0]] = self[off[1]];
    } else {
      out[i] = B(0);
    }
  }
}

void triangle_cuda(const Array& out, const Array& self, int64_t k, bool lower) {
  const char* op = lower ? "tril" : "triu";
  EMBER_CHECK(out.device().is_cuda(), Runtime, "[", op, "] expected a CUDA output, got ", out.device().str());
  check_same(op, out, self);
  EMBER_CHECK(out.is_contiguous() && out.shape() == self.shape() && out.dtype() == self.dtype() && self.ndim() >= 2,
              Value, "[", op, "] internal: out must be contiguous with self's shape and dtype");
  cuda::DeviceGuard g(out.device().index, op);
  const int64_t n = out.numel();
  if (n == 0) return;
  const int64_t R = self.shape()[self.ndim() - 2], C = self.shape()[self.ndim() - 1];
  const StridedIndex<2> ix = make_strided_index<2>(out.shape(), {&out, &self});
  dispatch_bytes(out.itemsize(), [&](auto t) {
    using B = decltype(t);
    triangle_kernel<B><<<cuda::grid_for(n), cuda::kThreads, 0, cuda::current_stream()>>>(
        static_cast<B*>(out.data_ptr()), static_cast<const B*>(self.data_ptr()), n, ix, R, C, k, lower);
  });
  cuda::check_launch(op);
}

// ---------------------------------------------------------------- cat

constexpr int kCatMax = 64;
struct CatTable {
  const void* ptr[kCatMax];
  int64_t row[kCatMax];  // elements per outer row of input k (size along dim x inner)
  int64_t col[kCatMax];  // its first column in out's row
  int64_t outer, out_row;
};

template <class B>
__global__ void cat_kernel(B* __restrict__ out, CatTable t) {
  const int k = blockIdx.y;
  const B* __restrict__ in = static_cast<const B*>(t.ptr[k]);
  const int64_t row = t.row[k], col = t.col[k];
  const int64_t total = t.outer * row;
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t e = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += step) {
    const int64_t o = e / row;
    const int64_t r = e - o * row;
    out[o * t.out_row + col + r] = in[e];
  }
}

void cat_cuda(const Array& out, const std::vector<Array>& inputs, int64_t dim) {
  const char* op = "cat";
  EMBER_CHECK(out.device().is_cuda() && out.is_contiguous() && dim >= 0 && dim < out.ndim(), Runtime,
              "[cat] internal: expected a contiguous CUDA output");
  int64_t inner = 1, outer = 1;
  for (int64_t d = 0; d < out.ndim(); ++d) {
    if (d < dim) outer *= out.shape()[d];
    if (d > dim) inner *= out.shape()[d];
  }
  for (const Array& a : inputs) {
    check_same(op, out, a);
    EMBER_CHECK(a.dtype() == out.dtype() && a.is_contiguous() && a.ndim() == out.ndim(), Value,
                "[cat] internal: inputs must be contiguous and of the output's dtype");
  }
  cuda::DeviceGuard g(out.device().index, op);
  if (out.numel() == 0) return;
  const int64_t out_row = out.shape()[dim] * inner;
  int64_t col = 0;
  for (size_t first = 0; first < inputs.size(); first += kCatMax) {
    CatTable t;
    std::memset(&t, 0, sizeof(t));
    t.outer = outer;
    t.out_row = out_row;
    int m = 0;
    int64_t most = 0;
    for (size_t i = first; i < inputs.size() && i < first + kCatMax; ++i) {
      const int64_t row = inputs[i].shape()[dim] * inner;
      if (row > 0) {
        t.ptr[m] = inputs[i].data_ptr();
        t.row[m] = row;
        t.col[m] = col;
        most = std::max(most, row * outer);
        ++m;
      }
      col += row;
    }
    if (m == 0) continue;
    const dim3 grid(cuda::grid_for(most, 4), static_cast<unsigned>(m));
    dispatch_bytes(out.itemsize(), [&](auto tag) {
      using B = decltype(tag);
      cat_kernel<B><<<grid, cuda::kThreads, 0, cuda::current_stream()>>>(static_cast<B*>(out.data_ptr()), t);
    });
    cuda::check_launch(op);
  }
}

// ---------------------------------------------------------------- where

template <class B>
__global__ void where_kernel(B* out, const bool* cond, const B* a, const B* b, B av, B bv, int64_t n,
                             StridedIndex<4> ix) {  // out may be one of the inputs (in place): no __restrict__
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step) {
    int64_t off[4];
    ix.offsets(i, off);
    out[off[0]] = cond[off[1]] ? (a ? a[off[2]] : av) : (b ? b[off[3]] : bv);
  }
}

void where_cuda(const Array& out, const Array& cond, const Array* a, const Array* b, uint64_t a_bits,
                uint64_t b_bits) {
  const char* op = "where";
  EMBER_CHECK(out.device().is_cuda(), Runtime, "[where] expected a CUDA output, got ", out.device().str());
  check_same(op, out, cond);
  if (a) check_same(op, out, *a);
  if (b) check_same(op, out, *b);
  EMBER_CHECK(cond.dtype() == DType::Bool && (!a || a->dtype() == out.dtype()) && (!b || b->dtype() == out.dtype()),
              Type, "[where] internal: operand dtypes do not match");
  auto fits = [&](const Array& x) {
    if (x.ndim() > out.ndim()) return false;
    for (int64_t j = 0; j < x.ndim(); ++j) {
      const int64_t s = x.shape()[j], d = out.shape()[j + out.ndim() - x.ndim()];
      if (s != d && s != 1) return false;
    }
    return true;
  };
  EMBER_CHECK(fits(cond) && (!a || fits(*a)) && (!b || fits(*b)), Value, "[where] operands of shapes ",
              shape_str(cond.shape()), " do not broadcast to the output shape ", shape_str(out.shape()));
  cuda::DeviceGuard g(out.device().index, op);
  const int64_t n = out.numel();
  if (n == 0) return;
  // A missing operand is replaced by out in the index (its offsets are never used).
  const StridedIndex<4> ix = make_strided_index<4>(out.shape(), {&out, &cond, a ? a : &out, b ? b : &out});
  dispatch_bytes(out.itemsize(), [&](auto t) {
    using B = decltype(t);
    B av, bv;
    std::memcpy(&av, &a_bits, sizeof(B));  // little-endian: the scalar's bytes come first
    std::memcpy(&bv, &b_bits, sizeof(B));
    where_kernel<B><<<cuda::grid_for(n), cuda::kThreads, 0, cuda::current_stream()>>>(
        static_cast<B*>(out.data_ptr()), cond.data<bool>(), a ? static_cast<const B*>(a->data_ptr()) : nullptr,
        b ? static_cast<const B*>(b->data_ptr()) : nullptr, av, bv, n, ix);
  });
  cuda::check_launch(op);
}

}  // namespace
}  // namespace shape_cuda

EMBER_CUDA_REGISTER(shape_triangle, shape_cuda::triangle_cuda);
EMBER_CUDA_REGISTER(shape_cat, shape_cuda::cat_cuda);
EMBER_CUDA_REGISTER(shape_where, shape_cuda::where_cuda);

}  // namespace ember
