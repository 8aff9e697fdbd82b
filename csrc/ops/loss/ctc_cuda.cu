// ctc_cuda.cu — CTC loss forward (alpha recursion) and backward (beta recursion and
// gradient) in log space, CUDA. The math is ctc_cpu.cpp's, step for step (same
// reachable range per step, same log_add, same gradient formula), in the input's
// dtype (float32 or float64), like torch's CUDA ctc_loss.
//
// Extended labels l'(2k) = blank, l'(2k+1) = target[k], L = 2 * S_n + 1 positions.
// - Forward (ctc_alpha): one block per sample, threads across the positions s of
//   the row (up to kSeqThreads, each thread a strided set of s), one __syncthreads()
//   per time step: row t reads row t-1 of log_alpha (global, L1-cached) at s, s-1,
//   s-2. Every entry of the sample's (T, L') slab is written once (-inf where
//   unreachable), so backward reads nothing stale.
// - Backward, kernel 1 (ctc_beta): the same shape for beta, from the sample's last
//   step down to 0 (rows past it are never read). Its block also links each position
//   to the next position of the same label and flags each label's first position,
//   and records the sample's state (compute / zero / NaN) for kernel 2.
// - Backward, kernel 2 (ctc_grad): one block per (t, n) row of the (T, N, C) output,
//   grid-stride over rows. Pass 1, threads over classes (coalesced):
//   out[c] = (exp(lp) - exp(-inf + nll - lp)) * g, the CPU's formula for a class not
//   in the target. Barrier. Pass 2, threads over positions: the thread of a label's
//   first position walks that label's chain adding alpha + beta in increasing s (the
//   CPU's order) and overwrites out[c] for that class. Distinct labels have distinct
//   first positions, so pass-2 writes never collide; no atomics, deterministic.
// Layout (ctc_cuda.h): log_probs (T, N, C) contiguous, step t of sample n at
// (t * N + n) * C; log_alpha / beta (N, T, L'); offsets in int64.
#include <limits>

#include "core/cuda_utils.cuh"
#include "ctc_cuda.h"
#include "core/cuda_math.cuh"

namespace ember {
namespace {

using dmath::dexp;
using dmath::dlog1p;
using dmath::dabs;
using dmath::neg_inf;
using dmath::pos_inf;
using dmath::qnan;

constexpr int kSeqThreads = 512;   // most threads across one sample's positions
constexpr int kGradThreads = 256;  // threads of a gradient row block
enum : int32_t { kStateCompute = 0, kStateZero = 1, kStateNaN = 2 };

// ctc_cpu.cpp's log_add: log(exp(a) + exp(b)), -inf as the identity.
template <class A>
__device__ __forceinline__ A log_add(A a, A b) {
  if (a == neg_inf<A>()) return b;
  if (b == neg_inf<A>()) return a;
  const A m = a < b ? b : a;  // std::max(a, b), NaN behaviour included
  return m + dlog1p(dexp(-dabs(a - b)));
}

// What every kernel knows of the problem (passed by value).
struct Dims {
  int64_t T, N, C, Lmax;   // Lmax: log_alpha's last dim (L')
  int64_t S;               // padded layout: targets' row length; 1-D layout: 0
  int64_t tg_numel;        // elements of targets
  int64_t blank;
  const int64_t* in_len;
  const int64_t* tg_len;
  const int64_t* tg_start;  // 1-D layout; nullptr when padded
  const int64_t* tg;
};

// One sample's sequence.
struct Seq {
  const int64_t* tg;  // its labels
  int64_t Tn, tl, L;
  int64_t blank;
  __device__ __forceinline__ int64_t label(int64_t s) const { return (s & 1) ? tg[s >> 1] : blank; }
};

// Reads sample n's lengths and checks them and its labels. Every thread of the block
// must call it (it ends in a barrier); the result is the same in all of them.
__device__ bool load_seq(const Dims& d, int64_t n, Seq& q) {
  const int64_t Tn = d.in_len[n], tl = d.tg_len[n];
  bool ok = Tn >= 0 && Tn <= d.T && tl >= 0 && tl <= (d.Lmax - 1) / 2;
  int64_t start = 0;
  if (ok) {
    if (d.tg_start) {
      start = d.tg_start[n];
      ok = start >= 0 && start <= d.tg_numel - tl;
    } else {
      start = n * d.S;
      ok = tl <= d.S;
    }
  }
  int bad = 0;
  if (ok)
    for (int64_t k = threadIdx.x; k < tl; k += blockDim.x) {
      const int64_t c = d.tg[start + k];
      if (c < 0 || c >= d.C || c == d.blank) bad = 1;
    }
  bad = __syncthreads_or(bad);
  q.tg = d.tg + start;
  q.Tn = ok ? Tn : 0;
  q.tl = ok ? tl : 0;
  q.L = 2 * q.tl + 1;
  q.blank = d.blank;
  return ok && !bad;
}

// First and last position that may hold a path at step t (ctc_cpu.cpp's s_lo, s_hi).
__device__ __forceinline__ int64_t s_low(int64_t L, int64_t Tn, int64_t t) {
  const int64_t v = L - 2 * (Tn - t);
  return v > 0 ? v : 0;
}
__device__ __forceinline__ int64_t s_high(int64_t L, int64_t t) {
  const int64_t v = 2 * (t + 1);
  return v < L ? v : L;
}

// ---------------------------------------------------------------- forward
template <class T>
__global__ void __launch_bounds__(kSeqThreads) ctc_alpha(const T* __restrict__ lp, T* __restrict__ la,
                                                          T* __restrict__ nll, Dims d) {
  const int64_t n = blockIdx.x;
  Seq q;
  const bool ok = load_seq(d, n, q);
  const int64_t Lmax = d.Lmax, slab = d.T * Lmax;
  T* lan = la + n * slab;
  const T NINF = neg_inf<T>();
  if (!ok) {  // uniform over the block
    for (int64_t i = threadIdx.x; i < slab; i += blockDim.x) lan[i] = qnan<T>();
    if (threadIdx.x == 0) nll[n] = qnan<T>();
    return;
  }
  const int64_t Tn = q.Tn, L = q.L;
  for (int64_t i = Tn * Lmax + threadIdx.x; i < slab; i += blockDim.x) lan[i] = NINF;  // steps past Tn
  if (Tn == 0) {
    if (threadIdx.x == 0) nll[n] = q.tl == 0 ? T(0) : pos_inf<T>();
    return;
  }
  const int64_t NC = d.N * d.C;
  const T* lp0 = lp + n * d.C;  // step t: lp0 + t * NC
  for (int64_t s = threadIdx.x; s < Lmax; s += blockDim.x) {
    T v = NINF;
    if (s == 0)
      v = lp0[d.blank];
    else if (s == 1 && L > 1)
      v = lp0[q.label(1)];
    lan[s] = v;
  }
  for (int64_t t = 1; t < Tn; ++t) {
    __syncthreads();  // row t-1 is complete
    const T* prev = lan + (t - 1) * Lmax;
    T* cur = lan + t * Lmax;
    const T* lpt = lp0 + t * NC;
    const int64_t lo = s_low(L, Tn, t), hi = s_high(L, t);
    for (int64_t s = threadIdx.x; s < Lmax; s += blockDim.x) {
      T v = NINF;
      if (s >= lo && s < hi) {
        const int64_t c = q.label(s);
        T a = prev[s];
        if (s >= 1) a = log_add(a, prev[s - 1]);
        if (s >= 2 && c != d.blank && c != q.label(s - 2)) a = log_add(a, prev[s - 2]);
        v = a == NINF ? NINF : a + lpt[c];
      }
      cur[s] = v;
    }
  }
  __syncthreads();  // the last row is complete
  if (threadIdx.x == 0) {
    const T* last = lan + (Tn - 1) * Lmax;
    const T ll = L > 1 ? log_add(last[L - 1], last[L - 2]) : last[L - 1];
    nll[n] = -ll;
  }
}

// ---------------------------------------------------------------- backward
// link (N, 2 * Lmax) int32: [0, Lmax) next position of the same label (-1: none),
// [Lmax, 2 Lmax) 1 where s is its label's first position. state (N) int32.
template <class T>
__global__ void __launch_bounds__(kSeqThreads) ctc_beta(const T* __restrict__ lp, const T* __restrict__ nll,
                                                         T* __restrict__ beta, int32_t* __restrict__ link,
                                                         int32_t* __restrict__ state, Dims d, bool zero_inf) {
  const int64_t n = blockIdx.x;
  Seq q;
  const bool ok = load_seq(d, n, q);
  if (!ok) {
    if (threadIdx.x == 0) state[n] = kStateNaN;
    return;
  }
  const int64_t Tn = q.Tn, L = q.L, tl = q.tl, Lmax = d.Lmax;
  const T nl = nll[n];
  if (Tn == 0 || (zero_inf && isinf(nl))) {
    if (threadIdx.x == 0) state[n] = kStateZero;
    return;
  }
  if (threadIdx.x == 0) state[n] = kStateCompute;
  int32_t* nxt = link + n * 2 * Lmax;
  int32_t* first = nxt + Lmax;
  for (int64_t s = threadIdx.x; s < L; s += blockDim.x) {
    int64_t nx = -1;
    int32_t f = 1;
    if ((s & 1) == 0) {  // blanks: every even position
      nx = s + 2 < L ? s + 2 : -1;
      f = s == 0;
    } else {
      const int64_t k = s >> 1, c = q.tg[k];
      for (int64_t j = k + 1; j < tl; ++j)
        if (q.tg[j] == c) {
          nx = 2 * j + 1;
          break;
        }
      for (int64_t j = 0; j < k; ++j)
        if (q.tg[j] == c) {
          f = 0;
          break;
        }
    }
    nxt[s] = static_cast<int32_t>(nx);
    first[s] = f;
  }
  const T NINF = neg_inf<T>();
  const int64_t NC = d.N * d.C;
  const T* lp0 = lp + n * d.C;
  T* bn = beta + n * d.T * Lmax;
  {
    T* cur = bn + (Tn - 1) * Lmax;
    const T* lpl = lp0 + (Tn - 1) * NC;
    for (int64_t s = threadIdx.x; s < L; s += blockDim.x) {
      T v = NINF;
      if (s == L - 1)
        v = lpl[d.blank];
      else if (s == L - 2)  // L > 1 here
        v = lpl[q.label(L - 2)];
      cur[s] = v;
    }
  }
  for (int64_t t = Tn - 2; t >= 0; --t) {
    __syncthreads();  // row t+1 is complete
    const T* next = bn + (t + 1) * Lmax;
    T* cur = bn + t * Lmax;
    const T* lpt = lp0 + t * NC;
    const int64_t lo = s_low(L, Tn, t), hi = s_high(L, t);
    for (int64_t s = threadIdx.x; s < L; s += blockDim.x) {
      T v = NINF;
      if (s >= lo && s < hi) {
        const int64_t c = q.label(s);
        T b = next[s];
        if (s + 1 < L) b = log_add(b, next[s + 1]);
        if (s + 2 < L && c != d.blank && c != q.label(s + 2)) b = log_add(b, next[s + 2]);
        v = b == NINF ? NINF : b + lpt[c];
      }
      cur[s] = v;
    }
  }
}

template <class T>
__global__ void __launch_bounds__(kGradThreads) ctc_grad(T* __restrict__ out, const T* __restrict__ lp,
                                                          const T* __restrict__ grad, const T* __restrict__ nll,
                                                          const T* __restrict__ la, const T* __restrict__ beta,
                                                          const int32_t* __restrict__ link,
                                                          const int32_t* __restrict__ state, Dims d) {
  const int64_t rows = d.T * d.N, C = d.C, Lmax = d.Lmax;
  const T NINF = neg_inf<T>();
  // Every branch below depends on the row only, so each is uniform over the block.
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const int64_t t = r / d.N, n = r - t * d.N;
    T* o = out + r * C;
    const T* lpt = lp + r * C;
    const int32_t st = state[n];
    if (st != kStateCompute || t >= d.in_len[n]) {
      const T v = st == kStateNaN ? qnan<T>() : T(0);
      for (int64_t c = threadIdx.x; c < C; c += blockDim.x) o[c] = v;
      continue;
    }
    const T g = grad[n], nl = nll[n];
    for (int64_t c = threadIdx.x; c < C; c += blockDim.x) o[c] = (dexp(lpt[c]) - dexp(NINF + nl - lpt[c])) * g;
    __syncthreads();  // pass 1's writes land before pass 2 overwrites the target classes
    const int64_t tl = d.tg_len[n], L = 2 * tl + 1;
    const int64_t* tg = d.tg + (d.tg_start ? d.tg_start[n] : n * d.S);
    const int32_t* nxt = link + n * 2 * Lmax;
    const int32_t* first = nxt + Lmax;
    const T* a = la + (n * d.T + t) * Lmax;
    const T* b = beta + (n * d.T + t) * Lmax;
    for (int64_t s = threadIdx.x; s < L; s += blockDim.x) {
      if (!first[s]) continue;
      T occ = NINF;
      for (int64_t p = s; p >= 0; p = nxt[p]) occ = log_add(occ, a[p] + b[p]);
      const int64_t c = (s & 1) ? tg[s >> 1] : d.blank;
      o[c] = (dexp(lpt[c]) - dexp(occ + nl - lpt[c])) * g;
    }
    __syncthreads();  // keeps the block's threads on one row at a time
  }
}

// ---------------------------------------------------------------- host side (of _C_cuda)
void check_on(const char* op, const Array& ref, const Array& a, const char* what) {
  EMBER_CHECK(a.device() == ref.device(), Runtime, "[", op, "] expected all tensors on the same device, got ",
              ref.device().str(), " (log_probs) and ", a.device().str(), " (", what, ")");
}

void check_index(const char* op, const Array& ref, const Array& a, const char* what, int64_t n) {
  check_on(op, ref, a, what);
  EMBER_CHECK(a.dtype() == DType::Int64 && a.ndim() == 1 && a.numel() == n && a.is_contiguous(), Type, "[", op,
              "] CUDA kernel: expected ", what, " int64 contiguous of ", n, " elements");
}

// The checks both registered functions share; fills d (pointers into the arrays).
Dims make_dims(const char* op, const Array& lp, const Array& targets, const Array& in_len, const Array& tg_len,
               const Array& tg_start, const Array& log_alpha, int64_t blank) {
  EMBER_CHECK(lp.device().is_cuda(), Runtime, "[", op, "] CUDA kernel called with log_probs on ",
              lp.device().str());
  EMBER_CHECK(lp.ndim() == 3 && lp.is_contiguous() && (lp.dtype() == DType::Float32 || lp.dtype() == DType::Float64),
              Type, "[", op, "] CUDA kernel: expected contiguous float32/float64 log_probs (T, N, C)");
  Dims d{};
  d.T = lp.shape()[0];
  d.N = lp.shape()[1];
  d.C = lp.shape()[2];
  check_on(op, lp, targets, "targets");
  check_on(op, lp, log_alpha, "log_alpha");
  check_index(op, lp, in_len, "input_lengths", d.N);
  check_index(op, lp, tg_len, "target_lengths", d.N);
  const bool padded = targets.ndim() == 2;
  EMBER_CHECK(targets.dtype() == DType::Int64 && targets.is_contiguous() && (padded || targets.ndim() == 1) &&
                  (!padded || targets.shape()[0] == d.N),
              Type, "[", op, "] CUDA kernel: expected int64 contiguous targets (N, S) or 1-D");
  if (padded)
    EMBER_CHECK(!tg_start.defined(), Value, "[", op, "] CUDA kernel: padded targets take no start offsets");
  else
    check_index(op, lp, tg_start, "target starts", d.N);
  EMBER_CHECK(log_alpha.dtype() == lp.dtype() && log_alpha.ndim() == 3 && log_alpha.is_contiguous() &&
                  log_alpha.shape()[0] == d.N && log_alpha.shape()[1] == d.T && log_alpha.shape()[2] % 2 == 1,
              Value, "[", op, "] CUDA kernel: expected log_alpha (N, T, odd L') in log_probs' dtype, got shape ",
              shape_str(log_alpha.shape()));
  d.Lmax = log_alpha.shape()[2];
  // int32 chain links, one block per sample in a 1-D grid.
  EMBER_CHECK(d.Lmax < (int64_t(1) << 31) && d.N < (int64_t(1) << 31), Value, "[", op,
              "] CUDA kernel: at most 2^31 - 1 samples and extended label positions, got ", d.N, " and ", d.Lmax);
  EMBER_CHECK(blank >= 0 && blank < d.C, Value, "[", op, "] blank must be in [0, ", d.C, "), got ", blank);
  d.S = padded ? targets.shape()[1] : 0;
  d.tg_numel = targets.numel();
  d.blank = blank;
  d.in_len = in_len.data<int64_t>();
  d.tg_len = tg_len.data<int64_t>();
  d.tg_start = padded ? nullptr : tg_start.data<int64_t>();
  d.tg = targets.data<int64_t>();
  return d;
}

unsigned seq_threads(int64_t Lmax) {
  int64_t th = (Lmax + 31) / 32 * 32;
  th = th < 32 ? 32 : (th > kSeqThreads ? kSeqThreads : th);
  return static_cast<unsigned>(th);
}

void ctc_forward(const Array& nll, const Array& log_alpha, const Array& log_probs, const Array& targets,
                 const Array& in_len, const Array& tg_len, const Array& tg_start, int64_t blank) {
  const char* op = "ctc_loss";
  const Dims d = make_dims(op, log_probs, targets, in_len, tg_len, tg_start, log_alpha, blank);
  check_on(op, log_probs, nll, "nll");
  EMBER_CHECK(nll.dtype() == log_probs.dtype() && nll.numel() == d.N && nll.is_contiguous(), Value, "[", op,
              "] CUDA kernel: expected nll of ", d.N, " elements in log_probs' dtype");
  if (d.N == 0) return;
  cuda::DeviceGuard guard(log_probs.device().index, op);
  cudaStream_t st = cuda::current_stream();
  EMBER_DISPATCH_FLOAT(log_probs.dtype(), op, [&] {
    ctc_alpha<scalar_t><<<static_cast<unsigned>(d.N), seq_threads(d.Lmax), 0, st>>>(
        log_probs.data<scalar_t>(), log_alpha.data<scalar_t>(), nll.data<scalar_t>(), d);
    cuda::check_launch(op);
  });
}

void ctc_backward(const Array& grad_lp, const Array& grad, const Array& log_probs, const Array& targets,
                  const Array& in_len, const Array& tg_len, const Array& tg_start, const Array& nll,
                  const Array& log_alpha, int64_t blank, bool zero_infinity) {
  const char* op = "ctc_loss_backward";
  const Dims d = make_dims(op, log_probs, targets, in_len, tg_len, tg_start, log_alpha, blank);
  for (const Array* a : {&grad_lp, &grad, &nll}) check_on(op, log_probs, *a, "grad or nll");
  const DType dt = log_probs.dtype();
  EMBER_CHECK(grad_lp.dtype() == dt && grad_lp.is_contiguous() && grad_lp.shape() == log_probs.shape() &&
                  grad.dtype() == dt && grad.is_contiguous() && grad.numel() == d.N && nll.dtype() == dt &&
                  nll.is_contiguous() && nll.numel() == d.N,
              Value, "[", op, "] CUDA kernel: unexpected dtypes or sizes of grad_lp, grad or nll");
  if (grad_lp.numel() == 0) return;  // T, N or C is 0
  cuda::DeviceGuard guard(log_probs.device().index, op);
  cudaStream_t st = cuda::current_stream();
  const Device dev = log_probs.device();
  Array beta = Array::empty({d.N, d.T, d.Lmax}, dt, dev, op);
  Array link = Array::empty({d.N, 2 * d.Lmax}, DType::Int32, dev, op);
  Array state = Array::empty({d.N}, DType::Int32, dev, op);
  const int64_t rows = d.T * d.N;
  const unsigned grad_grid = static_cast<unsigned>(rows < cuda::kMaxBlocks ? rows : cuda::kMaxBlocks);
  EMBER_DISPATCH_FLOAT(dt, op, [&] {
    ctc_beta<scalar_t><<<static_cast<unsigned>(d.N), seq_threads(d.Lmax), 0, st>>>(
        log_probs.data<scalar_t>(), nll.data<scalar_t>(), beta.data<scalar_t>(), link.data<int32_t>(),
        state.data<int32_t>(), d, zero_infinity);
    cuda::check_launch(op);
    ctc_grad<scalar_t><<<grad_grid, kGradThreads, 0, st>>>(
        grad_lp.data<scalar_t>(), log_probs.data<scalar_t>(), grad.data<scalar_t>(), nll.data<scalar_t>(),
        log_alpha.data<scalar_t>(), beta.data<scalar_t>(), link.data<int32_t>(), state.data<int32_t>(), d);
    cuda::check_launch(op);
  });
}

}  // namespace

EMBER_CUDA_REGISTER(loss_ctc_forward, ctc_forward);
EMBER_CUDA_REGISTER(loss_ctc_backward, ctc_backward);

}  // namespace ember
