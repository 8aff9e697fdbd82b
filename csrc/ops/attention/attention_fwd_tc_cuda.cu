// attention_fwd_tc_cuda.cu — flash-attention forward on tensor cores for float16 /
// bfloat16 inputs (FlashAttention-2 register layout), float32 accumulation, output
// and logsumexp in float32 (the host casts out back to the input dtype, as it does
// after the CPU kernels). Same semantics as attention_fwd_cuda.cu (masks, causal,
// GQA, Philox dropout, +inf lse and zero output for rows that see no key).
//
// How: one block of 4 warps per (b, h, tile of 64 query rows); warp w owns rows
// w*16 .. w*16+15. Q, K, V tiles (64 x D, D = E = Ev in {32, 64, 128}) go to shared
// memory by 16-byte loads (rows padded by 8 elements: ldmatrix rows hit distinct
// banks). Q fragments are loaded once into registers (ldmatrix.x4). Per 64-key tile:
// S = Q K^T with mma.sync.m16n8k16 (K rows are the col-major B operand: plain
// ldmatrix), scale + mask + causal on the accumulator fragment, online softmax per
// row (each row lives in one quad of lanes: shuffle-xor 1 and 2), then the float P
// accumulator is repacked in registers as the A operand of P V (the m16n8 C layout of
// two adjacent key tiles is the m16n8k16 A layout) and V enters through
// ldmatrix.trans. Fragment layouts (PTX ISA, mma.m16n8k16, g = lane / 4,
// t = lane % 4): A a0 (g, 2t..2t+1), a1 (g+8, 2t..), a2 (g, 2t+8..), a3 (g+8, 2t+8..);
// B b0 (k 2t..2t+1, n g), b1 (k 2t+8.., n g); C c0,c1 (g, 2t..2t+1), c2,c3 (g+8, ..).
//
// Layout: q, k, v with unit-stride last dim, every other stride a multiple of 8
// elements and 16-byte aligned base pointers (the host checks; otherwise it takes
// the float32 path); out (B, Hq, L, E) float32 contiguous, lse (B, Hq, L) float32.
#include <cstring>

#include "attention_cuda.h"
#include "attention_cuda_common.cuh"
#include "ops/gemm/mma_tile.cuh"

namespace ember {
namespace attention_cuda {
namespace {

constexpr int kTQ = 64;  // query rows per block (16 per warp)
constexpr int kTK = 64;  // keys per tile

template <class T>
__device__ __forceinline__ uint32_t pack2(float lo, float hi);
template <>
__device__ __forceinline__ uint32_t pack2<Half>(float lo, float hi) {
  __half2 h = __floats2half2_rn(lo, hi);
  uint32_t u;
  memcpy(&u, &h, 4);
  return u;
}
template <>
__device__ __forceinline__ uint32_t pack2<BFloat16>(float lo, float hi) {
  __nv_bfloat162 h = __floats2bfloat162_rn(lo, hi);
  uint32_t u;
  memcpy(&u, &h, 4);
  return u;
}

// Rows [0, n) of a 64 x D tile from rows of `src` (row stride ld elements), zero
// rows beyond n; 16-byte chunks, all threads of the block.
template <class T, int D, int LDS>
__device__ __forceinline__ void load_tile(T* dst, const T* src, int64_t ld, int n) {
  constexpr int CPR = D / 8;  // 16-byte chunks per row
  for (int c = threadIdx.x; c < kTK * CPR; c += kThreads) {
    const int r = c / CPR, k8 = (c % CPR) * 8;
    uint4 v = make_uint4(0u, 0u, 0u, 0u);
    if (r < n) v = *reinterpret_cast<const uint4*>(src + r * ld + k8);
    *reinterpret_cast<uint4*>(dst + r * LDS + k8) = v;
  }
}

template <class T, int D>
__global__ void __launch_bounds__(kThreads) fwd_tc_kernel(Params<float> p, const T* __restrict q,
                                                          const T* __restrict k, const T* __restrict v, int64_t nqt) {
  constexpr int LDS = D + 8;
  constexpr int KS = D / 16;   // k-steps of S = Q K^T
  constexpr int NT = kTK / 8;  // n-tiles of S (8 keys each)
  constexpr int DT = D / 8;    // n-tiles of O (8 columns each)
  extern __shared__ __align__(16) unsigned char smem_raw[];
  T* Qs = reinterpret_cast<T*>(smem_raw);  // kTQ x LDS
  T* Ks = Qs + kTQ * LDS;                    // kTK x LDS
  T* Vs = Ks + kTK * LDS;                    // kTK x LDS

  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int g = lane / 4, t = lane % 4;
  const int64_t item = blockIdx.x;
  const int64_t bh = item / nqt, qt = item % nqt;
  const int64_t b = bh / p.Hq, h = bh % p.Hq, hk = h / (p.Hq / p.Hk);
  const int64_t i0 = qt * kTQ;
  const int nr = static_cast<int>(p.L - i0 < kTQ ? p.L - i0 : kTQ);
  const T* Q = q + b * p.q_sb + h * p.q_sh + i0 * p.q_sl;
  const T* K = k + b * p.k_sb + hk * p.k_sh;
  const T* V = v + b * p.v_sb + hk * p.v_sh;
  const bool drop = p.dropout_p > 0.0;

  load_tile<T, D, LDS>(Qs, Q, p.q_sl, nr);
  __syncthreads();
  uint32_t qf[KS][4];
#pragma unroll
  for (int ks = 0; ks < KS; ++ks)
    mma::ldmatrix_x4(qf[ks], Qs + (warp * 16 + (lane % 16)) * LDS + ks * 16 + (lane / 16) * 8);

  float o[DT][4];
#pragma unroll
  for (int dt = 0; dt < DT; ++dt) o[dt][0] = o[dt][1] = o[dt][2] = o[dt][3] = 0.f;
  float m[2] = {neg_inf<float>(), neg_inf<float>()}, l[2] = {0.f, 0.f};
  const int rowA = warp * 16 + g;  // this thread's two rows in the tile: rowA, rowA + 8

  const int64_t jend = p.causal ? (p.S < i0 + nr ? p.S : i0 + nr) : p.S;
  for (int64_t j0 = 0; j0 < jend; j0 += kTK) {
    const int nc = static_cast<int>(jend - j0 < kTK ? jend - j0 : kTK);
    __syncthreads();  // the previous tile's K/V reads (and the Q fragment loads) are done
    load_tile<T, D, LDS>(Ks, K + j0 * p.k_sl, p.k_sl, nc);
    load_tile<T, D, LDS>(Vs, V + j0 * p.v_sl, p.v_sl, nc);
    __syncthreads();

    // S = Q K^T (16 x 64 per warp)
    float s[NT][4];
#pragma unroll
    for (int nt = 0; nt < NT; ++nt) s[nt][0] = s[nt][1] = s[nt][2] = s[nt][3] = 0.f;
#pragma unroll
    for (int ks = 0; ks < KS; ++ks) {
#pragma unroll
      for (int np = 0; np < NT / 2; ++np) {
        const int mi = lane / 8, r = lane % 8;
        const int key = np * 16 + r + ((mi & 2) ? 8 : 0);
        const int col = ks * 16 + ((mi & 1) ? 8 : 0);
        uint32_t bf[4];
        mma::ldmatrix_x4(bf, Ks + key * LDS + col);
        const uint32_t b0[2] = {bf[0], bf[1]}, b1[2] = {bf[2], bf[3]};
        mma::mma_16816<T>(s[2 * np], qf[ks], b0);
        mma::mma_16816<T>(s[2 * np + 1], qf[ks], b1);
      }
    }

    // scale, mask, causal; element e of tile nt is (row rowA + 8*(e/2), key nt*8 + 2t + e%2)
    float mx[2] = {neg_inf<float>(), neg_inf<float>()};
#pragma unroll
    for (int nt = 0; nt < NT; ++nt) {
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const int row = rowA + (e / 2) * 8, col = nt * 8 + 2 * t + (e % 2);
        float x = neg_inf<float>();
        if (row < nr && col < nc) x = apply_mask(p, s[nt][e] * p.scale, b, h, i0 + row, j0 + col);
        s[nt][e] = x;
        mx[e / 2] = x > mx[e / 2] ? x : mx[e / 2];
      }
    }
#pragma unroll
    for (int hr = 0; hr < 2; ++hr) {
#pragma unroll
      for (int off = 1; off <= 2; off <<= 1) {
        const float w = __shfl_xor_sync(kFull, mx[hr], off);
        mx[hr] = w > mx[hr] ? w : mx[hr];
      }
    }
    float alpha[2], mnew[2];
#pragma unroll
    for (int hr = 0; hr < 2; ++hr) {
      mnew[hr] = m[hr] > mx[hr] ? m[hr] : mx[hr];
      // a row that has seen no key yet keeps m = -inf, l = 0, o = 0
      alpha[hr] = (mnew[hr] == neg_inf<float>() || m[hr] == neg_inf<float>()) ? 0.f : expf(m[hr] - mnew[hr]);
    }
    float rs[2] = {0.f, 0.f};
#pragma unroll
    for (int nt = 0; nt < NT; ++nt) {
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const int hr = e / 2;
        const float x = s[nt][e];
        const float pv = (x == neg_inf<float>()) ? 0.f : expf(x - mnew[hr]);
        rs[hr] += pv;
        s[nt][e] = pv;
      }
    }
#pragma unroll
    for (int hr = 0; hr < 2; ++hr) {
      rs[hr] += __shfl_xor_sync(kFull, rs[hr], 1);
      rs[hr] += __shfl_xor_sync(kFull, rs[hr], 2);
      if (mnew[hr] != neg_inf<float>()) {
        l[hr] = l[hr] * alpha[hr] + rs[hr];
        m[hr] = mnew[hr];
      }
    }
#pragma unroll
    for (int dt = 0; dt < DT; ++dt) {
      o[dt][0] *= alpha[0];
      o[dt][1] *= alpha[0];
      o[dt][2] *= alpha[1];
      o[dt][3] *= alpha[1];
    }
    if (drop) {
#pragma unroll
      for (int nt = 0; nt < NT; ++nt) {
#pragma unroll
        for (int e = 0; e < 4; ++e) {
          const int row = rowA + (e / 2) * 8, col = nt * 8 + 2 * t + (e % 2);
          if (row < nr && col < nc && s[nt][e] != 0.f)
            s[nt][e] *= dropout_factor(p, static_cast<uint64_t>((bh * p.L + i0 + row) * p.S + j0 + col));
        }
      }
    }

    // O += P V: P from the S accumulators (two key tiles = one k16 step), V by ldmatrix.trans
#pragma unroll
    for (int kk = 0; kk < kTK / 16; ++kk) {
      uint32_t a[4];
      a[0] = pack2<T>(s[2 * kk][0], s[2 * kk][1]);
      a[1] = pack2<T>(s[2 * kk][2], s[2 * kk][3]);
      a[2] = pack2<T>(s[2 * kk + 1][0], s[2 * kk + 1][1]);
      a[3] = pack2<T>(s[2 * kk + 1][2], s[2 * kk + 1][3]);
#pragma unroll
      for (int dp = 0; dp < D / 16; ++dp) {
        const int mi = lane / 8, r = lane % 8;
        const int key = kk * 16 + r + ((mi & 1) ? 8 : 0);
        const int col = dp * 16 + ((mi & 2) ? 8 : 0);
        uint32_t bf[4];
        mma::ldmatrix_x4_trans(bf, Vs + key * LDS + col);
        const uint32_t b0[2] = {bf[0], bf[1]}, b1[2] = {bf[2], bf[3]};
        mma::mma_16816<T>(o[2 * dp], a, b0);
        mma::mma_16816<T>(o[2 * dp + 1], a, b1);
      }
    }
  }

#pragma unroll
  for (int hr = 0; hr < 2; ++hr) {
    const int row = rowA + hr * 8;
    if (row >= nr) continue;
    const int64_t i = i0 + row;
    const bool empty = l[hr] == 0.f;
    const float inv = empty ? 0.f : 1.f / l[hr];
    float* O = p.out + (bh * p.L + i) * p.Ev;
#pragma unroll
    for (int dt = 0; dt < DT; ++dt) {
      const int d = dt * 8 + 2 * t;
      O[d] = empty ? 0.f : o[dt][2 * hr] * inv;
      O[d + 1] = empty ? 0.f : o[dt][2 * hr + 1] * inv;
    }
    if (t == 0) p.lse[bh * p.L + i] = empty ? pos_inf<float>() : m[hr] + logf(l[hr]);
  }
}

template <class T, int D>
void launch_tc(const Params<float>& p, const void* q, const void* k, const void* v, const char* op) {
  const int64_t nqt = (p.L + kTQ - 1) / kTQ;
  const int64_t blocks = p.B * p.Hq * nqt;
  EMBER_CHECK(blocks < (int64_t(1) << 31), Value, "[", op, "] too many query tiles for one launch: ", blocks);
  const size_t smem = sizeof(T) * static_cast<size_t>(3 * 64 * (D + 8));
  set_smem(fwd_tc_kernel<T, D>, smem, op);
  fwd_tc_kernel<T, D><<<static_cast<unsigned>(blocks), kThreads, smem, cuda::current_stream()>>>(
      p, static_cast<const T*>(q), static_cast<const T*>(k), static_cast<const T*>(v), nqt);
  cuda::check_launch(op);
}

// q, k, v: float16 (bf16 false) or bfloat16 arrays with p's strides; p.q/k/v unused.
void fwd_tc(const Params<float>& p, const void* q, const void* k, const void* v, bool bf16, int device) {
  const char* op = "scaled_dot_product_attention";
  cuda::DeviceGuard guard(device, op);
  if (p.B == 0 || p.Hq == 0 || p.L == 0) return;
  EMBER_CHECK(p.Hk > 0 && p.Hq % p.Hk == 0, Value, "[", op, "] bad head counts ", p.Hq, " / ", p.Hk);
  EMBER_CHECK(p.E == p.Ev && (p.E == 32 || p.E == 64 || p.E == 128), Value, "[", op,
              "] the tensor-core path takes head dims 32, 64 or 128 (E == Ev), got ", p.E, " and ", p.Ev);
  auto go = [&](auto tag) {
    using T = decltype(tag);
    switch (p.E) {
      case 32: return launch_tc<T, 32>(p, q, k, v, op);
      case 64: return launch_tc<T, 64>(p, q, k, v, op);
      default: return launch_tc<T, 128>(p, q, k, v, op);
    }
  };
  if (bf16) go(BFloat16{});
  else go(Half{});
}

}  // namespace
}  // namespace attention_cuda

EMBER_CUDA_REGISTER(attention_fwd_tc, attention_cuda::fwd_tc);

}  // namespace ember
