// loss_cuda.cu — fused log-softmax + NLL (cross_entropy) and plain NLL (nll_loss),
// forward, reduction and backward, CUDA. The math is cross_entropy_cpu.cpp's:
//   loss = (1 - eps) * w_t * (lse - x_t) + eps / C * (W * lse - sum_c w_c x_c)
//   d/dx_c = sc * ([(1-eps) w_t + eps W / C] softmax_c - (1-eps) w_t [c == t] - eps w_c / C)
// with W = sum_c w_c; ignored samples give 0, targets out of range NaN.
//
// Layout: x contiguous (N, C, S), class stride S (loss_cuda.h).
// - S == 1 (rows): a team of threads per row — one warp when C <= kWarpRowMax, else
//   the whole 256-thread block. One pass over the row keeps an online (max, sum of
//   exp) pair per thread (plus sum w_c x_c and sum w_c for label smoothing), merged
//   by a warp/block reduction: the log-probabilities are never materialised.
//   Backward: the same teams, one read of x and one write of gx per element.
// - S > 1 (spatial): one thread per (n, s) sample walks the C classes; neighbouring
//   threads read neighbouring s, so every class step is a coalesced load.
// - Reduction: per-block float64 partials of (sum loss, sum w_t), then one block adds
//   the partials in order (deterministic), and writes the 0-d results.
// float16/bfloat16 inputs compute in float, float64 in double; x is read in its dtype.
#include <limits>

#include "core/cuda_utils.cuh"
#include "loss_cuda.h"
#include "ops/reduce/reduce_cuda.cuh"
#include "core/cuda_math.cuh"

namespace ember {
namespace {

using dmath::dexp;
using dmath::dlog;
using dmath::neg_inf;
using dmath::qnan;

using cuda_reduce::block_reduce;
using cuda_reduce::warp_reduce;

constexpr int64_t kWarpRowMax = 512;
constexpr int kReduceBlocks = 256;

// Online log-sum-exp state plus the label-smoothing sums.
template <class A>
struct Acc {
  A m, s, sx, sw;
};

template <class A>
__device__ __forceinline__ void acc_push(Acc<A>& a, A v) {
  if (v > a.m) {
    a.s = a.s * dexp(a.m - v) + A(1);  // m = -inf: exp(-inf) = 0
    a.m = v;
  } else if (v != neg_inf<A>()) {  // a NaN lands here and poisons s
    a.s += dexp(v - a.m);
  }
}

struct AccF {
  template <class A>
  __device__ __forceinline__ Acc<A> operator()(const Acc<A>& a, const Acc<A>& b) const {
    Acc<A> r;
    r.m = a.m > b.m ? a.m : b.m;
    if (r.m == neg_inf<A>())
      r.s = a.s + b.s;
    else
      r.s = a.s * dexp(a.m - r.m) + b.s * dexp(b.m - r.m);
    r.sx = a.sx + b.sx;
    r.sw = a.sw + b.sw;
    return r;
  }
};

// Reduction over a team of TEAM threads (32: a warp; kThreads: the block). Every
// thread of the team calls it; smem holds 32 values for the block case.
template <int TEAM, class V, class F>
__device__ __forceinline__ V team_reduce(V v, const F& f, V* smem) {
  if constexpr (TEAM == 32)
    return warp_reduce(v, f);
  else
    return block_reduce(v, f, smem);
}

// Per-sample loss from the row's statistics (lse, x_t, sums); t checked here.
template <class A>
__device__ __forceinline__ A sample_loss(A lse, A xt, int64_t t, const A* w, int64_t C, A one_m, A eps_c, bool smooth,
                                         A sx, A sw) {
  const A wt = w ? w[t] : A(1);
  A v = wt * (lse - xt);
  if (smooth) v = one_m * v + eps_c * ((w ? sw : static_cast<A>(C)) * lse - sx);
  return v;
}

// ---------------------------------------------------------------- forward
template <class T, int TEAM>
__global__ void __launch_bounds__(cuda::kThreads) ce_fwd_rows(const T* __restrict__ x, const int64_t* __restrict__ tg,
                                                              const typename DevCvt<T>::C* __restrict__ w,
                                                              typename DevCvt<T>::C* __restrict__ loss,
                                                              typename DevCvt<T>::C* __restrict__ lse, int64_t N,
                                                              int64_t C, int64_t ignore, double eps) {
  using A = typename DevCvt<T>::C;
  constexpr int kRows = cuda::kThreads / TEAM;
  __shared__ Acc<A> smem[32];
  const int team = threadIdx.x / TEAM, lane = threadIdx.x % TEAM;
  const bool smooth = eps > 0;
  const A one_m = static_cast<A>(1 - eps), eps_c = static_cast<A>(eps / static_cast<double>(C));
  // The loop bound is uniform over a team, so the team reduction is reached by all.
  for (int64_t row = static_cast<int64_t>(blockIdx.x) * kRows + team; row < N;
       row += static_cast<int64_t>(gridDim.x) * kRows) {
    const T* xr = x + row * C;
    Acc<A> a{neg_inf<A>(), A(0), A(0), A(0)};
    for (int64_t c = lane; c < C; c += TEAM) {
      const A v = DevCvt<T>::load(xr[c]);
      acc_push(a, v);
      if (smooth) {
        const A wc = w ? w[c] : A(1);
        a.sx += wc * v;
        a.sw += wc;
      }
    }
    a = team_reduce<TEAM>(a, AccF(), smem);
    if (lane == 0) {
      const A l = a.m + dlog(a.s);
      const int64_t t = tg[row];
      A out;
      if (t == ignore)
        out = A(0);
      else if (t < 0 || t >= C)
        out = qnan<A>();
      else
        out = sample_loss(l, DevCvt<T>::load(xr[t]), t, w, C, one_m, eps_c, smooth, a.sx, a.sw);
      loss[row] = out;
      lse[row] = l;
    }
  }
}

template <class T>
__global__ void ce_fwd_spatial(const T* __restrict__ x, const int64_t* __restrict__ tg,
                               const typename DevCvt<T>::C* __restrict__ w, typename DevCvt<T>::C* __restrict__ loss,
                               typename DevCvt<T>::C* __restrict__ lse, int64_t N, int64_t C, int64_t S,
                               int64_t ignore, double eps) {
  using A = typename DevCvt<T>::C;
  const bool smooth = eps > 0;
  const A one_m = static_cast<A>(1 - eps), eps_c = static_cast<A>(eps / static_cast<double>(C));
  const int64_t total = N * S, step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t j = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; j < total; j += step) {
    const int64_t n = j / S, s = j - n * S;
    const T* xp = x + n * C * S + s;
    Acc<A> a{neg_inf<A>(), A(0), A(0), A(0)};
    for (int64_t c = 0; c < C; ++c) {
      const A v = DevCvt<T>::load(xp[c * S]);
      acc_push(a, v);
      if (smooth) {
        const A wc = w ? w[c] : A(1);
        a.sx += wc * v;
        a.sw += wc;
      }
    }
    const A l = a.m + dlog(a.s);
    const int64_t t = tg[j];
    A out;
    if (t == ignore)
      out = A(0);
    else if (t < 0 || t >= C)
      out = qnan<A>();
    else
      out = sample_loss(l, DevCvt<T>::load(xp[t * S]), t, w, C, one_m, eps_c, smooth, a.sx, a.sw);
    loss[j] = out;
    lse[j] = l;
  }
}

// nll_loss: loss = -w_t * x_t, lse = 0.
template <class T>
__global__ void nll_fwd(const T* __restrict__ x, const int64_t* __restrict__ tg,
                        const typename DevCvt<T>::C* __restrict__ w, typename DevCvt<T>::C* __restrict__ loss,
                        typename DevCvt<T>::C* __restrict__ lse, int64_t N, int64_t C, int64_t S, int64_t ignore) {
  using A = typename DevCvt<T>::C;
  const int64_t total = N * S, step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t j = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; j < total; j += step) {
    const int64_t n = j / S, s = j - n * S;
    const int64_t t = tg[j];
    A out;
    if (t == ignore)
      out = A(0);
    else if (t < 0 || t >= C)
      out = qnan<A>();
    else
      out = (w ? w[t] : A(1)) * (A(0) - DevCvt<T>::load(x[(n * C + t) * S + s]));
    loss[j] = out;
    lse[j] = A(0);
  }
}

// ---------------------------------------------------------------- reduction
struct Pair {
  double a, b;
};
struct PairF {
  __device__ __forceinline__ Pair operator()(const Pair& x, const Pair& y) const { return Pair{x.a + y.a, x.b + y.b}; }
};

// Block partials: part[2*blockIdx.x] = sum of loss, part[2*blockIdx.x + 1] = sum of w_t.
template <class A>
__global__ void ce_reduce_partial(const A* __restrict__ loss, const int64_t* __restrict__ tg, const A* __restrict__ w,
                                  int64_t total, int64_t C, int64_t ignore, double* __restrict__ part) {
  __shared__ Pair smem[32];
  Pair p{0.0, 0.0};
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t j = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; j < total; j += step) {
    const int64_t t = tg[j];
    if (t == ignore) continue;
    p.a += static_cast<double>(loss[j]);
    if (t < 0 || t >= C)
      p.b += std::numeric_limits<double>::quiet_NaN();
    else
      p.b += w ? static_cast<double>(w[t]) : 1.0;
  }
  p = block_reduce(p, PairF(), smem);
  if (threadIdx.x == 0) {
    part[2 * blockIdx.x] = p.a;
    part[2 * blockIdx.x + 1] = p.b;
  }
}

// One block: adds nparts partials (strided per thread, then the block tree: a fixed
// order) and writes total weight and the reduced loss (mode 1 mean, 2 sum, 0 none).
template <class A>
__global__ void ce_reduce_final(const double* __restrict__ part, int nparts, A* __restrict__ out, A* __restrict__ tw,
                                int mode) {
  __shared__ Pair smem[32];
  Pair p{0.0, 0.0};
  for (int i = threadIdx.x; i < nparts; i += blockDim.x) {
    p.a += part[2 * i];
    p.b += part[2 * i + 1];
  }
  p = block_reduce(p, PairF(), smem);
  if (threadIdx.x == 0) {
    *tw = static_cast<A>(p.b);
    if (mode == 2) *out = static_cast<A>(p.a);
    if (mode == 1) *out = static_cast<A>(p.a / p.b);
  }
}

// W = sum of the class weights (label smoothing's backward), one block.
template <class A>
__global__ void weight_sum(const A* __restrict__ w, int64_t C, A* __restrict__ out) {
  __shared__ A smem[32];
  A s = 0;
  for (int64_t c = threadIdx.x; c < C; c += blockDim.x) s += w[c];
  s = cuda_reduce::block_sum(s, smem);
  if (threadIdx.x == 0) *out = s;
}

// ---------------------------------------------------------------- backward
// The per-sample factors of the gradient.
template <class A>
struct BwdArgs {
  const A* g;       // grad: per sample (per_sample) or one value
  const A* tw;      // total weight (mean)
  const A* w;       // class weights or null
  const A* wsum;    // sum of w (smoothing with weights) or null: C
  const A* lse;
  const int64_t* tg;
  int64_t C, ignore;
  double eps;
  bool per_sample, mean, logsm;
};

// Sample j's gradient coefficients: gx_c = a * exp(x_c - l) - e * w_c - [c == t] * b
// (log-softmax) or -[c == t] * b (nll). valid = false: every gx_c of the sample is
// 0 (ignored) or NaN (target out of range, nan = true).
template <class A>
struct Coef {
  A a, b, e, l;
  int64_t t;
  bool zero, nan;
};

template <class A>
__device__ __forceinline__ Coef<A> coef(const BwdArgs<A>& P, int64_t j) {
  Coef<A> k{A(0), A(0), A(0), A(0), -1, false, false};
  k.t = P.tg[j];
  if (k.t == P.ignore) {
    k.zero = true;
    return k;
  }
  if (k.t < 0 || k.t >= P.C) {
    k.nan = true;
    return k;
  }
  A sc = P.per_sample ? P.g[j] : P.g[0];
  if (P.mean) sc = sc * static_cast<A>(1.0 / static_cast<double>(P.tw[0]));
  const A wt = P.w ? P.w[k.t] : A(1);
  if (!P.logsm) {
    k.b = sc * wt;
    return k;
  }
  const A one_m = static_cast<A>(1 - P.eps), eps_c = static_cast<A>(P.eps / static_cast<double>(P.C));
  const A W = P.wsum ? *P.wsum : static_cast<A>(P.C);
  k.a = sc * (one_m * wt + eps_c * W);
  k.b = sc * one_m * wt;
  k.e = P.eps > 0 ? sc * eps_c : A(0);
  k.l = P.lse[j];
  return k;
}

template <class T, class A>
__device__ __forceinline__ T grad_at(const Coef<A>& k, const BwdArgs<A>& P, T xv, int64_t c) {
  if (k.zero) return DevCvt<T>::store(A(0));
  if (k.nan) return DevCvt<T>::store(qnan<A>());
  A v = A(0);
  if (P.logsm) {
    v = k.a * dexp(DevCvt<T>::load(xv) - k.l);
    if (P.eps > 0) v -= k.e * (P.w ? P.w[c] : A(1));
  }
  if (c == k.t) v -= k.b;
  return DevCvt<T>::store(v);
}

template <class T, int TEAM>
__global__ void __launch_bounds__(cuda::kThreads) ce_bwd_rows(const T* __restrict__ x, T* __restrict__ gx,
                                                              BwdArgs<typename DevCvt<T>::C> P, int64_t N) {
  using A = typename DevCvt<T>::C;
  constexpr int kRows = cuda::kThreads / TEAM;
  const int team = threadIdx.x / TEAM, lane = threadIdx.x % TEAM;
  for (int64_t row = static_cast<int64_t>(blockIdx.x) * kRows + team; row < N;
       row += static_cast<int64_t>(gridDim.x) * kRows) {
    const Coef<A> k = coef(P, row);
    const T* xr = x + row * P.C;
    T* gr = gx + row * P.C;
    for (int64_t c = lane; c < P.C; c += TEAM) gr[c] = grad_at(k, P, xr[c], c);
  }
}

template <class T>
__global__ void ce_bwd_spatial(const T* __restrict__ x, T* __restrict__ gx, BwdArgs<typename DevCvt<T>::C> P,
                               int64_t N, int64_t S) {
  using A = typename DevCvt<T>::C;
  const int64_t total = N * S, step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t j = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; j < total; j += step) {
    const int64_t n = j / S, s = j - n * S;
    const Coef<A> k = coef(P, j);
    const T* xp = x + n * P.C * S + s;
    T* gp = gx + n * P.C * S + s;
    for (int64_t c = 0; c < P.C; ++c) gp[c * S] = grad_at(k, P, xp[c * S], c);
  }
}

// ---------------------------------------------------------------- host side
DType compute_dtype(DType d) { return d == DType::Float64 ? DType::Float64 : DType::Float32; }

void check_cuda(const char* op, const Array& ref, const Array& a, const char* what) {
  EMBER_CHECK(a.device() == ref.device(), Runtime, "[", op, "] expected all tensors on the same device, got ",
              ref.device().str(), " and ", a.device().str(), " (", what, ")");
  EMBER_CHECK(a.is_contiguous(), Value, "[", op, "] CUDA kernel expects a contiguous ", what);
}

template <class A>
const A* opt_ptr(const Array& a) {
  return a.defined() ? a.data<A>() : nullptr;
}

unsigned row_grid(int64_t rows, int rows_per_block) {
  const int64_t b = (rows + rows_per_block - 1) / rows_per_block;
  return static_cast<unsigned>(b < cuda::kMaxBlocks ? (b < 1 ? 1 : b) : cuda::kMaxBlocks);
}

void ce_forward(const Array& loss, const Array& lse, const Array& x, const Array& target, const Array& weight,
                int64_t n, int64_t c, int64_t s, int64_t ignore_index, double eps, bool log_softmax) {
  const char* op = log_softmax ? "cross_entropy" : "nll_loss";
  EMBER_CHECK(x.device().is_cuda(), Runtime, "[", op, "] CUDA kernel called with an input on ", x.device().str());
  check_cuda(op, x, x, "input");
  check_cuda(op, x, loss, "loss");
  check_cuda(op, x, lse, "lse");
  check_cuda(op, x, target, "target");
  if (weight.defined()) check_cuda(op, x, weight, "weight");
  const DType cd = compute_dtype(x.dtype());
  EMBER_CHECK(loss.dtype() == cd && lse.dtype() == cd && target.dtype() == DType::Int64 &&
                  (!weight.defined() || weight.dtype() == cd),
              Type, "[", op, "] CUDA kernel: unexpected dtypes");
  EMBER_CHECK(x.numel() == n * c * s && loss.numel() == n * s && lse.numel() == n * s && target.numel() == n * s,
              Value, "[", op, "] CUDA kernel: sizes do not match the layout");
  if (n * s == 0) return;
  cuda::DeviceGuard guard(x.device().index, op);
  cudaStream_t st = cuda::current_stream();
  EMBER_DISPATCH_ALL_FLOAT(x.dtype(), op, [&] {
    using A = typename DevCvt<scalar_t>::C;
    const scalar_t* xp = x.data<scalar_t>();
    const int64_t* tp = target.data<int64_t>();
    const A* wp = opt_ptr<A>(weight);
    A* lp = loss.data<A>();
    A* sp = lse.data<A>();
    if (!log_softmax) {
      nll_fwd<scalar_t><<<cuda::grid_for(n * s), cuda::kThreads, 0, st>>>(xp, tp, wp, lp, sp, n, c, s, ignore_index);
    } else if (s > 1) {
      ce_fwd_spatial<scalar_t><<<cuda::grid_for(n * s), cuda::kThreads, 0, st>>>(xp, tp, wp, lp, sp, n, c, s,
                                                                                 ignore_index, eps);
    } else if (c <= kWarpRowMax) {
      ce_fwd_rows<scalar_t, 32><<<row_grid(n, cuda::kThreads / 32), cuda::kThreads, 0, st>>>(xp, tp, wp, lp, sp, n, c,
                                                                                             ignore_index, eps);
    } else {
      ce_fwd_rows<scalar_t, cuda::kThreads><<<row_grid(n, 1), cuda::kThreads, 0, st>>>(xp, tp, wp, lp, sp, n, c,
                                                                                        ignore_index, eps);
    }
    cuda::check_launch(op);
  });
}

void ce_reduce(const Array& out, const Array& total_weight, const Array& loss, const Array& target,
               const Array& weight, int64_t c, int64_t ignore_index, int reduction) {
  const char* op = "cross_entropy";
  check_cuda(op, loss, loss, "loss");
  check_cuda(op, loss, target, "target");
  check_cuda(op, loss, total_weight, "total_weight");
  if (out.defined()) check_cuda(op, loss, out, "output");
  if (weight.defined()) check_cuda(op, loss, weight, "weight");
  const DType cd = loss.dtype();
  EMBER_CHECK((cd == DType::Float32 || cd == DType::Float64) && total_weight.dtype() == cd &&
                  total_weight.numel() == 1 && (!out.defined() || (out.dtype() == cd && out.numel() == 1)) &&
                  target.dtype() == DType::Int64 && target.numel() == loss.numel() &&
                  (!weight.defined() || weight.dtype() == cd),
              Type, "[", op, "] CUDA reduction: unexpected dtypes or sizes");
  cuda::DeviceGuard guard(loss.device().index, op);
  cudaStream_t st = cuda::current_stream();
  const int64_t total = loss.numel();
  int64_t nb = (total + cuda::kThreads - 1) / cuda::kThreads;
  nb = nb < 1 ? 1 : (nb > kReduceBlocks ? kReduceBlocks : nb);
  Array part = Array::empty({2 * nb}, DType::Float64, loss.device(), op);
  const int mode = out.defined() ? reduction : 0;
  EMBER_DISPATCH_FLOAT(cd, op, [&] {
    ce_reduce_partial<scalar_t><<<static_cast<unsigned>(nb), cuda::kThreads, 0, st>>>(
        loss.data<scalar_t>(), target.data<int64_t>(), opt_ptr<scalar_t>(weight), total, c, ignore_index,
        part.data<double>());
    cuda::check_launch(op);
    ce_reduce_final<scalar_t><<<1, cuda::kThreads, 0, st>>>(part.data<double>(), static_cast<int>(nb),
                                                            out.defined() ? out.data<scalar_t>() : nullptr,
                                                            total_weight.data<scalar_t>(), mode);
    cuda::check_launch(op);
  });
}

void ce_backward(const Array& gx, const Array& grad, const Array& x, const Array& target, const Array& weight,
                 const Array& lse, const Array& total_weight, int64_t n, int64_t c, int64_t s, int64_t ignore_index,
                 double eps, bool log_softmax, int reduction) {
  const char* op = log_softmax ? "cross_entropy_backward" : "nll_loss_backward";
  EMBER_CHECK(x.device().is_cuda(), Runtime, "[", op, "] CUDA kernel called with an input on ", x.device().str());
  check_cuda(op, x, x, "input");
  check_cuda(op, x, gx, "grad_input");
  check_cuda(op, x, grad, "grad");
  check_cuda(op, x, target, "target");
  check_cuda(op, x, total_weight, "total_weight");
  if (log_softmax) check_cuda(op, x, lse, "lse");
  if (weight.defined()) check_cuda(op, x, weight, "weight");
  const DType cd = compute_dtype(x.dtype());
  const bool per_sample = reduction == 0;
  EMBER_CHECK(gx.dtype() == x.dtype() && grad.dtype() == cd && total_weight.dtype() == cd &&
                  target.dtype() == DType::Int64 && (!log_softmax || lse.dtype() == cd) &&
                  (!weight.defined() || weight.dtype() == cd),
              Type, "[", op, "] CUDA kernel: unexpected dtypes");
  EMBER_CHECK(x.numel() == n * c * s && gx.numel() == x.numel() && target.numel() == n * s &&
                  (!log_softmax || lse.numel() == n * s) && grad.numel() == (per_sample ? n * s : 1) &&
                  total_weight.numel() == 1,
              Value, "[", op, "] CUDA kernel: sizes do not match the layout");
  if (x.numel() == 0) return;
  cuda::DeviceGuard guard(x.device().index, op);
  cudaStream_t st = cuda::current_stream();
  EMBER_DISPATCH_ALL_FLOAT(x.dtype(), op, [&] {
    using A = typename DevCvt<scalar_t>::C;
    Array wsum;
    if (log_softmax && eps > 0 && weight.defined()) {
      wsum = Array::empty({1}, cd, x.device(), op);
      weight_sum<A><<<1, cuda::kThreads, 0, st>>>(weight.data<A>(), c, wsum.data<A>());
      cuda::check_launch(op);
    }
    BwdArgs<A> P;
    P.g = grad.data<A>();
    P.tw = total_weight.data<A>();
    P.w = opt_ptr<A>(weight);
    P.wsum = opt_ptr<A>(wsum);
    P.lse = log_softmax ? lse.data<A>() : nullptr;
    P.tg = target.data<int64_t>();
    P.C = c;
    P.ignore = ignore_index;
    P.eps = log_softmax ? eps : 0.0;
    P.per_sample = per_sample;
    P.mean = reduction == 1;
    P.logsm = log_softmax;
    const scalar_t* xp = x.data<scalar_t>();
    scalar_t* gp = gx.data<scalar_t>();
    if (s > 1)
      ce_bwd_spatial<scalar_t><<<cuda::grid_for(n * s), cuda::kThreads, 0, st>>>(xp, gp, P, n, s);
    else if (c <= kWarpRowMax)
      ce_bwd_rows<scalar_t, 32><<<row_grid(n, cuda::kThreads / 32), cuda::kThreads, 0, st>>>(xp, gp, P, n);
    else
      ce_bwd_rows<scalar_t, cuda::kThreads><<<row_grid(n, 1), cuda::kThreads, 0, st>>>(xp, gp, P, n);
    cuda::check_launch(op);
  });
}

}  // namespace

EMBER_CUDA_REGISTER(loss_ce_forward, ce_forward);
EMBER_CUDA_REGISTER(loss_ce_reduce, ce_reduce);
EMBER_CUDA_REGISTER(loss_ce_backward, ce_backward);

}  // namespace ember
