// norm_batch_cuda.cu — batch norm forward (training / eval) and fused backward, the
// running-stat update and instance norm's running statistics, CUDA.
//
// Layout: x contiguous (N, C, S); channel c's statistics cover N runs x[n, c, :].
// Two-level reductions, deterministic (fixed merge orders, no atomics):
//  1. partials: per (channel, row chunk) Welford (forward) or (sum dy,
//     sum dy*(x - mean)) (backward), in float (double for float64), stored in double:
//     - row path (S >= kRowMin): block (c, chunk, segment) of 256 threads strides
//       its segment of each run x[n, c, :] of its chunk (coalesced along S; runs are
//       cut into segments only when channels x chunks give too few blocks);
//     - column path (short runs, e.g. (N, C) input): x is an (N, C*S) matrix; a
//       32x8 block owns 32 neighbouring columns (coalesced) and a row chunk, its 8
//       row-lanes merged in shared memory; channel c owns columns [c*S, (c+1)*S).
//  2. finalize: one warp per channel merges its partials (lane-strided, then a xor
//     tree) and writes mean/invstd (float64) and the coefficients of the affine pass.
//  3. the affine pass (norm_cuda_common.cuh) writes y or dx.
#include <cmath>

#include "norm_cuda.h"
#include "norm_cuda_common.cuh"

namespace ember {
namespace norm_cuda {
namespace {

using cuda_reduce::Welford;
using cuda_reduce::WelfordF;

constexpr int64_t kRowMin = 64;  // shorter runs take the column path
constexpr int kColW = 32, kColH = 8;
constexpr int64_t kTargetBlocks = 1024;

struct Plan {
  bool rows;
  int64_t B;       // row chunks
  int64_t chunk;   // rows per chunk
  int64_t SB = 1;  // row path: segments of each run (few channels and rows, long runs)
  int64_t seg = 0; // elements per segment
  int64_t P;       // partials per channel
  dim3 grid, block;
};

Plan make_plan(int64_t N, int64_t C, int64_t S) {
  Plan p;
  p.rows = S >= kRowMin;
  const int64_t cols = p.rows ? C : (C * S + kColW - 1) / kColW;
  int64_t B = (kTargetBlocks + cols - 1) / cols;
  const int64_t min_rows = p.rows ? 1 : kColH;  // a column block wants >= 8 rows per chunk
  const int64_t maxB = (N + min_rows - 1) / min_rows;
  if (B > maxB) B = maxB;
  if (B > 65535) B = 65535;
  if (B < 1) B = 1;
  p.chunk = (N + B - 1) / B;
  p.B = (N + p.chunk - 1) / p.chunk;
  if (p.B < 1) p.B = 1;
  p.seg = S;
  if (p.rows && cols * p.B < kTargetBlocks) {
    // Split each run into segments of >= 4 elements per thread.
    int64_t SB = (kTargetBlocks + cols * p.B - 1) / (cols * p.B);
    const int64_t maxSB = (S + 4 * cuda::kThreads - 1) / (4 * cuda::kThreads);
    SB = SB > maxSB ? maxSB : SB;
    SB = SB > 65535 ? 65535 : (SB < 1 ? 1 : SB);
    p.seg = (S + SB - 1) / SB;
    p.SB = (S + p.seg - 1) / p.seg;
  }
  p.P = p.rows ? p.B * p.SB : S * p.B;
  p.grid = dim3(static_cast<unsigned>(cols), static_cast<unsigned>(p.B), static_cast<unsigned>(p.SB));
  p.block = p.rows ? dim3(cuda::kThreads) : dim3(kColW, kColH);
  return p;
}

// ---------------------------------------------------------------- statistics
// Block (c, b, z): runs n of chunk b, elements [z*seg, (z+1)*seg) of each.
template <class T>
__global__ void stats_rows(const T* __restrict__ x, int64_t N, int64_t C, int64_t S, int64_t chunk, int64_t seg,
                           double* __restrict__ part) {
  using A = acc_t<T>;
  __shared__ Welford<A> smem[32];
  const int64_t c = blockIdx.x, b = blockIdx.y, z = blockIdx.z;
  const int64_t n0 = b * chunk, n1 = min(N, n0 + chunk);
  const int64_t s0 = z * seg, s1 = min(S, s0 + seg);
  Welford<A> w = Welford<A>::zero();
  for (int64_t n = n0; n < n1; ++n) {
    const T* row = x + (n * C + c) * S;
    for (int64_t s = s0 + threadIdx.x; s < s1; s += blockDim.x) w.push(DevCvt<T>::load(row[s]));
  }
  w = cuda_reduce::block_reduce(w, WelfordF(), smem);
  if (threadIdx.x == 0) {
    double* o = part + 3 * ((c * gridDim.y + b) * gridDim.z + z);
    o[0] = w.n;
    o[1] = w.mean;
    o[2] = w.m2;
  }
}

template <class T>
__global__ void stats_cols(const T* __restrict__ x, int64_t N, int64_t K, int64_t chunk, double* __restrict__ part) {
  using A = acc_t<T>;
  __shared__ Welford<A> smem[kColH][kColW + 1];
  const int tx = threadIdx.x, ty = threadIdx.y;
  const int64_t j = static_cast<int64_t>(blockIdx.x) * kColW + tx, b = blockIdx.y;
  const int64_t n0 = b * chunk, n1 = min(N, n0 + chunk);
  Welford<A> w = Welford<A>::zero();
  if (j < K)
    for (int64_t n = n0 + ty; n < n1; n += kColH) w.push(DevCvt<T>::load(x[n * K + j]));
  smem[ty][tx] = w;
  __syncthreads();
  if (ty == 0 && j < K) {
    for (int r = 1; r < kColH; ++r) w = Welford<A>::combine(w, smem[r][tx]);
    double* o = part + 3 * (j * gridDim.y + b);
    o[0] = w.n;
    o[1] = w.mean;
    o[2] = w.m2;
  }
}

// One warp per channel: merges partials [c*P, (c+1)*P) and writes the statistics
// and the forward coefficients (m = mean, b = w*invstd, c = bias).
template <class A>
__global__ void stats_finalize(const double* __restrict__ part, int64_t P, int64_t C, double eps,
                               double* __restrict__ mean, double* __restrict__ invstd, double* __restrict__ var_unb,
                               const A* __restrict__ w, const A* __restrict__ bias, A* __restrict__ coef) {
  const int lane = threadIdx.x & 31;
  const int64_t warps = static_cast<int64_t>(gridDim.x) * (blockDim.x / 32);
  for (int64_t c = static_cast<int64_t>(blockIdx.x) * (blockDim.x / 32) + threadIdx.x / 32; c < C; c += warps) {
    Welford<double> acc = Welford<double>::zero();
    for (int64_t i = lane; i < P; i += 32) {
      const double* p = part + 3 * (c * P + i);
      acc = Welford<double>::combine(acc, Welford<double>{p[0], p[1], p[2]});
    }
    acc = cuda_reduce::warp_reduce(acc, WelfordF());
    if (lane == 0) {
      const double inv = 1.0 / sqrt(acc.m2 / acc.n + eps);
      mean[c] = acc.mean;
      invstd[c] = inv;
      if (var_unb) var_unb[c] = acc.m2 / (acc.n - 1.0);
      coef[c] = static_cast<A>(acc.mean);
      coef[C + c] = A(0);
      coef[2 * C + c] = static_cast<A>(w ? static_cast<double>(w[c]) * inv : inv);
      coef[3 * C + c] = bias ? bias[c] : A(0);
    }
  }
}

template <class A>
__global__ void eval_coef(const double* __restrict__ rm, const double* __restrict__ rv, int64_t C, double eps,
                          double* __restrict__ mean, double* __restrict__ invstd, const A* __restrict__ w,
                          const A* __restrict__ bias, A* __restrict__ coef) {
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t c = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; c < C; c += step) {
    const double inv = 1.0 / sqrt(rv[c] + eps);
    mean[c] = rm[c];
    invstd[c] = inv;
    coef[c] = static_cast<A>(rm[c]);
    coef[C + c] = A(0);
    coef[2 * C + c] = static_cast<A>(w ? static_cast<double>(w[c]) * inv : inv);
    coef[3 * C + c] = bias ? bias[c] : A(0);
  }
}

// ---------------------------------------------------------------- backward sums
template <class T>
__global__ void sums_rows(const T* __restrict__ dy, const T* __restrict__ x, const double* __restrict__ mean,
                          int64_t N, int64_t C, int64_t S, int64_t chunk, int64_t seg, double* __restrict__ part) {
  using A = acc_t<T>;
  __shared__ Pair<A> smem[32];
  const int64_t c = blockIdx.x, b = blockIdx.y, z = blockIdx.z;
  const int64_t n0 = b * chunk, n1 = min(N, n0 + chunk);
  const int64_t s0 = z * seg, s1 = min(S, s0 + seg);
  const A mu = static_cast<A>(mean[c]);
  Pair<A> acc{A(0), A(0)};
  for (int64_t n = n0; n < n1; ++n) {
    const int64_t off = (n * C + c) * S;
    for (int64_t s = s0 + threadIdx.x; s < s1; s += blockDim.x) {
      const A g = DevCvt<T>::load(dy[off + s]);
      acc.a += g;
      acc.b += g * (DevCvt<T>::load(x[off + s]) - mu);
    }
  }
  acc = cuda_reduce::block_reduce(acc, PairSumF(), smem);
  if (threadIdx.x == 0) {
    double* o = part + 2 * ((c * gridDim.y + b) * gridDim.z + z);
    o[0] = acc.a;
    o[1] = acc.b;
  }
}

template <class T>
__global__ void sums_cols(const T* __restrict__ dy, const T* __restrict__ x, const double* __restrict__ mean,
                          int64_t N, int64_t K, int64_t S, int64_t chunk, double* __restrict__ part) {
  using A = acc_t<T>;
  __shared__ Pair<A> smem[kColH][kColW + 1];
  const int tx = threadIdx.x, ty = threadIdx.y;
  const int64_t j = static_cast<int64_t>(blockIdx.x) * kColW + tx, b = blockIdx.y;
  const int64_t n0 = b * chunk, n1 = min(N, n0 + chunk);
  Pair<A> acc{A(0), A(0)};
  if (j < K) {
    const A mu = static_cast<A>(mean[j / S]);
    for (int64_t n = n0 + ty; n < n1; n += kColH) {
      const A g = DevCvt<T>::load(dy[n * K + j]);
      acc.a += g;
      acc.b += g * (DevCvt<T>::load(x[n * K + j]) - mu);
    }
  }
  smem[ty][tx] = acc;
  __syncthreads();
  if (ty == 0 && j < K) {
    for (int r = 1; r < kColH; ++r) acc = PairSumF()(acc, smem[r][tx]);
    double* o = part + 2 * (j * gridDim.y + b);
    o[0] = acc.a;
    o[1] = acc.b;
  }
}

// One warp per channel: s_dy, s_dyx from the partials, then grad_weight = s_dyx *
// invstd, grad_bias = s_dy, and the dx coefficients (a = w*invstd; training:
// b = -a * s_dyx/M * invstd^2, c = -a * s_dy/M).
template <class A>
__global__ void sums_finalize(const double* __restrict__ part, int64_t P, int64_t C, double M, bool training,
                              const double* __restrict__ mean, const double* __restrict__ invstd,
                              const A* __restrict__ w, double* __restrict__ gw, double* __restrict__ gb,
                              A* __restrict__ coef) {
  const int lane = threadIdx.x & 31;
  const int64_t warps = static_cast<int64_t>(gridDim.x) * (blockDim.x / 32);
  for (int64_t c = static_cast<int64_t>(blockIdx.x) * (blockDim.x / 32) + threadIdx.x / 32; c < C; c += warps) {
    Pair<double> acc{0.0, 0.0};
    for (int64_t i = lane; i < P; i += 32) {
      acc.a += part[2 * (c * P + i)];
      acc.b += part[2 * (c * P + i) + 1];
    }
    acc = cuda_reduce::warp_reduce(acc, PairSumF());
    if (lane == 0) {
      const double inv = invstd[c];
      if (gw) gw[c] = acc.b * inv;
      if (gb) gb[c] = acc.a;
      if (coef) {
        const double k = (w ? static_cast<double>(w[c]) : 1.0) * inv;
        double b = 0, cc = 0;
        if (training && M > 0) {
          b = -k * (acc.b / M * inv * inv);
          cc = -k * acc.a / M;
        }
        coef[c] = static_cast<A>(mean[c]);
        coef[C + c] = static_cast<A>(k);
        coef[2 * C + c] = static_cast<A>(b);
        coef[3 * C + c] = static_cast<A>(cc);
      }
    }
  }
}

// Eval-mode dx without sums: dx = dy * w * invstd.
template <class A>
__global__ void eval_dx_coef(const double* __restrict__ mean, const double* __restrict__ invstd,
                             const A* __restrict__ w, int64_t C, A* __restrict__ coef) {
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t c = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; c < C; c += step) {
    coef[c] = static_cast<A>(mean[c]);
    coef[C + c] = static_cast<A>((w ? static_cast<double>(w[c]) : 1.0) * invstd[c]);
    coef[2 * C + c] = A(0);
    coef[3 * C + c] = A(0);
  }
}

// ---------------------------------------------------------------- running stats
__global__ void lerp_kernel(double* __restrict__ out, const double* __restrict__ cur, const double* __restrict__ stat,
                            int64_t n, double momentum) {
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step)
    out[i] = (1.0 - momentum) * cur[i] + momentum * stat[i];
}

__global__ void instance_stats_kernel(double* __restrict__ mo, double* __restrict__ vo, const double* __restrict__ mean,
                                      const double* __restrict__ var, int64_t N, int64_t C, double S) {
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t c = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; c < C; c += step) {
    double m = 0, v = 0;
    for (int64_t n = 0; n < N; ++n) {
      m += mean[n * C + c] / static_cast<double>(N);
      v += var[n * C + c] * S / (S - 1.0) / static_cast<double>(N);
    }
    mo[c] = m;
    vo[c] = v;
  }
}

// ---------------------------------------------------------------- host side
void bn_forward(const Array& y, const Array& mean, const Array& invstd, const Array& var_unb, const Array& x,
                const Array& weight, const Array& bias, const Array& rm, const Array& rv, int64_t N, int64_t C,
                int64_t S, bool training, double eps) {
  const char* op = "batch_norm";
  check_arrays(op, x, {&y, &mean, &invstd, &var_unb, &x, &weight, &bias, &rm, &rv});
  const DType cd = compute_dtype(x.dtype());
  EMBER_CHECK(y.dtype() == x.dtype() && mean.dtype() == DType::Float64 && invstd.dtype() == DType::Float64 &&
                  (!weight.defined() || weight.dtype() == cd) && (!bias.defined() || bias.dtype() == cd),
              Type, "[", op, "] CUDA kernel: unexpected dtypes");
  EMBER_CHECK(x.numel() == N * C * S && mean.numel() == C && invstd.numel() == C, Value, "[", op,
              "] CUDA kernel: sizes do not match (N, C, S)");
  EMBER_CHECK(training || (rm.defined() && rv.defined() && rm.dtype() == DType::Float64 &&
                           rv.dtype() == DType::Float64),
              Value, "[", op, "] CUDA kernel: eval needs float64 running stats");
  EMBER_CHECK(!(training && N * S == 0), Value, "[", op, "] CUDA kernel: empty batch (handled by the caller)");
  if (C == 0) return;
  cuda::DeviceGuard guard(x.device().index, op);
  cudaStream_t st = cuda::current_stream();
  EMBER_DISPATCH_ALL_FLOAT(x.dtype(), op, [&] {
    using T = scalar_t;
    using A = acc_t<T>;
    Array coef = Array::empty({4, C}, cd, x.device(), op);
    if (training) {
      const Plan p = make_plan(N, C, S);
      Array part = Array::empty({C * p.P * 3}, DType::Float64, x.device(), op);
      if (p.rows)
        stats_rows<T><<<p.grid, p.block, 0, st>>>(x.data<T>(), N, C, S, p.chunk, p.seg, part.data<double>());
      else
        stats_cols<T><<<p.grid, p.block, 0, st>>>(x.data<T>(), N, C * S, p.chunk, part.data<double>());
      cuda::check_launch(op);
      stats_finalize<A><<<team_grid(C, cuda::kThreads / 32), cuda::kThreads, 0, st>>>(
          part.data<double>(), p.P, C, eps, mean.data<double>(), invstd.data<double>(), opt_mut<double>(var_unb),
          opt_data<A>(weight), opt_data<A>(bias), coef.data<A>());
    } else {
      eval_coef<A><<<cuda::grid_for(C), cuda::kThreads, 0, st>>>(rm.data<double>(), rv.data<double>(), C, eps,
                                                                  mean.data<double>(), invstd.data<double>(),
                                                                  opt_data<A>(weight), opt_data<A>(bias),
                                                                  coef.data<A>());
    }
    cuda::check_launch(op);
    if (x.numel() > 0) launch_affine<T>(y, x, Array(), coef, C, S, op);
  });
}

void bn_backward(const Array& dx, const Array& gw, const Array& gb, const Array& dy, const Array& x,
                 const Array& mean, const Array& invstd, const Array& weight, int64_t N, int64_t C, int64_t S,
                 bool training) {
  const char* op = "batch_norm_backward";
  check_arrays(op, x, {&dx, &gw, &gb, &dy, &x, &mean, &invstd, &weight});
  const DType cd = compute_dtype(x.dtype());
  EMBER_CHECK(dy.dtype() == x.dtype() && (!dx.defined() || dx.dtype() == x.dtype()) &&
                  mean.dtype() == DType::Float64 && invstd.dtype() == DType::Float64 &&
                  (!gw.defined() || gw.dtype() == DType::Float64) && (!gb.defined() || gb.dtype() == DType::Float64) &&
                  (!weight.defined() || weight.dtype() == cd),
              Type, "[", op, "] CUDA kernel: unexpected dtypes");
  EMBER_CHECK(x.numel() == N * C * S && dy.numel() == x.numel() && mean.numel() == C && invstd.numel() == C, Value,
              "[", op, "] CUDA kernel: sizes do not match (N, C, S)");
  if (C == 0) return;
  cuda::DeviceGuard guard(x.device().index, op);
  cudaStream_t st = cuda::current_stream();
  if (x.numel() == 0) {
    if (gw.defined()) EMBER_CUDA_CHECK(cudaMemsetAsync(gw.data_ptr(), 0, gw.nbytes(), st), op);
    if (gb.defined()) EMBER_CUDA_CHECK(cudaMemsetAsync(gb.data_ptr(), 0, gb.nbytes(), st), op);
    return;
  }
  const bool need_sums = gw.defined() || gb.defined() || (dx.defined() && training);
  EMBER_DISPATCH_ALL_FLOAT(x.dtype(), op, [&] {
    using T = scalar_t;
    using A = acc_t<T>;
    Array coef = dx.defined() ? Array::empty({4, C}, cd, x.device(), op) : Array();
    if (need_sums) {
      const Plan p = make_plan(N, C, S);
      Array part = Array::empty({C * p.P * 2}, DType::Float64, x.device(), op);
      if (p.rows)
        sums_rows<T><<<p.grid, p.block, 0, st>>>(dy.data<T>(), x.data<T>(), mean.data<double>(), N, C, S, p.chunk,
                                                 p.seg, part.data<double>());
      else
        sums_cols<T><<<p.grid, p.block, 0, st>>>(dy.data<T>(), x.data<T>(), mean.data<double>(), N, C * S, S,
                                                 p.chunk, part.data<double>());
      cuda::check_launch(op);
      sums_finalize<A><<<team_grid(C, cuda::kThreads / 32), cuda::kThreads, 0, st>>>(
          part.data<double>(), p.P, C, static_cast<double>(N * S), training, mean.data<double>(),
          invstd.data<double>(), opt_data<A>(weight), opt_mut<double>(gw), opt_mut<double>(gb), opt_mut<A>(coef));
    } else if (dx.defined()) {
      eval_dx_coef<A><<<cuda::grid_for(C), cuda::kThreads, 0, st>>>(mean.data<double>(), invstd.data<double>(),
                                                                     opt_data<A>(weight), C, coef.data<A>());
    }
    cuda::check_launch(op);
    if (dx.defined()) launch_affine<T>(dx, x, dy, coef, C, S, op);
  });
}

void running_update(const Array& out, const Array& cur, const Array& stat, double momentum) {
  const char* op = "running_stats";
  check_arrays(op, out, {&out, &cur, &stat});
  EMBER_CHECK(out.dtype() == DType::Float64 && cur.dtype() == DType::Float64 && stat.dtype() == DType::Float64 &&
                  cur.numel() == out.numel() && stat.numel() == out.numel(),
              Type, "[", op, "] CUDA kernel: expected float64 arrays of one size");
  const int64_t n = out.numel();
  if (n == 0) return;
  cuda::DeviceGuard guard(out.device().index, op);
  lerp_kernel<<<cuda::grid_for(n), cuda::kThreads, 0, cuda::current_stream()>>>(
      out.data<double>(), cur.data<double>(), stat.data<double>(), n, momentum);
  cuda::check_launch(op);
}

void instance_stats(const Array& mo, const Array& vo, const Array& mean, const Array& var, int64_t N, int64_t C,
                    int64_t S) {
  const char* op = "instance_norm";
  check_arrays(op, mo, {&mo, &vo, &mean, &var});
  EMBER_CHECK(mo.numel() == C && vo.numel() == C && mean.numel() == N * C && var.numel() == N * C &&
                  mo.dtype() == DType::Float64 && vo.dtype() == DType::Float64 && mean.dtype() == DType::Float64 &&
                  var.dtype() == DType::Float64,
              Value, "[", op, "] CUDA kernel: unexpected running-stat arrays");
  if (C == 0) return;
  cuda::DeviceGuard guard(mo.device().index, op);
  instance_stats_kernel<<<cuda::grid_for(C), cuda::kThreads, 0, cuda::current_stream()>>>(
      mo.data<double>(), vo.data<double>(), mean.data<double>(), var.data<double>(), N, C, static_cast<double>(S));
  cuda::check_launch(op);
}

}  // namespace
}  // namespace norm_cuda

EMBER_CUDA_REGISTER(norm_bn_forward, norm_cuda::bn_forward);
EMBER_CUDA_REGISTER(norm_bn_backward, norm_cuda::bn_backward);
EMBER_CUDA_REGISTER(norm_running_update, norm_cuda::running_update);
EMBER_CUDA_REGISTER(norm_instance_stats, norm_cuda::instance_stats);

}  // namespace ember
