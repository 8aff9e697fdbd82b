// rnn_cpu.cpp — the time loops of the fused recurrent layers (see rnn.h for the
// sequence layout).
//
// Forward, one layer and direction:
//   1. one GEMM projects the whole input: Gx = X W_ih^T + bias (N x G*H);
//   2. per step t (rows [off_t, off_t + bs_t)): copy the running state into the saved
//      h_{t-1} rows, one GEMM adds h_{t-1} W_hh^T to the step's gate rows (GRU keeps it
//      apart, since r multiplies its n part), then one fused pointwise pass computes the
//      gates and the new c/h (LSTM with projection: one more GEMM h = r W_hr^T).
// Only the first bs_t rows of the running state (hbuf, cbuf) move at step t, so a
// sequence that has ended keeps its last state, which is its h_n, and in the reverse
// direction a sequence that has not started yet still holds h0.
//
// Backward runs the steps in the opposite order with dh/dc buffers seeded by dh_n/dc_n:
// per step one fused pointwise pass writes the gate gradients into a (N x G*H) buffer,
// and one GEMM gives dh_{t-1} = dG_t W_hh. After the loop the weight gradients are one
// GEMM each over the whole sequence: dW_ih = dG^T X, dW_hh = dG^T H_prev, dX = dG W_ih,
// biases as a ones-vector GEMM; dW_hr = dH^T R.
#include <algorithm>
#include <cstring>

#include "core/checked.h"
#include "core/cpu_features.h"
#include "core/parallel.h"
#include "ops/gemm/gemm.h"
#include "rnn.h"

namespace ember {
namespace rnn_detail {
namespace {

const Kernels& pick() {
  switch (simd_level()) {
    case SimdLevel::AVX512: return kernels_avx512();
    case SimdLevel::AVX2: return kernels_avx2();
    default: return kernels_scalar();
  }
}
const Pointwise<float>& pw(float*) { return pick().f32; }
const Pointwise<double>& pw(double*) { return pick().f64; }

// C (M x N, row stride ldc) = alpha * A @ B + beta * C with explicit strides.
inline void gemm(int64_t M, int64_t N, int64_t K, const float* A, int64_t rsa, int64_t csa, const float* B,
                 int64_t rsb, int64_t csb, float beta, float* C, int64_t ldc) {
  gemm::sgemm(M, N, K, 1.0f, A, rsa, csa, B, rsb, csb, beta, C, ldc, 1);
}
inline void gemm(int64_t M, int64_t N, int64_t K, const double* A, int64_t rsa, int64_t csa, const double* B,
                 int64_t rsb, int64_t csb, double beta, double* C, int64_t ldc) {
  gemm::dgemm(M, N, K, 1.0, A, rsa, csa, B, rsb, csb, beta, C, ldc, 1);
}

// Rows of one step per thread chunk: at least 64K gate elements. A step's pointwise pass
// is short next to its GEMM, and waking the pool once more per step costs more than it
// saves for the usual sizes (batch 32 x 4*256 gates stays on one thread).
inline int64_t row_grain(int64_t width) { return std::max<int64_t>(1, 65536 / std::max<int64_t>(1, width)); }

template <class F>
inline void rows(int64_t n, int64_t width, const F& f) {
  parallel_for(0, n, row_grain(width), f);
}

// Step offsets (first row of each step), checked.
std::vector<int64_t> offsets(const std::vector<int64_t>& bs) {
  std::vector<int64_t> off(bs.size());
  int64_t o = 0;
  for (size_t t = 0; t < bs.size(); ++t) {
    off[t] = o;
    o = checked_add(o, bs[t], "rnn");
  }
  return off;
}

template <class T>
void copy_rows(T* dst, const T* src, int64_t rows_, int64_t width) {
  if (rows_ > 0) std::memcpy(dst, src, sizeof(T) * static_cast<size_t>(checked_mul(rows_, width, "rnn")));
}

// dst[b * ldd + c] = src[c * n + b] (+ dst[...] when accumulate) for b < n, c < m: the
// step GEMMs below produce their result transposed (see recurrent_gemm).
template <class T>
void add_transposed(T* dst, int64_t ldd, const T* src, int64_t n, int64_t m, bool accumulate) {
  constexpr int64_t kBlk = 16;
  for (int64_t c0 = 0; c0 < m; c0 += kBlk) {
    const int64_t c1 = std::min(m, c0 + kBlk);
    for (int64_t b = 0; b < n; ++b) {
      T* d = dst + b * ldd;
      if (accumulate) {
        for (int64_t c = c0; c < c1; ++c) d[c] += src[c * n + b];
      } else {
        for (int64_t c = c0; c < c1; ++c) d[c] = src[c * n + b];
      }
    }
  }
}

// out (n x m, row stride ldo) (+)= act (n x k) @ W^T for a row-major weight W (m x k).
// Computed as W @ act^T so that the weight is the GEMM's A operand, which the GEMM reads
// in place (rows contiguous) instead of re-packing the whole weight as B every time
// step; only the small act^T is packed. The (m x n) result lands in `tmp` and is
// transposed into `out`.
template <class T>
void recurrent_gemm(int64_t n, int64_t m, int64_t k, const T* act, int64_t lda, const T* W, T* tmp, T* out,
                    int64_t ldo, bool accumulate) {
  if (n <= 0) return;
  gemm(m, n, k, W, k, 1, act, 1, lda, T(0), tmp, n);
  add_transposed(out, ldo, tmp, n, m, accumulate);
}

}  // namespace

template <class T>
void layer_forward_cpu(const LayerArgs<T>& a, const T* h0, const T* c0, T* y, T* hn, T* cn, std::vector<T*>& ws) {
  const Pointwise<T>& k = pw(static_cast<T*>(nullptr));
  const int64_t GH = a.G * a.H, H = a.H, Ho = a.Hout;
  const std::vector<int64_t>& bs = *a.bs;
  const std::vector<int64_t> off = offsets(bs);
  const int64_t T_ = static_cast<int64_t>(bs.size());
  T* G = ws[0];
  T* Hp = ws[1];
  const bool lstm = a.mode == RnnMode::Lstm, gru = a.mode == RnnMode::Gru;
  const bool proj = lstm && a.w_hr != nullptr;

  // 1. Gx = X W_ih^T + b_ih (+ b_hh, except for GRU whose b_hn sits inside r * (.)).
  std::vector<T> bias(static_cast<size_t>(GH));
  for (int64_t j = 0; j < GH; ++j) {
    T v = a.b_ih ? a.b_ih[j] : T(0);
    if (!gru && a.b_hh) v += a.b_hh[j];
    bias[j] = v;
  }
  rows(a.N, GH, [&](int64_t b0, int64_t b1) {
    for (int64_t n = b0; n < b1; ++n) std::memcpy(G + n * GH, bias.data(), sizeof(T) * static_cast<size_t>(GH));
  });
  gemm(a.N, GH, a.I, a.x, a.I, 1, a.w_ih, 1, a.I, T(1), G, GH);

  // Running state: rows [0, bs_t) advance at step t.
  std::vector<T> hbuf(static_cast<size_t>(checked_mul(a.B, Ho, "rnn")));
  std::vector<T> cbuf(lstm ? static_cast<size_t>(checked_mul(a.B, H, "rnn")) : 0);
  copy_rows(hbuf.data(), h0, a.B, Ho);
  if (lstm) copy_rows(cbuf.data(), c0, a.B, H);
  std::vector<T> gh(gru ? static_cast<size_t>(checked_mul(a.B, GH, "rnn")) : 0);
  std::vector<T> tmp(static_cast<size_t>(checked_mul(a.B, GH, "rnn")));

  for (int64_t s = 0; s < T_; ++s) {
    const int64_t t = a.reverse ? T_ - 1 - s : s;
    const int64_t n = bs[t], o = off[t];
    T* hp = Hp + o * Ho;
    copy_rows(hp, hbuf.data(), n, Ho);
    T* g = G + o * GH;
    T* yt = y + o * Ho;
    switch (a.mode) {
      case RnnMode::Tanh:
      case RnnMode::Relu: {
        recurrent_gemm(n, GH, Ho, hp, Ho, a.w_hh, tmp.data(), g, GH, true);
        const bool relu = a.mode == RnnMode::Relu;
        rows(n, H, [&](int64_t b0, int64_t b1) { k.rnn_fwd(g, yt, hbuf.data(), relu, H, b0, b1); });
        break;
      }
      case RnnMode::Lstm: {
        recurrent_gemm(n, GH, Ho, hp, Ho, a.w_hh, tmp.data(), g, GH, true);
        T* cp = ws[2] + o * H;
        T* c = ws[3] + o * H;
        T* r = proj ? ws[4] + o * H : yt;
        T* hb = proj ? nullptr : hbuf.data();
        rows(n, GH, [&](int64_t b0, int64_t b1) { k.lstm_fwd(g, cbuf.data(), cp, c, r, hb, H, b0, b1); });
        if (proj) {
          gemm(n, Ho, H, r, H, 1, a.w_hr, 1, H, T(0), yt, Ho);
          copy_rows(hbuf.data(), yt, n, Ho);
        }
        break;
      }
      case RnnMode::Gru: {
        recurrent_gemm(n, GH, Ho, hp, Ho, a.w_hh, tmp.data(), gh.data(), GH, false);
        T* ghn = ws[2] + o * H;
        rows(n, GH, [&](int64_t b0, int64_t b1) {
          k.gru_fwd(g, gh.data(), a.b_hh, hp, ghn, yt, hbuf.data(), H, b0, b1);
        });
        break;
      }
    }
  }
  copy_rows(hn, hbuf.data(), a.B, Ho);
  if (lstm) copy_rows(cn, cbuf.data(), a.B, H);
}

template <class T>
void layer_backward_cpu(const LayerArgs<T>& a, const T* dy, const T* dhn, const T* dcn, const std::vector<const T*>& ws,
                        T* dx, T* dh0, T* dc0, T* dw_ih, T* dw_hh, T* db_ih, T* db_hh, T* dw_hr) {
  const Pointwise<T>& k = pw(static_cast<T*>(nullptr));
  const int64_t GH = a.G * a.H, H = a.H, Ho = a.Hout;
  const std::vector<int64_t>& bs = *a.bs;
  const std::vector<int64_t> off = offsets(bs);
  const int64_t T_ = static_cast<int64_t>(bs.size());
  const T* G = ws[0];
  const T* Hp = ws[1];
  const bool lstm = a.mode == RnnMode::Lstm, gru = a.mode == RnnMode::Gru;
  const bool proj = lstm && a.w_hr != nullptr;

  const size_t ngh = static_cast<size_t>(checked_mul(a.N, GH, "rnn"));
  std::vector<T> dGi(ngh), dGh(gru ? ngh : 0);
  std::vector<T> dhbuf(static_cast<size_t>(checked_mul(a.B, Ho, "rnn")));
  std::vector<T> dcbuf(lstm ? static_cast<size_t>(checked_mul(a.B, H, "rnn")) : 0);
  copy_rows(dhbuf.data(), dhn, a.B, Ho);
  if (lstm) copy_rows(dcbuf.data(), dcn, a.B, H);
  // With a projection: dH (N x P), the gradient of every step's h, and dr (B x H).
  std::vector<T> dH(proj ? static_cast<size_t>(checked_mul(a.N, Ho, "rnn")) : 0);
  std::vector<T> dr(proj ? static_cast<size_t>(checked_mul(a.B, H, "rnn")) : 0);
  // W_hh^T (Ho x GH), row-major: dh_{t-1} = dG_t W_hh runs as W_hh^T dG_t^T (recurrent_gemm).
  std::vector<T> whhT(ngh ? static_cast<size_t>(checked_mul(GH, Ho, "rnn")) : 0);
  if (!whhT.empty()) add_transposed(whhT.data(), GH, a.w_hh, Ho, GH, false);
  std::vector<T> tmp(static_cast<size_t>(checked_mul(a.B, Ho, "rnn")));

  for (int64_t s = 0; s < T_; ++s) {
    const int64_t t = a.reverse ? s : T_ - 1 - s;
    const int64_t n = bs[t], o = off[t];
    const T* g = G + o * GH;
    const T* dyt = dy + o * Ho;
    T* dg = dGi.data() + o * GH;
    T* dgh = dg;
    switch (a.mode) {
      case RnnMode::Tanh:
      case RnnMode::Relu: {
        const bool relu = a.mode == RnnMode::Relu;
        rows(n, H, [&](int64_t b0, int64_t b1) { k.rnn_bwd(g, dyt, dhbuf.data(), dg, relu, H, b0, b1); });
        recurrent_gemm(n, Ho, GH, dg, GH, whhT.data(), tmp.data(), dhbuf.data(), Ho, false);
        break;
      }
      case RnnMode::Lstm: {
        const T* cp = ws[2] + o * H;
        const T* c = ws[3] + o * H;
        const T *dra = dyt, *drb = dhbuf.data();
        if (proj) {
          T* dht = dH.data() + o * Ho;
          for (int64_t i = 0; i < n * Ho; ++i) dht[i] = dyt[i] + dhbuf[i];
          gemm(n, H, Ho, dht, Ho, 1, a.w_hr, H, 1, T(0), dr.data(), H);
          dra = dr.data();
          drb = nullptr;
        }
        rows(n, GH, [&](int64_t b0, int64_t b1) { k.lstm_bwd(g, cp, c, dra, drb, dcbuf.data(), dg, H, b0, b1); });
        recurrent_gemm(n, Ho, GH, dg, GH, whhT.data(), tmp.data(), dhbuf.data(), Ho, false);
        break;
      }
      case RnnMode::Gru: {
        dgh = dGh.data() + o * GH;
        const T* ghn = ws[2] + o * H;
        const T* hp = Hp + o * Ho;
        rows(n, GH, [&](int64_t b0, int64_t b1) {
          k.gru_bwd(g, ghn, hp, dyt, dhbuf.data(), dg, dgh, H, b0, b1);
        });
        recurrent_gemm(n, Ho, GH, dgh, GH, whhT.data(), tmp.data(), dhbuf.data(), Ho, true);
        break;
      }
    }
  }
  if (dh0) copy_rows(dh0, dhbuf.data(), a.B, Ho);
  if (dc0 && lstm) copy_rows(dc0, dcbuf.data(), a.B, H);

  const T* dGx = dGi.data();
  const T* dGr = gru ? dGh.data() : dGi.data();
  if (dx) gemm(a.N, a.I, GH, dGx, GH, 1, a.w_ih, a.I, 1, T(0), dx, a.I);
  gemm(GH, a.I, a.N, dGx, 1, GH, a.x, a.I, 1, T(0), dw_ih, a.I);
  gemm(GH, Ho, a.N, dGr, 1, GH, Hp, Ho, 1, T(0), dw_hh, Ho);
  const T one = T(1);
  if (db_ih) gemm(1, GH, a.N, &one, 0, 0, dGx, GH, 1, T(0), db_ih, GH);
  if (db_hh) gemm(1, GH, a.N, &one, 0, 0, dGr, GH, 1, T(0), db_hh, GH);
  if (proj && dw_hr) gemm(Ho, H, a.N, dH.data(), 1, Ho, ws[4], H, 1, T(0), dw_hr, H);
}

template void layer_forward_cpu<float>(const LayerArgs<float>&, const float*, const float*, float*, float*, float*,
                                       std::vector<float*>&);
template void layer_forward_cpu<double>(const LayerArgs<double>&, const double*, const double*, double*, double*,
                                        double*, std::vector<double*>&);
template void layer_backward_cpu<float>(const LayerArgs<float>&, const float*, const float*, const float*,
                                        const std::vector<const float*>&, float*, float*, float*, float*, float*,
                                        float*, float*, float*);
template void layer_backward_cpu<double>(const LayerArgs<double>&, const double*, const double*, const double*,
                                         const std::vector<const double*>&, double*, double*, double*, double*,
                                         double*, double*, double*, double*);

}  // namespace rnn_detail
}  // namespace ember
