// attention_kernels.h — the flash-attention forward and backward tile loops,
// included once per ISA (attention_cpu.cpp, attention_avx2.cpp,
// attention_avx512.cpp) with AT_ISA naming the namespace; the row loops (max,
// exp, rescale) vectorise at that file's -m flags, the tile products run on
// ember's GEMM (ops/gemm/gemm.h), called serially from inside each work item.
//
// Forward (FlashAttention-2): one work item = one (batch, q head) and a tile of
// kBlockQ query rows. For each tile of kBlockK keys, S = scale * Q K^T (+ mask) in
// a kBlockQ x kBlockK buffer; per row a running max m and sum l are updated, the
// accumulated output row is rescaled by exp(m_old - m_new) and P V is added.
// Only the tile is ever materialised: memory is O(kBlockQ * kBlockK) per thread,
// linear in sequence length overall. The output row is divided by l at the end
// and lse = m + log(l) saved for backward.
//
// Backward: one work item = one (batch, kv head) with every q head of its group,
// so dK/dV (shared by the group) and dQ (owned by one q head) need no atomics.
// Key tiles outer, query tiles inner: P = exp(S - lse) is recomputed,
// dV += (P*Z)^T dO, dP = dO V^T, dS = P * (dP*Z - D) with D = rowsum(dO * O),
// dQ += scale * dS K, dK += scale * dS^T Q (Z is the dropout keep/scale mask).
//
// Dropout: element (b, h, i, j) keeps iff Philox uniform number ((b*Hq+h)*L+i)*S+j
// of the reserved stream is >= p, so backward regenerates forward's mask exactly.
// A fully masked row (every score -inf) gives output 0 and zero gradients, as
// torch 2.13's CPU kernels do.
#pragma GCC optimize("no-trapping-math")
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "attention.h"
#include "core/philox.h"
#include "core/simd_lanes.h"
#include "ops/elementwise/vec_math.h"
#include "ops/gemm/gemm.h"

namespace ember {
namespace attention_detail {
namespace AT_ISA {
namespace {

inline void gemm(int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t rsa, int64_t csa,
                 const float* B, int64_t rsb, int64_t csb, float beta, float* C, int64_t rsc) {
  gemm::sgemm(M, N, K, alpha, A, rsa, csa, B, rsb, csb, beta, C, rsc, 1);
}
inline void gemm(int64_t M, int64_t N, int64_t K, double alpha, const double* A, int64_t rsa, int64_t csa,
                 const double* B, int64_t rsb, int64_t csb, double beta, double* C, int64_t rsc) {
  gemm::dgemm(M, N, K, alpha, A, rsa, csa, B, rsb, csb, beta, C, rsc, 1);
}

inline float vexp(float x) { return vm::exp(x); }
inline double vexp(double x) { return vm::exp(x); }

template <class T>
constexpr T kNegInf = -std::numeric_limits<T>::infinity();

// Adds the mask and the causal limit to row i of a score tile (keys j0 .. j0+n).
template <class T>
inline void mask_row(const Params<T>& p, T* row, int64_t b, int64_t h, int64_t i, int64_t j0, int64_t n) {
  if (p.mask_kind == 1) {
    const uint8_t* m = p.mask_b + b * p.m_sb + h * p.m_sh + i * p.m_sl + j0 * p.m_ss;
    for (int64_t j = 0; j < n; ++j)
      if (!m[j * p.m_ss]) row[j] = kNegInf<T>;
  } else if (p.mask_kind == 2) {
    const T* m = p.mask_f + b * p.m_sb + h * p.m_sh + i * p.m_sl + j0 * p.m_ss;
    if (p.m_ss == 1) {
      for (int64_t j = 0; j < n; ++j) row[j] += m[j];
    } else {
      for (int64_t j = 0; j < n; ++j) row[j] += m[j * p.m_ss];
    }
  }
  if (p.causal)
    for (int64_t j = std::max<int64_t>(0, i + 1 - j0); j < n; ++j) row[j] = kNegInf<T>;
}

// z[j] = keep ? 1/(1-p) : 0 for elements idx0 .. idx0+n of the dropout stream.
template <class T>
inline void dropout_row(const Params<T>& p, T* z, uint64_t idx0, int64_t n) {
  const T keep = p.dropout_p >= 1.0 ? T(0) : T(1.0 / (1.0 - p.dropout_p));
  const uint32_t thresh = static_cast<uint32_t>(std::min(p.dropout_p, 1.0) * 16777216.0);  // p * 2^24
  int64_t j = 0;
  while (j < n) {
    const uint64_t idx = idx0 + j;
    const Philox4 r = philox_block(p.seed, p.offset + idx / 4);
    for (uint64_t lane = idx % 4; lane < 4 && j < n; ++lane, ++j) z[j] = (r.v[lane] >> 8) >= thresh ? keep : T(0);
  }
}

// Reductions use explicit vector accumulators (core/simd_lanes.h): without
// -ffast-math GCC never reorders a scalar float reduction, so `s += e` in the exp
// loop would keep the whole loop (and its exp) scalar.
template <class T>
using Vec = lanes::Vec<T, AT_VBYTES>;

template <class T>
inline typename Vec<T>::type load(const T* p) { return lanes::load<AT_VBYTES>(p); }

template <class T>
inline T row_max(const T* x, int64_t n) {
  using V = typename Vec<T>::type;
  using IV = typename Vec<T>::itype;
  constexpr int W = Vec<T>::n;
  T m = kNegInf<T>;
  int64_t j = 0;
  if (n >= W) {
    V acc = load(x);
    for (j = W; j + W <= n; j += W) {
      V v = load(x + j);
      IV gt = v > acc;
      acc = (V)(((IV)v & gt) | ((IV)acc & ~gt));
    }
    for (int l = 0; l < W; ++l) m = acc[l] > m ? acc[l] : m;
  }
  for (; j < n; ++j) m = x[j] > m ? x[j] : m;
  return m;
}

template <class T>
inline T row_sum(const T* x, int64_t n) {
  using V = typename Vec<T>::type;
  constexpr int W = Vec<T>::n;
  V acc = {};
  int64_t j = 0;
  for (; j + W <= n; j += W) acc += load(x + j);
  T s = lanes::hsum<T, AT_VBYTES, T>(acc);
  for (; j < n; ++j) s += x[j];
  return s;
}

template <class T>
inline T row_dot(const T* a, const T* b, int64_t n) {
  using V = typename Vec<T>::type;
  constexpr int W = Vec<T>::n;
  V acc = {};
  int64_t j = 0;
  for (; j + W <= n; j += W) acc += load(a + j) * load(b + j);
  T s = lanes::hsum<T, AT_VBYTES, T>(acc);
  for (; j < n; ++j) s += a[j] * b[j];
  return s;
}

// x = exp(x - m) in place (a plain map, vectorised with vm::exp); returns the sum.
template <class T>
inline T exp_sum(T* x, int64_t n, T m) {
  for (int64_t j = 0; j < n; ++j) x[j] = vexp(x[j] - m);
  return row_sum(x, n);
}

template <class T>
void fwd(const Params<T>& p, int64_t item_b, int64_t item_e) {
  const int64_t nqt = (p.L + kBlockQ - 1) / kBlockQ, group = p.Hq / p.Hk;
  const bool drop = p.dropout_p > 0.0;
  std::vector<T> sbuf(kBlockQ * kBlockK), zbuf(drop ? kBlockK : 0), m(kBlockQ), l(kBlockQ);
  for (int64_t item = item_b; item < item_e; ++item) {
    const int64_t bh = item / nqt, qt = item % nqt, b = bh / p.Hq, h = bh % p.Hq, hk = h / group;
    const int64_t i0 = qt * kBlockQ, nr = std::min(kBlockQ, p.L - i0);
    const T* Q = p.q + b * p.q_sb + h * p.q_sh + i0 * p.q_sl;
    const T* K = p.k + b * p.k_sb + hk * p.k_sh;
    const T* V = p.v + b * p.v_sb + hk * p.v_sh;
    T* O = p.out + (bh * p.L + i0) * p.Ev;
    std::fill(O, O + nr * p.Ev, T(0));
    std::fill(m.begin(), m.end(), kNegInf<T>);
    std::fill(l.begin(), l.end(), T(0));
    const int64_t jend = p.causal ? std::min(p.S, i0 + nr) : p.S;
    for (int64_t j0 = 0; j0 < jend; j0 += kBlockK) {
      const int64_t nc = std::min(kBlockK, jend - j0);
      T* sb = sbuf.data();
      gemm(nr, nc, p.E, p.scale, Q, p.q_sl, 1, K + j0 * p.k_sl, 1, p.k_sl, T(0), sb, kBlockK);
      for (int64_t r = 0; r < nr; ++r) {
        T* row = sb + r * kBlockK;
        T* orow = O + r * p.Ev;
        mask_row(p, row, b, h, i0 + r, j0, nc);
        const T mnew = std::max(m[r], row_max(row, nc));
        if (mnew == kNegInf<T>) {  // nothing visible yet in this row
          std::fill(row, row + nc, T(0));
          continue;
        }
        const T alpha = m[r] == kNegInf<T> ? T(0) : vexp(m[r] - mnew);
        l[r] = l[r] * alpha + exp_sum(row, nc, mnew);
        m[r] = mnew;
        if (alpha != T(1))
          for (int64_t c = 0; c < p.Ev; ++c) orow[c] *= alpha;
        if (drop) {
          dropout_row(p, zbuf.data(), static_cast<uint64_t>((bh * p.L + i0 + r) * p.S + j0), nc);
          for (int64_t j = 0; j < nc; ++j) row[j] *= zbuf[j];
        }
      }
      gemm(nr, p.Ev, nc, T(1), sb, kBlockK, 1, V + j0 * p.v_sl, p.v_sl, 1, T(1), O, p.Ev);
    }
    for (int64_t r = 0; r < nr; ++r) {
      T* orow = O + r * p.Ev;
      if (l[r] == T(0)) {  // fully masked row: torch's CPU kernels give 0
        std::fill(orow, orow + p.Ev, T(0));
        p.lse[bh * p.L + i0 + r] = std::numeric_limits<T>::infinity();
        continue;
      }
      const T inv = T(1) / l[r];
      for (int64_t c = 0; c < p.Ev; ++c) orow[c] *= inv;
      p.lse[bh * p.L + i0 + r] = m[r] + std::log(l[r]);
    }
  }
}

template <class T>
void bwd(const Params<T>& p, int64_t item_b, int64_t item_e) {
  const int64_t group = p.Hq / p.Hk;
  const bool drop = p.dropout_p > 0.0;
  std::vector<T> pbuf(kBlockQ * kBlockK), dpbuf(kBlockQ * kBlockK), zbuf(drop ? kBlockQ * kBlockK : 0);
  std::vector<T> dkacc(kBlockK * p.E), dvacc(kBlockK * p.Ev), D(group * p.L);
  for (int64_t item = item_b; item < item_e; ++item) {
    const int64_t b = item / p.Hk, hk = item % p.Hk;
    const T* K = p.k + b * p.k_sb + hk * p.k_sh;
    const T* V = p.v + b * p.v_sb + hk * p.v_sh;
    // D = rowsum(dO * O) of every q head of the group
    for (int64_t g = 0; g < group; ++g) {
      const int64_t bh = b * p.Hq + hk * group + g;
      for (int64_t i = 0; i < p.L; ++i) {
        const T* o = p.out + (bh * p.L + i) * p.Ev;
        const T* go = p.dout + (bh * p.L + i) * p.Ev;
        D[g * p.L + i] = row_dot(o, go, p.Ev);
      }
    }
    for (int64_t j0 = 0; j0 < p.S; j0 += kBlockK) {
      const int64_t nc = std::min(kBlockK, p.S - j0);
      std::fill(dkacc.begin(), dkacc.end(), T(0));
      std::fill(dvacc.begin(), dvacc.end(), T(0));
      const T* Kj = K + j0 * p.k_sl;
      const T* Vj = V + j0 * p.v_sl;
      for (int64_t g = 0; g < group; ++g) {
        const int64_t h = hk * group + g, bh = b * p.Hq + h;
        const int64_t istart = p.causal ? (j0 / kBlockQ) * kBlockQ : 0;
        for (int64_t i0 = istart; i0 < p.L; i0 += kBlockQ) {
          const int64_t nr = std::min(kBlockQ, p.L - i0);
          const T* Q = p.q + b * p.q_sb + h * p.q_sh + i0 * p.q_sl;
          const T* dO = p.dout + (bh * p.L + i0) * p.Ev;
          const T* lse = p.lse + bh * p.L + i0;
          T* sb = pbuf.data();
          gemm(nr, nc, p.E, p.scale, Q, p.q_sl, 1, Kj, 1, p.k_sl, T(0), sb, kBlockK);
          bool any = false;
          for (int64_t r = 0; r < nr; ++r) {
            T* row = sb + r * kBlockK;
            mask_row(p, row, b, h, i0 + r, j0, nc);
            const T ls = lse[r];
            if (ls == std::numeric_limits<T>::infinity()) {
              std::fill(row, row + nc, T(0));
              continue;
            }
            for (int64_t j = 0; j < nc; ++j) row[j] = vexp(row[j] - ls);
            any = true;
          }
          if (!any) continue;
          // dP = dO V^T
          T* dp = dpbuf.data();
          gemm(nr, nc, p.Ev, T(1), dO, p.Ev, 1, Vj, 1, p.v_sl, T(0), dp, kBlockK);
          if (drop) {
            T* z = zbuf.data();
            for (int64_t r = 0; r < nr; ++r)
              dropout_row(p, z + r * kBlockK, static_cast<uint64_t>((bh * p.L + i0 + r) * p.S + j0), nc);
            // dS = P * (dP*Z - D), then P <- P*Z for dV
            for (int64_t r = 0; r < nr; ++r) {
              T *prow = sb + r * kBlockK, *dprow = dp + r * kBlockK;
              const T* zr = z + r * kBlockK;
              const T d = D[g * p.L + i0 + r];
              for (int64_t j = 0; j < nc; ++j) {
                dprow[j] = prow[j] * (dprow[j] * zr[j] - d);
                prow[j] *= zr[j];
              }
            }
          } else {
            for (int64_t r = 0; r < nr; ++r) {
              const T *prow = sb + r * kBlockK;
              T* dprow = dp + r * kBlockK;
              const T d = D[g * p.L + i0 + r];
              for (int64_t j = 0; j < nc; ++j) dprow[j] = prow[j] * (dprow[j] - d);
            }
          }
          if (p.dmask)
            for (int64_t r = 0; r < nr; ++r)
              std::copy(dp + r * kBlockK, dp + r * kBlockK + nc, p.dmask + (bh * p.L + i0 + r) * p.S + j0);
          // dV_j += (P*Z)^T dO_i
          gemm(nc, p.Ev, nr, T(1), sb, 1, kBlockK, dO, p.Ev, 1, T(1), dvacc.data(), p.Ev);
          // dQ_i += scale * dS K_j
          gemm(nr, p.E, nc, p.scale, dp, kBlockK, 1, Kj, p.k_sl, 1, T(1), p.dq + (bh * p.L + i0) * p.E, p.E);
          // dK_j += scale * dS^T Q_i
          gemm(nc, p.E, nr, p.scale, dp, 1, kBlockK, Q, p.q_sl, 1, T(1), dkacc.data(), p.E);
        }
      }
      T* dk = p.dk + ((b * p.Hk + hk) * p.S + j0) * p.E;
      T* dv = p.dv + ((b * p.Hk + hk) * p.S + j0) * p.Ev;
      std::copy(dkacc.begin(), dkacc.begin() + nc * p.E, dk);
      std::copy(dvacc.begin(), dvacc.begin() + nc * p.Ev, dv);
    }
  }
}

}  // namespace

const Kernels& kernels() {
  static const Kernels k{&fwd<float>, &fwd<double>, &bwd<float>, &bwd<double>};
  return k;
}

}  // namespace AT_ISA
}  // namespace attention_detail
}  // namespace ember
