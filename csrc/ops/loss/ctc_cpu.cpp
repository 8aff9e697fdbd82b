// ctc_cpu.cpp — CTC loss forward (alpha recursion) and backward (beta recursion)
// in log space, one sample per task (parallel over the batch).
//
// The extended label sequence l' interleaves blanks with the target: l'(2k) = blank,
// l'(2k+1) = target[k], length 2*S+1. alpha[t][s] is the log-probability of all
// paths over steps 0..t that end in l'(s); beta[t][s] of those from t to the end
// starting in l'(s) (both include step t's emission, as in torch). The gradient
// needs, per step and class, the log-sum of alpha*beta over the positions holding
// that class; it is built in a C-sized scratch row per step.
// Layout: log_probs (T, N, C) any strides (made contiguous); log_alpha (N, T, L').
// The host code (prepare) also serves CUDA tensors: it checks and lays out the
// arguments, then ctc_loss_forward / ctc_loss_backward call the kernels of
// ctc_cuda.cu (ctc_cuda.h says what the device checks itself).
#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "core/parallel.h"
#include "ctc.h"
#include "ctc_cuda.h"

namespace ember {
namespace {

template <class T>
inline T log_add(T a, T b) {
  if (a == -std::numeric_limits<T>::infinity()) return b;
  if (b == -std::numeric_limits<T>::infinity()) return a;
  const T m = std::max(a, b);
  return m + std::log1p(std::exp(-std::fabs(a - b)));
}

struct CtcShape {
  int64_t T, N, C, Lmax;   // Lmax = 2 * max target length + 1
  const int64_t* in_len;
  const int64_t* tg_len;
  const int64_t* tg_start;  // start of sample n's targets in the flat target buffer
  const int64_t* tg;
  int64_t blank;
  int64_t label(int64_t n, int64_t s) const { return (s & 1) ? tg[tg_start[n] + s / 2] : blank; }
};

struct Prepared {
  Array lp, targets, in_len, tg_len, tg_start;
  CtcShape sh;  // on CUDA only T, N, C, Lmax and blank are set (the pointers are host ones)
  // CUDA: lengths (N) int64 on the device; d_tg_start for the 1-D target layout only.
  Array d_in_len, d_tg_len, d_tg_start;
};

Array index_array(const Array& a, const char* what) {
  EMBER_CHECK(a.dtype() == DType::Int64 || a.dtype() == DType::Int32, Type, "[ctc_loss] expected ", what,
              " of an integer dtype, got ", dtype_name(a.dtype()));
  return a.to(DType::Int64).contiguous();
}

Prepared prepare(const Array& log_probs, const Array& targets, const Array& input_lengths,
                 const Array& target_lengths, int64_t blank) {
  const Device dev = log_probs.device();
  const bool cuda = dev.is_cuda();
  EMBER_CHECK(targets.device() == dev, Runtime, "[ctc_loss] expected all tensors on the same device, got ",
              dev.str(), " (log_probs) and ", targets.device().str(), " (targets)");
  // The lengths may also be host data with CUDA log_probs (Python lists arrive as CPU tensors).
  for (const auto& [a, what] : {std::pair<const Array*, const char*>{&input_lengths, "input_lengths"},
                                {&target_lengths, "target_lengths"}})
    EMBER_CHECK(a->device() == dev || a->device().is_cpu(), Runtime,
                "[ctc_loss] expected all tensors on the same device, got ", dev.str(), " (log_probs) and ",
                a->device().str(), " (", what, ")");
  EMBER_CHECK(log_probs.ndim() == 3, Value, "[ctc_loss] expected log_probs of shape (T, N, C), got ",
              shape_str(log_probs.shape()));
  if (cuda)  // the CPU path reports this in its dispatch
    EMBER_CHECK(log_probs.dtype() == DType::Float32 || log_probs.dtype() == DType::Float64, Type,
                "[ctc_loss] unsupported dtype ", dtype_name(log_probs.dtype()));
  Prepared p;
  p.lp = log_probs.contiguous();
  const int64_t T = log_probs.shape()[0], N = log_probs.shape()[1], C = log_probs.shape()[2];
  EMBER_CHECK(blank >= 0 && blank < C, Value, "[ctc_loss] blank must be in [0, ", C, "), got ", blank);
  p.in_len = index_array(input_lengths, "input_lengths");
  p.tg_len = index_array(target_lengths, "target_lengths");
  p.targets = index_array(targets, "targets");
  EMBER_CHECK(p.in_len.numel() == N && p.tg_len.numel() == N, Value, "[ctc_loss] expected input_lengths and "
              "target_lengths of ", N, " elements (the batch), got ", p.in_len.numel(), " and ", p.tg_len.numel());
  const bool padded = targets.ndim() == 2;
  EMBER_CHECK(padded || targets.ndim() == 1, Value, "[ctc_loss] expected targets of shape (N, S) or 1-D "
              "concatenated, got ", shape_str(targets.shape()));
  if (padded)
    EMBER_CHECK(targets.shape()[0] == N, Value, "[ctc_loss] expected targets with ", N, " rows, got shape ",
                shape_str(targets.shape()));
  // The lengths are checked on the host whenever it holds them. On CUDA with CUDA-tensor
  // lengths and padded targets they stay on the device (log_alpha gets L' = 2 S + 1 and
  // the kernels check them); with 1-D targets log_alpha's shape depends on the longest
  // target, so they are copied to the host: a synchronisation, as in torch.
  const bool host_lengths =
      !cuda || !padded || (p.in_len.device().is_cpu() && p.tg_len.device().is_cpu());
  int64_t max_tl = 0;
  if (host_lengths) {
    p.in_len = p.in_len.to(cpu_device());
    p.tg_len = p.tg_len.to(cpu_device());
    const int64_t* il = p.in_len.data<int64_t>();
    const int64_t* tl = p.tg_len.data<int64_t>();
    p.tg_start = Array::empty({N}, DType::Int64);
    int64_t* st = p.tg_start.data<int64_t>();
    int64_t total = 0;
    for (int64_t n = 0; n < N; ++n) {
      EMBER_CHECK(il[n] >= 0 && il[n] <= T, Value, "[ctc_loss] input_lengths[", n, "] = ", il[n],
                  " must be in [0, ", T, "] (the length of log_probs)");
      EMBER_CHECK(tl[n] >= 0, Value, "[ctc_loss] target_lengths[", n, "] = ", tl[n], " must be non-negative");
      if (padded) {
        EMBER_CHECK(tl[n] <= targets.shape()[1], Value, "[ctc_loss] target_lengths[", n, "] = ", tl[n],
                    " exceeds the targets' length ", targets.shape()[1]);
        st[n] = n * targets.shape()[1];
      } else {
        st[n] = total;
      }
      total += tl[n];
      max_tl = std::max(max_tl, tl[n]);
    }
    if (!padded)
      EMBER_CHECK(total <= targets.numel(), Value, "[ctc_loss] target_lengths sum to ", total, " but targets hold ",
                  targets.numel(), " elements");
  } else {
    max_tl = targets.shape()[1];
  }
  if (!cuda) {
    const int64_t* tg = p.targets.data<int64_t>();
    const int64_t* tl = p.tg_len.data<int64_t>();
    const int64_t* st = p.tg_start.data<int64_t>();
    for (int64_t n = 0; n < N; ++n)
      for (int64_t k = 0; k < tl[n]; ++k) {
        const int64_t c = tg[st[n] + k];
        EMBER_CHECK(c >= 0 && c < C && c != blank, Value, "[ctc_loss] target ", c, " of sample ", n,
                    " must be a class in [0, ", C, ") other than blank=", blank);
      }
    p.sh = CtcShape{T, N, C, 2 * max_tl + 1, p.in_len.data<int64_t>(), tl, st, tg, blank};
    return p;
  }
  // CUDA: the target values stay on the device and are checked there (ctc_cuda.h).
  p.sh = CtcShape{T, N, C, 2 * max_tl + 1, nullptr, nullptr, nullptr, nullptr, blank};
  if (host_lengths) {
    // One pinned buffer, one asynchronous copy: (input lengths, target lengths, starts).
    Array h = Array::empty({3, N}, DType::Int64);
    h.select(0, 0).copy_(p.in_len);
    h.select(0, 1).copy_(p.tg_len);
    h.select(0, 2).copy_(p.tg_start);
    Array d = N == 0 ? Array::empty({3, 0}, DType::Int64, dev, "ctc_loss")
                     : h.pin_memory().to(dev, /*non_blocking=*/true);
    p.d_in_len = d.select(0, 0);
    p.d_tg_len = d.select(0, 1);
    if (!padded) p.d_tg_start = d.select(0, 2);
  } else {
    p.d_in_len = p.in_len.to(dev);
    p.d_tg_len = p.tg_len.to(dev);
  }
  return p;
}

constexpr double kInf = std::numeric_limits<double>::infinity();

template <class T>
void forward_sample(const CtcShape& sh, const T* lp, int64_t n, T* la, T* nll) {
  const int64_t Tn = sh.in_len[n], L = 2 * sh.tg_len[n] + 1, C = sh.C, N = sh.N;
  const T ninf = -std::numeric_limits<T>::infinity();
  std::fill(la, la + sh.T * sh.Lmax, ninf);
  if (Tn == 0) {
    *nll = sh.tg_len[n] == 0 ? T(0) : T(kInf);
    return;
  }
  const T* lp0 = lp + n * C;  // step t of sample n: lp0 + t * N * C
  la[0] = lp0[sh.blank];
  if (L > 1) la[1] = lp0[sh.label(n, 1)];
  for (int64_t t = 1; t < Tn; ++t) {
    const T* prev = la + (t - 1) * sh.Lmax;
    T* cur = la + t * sh.Lmax;
    const T* lpt = lp0 + t * N * C;
    // Only positions that can still reach the end, and were reachable from the start.
    const int64_t s_lo = std::max<int64_t>(0, L - 2 * (Tn - t));
    const int64_t s_hi = std::min<int64_t>(L, 2 * (t + 1));
    for (int64_t s = s_lo; s < s_hi; ++s) {
      const int64_t c = sh.label(n, s);
      T a = prev[s];
      if (s >= 1) a = log_add(a, prev[s - 1]);
      if (s >= 2 && c != sh.blank && c != sh.label(n, s - 2)) a = log_add(a, prev[s - 2]);
      cur[s] = a == ninf ? ninf : a + lpt[c];
    }
  }
  const T* last = la + (Tn - 1) * sh.Lmax;
  const T ll = L > 1 ? log_add(last[L - 1], last[L - 2]) : last[L - 1];
  *nll = -ll;
}

template <class T>
void backward_sample(const CtcShape& sh, const T* lp, int64_t n, const T* la, T nll, T g, bool zero_inf, T* beta,
                     T* occ, T* grad) {
  const int64_t Tn = sh.in_len[n], L = 2 * sh.tg_len[n] + 1, C = sh.C, N = sh.N;
  const T ninf = -std::numeric_limits<T>::infinity();
  for (int64_t t = 0; t < sh.T; ++t) std::fill(grad + (t * N + n) * C, grad + (t * N + n) * C + C, T(0));
  if (Tn == 0 || (zero_inf && std::isinf(nll))) return;
  const T* lp0 = lp + n * C;
  std::fill(beta, beta + sh.T * sh.Lmax, ninf);
  T* bl = beta + (Tn - 1) * sh.Lmax;
  const T* lpl = lp0 + (Tn - 1) * N * C;
  bl[L - 1] = lpl[sh.blank];
  if (L > 1) bl[L - 2] = lpl[sh.label(n, L - 2)];
  for (int64_t t = Tn - 2; t >= 0; --t) {
    const T* next = beta + (t + 1) * sh.Lmax;
    T* cur = beta + t * sh.Lmax;
    const T* lpt = lp0 + t * N * C;
    const int64_t s_lo = std::max<int64_t>(0, L - 2 * (Tn - t));
    const int64_t s_hi = std::min<int64_t>(L, 2 * (t + 1));
    for (int64_t s = s_lo; s < s_hi; ++s) {
      const int64_t c = sh.label(n, s);
      T b = next[s];
      if (s + 1 < L) b = log_add(b, next[s + 1]);
      if (s + 2 < L && c != sh.blank && c != sh.label(n, s + 2)) b = log_add(b, next[s + 2]);
      cur[s] = b == ninf ? ninf : b + lpt[c];
    }
  }
  for (int64_t t = 0; t < Tn; ++t) {
    std::fill(occ, occ + C, ninf);
    const T* a = la + t * sh.Lmax;
    const T* b = beta + t * sh.Lmax;
    for (int64_t s = 0; s < L; ++s) {
      const int64_t c = sh.label(n, s);
      occ[c] = log_add(occ[c], a[s] + b[s]);
    }
    const T* lpt = lp0 + t * N * C;
    T* gt = grad + (t * N + n) * C;
    for (int64_t c = 0; c < C; ++c) gt[c] = (std::exp(lpt[c]) - std::exp(occ[c] + nll - lpt[c])) * g;
  }
}

}  // namespace

std::vector<Array> ctc_loss_forward(const Array& log_probs, const Array& targets, const Array& input_lengths,
                                    const Array& target_lengths, int64_t blank) {
  Prepared p = prepare(log_probs, targets, input_lengths, target_lengths, blank);
  const CtcShape& sh = p.sh;
  const Device dev = log_probs.device();
  Array nll = Array::empty({sh.N}, log_probs.dtype(), dev, "ctc_loss");
  Array la = Array::empty({sh.N, sh.T, sh.Lmax}, log_probs.dtype(), dev, "ctc_loss");
  if (dev.is_cuda()) {
    cuda_kernels::loss_ctc_forward("ctc_loss")(nll, la, p.lp, p.targets, p.d_in_len, p.d_tg_len, p.d_tg_start,
                                               blank);
    return {nll, la};
  }
  EMBER_DISPATCH_FLOAT(log_probs.dtype(), "ctc_loss", [&] {
    const scalar_t* lp = p.lp.data<scalar_t>();
    scalar_t* lap = la.data<scalar_t>();
    scalar_t* out = nll.data<scalar_t>();
    parallel_for(0, sh.N, 1, [&](int64_t n0, int64_t n1) {
      for (int64_t n = n0; n < n1; ++n) forward_sample(sh, lp, n, lap + n * sh.T * sh.Lmax, out + n);
    });
  });
  return {nll, la};
}

Array ctc_loss_backward(const Array& grad, const Array& log_probs, const Array& targets, const Array& input_lengths,
                        const Array& target_lengths, const Array& nll, const Array& log_alpha, int64_t blank,
                        bool zero_infinity) {
  Prepared p = prepare(log_probs, targets, input_lengths, target_lengths, blank);
  const CtcShape& sh = p.sh;
  EMBER_CHECK(grad.numel() == sh.N && nll.numel() == sh.N && log_alpha.numel() == sh.N * sh.T * sh.Lmax, Value,
              "[ctc_loss] backward got inconsistent saved tensors");
  const Device dev = log_probs.device();
  for (const auto& [a, what] : {std::pair<const Array*, const char*>{&grad, "grad"}, {&nll, "nll"},
                                {&log_alpha, "log_alpha"}})
    EMBER_CHECK(a->device() == dev, Runtime, "[ctc_loss_backward] expected all tensors on the same device, got ",
                dev.str(), " (log_probs) and ", a->device().str(), " (", what, ")");
  if (dev.is_cuda()) {
    Array out = Array::empty({sh.T, sh.N, sh.C}, log_probs.dtype(), dev, "ctc_loss_backward");
    const Array g = grad.to(log_probs.dtype()).contiguous().reshape({sh.N});
    const Array nl = nll.contiguous().reshape({sh.N});
    const Array la = log_alpha.contiguous().reshape({sh.N, sh.T, sh.Lmax});
    EMBER_CHECK(nl.dtype() == log_probs.dtype() && la.dtype() == log_probs.dtype(), Type,
                "[ctc_loss_backward] expected nll and log_alpha in log_probs' dtype ", dtype_name(log_probs.dtype()),
                ", got ", dtype_name(nl.dtype()), " and ", dtype_name(la.dtype()));
    cuda_kernels::loss_ctc_backward("ctc_loss_backward")(out, g, p.lp, p.targets, p.d_in_len, p.d_tg_len,
                                                         p.d_tg_start, nl, la, blank, zero_infinity);
    return out;
  }
  Array out = Array::empty({sh.T, sh.N, sh.C}, log_probs.dtype());
  const Array g = grad.to(log_probs.dtype()).contiguous();
  const Array nl = nll.contiguous(), la = log_alpha.contiguous();
  EMBER_DISPATCH_FLOAT(log_probs.dtype(), "ctc_loss_backward", [&] {
    const scalar_t* lp = p.lp.data<scalar_t>();
    parallel_for(0, sh.N, 1, [&](int64_t n0, int64_t n1) {
      std::vector<scalar_t> beta(sh.T * sh.Lmax), occ(sh.C);
      for (int64_t n = n0; n < n1; ++n)
        backward_sample(sh, lp, n, la.data<scalar_t>() + n * sh.T * sh.Lmax, nl.data<scalar_t>()[n],
                        g.data<scalar_t>()[n], zero_infinity, beta.data(), occ.data(), out.data<scalar_t>());
    });
  });
  return out;
}

}  // namespace ember
