// attention_fwd_cuda.cu — flash-attention forward on CUDA (SIMT, float32 / float64).
//
// What: out = softmax(scale * Q K^T + mask) V per (batch, q head), with causal
// masking, bool or additive masks (broadcast strides), GQA (q head h reads kv head
// h / (Hq/Hk)), dropout from the Philox stream (the CPU's element numbering, so both
// backends drop the same elements), and lse = m + log(l) per row for the backward
// (+inf and a zero output row when every key is masked, as on the CPU).
//
// How: one block (4 warps) per (b, h, tile of 32 query rows). The Q tile sits in
// shared memory; K and V stream through shared memory 32 keys at a time (K rows
// padded to D+1 against bank conflicts). Scores: lane j of warp w computes the dot
// of key j with the warp's 8 query rows (Q reads are warp broadcasts). Online
// softmax per row with warp-shuffle max/sum; P never leaves registers: the P V
// product takes p(row, j) from lane j by __shfl_sync while each lane accumulates
// output columns lane + 32c in registers (acc[8][D/32]). No score matrix is stored.
//
// Layout: q, k, v with any (B, H, L) strides and a unit-stride last dim; out
// (B, Hq, L, Ev) and lse (B, Hq, L) contiguous. E, Ev <= D in {32, 64, 128}.
#include <type_traits>

#include "attention_cuda.h"
#include "attention_cuda_common.cuh"

namespace ember {
namespace attention_cuda {
namespace {

template <class T, int D>
__global__ void __launch_bounds__(kThreads) fwd_kernel(Params<T> p, int64_t nqt) {
  constexpr int DC = D / 32;
  constexpr int KP = D + 1;
  extern __shared__ __align__(16) unsigned char smem_raw[];
  T* Qs = reinterpret_cast<T*>(smem_raw);  // kBQ x D
  T* Ks = Qs + kBQ * D;                      // kBK x KP
  T* Vs = Ks + kBK * KP;                     // kBK x D

  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int64_t item = blockIdx.x;
  const int64_t bh = item / nqt, qt = item % nqt;
  const int64_t b = bh / p.Hq, h = bh % p.Hq, hk = h / (p.Hq / p.Hk);
  const int64_t i0 = qt * kBQ;
  const int nr = static_cast<int>(p.L - i0 < kBQ ? p.L - i0 : kBQ);
  const int E = static_cast<int>(p.E), Ev = static_cast<int>(p.Ev);
  const T* Q = p.q + b * p.q_sb + h * p.q_sh + i0 * p.q_sl;
  const T* K = p.k + b * p.k_sb + hk * p.k_sh;
  const T* V = p.v + b * p.v_sb + hk * p.v_sh;
  const bool drop = p.dropout_p > 0.0;

  for (int idx = threadIdx.x; idx < kBQ * D; idx += kThreads) {
    const int r = idx / D, d = idx % D;
    Qs[idx] = (r < nr && d < E) ? Q[r * p.q_sl + d] : T(0);
  }

  T m[kRW], l[kRW], acc[kRW][DC];
#pragma unroll
  for (int r = 0; r < kRW; ++r) {
    m[r] = neg_inf<T>();
    l[r] = T(0);
#pragma unroll
    for (int c = 0; c < DC; ++c) acc[r][c] = T(0);
  }

  // keys past the last row of the tile are all masked under causal
  const int64_t jend = p.causal ? (p.S < i0 + nr ? p.S : i0 + nr) : p.S;
  for (int64_t j0 = 0; j0 < jend; j0 += kBK) {
    const int nc = static_cast<int>(jend - j0 < kBK ? jend - j0 : kBK);
    __syncthreads();  // the previous tile's K/V reads are done
    for (int idx = threadIdx.x; idx < kBK * D; idx += kThreads) {
      const int j = idx / D, d = idx % D;
      Ks[j * KP + d] = (j < nc && d < E) ? K[(j0 + j) * p.k_sl + d] : T(0);
      Vs[idx] = (j < nc && d < Ev) ? V[(j0 + j) * p.v_sl + d] : T(0);
    }
    __syncthreads();

    // scores of the warp's rows against key `lane`
    T s[kRW];
#pragma unroll
    for (int r = 0; r < kRW; ++r) s[r] = T(0);
    for (int d = 0; d < E; ++d) {
      const T kd = Ks[lane * KP + d];
#pragma unroll
      for (int r = 0; r < kRW; ++r) s[r] += Qs[(warp * kRW + r) * D + d] * kd;
    }

    const int64_t j = j0 + lane;
    T pr[kRW];
#pragma unroll
    for (int r = 0; r < kRW; ++r) {
      const int row = warp * kRW + r;
      const int64_t i = i0 + row;
      T x = neg_inf<T>();
      if (row < nr && lane < nc) x = apply_mask(p, s[r] * p.scale, b, h, i, j);
      const T mnew_ = warp_max(x);
      const T mnew = m[r] > mnew_ ? m[r] : mnew_;
      T pv = T(0);
      if (mnew != neg_inf<T>()) {  // warp-uniform
        const T alpha = m[r] == neg_inf<T>() ? T(0) : dexp(m[r] - mnew);
        pv = x == neg_inf<T>() ? T(0) : dexp(x - mnew);
        l[r] = l[r] * alpha + warp_sum(pv);
        m[r] = mnew;
#pragma unroll
        for (int c = 0; c < DC; ++c) acc[r][c] *= alpha;
        if (drop && row < nr && lane < nc)
          pv *= dropout_factor(p, static_cast<uint64_t>((bh * p.L + i) * p.S + j));
      }
      pr[r] = pv;
    }

    // acc += P V
    for (int jj = 0; jj < nc; ++jj) {
      T v[DC];
#pragma unroll
      for (int c = 0; c < DC; ++c) v[c] = Vs[jj * D + lane + 32 * c];
#pragma unroll
      for (int r = 0; r < kRW; ++r) {
        const T pj = __shfl_sync(kFull, pr[r], jj);
#pragma unroll
        for (int c = 0; c < DC; ++c) acc[r][c] += pj * v[c];
      }
    }
  }

#pragma unroll
  for (int r = 0; r < kRW; ++r) {
    const int row = warp * kRW + r;
    if (row >= nr) continue;
    const int64_t i = i0 + row;
    T* O = p.out + (bh * p.L + i) * p.Ev;
    const bool empty = l[r] == T(0);
    const T inv = empty ? T(0) : T(1) / l[r];
#pragma unroll
    for (int c = 0; c < DC; ++c) {
      const int d = lane + 32 * c;
      if (d < Ev) O[d] = empty ? T(0) : acc[r][c] * inv;
    }
    if (lane == 0) p.lse[bh * p.L + i] = empty ? pos_inf<T>() : m[r] + dlog(l[r]);
  }
}

template <class T, int D>
void launch_fwd(const Params<T>& p, const char* op) {
  const int64_t nqt = (p.L + kBQ - 1) / kBQ;
  const int64_t blocks = p.B * p.Hq * nqt;
  EMBER_CHECK(blocks < (int64_t(1) << 31), Value, "[", op, "] too many query tiles for one launch: ", blocks);
  const size_t smem = sizeof(T) * static_cast<size_t>(kBQ * D + kBK * (D + 1) + kBK * D);
  set_smem(fwd_kernel<T, D>, smem, op);
  fwd_kernel<T, D><<<static_cast<unsigned>(blocks), kThreads, smem, cuda::current_stream()>>>(p, nqt);
  cuda::check_launch(op);
}

template <class T>
void fwd(const Params<T>& p, int device) {
  const char* op = "scaled_dot_product_attention";
  cuda::DeviceGuard guard(device, op);
  if (p.B == 0 || p.Hq == 0 || p.L == 0) return;
  EMBER_CHECK(p.Hk > 0 && p.Hq % p.Hk == 0, Value, "[", op, "] bad head counts ", p.Hq, " / ", p.Hk);
  const int dsel = pick_d(p.E, p.Ev, op);  // also checks E, Ev <= 128
  // float64 serves tests and gradchecks, not speed: one kernel (D = 128, the
  // head dim zero-padded) keeps its share of the fatbin small.
  if constexpr (std::is_same<T, double>::value) return launch_fwd<T, 128>(p, op);
  else {
    switch (dsel) {
      case 32: return launch_fwd<T, 32>(p, op);
      case 64: return launch_fwd<T, 64>(p, op);
      default: return launch_fwd<T, 128>(p, op);
    }
  }
}

void fwd_f32(const Params<float>& p, int device) { fwd<float>(p, device); }
void fwd_f64(const Params<double>& p, int device) { fwd<double>(p, device); }

}  // namespace
}  // namespace attention_cuda

EMBER_CUDA_REGISTER(attention_fwd_f32, attention_cuda::fwd_f32);
EMBER_CUDA_REGISTER(attention_fwd_f64, attention_cuda::fwd_f64);

}  // namespace ember
