// attention_bwd_cuda.cu — flash-attention backward on CUDA (SIMT, float32 / float64).
//
// What: dq, dk, dv (and dmask, the gradient of an additive mask, when asked) of
// attention_fwd_cuda.cu's forward, recomputing P = exp(scale*QK^T + mask - lse) per
// tile from the saved logsumexp (FlashAttention-2), with the dropout mask regenerated
// from (seed, offset): dV += (P*Z)^T dO, dP = dO V^T, dS = P * (dP*Z - D) with
// D = rowsum(dO * O), dQ += scale * dS K, dK += scale * dS^T Q.
//
// How: a first small kernel computes D (one warp per query row, shuffle sum). The
// main kernel runs one block (4 warps) per (b, kv head, tile of 32 keys): the K/V
// tile stays in shared memory and dK/dV accumulate in registers (warp w owns keys
// w*8.., lane owns columns lane + 32c), looping over every q head of the GQA group
// and every 32-row query tile (from the diagonal on under causal). Per query tile:
// Q, dO, lse and D go to shared memory; lane j of warp w computes S and dP of key j
// with the warp's 8 rows, then P*Z and dS are staged in shared memory (padded
// 32 x 33) for the dK/dV update and for dQ. dQ: several key tiles add to one query
// row, so dQ is accumulated with float32/float64 atomicAdd into the zeroed dq
// (not bit-reproducible run to run; dK, dV are). dK/dV are written once at the end.
//
// Layout: q, k, v with any (B, H, L) strides, unit-stride last dim; out, dout
// (B, Hq, L, Ev), lse (B, Hq, L), dq (B, Hq, L, E), dk (B, Hk, S, E), dv
// (B, Hk, S, Ev), dmask (B, Hq, L, S) all contiguous. E, Ev <= D in {32, 64, 128}.
#include <type_traits>

#include "attention_cuda.h"
#include "attention_cuda_common.cuh"

namespace ember {
namespace attention_cuda {
namespace {

// Drow[bh*L + i] = sum_c dout[bh, i, c] * out[bh, i, c]; one warp per row.
template <class T>
__global__ void rowdot_kernel(const T* __restrict out, const T* __restrict dout, T* __restrict Drow, int64_t rows,
                              int64_t Ev) {
  const int64_t warps_per_grid = static_cast<int64_t>(gridDim.x) * (blockDim.x / 32);
  const int lane = threadIdx.x % 32;
  for (int64_t r = static_cast<int64_t>(blockIdx.x) * (blockDim.x / 32) + threadIdx.x / 32; r < rows;
       r += warps_per_grid) {
    const T* o = out + r * Ev;
    const T* g = dout + r * Ev;
    T s = T(0);
    for (int64_t c = lane; c < Ev; c += 32) s += o[c] * g[c];
    s = warp_sum(s);
    if (lane == 0) Drow[r] = s;
  }
}

template <class T, int D>
__global__ void __launch_bounds__(kThreads) bwd_kernel(Params<T> p, const T* __restrict Drow, int64_t nkt) {
  constexpr int DC = D / 32;
  constexpr int KP = D + 1;
  constexpr int SP = kBK + 1;
  extern __shared__ __align__(16) unsigned char smem_raw[];
  T* Qs = reinterpret_cast<T*>(smem_raw);  // kBQ x D
  T* dOs = Qs + kBQ * D;                     // kBQ x D
  T* Ks = dOs + kBQ * D;                     // kBK x KP
  T* Vs = Ks + kBK * KP;                     // kBK x KP
  T* Ps = Vs + kBK * KP;                     // kBQ x SP: P*Z
  T* dSs = Ps + kBQ * SP;                    // kBQ x SP: dS
  T* lse_s = dSs + kBQ * SP;                 // kBQ
  T* D_s = lse_s + kBQ;                      // kBQ

  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int64_t item = blockIdx.x;
  const int64_t bk = item / nkt, kt = item % nkt;
  const int64_t b = bk / p.Hk, hk = bk % p.Hk;
  const int64_t group = p.Hq / p.Hk;
  const int64_t j0 = kt * kBK;
  const int nc = static_cast<int>(p.S - j0 < kBK ? p.S - j0 : kBK);
  const int E = static_cast<int>(p.E), Ev = static_cast<int>(p.Ev);
  const T* K = p.k + b * p.k_sb + hk * p.k_sh + j0 * p.k_sl;
  const T* V = p.v + b * p.v_sb + hk * p.v_sh + j0 * p.v_sl;
  const bool drop = p.dropout_p > 0.0;

  for (int idx = threadIdx.x; idx < kBK * D; idx += kThreads) {
    const int j = idx / D, d = idx % D;
    Ks[j * KP + d] = (j < nc && d < E) ? K[j * p.k_sl + d] : T(0);
    Vs[j * KP + d] = (j < nc && d < Ev) ? V[j * p.v_sl + d] : T(0);
  }

  T dk[kRW][DC], dv[kRW][DC];
#pragma unroll
  for (int r = 0; r < kRW; ++r)
#pragma unroll
    for (int c = 0; c < DC; ++c) dk[r][c] = dv[r][c] = T(0);

  const int64_t j = j0 + lane;
  for (int64_t g = 0; g < group; ++g) {
    const int64_t h = hk * group + g, bh = b * p.Hq + h;
    // under causal, rows before the tile's first key see none of its keys
    const int64_t istart = p.causal ? (j0 / kBQ) * kBQ : 0;
    for (int64_t i0 = istart; i0 < p.L; i0 += kBQ) {
      const int nr = static_cast<int>(p.L - i0 < kBQ ? p.L - i0 : kBQ);
      __syncthreads();  // the previous tile's reads of Qs/dOs/Ps/dSs are done
      const T* Q = p.q + b * p.q_sb + h * p.q_sh + i0 * p.q_sl;
      const T* dO = p.dout + (bh * p.L + i0) * p.Ev;
      for (int idx = threadIdx.x; idx < kBQ * D; idx += kThreads) {
        const int r = idx / D, d = idx % D;
        Qs[idx] = (r < nr && d < E) ? Q[r * p.q_sl + d] : T(0);
        dOs[idx] = (r < nr && d < Ev) ? dO[r * p.Ev + d] : T(0);
      }
      if (threadIdx.x < kBQ) {
        const int r = threadIdx.x;
        lse_s[r] = r < nr ? p.lse[bh * p.L + i0 + r] : pos_inf<T>();
        D_s[r] = r < nr ? Drow[bh * p.L + i0 + r] : T(0);
      }
      __syncthreads();

      // S and dP of the warp's rows against key `lane`
      T s[kRW], dp[kRW];
#pragma unroll
      for (int r = 0; r < kRW; ++r) s[r] = dp[r] = T(0);
      for (int d = 0; d < E; ++d) {
        const T kd = Ks[lane * KP + d];
#pragma unroll
        for (int r = 0; r < kRW; ++r) s[r] += Qs[(warp * kRW + r) * D + d] * kd;
      }
      for (int d = 0; d < Ev; ++d) {
        const T vd = Vs[lane * KP + d];
#pragma unroll
        for (int r = 0; r < kRW; ++r) dp[r] += dOs[(warp * kRW + r) * D + d] * vd;
      }
#pragma unroll
      for (int r = 0; r < kRW; ++r) {
        const int row = warp * kRW + r;
        const int64_t i = i0 + row;
        T pz = T(0), ds = T(0);
        const T ls = lse_s[row];
        if (row < nr && lane < nc && ls != pos_inf<T>()) {
          const T x = apply_mask(p, s[r] * p.scale, b, h, i, j);
          const T pv = x == neg_inf<T>() ? T(0) : dexp(x - ls);
          if (drop) {
            const T z = dropout_factor(p, static_cast<uint64_t>((bh * p.L + i) * p.S + j));
            ds = pv * (dp[r] * z - D_s[row]);
            pz = pv * z;
          } else {
            ds = pv * (dp[r] - D_s[row]);
            pz = pv;
          }
        }
        Ps[row * SP + lane] = pz;
        dSs[row * SP + lane] = ds;
        if (p.dmask && row < nr && lane < nc) p.dmask[(bh * p.L + i) * p.S + j] = ds;
      }
      __syncthreads();

      // dV[key] += P*Z[row, key] dO[row], dK[key] += dS[row, key] Q[row] (scaled at the end)
      for (int ii = 0; ii < nr; ++ii) {
        T qv[DC], gv[DC];
#pragma unroll
        for (int c = 0; c < DC; ++c) {
          qv[c] = Qs[ii * D + lane + 32 * c];
          gv[c] = dOs[ii * D + lane + 32 * c];
        }
#pragma unroll
        for (int r = 0; r < kRW; ++r) {
          const T pz = Ps[ii * SP + warp * kRW + r];
          const T ds = dSs[ii * SP + warp * kRW + r];
#pragma unroll
          for (int c = 0; c < DC; ++c) {
            dv[r][c] += pz * gv[c];
            dk[r][c] += ds * qv[c];
          }
        }
      }

      // dQ[row] += scale * dS[row, :] K
#pragma unroll
      for (int r = 0; r < kRW; ++r) {
        const int row = warp * kRW + r;
        if (row >= nr) continue;  // warp-uniform
        T a[DC];
#pragma unroll
        for (int c = 0; c < DC; ++c) a[c] = T(0);
        for (int jj = 0; jj < nc; ++jj) {
          const T ds = dSs[row * SP + jj];
#pragma unroll
          for (int c = 0; c < DC; ++c) a[c] += ds * Ks[jj * KP + lane + 32 * c];
        }
        T* dq = p.dq + (bh * p.L + i0 + row) * p.E;
#pragma unroll
        for (int c = 0; c < DC; ++c) {
          const int d = lane + 32 * c;
          if (d < E) atomicAdd(dq + d, a[c] * p.scale);
        }
      }
    }
  }

#pragma unroll
  for (int r = 0; r < kRW; ++r) {
    const int key = warp * kRW + r;
    if (key >= nc) continue;
    T* dkr = p.dk + ((b * p.Hk + hk) * p.S + j0 + key) * p.E;
    T* dvr = p.dv + ((b * p.Hk + hk) * p.S + j0 + key) * p.Ev;
#pragma unroll
    for (int c = 0; c < DC; ++c) {
      const int d = lane + 32 * c;
      if (d < E) dkr[d] = dk[r][c] * p.scale;
      if (d < Ev) dvr[d] = dv[r][c];
    }
  }
}

template <class T, int D>
void launch_bwd(const Params<T>& p, const T* Drow, const char* op) {
  const int64_t nkt = (p.S + kBK - 1) / kBK;
  const int64_t blocks = p.B * p.Hk * nkt;
  EMBER_CHECK(blocks < (int64_t(1) << 31), Value, "[", op, "] too many key tiles for one launch: ", blocks);
  const size_t smem =
      sizeof(T) * static_cast<size_t>(2 * kBQ * D + 2 * kBK * (D + 1) + 2 * kBQ * (kBK + 1) + 2 * kBQ);
  set_smem(bwd_kernel<T, D>, smem, op);
  bwd_kernel<T, D><<<static_cast<unsigned>(blocks), kThreads, smem, cuda::current_stream()>>>(p, Drow, nkt);
  cuda::check_launch(op);
}

template <class T>
void bwd(const Params<T>& p, int device) {
  const char* op = "scaled_dot_product_attention_backward";
  cuda::DeviceGuard guard(device, op);
  if (p.B == 0 || p.Hk == 0 || p.S == 0) return;  // dk, dv empty; dq stays zero
  EMBER_CHECK(p.Hq % p.Hk == 0, Value, "[", op, "] bad head counts ", p.Hq, " / ", p.Hk);
  const int dsel = pick_d(p.E, p.Ev, op);
  const int64_t rows = p.B * p.Hq * p.L;
  // D = rowsum(dO * O), in a temporary from the caching allocator
  const DType dt = std::is_same<T, float>::value ? DType::Float32 : DType::Float64;
  Array Dbuf = Array::empty({rows > 0 ? rows : 1}, dt, Device{DeviceType::CUDA, device});
  T* Drow = Dbuf.data<T>();
  if (rows > 0) {
    const int64_t blocks64 = (rows + 7) / 8;  // 8 warps of 256 threads
    const unsigned blocks = static_cast<unsigned>(blocks64 < cuda::kMaxBlocks ? blocks64 : cuda::kMaxBlocks);
    rowdot_kernel<T><<<blocks, 256, 0, cuda::current_stream()>>>(p.out, p.dout, Drow, rows, p.Ev);
    cuda::check_launch(op);
  }
  // float64 serves tests and gradchecks, not speed: one kernel (D = 128, the
  // head dim zero-padded) keeps its share of the fatbin small.
  if constexpr (std::is_same<T, double>::value) return launch_bwd<T, 128>(p, Drow, op);
  else {
    switch (dsel) {
      case 32: return launch_bwd<T, 32>(p, Drow, op);
      case 64: return launch_bwd<T, 64>(p, Drow, op);
      default: return launch_bwd<T, 128>(p, Drow, op);
    }
  }
}

void bwd_f32(const Params<float>& p, int device) { bwd<float>(p, device); }
void bwd_f64(const Params<double>& p, int device) { bwd<double>(p, device); }

}  // namespace
}  // namespace attention_cuda

EMBER_CUDA_REGISTER(attention_bwd_f32, attention_cuda::bwd_f32);
EMBER_CUDA_REGISTER(attention_bwd_f64, attention_cuda::bwd_f64);

}  // namespace ember
