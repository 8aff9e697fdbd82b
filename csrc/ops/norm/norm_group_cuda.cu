// norm_group_cuda.cu — group norm forward and fused backward, CUDA (instance norm
// runs on it with G = C).
//
// Layout: x contiguous (N, C, S); group g of sample n is the contiguous run of
// L = (C/G)*S elements at (n*G + g)*L.
// Forward: a team per group run (a warp when L <= kWarpMax, else the block)
// computes Welford statistics in one pass (float; double for float64) -> mean / rstd
// (and the biased var) per (n, g); a per-(n, c) coefficient kernel folds weight and
// bias in; the shared affine pass (norm_cuda_common.cuh, K = N*C) writes y.
// Backward: a team per (n, c) run of S elements sums dy and dy*(x - mean); one thread
// per (n, g) folds the weighted group totals into per-(n, c) dx coefficients
// (dx = rstd*w*dy + b*(x - mean) + c); the affine pass writes dx; one thread per
// channel adds grad_weight / grad_bias over n in order. Deterministic throughout.
#include <cmath>

#include "norm_cuda.h"
#include "norm_cuda_common.cuh"

namespace ember {
namespace norm_cuda {
namespace {

using cuda_reduce::Welford;
using cuda_reduce::WelfordF;

constexpr int64_t kWarpMax = 2048;

// ---------------------------------------------------------------- forward
template <class T, int TEAM>
__global__ void __launch_bounds__(cuda::kThreads)
    gn_stats_kernel(const T* __restrict__ x, int64_t rows, int64_t L, double eps, double* __restrict__ mean,
                    double* __restrict__ rstd, double* __restrict__ var) {
  using A = acc_t<T>;
  constexpr int kRows = cuda::kThreads / TEAM;
  __shared__ Welford<A> smem[32];
  const int team = threadIdx.x / TEAM, lane = threadIdx.x % TEAM;
  for (int64_t r = static_cast<int64_t>(blockIdx.x) * kRows + team; r < rows;
       r += static_cast<int64_t>(gridDim.x) * kRows) {
    const T* xr = x + r * L;
    Welford<A> w = Welford<A>::zero();
    for (int64_t i = lane; i < L; i += TEAM) w.push(DevCvt<T>::load(xr[i]));
    w = team_reduce<TEAM>(w, WelfordF(), smem);
    if (lane == 0) {
      const double v = static_cast<double>(w.m2) / static_cast<double>(L);
      mean[r] = static_cast<double>(w.mean);
      rstd[r] = 1.0 / sqrt(v + eps);
      if (var) var[r] = v;
    }
  }
}

// coef rows (K = N*C): m = mean[n, g], a = 0, b = w[c]*rstd[n, g], c = bias[c].
template <class A>
__global__ void gn_forward_coef(const double* __restrict__ mean, const double* __restrict__ rstd,
                                const A* __restrict__ w, const A* __restrict__ bias, int64_t N, int64_t C, int64_t G,
                                A* __restrict__ coef) {
  const int64_t K = N * C, D = C / G, step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t k = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; k < K; k += step) {
    const int64_t n = k / C, c = k - n * C, ng = n * G + c / D;
    const double rs = rstd[ng];
    coef[k] = static_cast<A>(mean[ng]);
    coef[K + k] = A(0);
    coef[2 * K + k] = static_cast<A>(w ? static_cast<double>(w[c]) * rs : rs);
    coef[3 * K + k] = bias ? bias[c] : A(0);
  }
}

// ---------------------------------------------------------------- backward
// s_dy[k], s_dyx[k] for the (n, c) run k of S elements, x centred by mean[n, g].
template <class T, int TEAM>
__global__ void __launch_bounds__(cuda::kThreads)
    gn_sums_kernel(const T* __restrict__ dy, const T* __restrict__ x, const double* __restrict__ mean, int64_t K,
                   int64_t C, int64_t S, int64_t G, double* __restrict__ s_dy, double* __restrict__ s_dyx) {
  using A = acc_t<T>;
  constexpr int kRows = cuda::kThreads / TEAM;
  __shared__ Pair<A> smem[32];
  const int team = threadIdx.x / TEAM, lane = threadIdx.x % TEAM;
  const int64_t D = C / G;
  for (int64_t k = static_cast<int64_t>(blockIdx.x) * kRows + team; k < K;
       k += static_cast<int64_t>(gridDim.x) * kRows) {
    const int64_t n = k / C, c = k - n * C;
    const A mu = static_cast<A>(mean[n * G + c / D]);
    const T* gr = dy + k * S;
    const T* xr = x + k * S;
    Pair<A> acc{A(0), A(0)};
    for (int64_t s = lane; s < S; s += TEAM) {
      const A g = DevCvt<T>::load(gr[s]);
      acc.a += g;
      acc.b += g * (DevCvt<T>::load(xr[s]) - mu);
    }
    acc = team_reduce<TEAM>(acc, PairSumF(), smem);
    if (lane == 0) {
      s_dy[k] = static_cast<double>(acc.a);
      s_dyx[k] = static_cast<double>(acc.b);
    }
  }
}

// One thread per (n, g): t1 = sum_c w*s_dy, t2 = sum_c w*s_dyx over the group's
// channels; dx coefficients of each channel (M = D*S):
// a = w*rstd, b = -rstd^3 * t2/M, c = -rstd * t1/M.
template <class A>
__global__ void gn_backward_coef(const double* __restrict__ s_dy, const double* __restrict__ s_dyx,
                                 const double* __restrict__ mean, const double* __restrict__ rstd,
                                 const A* __restrict__ w, int64_t N, int64_t C, int64_t S, int64_t G,
                                 A* __restrict__ coef) {
  const int64_t K = N * C, D = C / G, step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  const double M = static_cast<double>(D * S);
  for (int64_t ng = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; ng < N * G; ng += step) {
    const int64_t n = ng / G, c0 = (ng - n * G) * D;
    double t1 = 0, t2 = 0;
    for (int64_t d = 0; d < D; ++d) {
      const double wc = w ? static_cast<double>(w[c0 + d]) : 1.0;
      t1 += wc * s_dy[n * C + c0 + d];
      t2 += wc * s_dyx[n * C + c0 + d];
    }
    const double rs = rstd[ng];
    const A bb = static_cast<A>(-rs * rs * rs * t2 / M), cc = static_cast<A>(-rs * t1 / M);
    const A mu = static_cast<A>(mean[ng]);
    for (int64_t d = 0; d < D; ++d) {
      const int64_t k = n * C + c0 + d;
      coef[k] = mu;
      coef[K + k] = static_cast<A>((w ? static_cast<double>(w[c0 + d]) : 1.0) * rs);
      coef[2 * K + k] = bb;
      coef[3 * K + k] = cc;
    }
  }
}

// grad_weight[c] = sum_n s_dyx[n, c] * rstd[n, g], grad_bias[c] = sum_n s_dy[n, c].
__global__ void gn_param_grads(const double* __restrict__ s_dy, const double* __restrict__ s_dyx,
                               const double* __restrict__ rstd, int64_t N, int64_t C, int64_t G,
                               double* __restrict__ gw, double* __restrict__ gb) {
  const int64_t D = C / G, step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t c = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; c < C; c += step) {
    double sw = 0, sb = 0;
    for (int64_t n = 0; n < N; ++n) {
      sw += s_dyx[n * C + c] * rstd[n * G + c / D];
      sb += s_dy[n * C + c];
    }
    if (gw) gw[c] = sw;
    if (gb) gb[c] = sb;
  }
}

// ---------------------------------------------------------------- host side
void gn_forward(const Array& y, const Array& mean, const Array& rstd, const Array& var, const Array& x,
                const Array& weight, const Array& bias, int64_t N, int64_t C, int64_t S, int64_t G, double eps) {
  const char* op = "group_norm";
  check_arrays(op, x, {&y, &mean, &rstd, &var, &x, &weight, &bias});
  const DType cd = compute_dtype(x.dtype());
  EMBER_CHECK(y.dtype() == x.dtype() && mean.dtype() == DType::Float64 && rstd.dtype() == DType::Float64 &&
                  (!var.defined() || var.dtype() == DType::Float64) && (!weight.defined() || weight.dtype() == cd) &&
                  (!bias.defined() || bias.dtype() == cd),
              Type, "[", op, "] CUDA kernel: unexpected dtypes");
  EMBER_CHECK(G > 0 && C % G == 0 && x.numel() == N * C * S && mean.numel() == N * G && rstd.numel() == N * G &&
                  (!var.defined() || var.numel() == N * G),
              Value, "[", op, "] CUDA kernel: sizes do not match (N, C, S, G)");
  if (x.numel() == 0) return;  // the caller fills the statistics of empty groups
  cuda::DeviceGuard guard(x.device().index, op);
  cudaStream_t st = cuda::current_stream();
  const int64_t rows = N * G, L = (C / G) * S;
  EMBER_DISPATCH_ALL_FLOAT(x.dtype(), op, [&] {
    using T = scalar_t;
    using A = acc_t<T>;
    if (L <= kWarpMax)
      gn_stats_kernel<T, 32><<<team_grid(rows, cuda::kThreads / 32), cuda::kThreads, 0, st>>>(
          x.data<T>(), rows, L, eps, mean.data<double>(), rstd.data<double>(), opt_mut<double>(var));
    else
      gn_stats_kernel<T, cuda::kThreads><<<team_grid(rows, 1), cuda::kThreads, 0, st>>>(
          x.data<T>(), rows, L, eps, mean.data<double>(), rstd.data<double>(), opt_mut<double>(var));
    cuda::check_launch(op);
    Array coef = Array::empty({4, N * C}, cd, x.device(), op);
    gn_forward_coef<A><<<cuda::grid_for(N * C), cuda::kThreads, 0, st>>>(
        mean.data<double>(), rstd.data<double>(), opt_data<A>(weight), opt_data<A>(bias), N, C, G, coef.data<A>());
    cuda::check_launch(op);
    launch_affine<T>(y, x, Array(), coef, N * C, S, op);
  });
}

void gn_backward(const Array& dx, const Array& gw, const Array& gb, const Array& dy, const Array& x,
                 const Array& mean, const Array& rstd, const Array& weight, int64_t N, int64_t C, int64_t S,
                 int64_t G) {
  const char* op = "group_norm_backward";
  check_arrays(op, x, {&dx, &gw, &gb, &dy, &x, &mean, &rstd, &weight});
  const DType cd = compute_dtype(x.dtype());
  EMBER_CHECK(dy.dtype() == x.dtype() && (!dx.defined() || dx.dtype() == x.dtype()) &&
                  mean.dtype() == DType::Float64 && rstd.dtype() == DType::Float64 &&
                  (!gw.defined() || gw.dtype() == DType::Float64) && (!gb.defined() || gb.dtype() == DType::Float64) &&
                  (!weight.defined() || weight.dtype() == cd),
              Type, "[", op, "] CUDA kernel: unexpected dtypes");
  EMBER_CHECK(G > 0 && C % G == 0 && x.numel() == N * C * S && dy.numel() == x.numel() && mean.numel() == N * G &&
                  rstd.numel() == N * G && (!gw.defined() || gw.numel() == C) && (!gb.defined() || gb.numel() == C),
              Value, "[", op, "] CUDA kernel: sizes do not match (N, C, S, G)");
  cuda::DeviceGuard guard(x.device().index, op);
  cudaStream_t st = cuda::current_stream();
  if (x.numel() == 0) {
    if (gw.defined()) EMBER_CUDA_CHECK(cudaMemsetAsync(gw.data_ptr(), 0, gw.nbytes(), st), op);
    if (gb.defined()) EMBER_CUDA_CHECK(cudaMemsetAsync(gb.data_ptr(), 0, gb.nbytes(), st), op);
    return;
  }
  if (!dx.defined() && !gw.defined() && !gb.defined()) return;
  const int64_t K = N * C;
  EMBER_DISPATCH_ALL_FLOAT(x.dtype(), op, [&] {
    using T = scalar_t;
    using A = acc_t<T>;
    Array sums = Array::empty({2, K}, DType::Float64, x.device(), op);
    double* s_dy = sums.data<double>();
    double* s_dyx = s_dy + K;
    if (S <= kWarpMax)
      gn_sums_kernel<T, 32><<<team_grid(K, cuda::kThreads / 32), cuda::kThreads, 0, st>>>(
          dy.data<T>(), x.data<T>(), mean.data<double>(), K, C, S, G, s_dy, s_dyx);
    else
      gn_sums_kernel<T, cuda::kThreads><<<team_grid(K, 1), cuda::kThreads, 0, st>>>(
          dy.data<T>(), x.data<T>(), mean.data<double>(), K, C, S, G, s_dy, s_dyx);
    cuda::check_launch(op);
    if (dx.defined()) {
      Array coef = Array::empty({4, K}, cd, x.device(), op);
      gn_backward_coef<A><<<cuda::grid_for(N * G), cuda::kThreads, 0, st>>>(
          s_dy, s_dyx, mean.data<double>(), rstd.data<double>(), opt_data<A>(weight), N, C, S, G, coef.data<A>());
      cuda::check_launch(op);
      launch_affine<T>(dx, x, dy, coef, K, S, op);
    }
    if (gw.defined() || gb.defined()) {
      gn_param_grads<<<cuda::grid_for(C), cuda::kThreads, 0, st>>>(s_dy, s_dyx, rstd.data<double>(), N, C, G,
                                                                   opt_mut<double>(gw), opt_mut<double>(gb));
      cuda::check_launch(op);
    }
  });
}

}  // namespace
}  // namespace norm_cuda

EMBER_CUDA_REGISTER(norm_gn_forward, norm_cuda::gn_forward);
EMBER_CUDA_REGISTER(norm_gn_backward, norm_cuda::gn_backward);

}  // namespace ember
