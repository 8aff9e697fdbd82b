// pool_cuda.cu — max / average / adaptive pooling forward, average pooling backward,
// and the plane scatter / gather behind max-pool backward and max_unpool, CUDA.
//
// Layout: contiguous planes x (P, H, W), y (P, OH, OW) (pool_kernels.h's Geom; a
// 1-d op has H = OH = 1). One thread per output element (grid-stride, int64 index
// math): window loops read neighbouring inputs for neighbouring outputs, so loads
// coalesce along W. Values follow the CPU kernels (max_pool_cpu.cpp,
// avg_pool_cpu.cpp, adaptive_pool_cpu.cpp): same window clipping, divisors, tie and
// NaN rules. float16/bfloat16 accumulate in float, float64 in double.
// Average backward is a gather: one thread per input element sums grad / divisor
// over the windows that hold it, in the CPU's (oh, ow) order — deterministic.
// Scatter-add (max-pool backward) uses atomicAdd, one thread per source element.
// Interpolate: one separable pass per spatial dim with host-built tables
// (interpolate.cpp); forward gathers its taps per output, backward gathers per input
// through the inverted table (CSR), in the CPU's order — no atomics.
#include <limits>

#include "core/cuda_utils.cuh"
#include "pool_cuda.h"

namespace ember {
namespace {

using pool_detail::Geom;

inline __device__ int64_t ad_start(int64_t o, int64_t on, int64_t n) { return (o * n) / on; }
inline __device__ int64_t ad_end(int64_t o, int64_t on, int64_t n) { return ((o + 1) * n + on - 1) / on; }

// ---------------------------------------------------------------- max
template <class T>
__global__ void max_pool_kernel(const T* __restrict__ x, T* __restrict__ y, int64_t* __restrict__ idx, Geom g,
                                bool adaptive, int64_t total) {
  using A = typename DevCvt<T>::C;
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += step) {
    const int64_t ow = i % g.OW;
    const int64_t t = i / g.OW;
    const int64_t oh = t % g.OH;
    const int64_t p = t / g.OH;
    int64_t h0, h1, w0, w1, dh, dw;
    if (adaptive) {
      h0 = ad_start(oh, g.OH, g.H), h1 = ad_end(oh, g.OH, g.H);
      w0 = ad_start(ow, g.OW, g.W), w1 = ad_end(ow, g.OW, g.W);
      dh = dw = 1;
    } else {
      dh = g.dh, dw = g.dw;
      h0 = oh * g.sh - g.ph;
      h1 = min(h0 + (g.kh - 1) * g.dh + 1, g.H);
      while (h0 < 0) h0 += g.dh;
      w0 = ow * g.sw - g.pw;
      w1 = min(w0 + (g.kw - 1) * g.dw + 1, g.W);
      while (w0 < 0) w0 += g.dw;
    }
    const T* xp = x + p * g.H * g.W;
    int64_t best_i = h0 * g.W + w0;
    A best = -std::numeric_limits<A>::infinity();
    for (int64_t h = h0; h < h1; h += dh) {
      const T* row = xp + h * g.W;
      for (int64_t w = w0; w < w1; w += dw) {
        const A v = DevCvt<T>::load(row[w]);
        if (v > best || v != v) {
          best = v;
          best_i = h * g.W + w;
        }
      }
    }
    y[i] = DevCvt<T>::store(best);
    if (idx) idx[i] = best_i;
  }
}

// ---------------------------------------------------------------- average
struct Win {
  int64_t h0, h1, w0, w1, divisor;
};

// avg_pool_cpu.cpp's window(): clipped to the padded input (count_include_pad's
// divisor), then to the input.
inline __device__ Win avg_window(const Geom& g, int64_t oh, int64_t ow, bool cip, int64_t div_override) {
  Win r;
  r.h0 = oh * g.sh - g.ph;
  r.w0 = ow * g.sw - g.pw;
  r.h1 = min(r.h0 + g.kh, g.H + g.ph);
  r.w1 = min(r.w0 + g.kw, g.W + g.pw);
  const int64_t padded = (r.h1 - r.h0) * (r.w1 - r.w0);
  r.h0 = max(r.h0, int64_t(0));
  r.w0 = max(r.w0, int64_t(0));
  r.h1 = min(r.h1, g.H);
  r.w1 = min(r.w1, g.W);
  r.divisor = div_override ? div_override : cip ? padded : (r.h1 - r.h0) * (r.w1 - r.w0);
  return r;
}

template <class T>
__global__ void avg_pool_kernel(const T* __restrict__ x, T* __restrict__ y, Geom g, bool cip, int64_t div_override,
                                bool adaptive, int64_t total) {
  using A = typename DevCvt<T>::C;
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += step) {
    const int64_t ow = i % g.OW;
    const int64_t t = i / g.OW;
    const int64_t oh = t % g.OH;
    const int64_t p = t / g.OH;
    const T* xp = x + p * g.H * g.W;
    A sum = 0;
    if (adaptive) {
      const int64_t h0 = ad_start(oh, g.OH, g.H), h1 = ad_end(oh, g.OH, g.H);
      const int64_t w0 = ad_start(ow, g.OW, g.W), w1 = ad_end(ow, g.OW, g.W);
      for (int64_t h = h0; h < h1; ++h)
        for (int64_t w = w0; w < w1; ++w) sum += DevCvt<T>::load(xp[h * g.W + w]);
      y[i] = DevCvt<T>::store(sum / static_cast<A>(h1 - h0) / static_cast<A>(w1 - w0));
      continue;
    }
    const Win r = avg_window(g, oh, ow, cip, div_override);
    if (r.h0 >= r.h1 || r.w0 >= r.w1) {
      y[i] = DevCvt<T>::store(A(0));
      continue;
    }
    for (int64_t h = r.h0; h < r.h1; ++h)
      for (int64_t w = r.w0; w < r.w1; ++w) sum += DevCvt<T>::load(xp[h * g.W + w]);
    y[i] = DevCvt<T>::store(sum / static_cast<A>(r.divisor));
  }
}

// First output index o (>= 0) whose window [o*s - p, o*s - p + k) can hold input h.
inline __device__ int64_t first_window(int64_t h, int64_t k, int64_t s, int64_t p) {
  const int64_t num = h + p - k + 1;
  return num <= 0 ? 0 : (num + s - 1) / s;
}

template <class T>
__global__ void avg_pool_backward_kernel(const T* __restrict__ gy, T* __restrict__ gx, Geom g, bool cip,
                                         int64_t div_override, bool adaptive, int64_t total) {
  using A = typename DevCvt<T>::C;
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += step) {
    const int64_t w = i % g.W;
    const int64_t t = i / g.W;
    const int64_t h = t % g.H;
    const int64_t p = t / g.H;
    const T* gp = gy + p * g.OH * g.OW;
    A acc = 0;
    if (adaptive) {
      // Outputs o with start(o) <= h < end(o): o in [h*OH/H, ((h+1)*OH - 1)/H].
      const int64_t oh0 = (h * g.OH) / g.H, oh1 = min(((h + 1) * g.OH - 1) / g.H, g.OH - 1);
      const int64_t ow0 = (w * g.OW) / g.W, ow1 = min(((w + 1) * g.OW - 1) / g.W, g.OW - 1);
      for (int64_t oh = oh0; oh <= oh1; ++oh) {
        const int64_t h0 = ad_start(oh, g.OH, g.H), h1 = ad_end(oh, g.OH, g.H);
        if (h < h0 || h >= h1) continue;
        for (int64_t ow = ow0; ow <= ow1; ++ow) {
          const int64_t w0 = ad_start(ow, g.OW, g.W), w1 = ad_end(ow, g.OW, g.W);
          if (w < w0 || w >= w1) continue;
          acc += DevCvt<T>::load(gp[oh * g.OW + ow]) / static_cast<A>(h1 - h0) / static_cast<A>(w1 - w0);
        }
      }
    } else {
      const int64_t oh0 = first_window(h, g.kh, g.sh, g.ph), oh1 = min((h + g.ph) / g.sh, g.OH - 1);
      const int64_t ow0 = first_window(w, g.kw, g.sw, g.pw), ow1 = min((w + g.pw) / g.sw, g.OW - 1);
      for (int64_t oh = oh0; oh <= oh1; ++oh) {
        for (int64_t ow = ow0; ow <= ow1; ++ow) {
          const Win r = avg_window(g, oh, ow, cip, div_override);
          if (h < r.h0 || h >= r.h1 || w < r.w0 || w >= r.w1) continue;
          acc += DevCvt<T>::load(gp[oh * g.OW + ow]) / static_cast<A>(r.divisor);
        }
      }
    }
    gx[i] = DevCvt<T>::store(acc);
  }
}

// ---------------------------------------------------------------- scatter / gather
__device__ __forceinline__ void atomic_add(float* p, float v) { atomicAdd(p, v); }
__device__ __forceinline__ void atomic_add(double* p, double v) { atomicAdd(p, v); }
__device__ __forceinline__ void atomic_add(Half* p, float v) {
  atomicAdd(reinterpret_cast<__half*>(p), __float2half_rn(v));
}
__device__ __forceinline__ void atomic_add(BFloat16* p, float v) {
  atomicAdd(reinterpret_cast<__nv_bfloat16*>(p), __float2bfloat16_rn(v));
}

template <class T>
__global__ void scatter_kernel(const T* __restrict__ src, const int64_t* __restrict__ idx, T* __restrict__ out,
                               int64_t L, int64_t K, bool accumulate, int64_t total) {
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += step) {
    const int64_t l = idx[i];
    if (static_cast<uint64_t>(l) >= static_cast<uint64_t>(L)) continue;
    T* o = out + (i / K) * L + l;
    if (accumulate)
      atomic_add(o, DevCvt<T>::load(src[i]));
    else
      *o = src[i];
  }
}

template <class T>
__global__ void gather_kernel(const T* __restrict__ src, const int64_t* __restrict__ idx, T* __restrict__ out,
                              int64_t L, int64_t K, int64_t total) {
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += step) {
    const int64_t l = idx[i];
    out[i] = static_cast<uint64_t>(l) < static_cast<uint64_t>(L) ? src[(i / K) * L + l]
                                                                  : DevCvt<T>::store(0.0f);
  }
}

// ---------------------------------------------------------------- interpolate
template <class T>
__global__ void resample_kernel(const T* __restrict__ x, T* __restrict__ y, const int64_t* __restrict__ idx,
                                const typename DevCvt<T>::C* __restrict__ w, const int64_t* __restrict__ cnt,
                                int64_t in, int64_t out, int64_t inner, int64_t taps, int64_t total) {
  using A = typename DevCvt<T>::C;
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += step) {
    const int64_t c = i % inner;
    const int64_t t = i / inner;
    const int64_t j = t % out;
    const int64_t o = t / out;
    const T* xo = x + o * in * inner + c;
    const int64_t* ij = idx + j * taps;
    const A* wj = w + j * taps;
    A acc = wj[0] * DevCvt<T>::load(xo[ij[0] * inner]);
    for (int64_t k = 1; k < cnt[j]; ++k) acc += wj[k] * DevCvt<T>::load(xo[ij[k] * inner]);
    y[i] = DevCvt<T>::store(acc);
  }
}

template <class T>
__global__ void resample_backward_kernel(const T* __restrict__ gy, T* __restrict__ gx,
                                         const int64_t* __restrict__ offsets, const int64_t* __restrict__ src,
                                         const typename DevCvt<T>::C* __restrict__ w, int64_t in, int64_t out,
                                         int64_t inner, int64_t total) {
  using A = typename DevCvt<T>::C;
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += step) {
    const int64_t c = i % inner;
    const int64_t t = i / inner;
    const int64_t ii = t % in;
    const int64_t o = t / in;
    const T* go = gy + o * out * inner + c;
    A acc = 0;
    for (int64_t e = offsets[ii]; e < offsets[ii + 1]; ++e) acc += w[e] * DevCvt<T>::load(go[src[e] * inner]);
    gx[i] = DevCvt<T>::store(acc);
  }
}

// ---------------------------------------------------------------- host side
void check_planes(const char* op, const Array& out, const Array& in) {
  EMBER_CHECK(out.device() == in.device() && out.device().is_cuda(), Runtime, "[", op,
              "] expected all tensors on the same device, got ", out.device().str(), " and ", in.device().str());
  EMBER_CHECK(out.is_contiguous() && in.is_contiguous(), Value, "[", op, "] CUDA kernel expects contiguous arrays");
}

#define POOL_DISPATCH(DT, OP, ...) EMBER_DISPATCH_ALL_FLOAT(DT, OP, __VA_ARGS__)

void max_forward(const Array& y, const Array& idx, const Array& x, const Geom& g, bool adaptive) {
  const char* op = adaptive ? "adaptive_max_pool" : "max_pool";
  check_planes(op, y, x);
  EMBER_CHECK(y.dtype() == x.dtype() && (!idx.defined() || idx.dtype() == DType::Int64), Type, "[", op,
              "] CUDA kernel: dtype mismatch");
  const int64_t total = y.numel();
  if (total == 0) return;
  cuda::DeviceGuard guard(y.device().index, op);
  int64_t* ip = idx.defined() ? idx.data<int64_t>() : nullptr;
  POOL_DISPATCH(x.dtype(), op, [&] {
    max_pool_kernel<scalar_t><<<cuda::grid_for(total), cuda::kThreads, 0, cuda::current_stream()>>>(
        x.data<scalar_t>(), y.data<scalar_t>(), ip, g, adaptive, total);
    cuda::check_launch(op);
  });
}

void avg_forward(const Array& y, const Array& x, const Geom& g, bool cip, int64_t div_override, bool adaptive) {
  const char* op = adaptive ? "adaptive_avg_pool" : "avg_pool";
  check_planes(op, y, x);
  EMBER_CHECK(y.dtype() == x.dtype(), Type, "[", op, "] CUDA kernel: dtype mismatch");
  const int64_t total = y.numel();
  if (total == 0) return;
  cuda::DeviceGuard guard(y.device().index, op);
  POOL_DISPATCH(x.dtype(), op, [&] {
    avg_pool_kernel<scalar_t><<<cuda::grid_for(total), cuda::kThreads, 0, cuda::current_stream()>>>(
        x.data<scalar_t>(), y.data<scalar_t>(), g, cip, div_override, adaptive, total);
    cuda::check_launch(op);
  });
}

void avg_backward(const Array& gx, const Array& gy, const Geom& g, bool cip, int64_t div_override, bool adaptive) {
  const char* op = adaptive ? "adaptive_avg_pool_backward" : "avg_pool_backward";
  check_planes(op, gx, gy);
  EMBER_CHECK(gx.dtype() == gy.dtype(), Type, "[", op, "] CUDA kernel: dtype mismatch");
  const int64_t total = gx.numel();
  if (total == 0) return;
  cuda::DeviceGuard guard(gx.device().index, op);
  if (gy.numel() == 0) {  // adaptive output of size 0: nothing flows back
    EMBER_CUDA_CHECK(cudaMemsetAsync(gx.data_ptr(), 0, gx.nbytes(), cuda::current_stream()), op);
    return;
  }
  POOL_DISPATCH(gx.dtype(), op, [&] {
    avg_pool_backward_kernel<scalar_t><<<cuda::grid_for(total), cuda::kThreads, 0, cuda::current_stream()>>>(
        gy.data<scalar_t>(), gx.data<scalar_t>(), g, cip, div_override, adaptive, total);
    cuda::check_launch(op);
  });
}

void scatter_planes(const Array& out, const Array& src, const Array& idx, int64_t P, int64_t L, int64_t K,
                    bool accumulate) {
  const char* op = accumulate ? "pool_scatter_add" : "max_unpool";
  check_planes(op, out, src);
  check_planes(op, out, idx);
  EMBER_CHECK(out.dtype() == src.dtype() && idx.dtype() == DType::Int64, Type, "[", op,
              "] CUDA kernel: dtype mismatch");
  EMBER_CHECK(out.numel() == P * L && src.numel() == P * K && idx.numel() == P * K, Value, "[", op,
              "] CUDA kernel: sizes do not match the planes");
  if (out.numel() == 0) return;
  cuda::DeviceGuard guard(out.device().index, op);
  EMBER_CUDA_CHECK(cudaMemsetAsync(out.data_ptr(), 0, out.nbytes(), cuda::current_stream()), op);
  const int64_t total = P * K;
  if (total == 0) return;
  POOL_DISPATCH(out.dtype(), op, [&] {
    scatter_kernel<scalar_t><<<cuda::grid_for(total), cuda::kThreads, 0, cuda::current_stream()>>>(
        src.data<scalar_t>(), idx.data<int64_t>(), out.data<scalar_t>(), L, K, accumulate, total);
    cuda::check_launch(op);
  });
}

void gather_planes(const Array& out, const Array& src, const Array& idx, int64_t P, int64_t L, int64_t K) {
  const char* op = "pool_gather";
  check_planes(op, out, src);
  check_planes(op, out, idx);
  EMBER_CHECK(out.dtype() == src.dtype() && idx.dtype() == DType::Int64, Type, "[", op,
              "] CUDA kernel: dtype mismatch");
  EMBER_CHECK(out.numel() == P * K && src.numel() == P * L && idx.numel() == P * K, Value, "[", op,
              "] CUDA kernel: sizes do not match the planes");
  const int64_t total = P * K;
  if (total == 0) return;
  cuda::DeviceGuard guard(out.device().index, op);
  POOL_DISPATCH(out.dtype(), op, [&] {
    gather_kernel<scalar_t><<<cuda::grid_for(total), cuda::kThreads, 0, cuda::current_stream()>>>(
        src.data<scalar_t>(), idx.data<int64_t>(), out.data<scalar_t>(), L, K, total);
    cuda::check_launch(op);
  });
}

DType compute_of(DType d) { return d == DType::Float64 ? DType::Float64 : DType::Float32; }

void resample_dim(const Array& y, const Array& x, const Array& idx, const Array& w, const Array& count,
                  int64_t outer, int64_t in, int64_t out, int64_t inner, int64_t taps) {
  const char* op = "interpolate";
  check_planes(op, y, x);
  check_planes(op, y, idx);
  check_planes(op, y, w);
  check_planes(op, y, count);
  EMBER_CHECK(y.dtype() == x.dtype() && idx.dtype() == DType::Int64 && count.dtype() == DType::Int64 &&
                  w.dtype() == compute_of(x.dtype()),
              Type, "[", op, "] CUDA kernel: unexpected dtypes");
  EMBER_CHECK(taps >= 1 && x.numel() == outer * in * inner && y.numel() == outer * out * inner &&
                  idx.numel() == out * taps && w.numel() == out * taps && count.numel() == out,
              Value, "[", op, "] CUDA kernel: sizes do not match the table");
  const int64_t total = y.numel();
  if (total == 0) return;
  cuda::DeviceGuard guard(y.device().index, op);
  POOL_DISPATCH(x.dtype(), op, [&] {
    using A = typename DevCvt<scalar_t>::C;
    resample_kernel<scalar_t><<<cuda::grid_for(total), cuda::kThreads, 0, cuda::current_stream()>>>(
        x.data<scalar_t>(), y.data<scalar_t>(), idx.data<int64_t>(), w.data<A>(), count.data<int64_t>(), in, out,
        inner, taps, total);
    cuda::check_launch(op);
  });
}

void resample_dim_backward(const Array& gx, const Array& gy, const Array& offsets, const Array& src, const Array& w,
                           int64_t outer, int64_t in, int64_t out, int64_t inner) {
  const char* op = "interpolate_backward";
  check_planes(op, gx, gy);
  check_planes(op, gx, offsets);
  check_planes(op, gx, src);
  check_planes(op, gx, w);
  EMBER_CHECK(gx.dtype() == gy.dtype() && offsets.dtype() == DType::Int64 && src.dtype() == DType::Int64 &&
                  w.dtype() == compute_of(gy.dtype()),
              Type, "[", op, "] CUDA kernel: unexpected dtypes");
  EMBER_CHECK(gx.numel() == outer * in * inner && gy.numel() == outer * out * inner && offsets.numel() == in + 1 &&
                  src.numel() == w.numel(),
              Value, "[", op, "] CUDA kernel: sizes do not match the table");
  const int64_t total = gx.numel();
  if (total == 0) return;
  cuda::DeviceGuard guard(gx.device().index, op);
  POOL_DISPATCH(gy.dtype(), op, [&] {
    using A = typename DevCvt<scalar_t>::C;
    resample_backward_kernel<scalar_t><<<cuda::grid_for(total), cuda::kThreads, 0, cuda::current_stream()>>>(
        gy.data<scalar_t>(), gx.data<scalar_t>(), offsets.data<int64_t>(), src.data<int64_t>(), w.data<A>(), in,
        out, inner, total);
    cuda::check_launch(op);
  });
}

}  // namespace

EMBER_CUDA_REGISTER(pool_resample_dim, resample_dim);
EMBER_CUDA_REGISTER(pool_resample_dim_backward, resample_dim_backward);
EMBER_CUDA_REGISTER(pool_max_forward, max_forward);
EMBER_CUDA_REGISTER(pool_avg_forward, avg_forward);
EMBER_CUDA_REGISTER(pool_avg_backward, avg_backward);
EMBER_CUDA_REGISTER(pool_scatter_planes, scatter_planes);
EMBER_CUDA_REGISTER(pool_gather_planes, gather_planes);

}  // namespace ember
