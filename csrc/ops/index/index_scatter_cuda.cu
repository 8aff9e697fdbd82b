// index_scatter_cuda.cu — CUDA scatter kernels of the index family: scatter_
// (assign / add / multiply, tensor or value source), scatter_reduce_ (sum, prod,
// mean, amax, amin), index_add_ (a 1-D index viewed with 0 strides) — all one
// kernel, index_scatter — and scatter_reduce's mean division.
//
// How: one thread per element of index's shape (grid-stride loop, StridedIndex<3>
// over (self with a 0 stride along dim, index, src)). Each element computes its
// target self[i with dim = index[i]] and updates it:
//   assign  plain store (duplicate indices: one of the writers wins, unspecified
//           which, as in torch on CUDA);
//   sum     atomicAdd for float/double, a CAS loop for the other dtypes;
//   prod, amax, amin  a CAS loop on the element's aligned 32/64-bit word
//           (atomic_update), NaN winning for amax/amin as on the CPU.
// Float sums with duplicate indices are therefore not bitwise deterministic.
// Indices are checked in the kernel (never dereferenced when bad; see index_cuda.h).
// Instantiated per dtype (8); int64 indices only (the host widens int32 ones).
#include <type_traits>

#include "index_cuda_common.cuh"

namespace ember {
namespace idx_cuda {
namespace {

template <class T>
__device__ __forceinline__ T apply_red(int red, T a, typename DevCvt<T>::C b) {
  using C = typename DevCvt<T>::C;
  const C y = DevCvt<T>::load(a);
  switch (red) {
    case kSum: return DevCvt<T>::store(y + b);
    case kProd: return DevCvt<T>::store(y * b);
    case kMax: return DevCvt<T>::store((b > y || b != b) ? b : y);
    case kMin: return DevCvt<T>::store((b < y || b != b) ? b : y);
    default: return DevCvt<T>::store(b);
  }
}

template <class T, class I>
__global__ void scatter_kernel(T* self, const I* __restrict__ index, const T* __restrict__ src, int64_t n,
                               StridedIndex<3> ix, int64_t dim_stride, int64_t size, int dim,
                               typename DevCvt<T>::C value, int red, typename DevCvt<T>::C alpha, bool scale,
                               IndexErrorRecord* rec, const char* op) {
  using C = typename DevCvt<T>::C;
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step) {
    int64_t off[3];
    ix.offsets(i, off);
    int64_t v = static_cast<int64_t>(index[off[1]]);
    if (!check_index(v, size, false, rec, dim, op)) continue;
    T* dst = self + off[0] + v * dim_stride;
    C b = src ? DevCvt<T>::load(src[off[2]]) : value;
    if (red == kAssign) {
      *dst = DevCvt<T>::store(b);
    } else if (red == kSum) {
      if (scale) b = static_cast<C>(b * alpha);
      if constexpr (std::is_same<T, float>::value || std::is_same<T, double>::value) {
        atomicAdd(dst, b);
      } else {
        atomic_update(dst, [b](T a) { return apply_red<T>(kSum, a, b); });
      }
    } else {
      atomic_update(dst, [b, red](T a) { return apply_red<T>(red, a, b); });
    }
  }
}

void scatter_cuda(const Array& self, int64_t dim, const Array& index, const Array* src, double value, int64_t ivalue,
                  int red, double alpha, const char* op) {
  EMBER_CHECK(self.device().is_cuda() && index.device() == self.device() && (!src || src->device() == self.device()),
              Runtime, "[", op, "] expected all tensors on the same device, got ", self.device().str(), ", ",
              index.device().str(), src ? " and " + src->device().str() : std::string());
  EMBER_CHECK(index.ndim() == self.ndim() && dim >= 0 && dim < self.ndim() &&
                  (!src || (src->shape() == index.shape() && src->dtype() == self.dtype())) && red >= kAssign &&
                  red <= kMin,
              Value, "[", op, "] internal: scatter operands do not match");
  cuda::DeviceGuard g(self.device().index, op);
  pending_error_check(op);
  const int64_t n = index.numel();
  if (n == 0) return;
  Shape st = self.strides();
  st[dim] = 0;
  for (int64_t d = 0; d < self.ndim(); ++d)
    if (d != dim && self.shape()[d] == 1) st[d] = 0;
  const Array sview(self.storage(), index.shape(), st, self.offset(), self.dtype());
  const Array& srcv = src ? *src : index;  // stands in for a missing src (offsets unused)
  const StridedIndex<3> ix = make_strided_index<3>(index.shape(), {&sview, &index, &srcv});
  IndexErrorRecord* rec = error_record(op);
  const int64_t dim_stride = self.strides()[dim], size = self.shape()[dim];
  EMBER_DISPATCH_ALL(self.dtype(), op, [&] {
    using T = scalar_t;
    using C = typename DevCvt<T>::C;
    // The value converted as the CPU's Cvt<T>::store<double> (integers exactly from ivalue).
    const C cv = is_floating(self.dtype()) ? static_cast<C>(value) : static_cast<C>(ivalue);
    const C al = static_cast<C>(alpha);
    with_index64(index, op, [&](auto it) {
      using I = decltype(it);
      scatter_kernel<T, I><<<cuda::grid_for(n), cuda::kThreads, 0, cuda::current_stream()>>>(
          static_cast<T*>(self.data_ptr()), static_cast<const I*>(index.data_ptr()),
          src ? static_cast<const T*>(src->data_ptr()) : nullptr, n, ix, dim_stride, size, static_cast<int>(dim), cv,
          red, al, alpha != 1.0, rec, op);
    });
  });
  cuda::check_launch(op);
}

// ---------------------------------------------------------------- mean

template <class T>
__global__ void mean_div_kernel(T* self, const int64_t* __restrict__ counts, int64_t n, StridedIndex<2> ix,
                                int64_t extra) {
  using C = typename DevCvt<T>::C;
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step) {
    int64_t off[2];
    ix.offsets(i, off);
    const int64_t c = counts[off[1]];
    if (c == 0) continue;
    T* p = self + off[0];
    const C v = DevCvt<T>::load(*p);
    if constexpr (std::is_floating_point<C>::value) {
      *p = DevCvt<T>::store(v / static_cast<C>(c + extra));
    } else if constexpr (!std::is_same<C, bool>::value) {
      // floor division, as torch (and scatter.cpp's div_count)
      const C d = static_cast<C>(c + extra);
      C q = v / d;
      if constexpr (std::is_signed<C>::value) {
        if ((v % d != 0) && ((v < 0) != (d < 0))) --q;
      }
      *p = DevCvt<T>::store(q);
    }
  }
}

void mean_div_cuda(const Array& self, const Array& counts, int64_t extra) {
  const char* op = "scatter_reduce";
  EMBER_CHECK(self.device().is_cuda() && counts.device() == self.device(), Runtime, "[", op,
              "] expected all tensors on the same device, got ", self.device().str(), " and ", counts.device().str());
  EMBER_CHECK(counts.shape() == self.shape() && counts.dtype() == DType::Int64, Value, "[", op,
              "] internal: counts must be int64 of self's shape");
  cuda::DeviceGuard g(self.device().index, op);
  const int64_t n = self.numel();
  if (n == 0 || self.dtype() == DType::Bool) return;
  const StridedIndex<2> ix = make_strided_index<2>(self.shape(), {&self, &counts});
  EMBER_DISPATCH_ALL(self.dtype(), op, [&] {
    mean_div_kernel<scalar_t><<<cuda::grid_for(n), cuda::kThreads, 0, cuda::current_stream()>>>(
        static_cast<scalar_t*>(self.data_ptr()), counts.data<int64_t>(), n, ix, extra);
  });
  cuda::check_launch(op);
}

}  // namespace
}  // namespace idx_cuda

EMBER_CUDA_REGISTER(index_scatter, idx_cuda::scatter_cuda);
EMBER_CUDA_REGISTER(index_scatter_mean_div, idx_cuda::mean_div_cuda);

}  // namespace ember
