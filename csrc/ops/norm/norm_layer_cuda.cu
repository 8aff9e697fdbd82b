// norm_layer_cuda.cu — layer norm and RMS norm over the last D elements of each row,
// forward and fused backward, CUDA.
//
// Layout: x contiguous (R, D). A team of threads owns a row: one warp (8 rows per
// 256-thread block) when D <= 1024, else the whole block. While D <= kVals * TEAM
// each thread keeps its kVals strided elements in registers, so a row is read from
// memory once: forward = mean, then the sum of squared deviations (two-pass, exact
// for large means), then y; backward dx = the two row sums of w*dy and w*dy*xhat,
// then dx. Longer rows re-read (from L1/L2).
// Parameter grads: a 32x8 block owns 32 columns and a chunk of rows (coalesced
// column reads), reduces its 8 row-lanes in shared memory and writes a float64
// partial per chunk; a second kernel adds the chunks of each column in order —
// deterministic, no atomics. float16/bfloat16 compute in float, float64 in double.
#include <cmath>

#include "norm_cuda.h"
#include "norm_cuda_common.cuh"

namespace ember {
namespace norm_cuda {
namespace {

constexpr int kVals = 32;  // register-cached elements per thread
constexpr int64_t kWarpRowMax = 1024;
constexpr int kColW = 32, kColH = 8;

__device__ __forceinline__ float rsqrt_acc(float v) { return 1.0f / sqrtf(v); }
__device__ __forceinline__ double rsqrt_acc(double v) { return 1.0 / sqrt(v); }

// ---------------------------------------------------------------- forward
template <class T, int TEAM, bool CACHE>
__global__ void __launch_bounds__(cuda::kThreads)
    ln_forward_kernel(const T* __restrict__ x, T* __restrict__ y, const acc_t<T>* __restrict__ w,
                      const acc_t<T>* __restrict__ b, double* __restrict__ mean, double* __restrict__ rstd, int64_t R,
                      int64_t D, double eps, bool rms) {
  using A = acc_t<T>;
  constexpr int kRows = cuda::kThreads / TEAM;
  __shared__ A smem[32];
  const int team = threadIdx.x / TEAM, lane = threadIdx.x % TEAM;
  const A inv_d = A(1) / static_cast<A>(D);
  // The loop bound is uniform over a team: every thread of it reaches the reductions.
  for (int64_t row = static_cast<int64_t>(blockIdx.x) * kRows + team; row < R;
       row += static_cast<int64_t>(gridDim.x) * kRows) {
    const T* xr = x + row * D;
    T* yr = y + row * D;
    A v[CACHE ? kVals : 1];
    A s = 0;
    if constexpr (CACHE) {
#pragma unroll
      for (int k = 0; k < kVals; ++k) {
        const int64_t c = lane + static_cast<int64_t>(k) * TEAM;
        v[k] = c < D ? DevCvt<T>::load(xr[c]) : A(0);
        s += rms ? v[k] * v[k] : v[k];
      }
    } else {
      for (int64_t c = lane; c < D; c += TEAM) {
        const A t = DevCvt<T>::load(xr[c]);
        s += rms ? t * t : t;
      }
    }
    s = team_sum<TEAM>(s, smem);
    A mu = 0, var;
    if (rms) {
      var = s * inv_d;
    } else {
      mu = s * inv_d;
      A q = 0;
      if constexpr (CACHE) {
#pragma unroll
        for (int k = 0; k < kVals; ++k) {
          const int64_t c = lane + static_cast<int64_t>(k) * TEAM;
          const A d = v[k] - mu;
          if (c < D) q += d * d;
        }
      } else {
        for (int64_t c = lane; c < D; c += TEAM) {
          const A d = DevCvt<T>::load(xr[c]) - mu;
          q += d * d;
        }
      }
      var = team_sum<TEAM>(q, smem) * inv_d;
    }
    const A rs = rsqrt_acc(var + static_cast<A>(eps));
    if (lane == 0) {
      mean[row] = static_cast<double>(mu);
      rstd[row] = static_cast<double>(rs);
    }
    if constexpr (CACHE) {
#pragma unroll
      for (int k = 0; k < kVals; ++k) {
        const int64_t c = lane + static_cast<int64_t>(k) * TEAM;
        if (c < D) {
          A o = (v[k] - mu) * rs;
          if (w) o *= w[c];
          if (b) o += b[c];
          yr[c] = DevCvt<T>::store(o);
        }
      }
    } else {
      for (int64_t c = lane; c < D; c += TEAM) {
        A o = (DevCvt<T>::load(xr[c]) - mu) * rs;
        if (w) o *= w[c];
        if (b) o += b[c];
        yr[c] = DevCvt<T>::store(o);
      }
    }
  }
}

// ---------------------------------------------------------------- backward: dx
// dx = rstd*w*dy + (x - mean)*b + c, b = -rstd^3 * s2/D, c = -rstd * s1/D (0 for rms),
// s1 = sum w*dy, s2 = sum w*dy*(x - mean).
template <class T, int TEAM, bool CACHE>
__global__ void __launch_bounds__(cuda::kThreads)
    ln_backward_dx_kernel(const T* __restrict__ dy, const T* __restrict__ x, const acc_t<T>* __restrict__ w,
                          const double* __restrict__ mean, const double* __restrict__ rstd, T* __restrict__ dx,
                          int64_t R, int64_t D, bool rms) {
  using A = acc_t<T>;
  constexpr int kRows = cuda::kThreads / TEAM;
  __shared__ Pair<A> smem[32];
  const int team = threadIdx.x / TEAM, lane = threadIdx.x % TEAM;
  const A inv_d = A(1) / static_cast<A>(D);
  for (int64_t row = static_cast<int64_t>(blockIdx.x) * kRows + team; row < R;
       row += static_cast<int64_t>(gridDim.x) * kRows) {
    const T* gr = dy + row * D;
    const T* xr = x + row * D;
    T* dr = dx + row * D;
    const A mu = rms ? A(0) : static_cast<A>(mean[row]);
    const A rs = static_cast<A>(rstd[row]);
    A gv[CACHE ? kVals : 1], xv[CACHE ? kVals : 1];
    Pair<A> s{A(0), A(0)};
    if constexpr (CACHE) {
#pragma unroll
      for (int k = 0; k < kVals; ++k) {
        const int64_t c = lane + static_cast<int64_t>(k) * TEAM;
        gv[k] = A(0);
        xv[k] = A(0);
        if (c < D) {
          gv[k] = DevCvt<T>::load(gr[c]);
          if (w) gv[k] *= w[c];
          xv[k] = DevCvt<T>::load(xr[c]) - mu;
        }
        s.a += gv[k];
        s.b += gv[k] * xv[k];
      }
    } else {
      for (int64_t c = lane; c < D; c += TEAM) {
        A g = DevCvt<T>::load(gr[c]);
        if (w) g *= w[c];
        s.a += g;
        s.b += g * (DevCvt<T>::load(xr[c]) - mu);
      }
    }
    s = team_reduce<TEAM>(s, PairSumF(), smem);
    const A bb = -rs * rs * rs * s.b * inv_d;
    const A cc = rms ? A(0) : -rs * s.a * inv_d;
    if constexpr (CACHE) {
#pragma unroll
      for (int k = 0; k < kVals; ++k) {
        const int64_t c = lane + static_cast<int64_t>(k) * TEAM;
        if (c < D) dr[c] = DevCvt<T>::store(gv[k] * rs + (xv[k] * bb + cc));
      }
    } else {
      for (int64_t c = lane; c < D; c += TEAM) {
        A g = DevCvt<T>::load(gr[c]);
        if (w) g *= w[c];
        dr[c] = DevCvt<T>::store(g * rs + ((DevCvt<T>::load(xr[c]) - mu) * bb + cc));
      }
    }
  }
}

// ---------------------------------------------------------------- backward: params
// part_w[b*D + j] = sum over chunk b's rows of dy*(x - mean)*rstd, part_b: of dy.
template <class T>
__global__ void ln_params_partial(const T* __restrict__ dy, const T* __restrict__ x, const double* __restrict__ mean,
                                  const double* __restrict__ rstd, int64_t R, int64_t D, int64_t chunk, bool rms,
                                  double* __restrict__ part_w, double* __restrict__ part_b) {
  using A = acc_t<T>;
  __shared__ Pair<A> smem[kColH][kColW + 1];
  const int tx = threadIdx.x, ty = threadIdx.y;
  const int64_t j = static_cast<int64_t>(blockIdx.x) * kColW + tx, b = blockIdx.y;
  const int64_t r0 = b * chunk, r1 = min(R, r0 + chunk);
  Pair<A> acc{A(0), A(0)};
  if (j < D) {
    for (int64_t r = r0 + ty; r < r1; r += kColH) {
      const A g = DevCvt<T>::load(dy[r * D + j]);
      const A mu = rms ? A(0) : static_cast<A>(mean[r]);
      acc.a += g * ((DevCvt<T>::load(x[r * D + j]) - mu) * static_cast<A>(rstd[r]));
      acc.b += g;
    }
  }
  smem[ty][tx] = acc;
  __syncthreads();
  if (ty == 0 && j < D) {
    double sw = 0, sb = 0;
    for (int r = 0; r < kColH; ++r) {
      sw += static_cast<double>(smem[r][tx].a);
      sb += static_cast<double>(smem[r][tx].b);
    }
    part_w[b * D + j] = sw;
    part_b[b * D + j] = sb;
  }
}

__global__ void ln_params_final(const double* __restrict__ part_w, const double* __restrict__ part_b, int64_t B,
                                int64_t D, double* __restrict__ gw, double* __restrict__ gb) {
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t j = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; j < D; j += step) {
    double sw = 0, sb = 0;
    for (int64_t b = 0; b < B; ++b) {
      sw += part_w[b * D + j];
      sb += part_b[b * D + j];
    }
    if (gw) gw[j] = sw;
    if (gb) gb[j] = sb;
  }
}

// ---------------------------------------------------------------- host side
template <class T>
void launch_forward(const Array& y, const Array& mean, const Array& rstd, const Array& x, const Array& w,
                    const Array& b, int64_t R, int64_t D, double eps, bool rms, cudaStream_t st) {
  using A = acc_t<T>;
  const A* wp = opt_data<A>(w);
  const A* bp = opt_data<A>(b);
  if (D <= kWarpRowMax)
    ln_forward_kernel<T, 32, true><<<team_grid(R, cuda::kThreads / 32), cuda::kThreads, 0, st>>>(
        x.data<T>(), y.data<T>(), wp, bp, mean.data<double>(), rstd.data<double>(), R, D, eps, rms);
  else if (D <= int64_t(kVals) * cuda::kThreads)
    ln_forward_kernel<T, cuda::kThreads, true><<<team_grid(R, 1), cuda::kThreads, 0, st>>>(
        x.data<T>(), y.data<T>(), wp, bp, mean.data<double>(), rstd.data<double>(), R, D, eps, rms);
  else
    ln_forward_kernel<T, cuda::kThreads, false><<<team_grid(R, 1), cuda::kThreads, 0, st>>>(
        x.data<T>(), y.data<T>(), wp, bp, mean.data<double>(), rstd.data<double>(), R, D, eps, rms);
}

template <class T>
void launch_dx(const Array& dx, const Array& dy, const Array& x, const Array& w, const Array& mean,
               const Array& rstd, int64_t R, int64_t D, bool rms, cudaStream_t st) {
  using A = acc_t<T>;
  const A* wp = opt_data<A>(w);
  if (D <= kWarpRowMax)
    ln_backward_dx_kernel<T, 32, true><<<team_grid(R, cuda::kThreads / 32), cuda::kThreads, 0, st>>>(
        dy.data<T>(), x.data<T>(), wp, mean.data<double>(), rstd.data<double>(), dx.data<T>(), R, D, rms);
  else if (D <= int64_t(kVals) * cuda::kThreads)
    ln_backward_dx_kernel<T, cuda::kThreads, true><<<team_grid(R, 1), cuda::kThreads, 0, st>>>(
        dy.data<T>(), x.data<T>(), wp, mean.data<double>(), rstd.data<double>(), dx.data<T>(), R, D, rms);
  else
    ln_backward_dx_kernel<T, cuda::kThreads, false><<<team_grid(R, 1), cuda::kThreads, 0, st>>>(
        dy.data<T>(), x.data<T>(), wp, mean.data<double>(), rstd.data<double>(), dx.data<T>(), R, D, rms);
}

void ln_forward(const Array& y, const Array& mean, const Array& rstd, const Array& x, const Array& weight,
                const Array& bias, int64_t R, int64_t D, double eps, bool rms) {
  const char* op = rms ? "rms_norm" : "layer_norm";
  check_arrays(op, x, {&y, &mean, &rstd, &x, &weight, &bias});
  const DType cd = compute_dtype(x.dtype());
  EMBER_CHECK(y.dtype() == x.dtype() && mean.dtype() == DType::Float64 && rstd.dtype() == DType::Float64 &&
                  (!weight.defined() || weight.dtype() == cd) && (!bias.defined() || bias.dtype() == cd),
              Type, "[", op, "] CUDA kernel: unexpected dtypes");
  EMBER_CHECK(D > 0 && x.numel() == R * D && y.numel() == R * D && mean.numel() == R && rstd.numel() == R &&
                  (!weight.defined() || weight.numel() == D) && (!bias.defined() || bias.numel() == D),
              Value, "[", op, "] CUDA kernel: sizes do not match (R, D)");
  if (R == 0) return;
  cuda::DeviceGuard guard(x.device().index, op);
  cudaStream_t st = cuda::current_stream();
  EMBER_DISPATCH_ALL_FLOAT(x.dtype(), op, [&] {
    launch_forward<scalar_t>(y, mean, rstd, x, weight, bias, R, D, eps, rms, st);
    cuda::check_launch(op);
  });
}

void ln_backward(const Array& dx, const Array& gw, const Array& gb, const Array& dy, const Array& x,
                 const Array& mean, const Array& rstd, const Array& weight, int64_t R, int64_t D, bool rms) {
  const char* op = rms ? "rms_norm_backward" : "layer_norm_backward";
  check_arrays(op, x, {&dx, &gw, &gb, &dy, &x, &mean, &rstd, &weight});
  const DType cd = compute_dtype(x.dtype());
  EMBER_CHECK(dy.dtype() == x.dtype() && (!dx.defined() || dx.dtype() == x.dtype()) &&
                  mean.dtype() == DType::Float64 && rstd.dtype() == DType::Float64 &&
                  (!gw.defined() || gw.dtype() == DType::Float64) && (!gb.defined() || gb.dtype() == DType::Float64) &&
                  (!weight.defined() || weight.dtype() == cd),
              Type, "[", op, "] CUDA kernel: unexpected dtypes");
  EMBER_CHECK(D > 0 && x.numel() == R * D && dy.numel() == R * D && mean.numel() == R && rstd.numel() == R &&
                  (!gw.defined() || gw.numel() == D) && (!gb.defined() || gb.numel() == D) &&
                  (!weight.defined() || weight.numel() == D),
              Value, "[", op, "] CUDA kernel: sizes do not match (R, D)");
  cuda::DeviceGuard guard(x.device().index, op);
  cudaStream_t st = cuda::current_stream();
  if (R == 0) {
    if (gw.defined()) EMBER_CUDA_CHECK(cudaMemsetAsync(gw.data_ptr(), 0, gw.nbytes(), st), op);
    if (gb.defined()) EMBER_CUDA_CHECK(cudaMemsetAsync(gb.data_ptr(), 0, gb.nbytes(), st), op);
    return;
  }
  EMBER_DISPATCH_ALL_FLOAT(x.dtype(), op, [&] {
    using T = scalar_t;
    if (dx.defined()) {
      launch_dx<T>(dx, dy, x, weight, mean, rstd, R, D, rms, st);
      cuda::check_launch(op);
    }
    if (gw.defined() || gb.defined()) {
      const int64_t cols = (D + kColW - 1) / kColW;
      int64_t B = (1024 + cols - 1) / cols;
      const int64_t maxB = (R + kColH - 1) / kColH;
      B = B > maxB ? maxB : B;
      B = B > 65535 ? 65535 : (B < 1 ? 1 : B);
      const int64_t chunk = (R + B - 1) / B;
      B = (R + chunk - 1) / chunk;
      Array part = Array::empty({2, B, D}, DType::Float64, x.device(), op);
      double* pw = part.data<double>();
      double* pb = pw + B * D;
      ln_params_partial<T><<<dim3(static_cast<unsigned>(cols), static_cast<unsigned>(B)), dim3(kColW, kColH), 0,
                             st>>>(dy.data<T>(), x.data<T>(), mean.data<double>(), rstd.data<double>(), R, D, chunk,
                                   rms, pw, pb);
      cuda::check_launch(op);
      ln_params_final<<<cuda::grid_for(D), cuda::kThreads, 0, st>>>(pw, pb, B, D, opt_mut<double>(gw),
                                                                    opt_mut<double>(gb));
      cuda::check_launch(op);
    }
  });
}

}  // namespace
}  // namespace norm_cuda

EMBER_CUDA_REGISTER(norm_ln_forward, norm_cuda::ln_forward);
EMBER_CUDA_REGISTER(norm_ln_backward, norm_cuda::ln_backward);

}  // namespace ember
