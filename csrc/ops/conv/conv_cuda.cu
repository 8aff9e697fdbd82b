// conv_cuda.cu — CUDA convolutions as implicit GEMMs on the tiles of ops/gemm/mma_tile.cuh.
//
// Layout: the public tensors are NCHW; each op first copies the activations it gathers
// from to channels-last (NHWC, a 32 x 32 shared-memory transpose) so that an im2col row
// segment of one kernel tap is contiguous over channels (16-byte cp.async when the
// channels per group are a multiple of 16 bytes, predicated scalar loads otherwise).
// K is ordered (kh, kw, c) everywhere; weights are permuted to match (small transposes).
// Groups are the GEMM's batch (blockIdx.z). Per group g (Cg = C/groups, Og = O/groups,
// P = Ho*Wo, KK = KH*KW):
//   forward      M = N*P (output pixels)  N = Og  K = KK*Cg   A = im2col(x) rows, B = w (O, KK, Cg)
//   grad_input   M = N*H*W (input pixels) N = Cg  K = KK*Og   A = gathered gy (a tap is valid where
//                (ih + pad - kh*dil) is a multiple of the stride), B = w permuted to (g, Cg, KK, Og)
//   grad_weight  M = Og  N = KK*Cg  K = N*P   A = gy (NHWC, unit stride along o), B = im2col(x)^T;
//                split-K over pixels with float/double partials, then a reduce that writes
//                (O, Cg, KH, KW); grad_bias is a per-channel block reduction over gy.
// Few channels per group (a GEMM's N = Og or Cg, or the weight gradient's M = Og, under 16,
// as in depthwise convolutions): direct per-element kernels instead (see below).
// Compute: float16/bfloat16 mma m16n8k16; float32 TF32 mma (allow_tf32) or FMA; float64 FMA.
#include "ops/conv/conv_cuda.h"
#include <initializer_list>
#include <type_traits>

#include "ops/gemm/mma_tile.cuh"

namespace ember {
namespace {

using conv_detail::Geom;
using mma::AccOf;
using mma::cp_async16;
using mma::FastDiv;
using mma::Kind;
using mma::StridedLoader;
using mma::Tile;

// ---------------------------------------------------------------- layout transposes

// out[b][c][r] = in[b][r][c] for r < R, c < Cc: 32 x 32 tiles through shared memory,
// 32 x 8 threads; grid x over c tiles, y over r tiles, z over batches from batch0.
template <class T>
__global__ void transpose_kernel(const T* in, T* out, int64_t R, int64_t Cc, int64_t batch0) {
  __shared__ T tile[32][33];
  const int64_t b = batch0 + blockIdx.z;
  const T* src = in + b * R * Cc;
  T* dst = out + b * R * Cc;
  const int64_t c0 = static_cast<int64_t>(blockIdx.x) * 32, r0 = static_cast<int64_t>(blockIdx.y) * 32;
  const int tx = threadIdx.x, ty = threadIdx.y;
  for (int i = ty; i < 32; i += 8) {
    const int64_t r = r0 + i, c = c0 + tx;
    if (r < R && c < Cc) tile[i][tx] = src[r * Cc + c];
  }
  __syncthreads();
  for (int i = ty; i < 32; i += 8) {
    const int64_t c = c0 + i, r = r0 + tx;
    if (c < Cc && r < R) dst[c * R + r] = tile[tx][i];
  }
}

template <class T>
void transpose(const T* in, T* out, int64_t batch, int64_t R, int64_t Cc, const char* op) {
  if (batch <= 0 || R <= 0 || Cc <= 0) return;
  const int64_t gx = (Cc + 31) / 32, gy = (R + 31) / 32;
  EMBER_CHECK(gx <= INT_MAX && gy <= 65535, Value, "[", op, "] tensor too large for the CUDA layout transpose: ",
              R, " x ", Cc);
  for (int64_t b0 = 0; b0 < batch; b0 += 65535) {
    const int64_t nb = batch - b0 < 65535 ? batch - b0 : 65535;
    dim3 grid(static_cast<unsigned>(gx), static_cast<unsigned>(gy), static_cast<unsigned>(nb));
    transpose_kernel<T><<<grid, dim3(32, 8), 0, cuda::current_stream()>>>(in, out, R, Cc, b0);
    cuda::check_launch(op);
  }
}

// NCHW (N, C, P) -> NHWC (N, P, C).
template <class T>
Array to_nhwc(const Array& a, int64_t N, int64_t C, int64_t P, const char* op) {
  Array t = Array::empty({N, P, C}, a.dtype(), a.device(), op);
  transpose<T>(a.data<T>(), t.data<T>(), N, C, P, op);
  return t;
}

// ---------------------------------------------------------------- loaders

// The tile load of a K-major gather loader (the forward's and the input gradient's A):
// Derived::at(i, k, kend) gives element k of the thread's i-th row or null (padding,
// past the end). With vec (the channels per group a multiple of VEC), a chunk stays
// inside one tap: one predicated 16-byte cp.async; else element by element.
template <class Derived, class T>
struct GatherLoad {
  __device__ __forceinline__ void load(T* tile, int64_t k0, int64_t kend) const {
    using Tl = Tile<T>;
    const Derived& d = static_cast<const Derived&>(*this);
#pragma unroll
    for (int i = 0; i < Tl::CHUNKS; ++i) {
      int r, kk, off;
      Tl::template chunk<true>(static_cast<int>(threadIdx.x) + i * Tl::THREADS, r, kk, off);
      if (d.vec) {
        const T* src = d.at(i, k0 + kk, kend);
        cp_async16(tile + off, src ? src : d.base(), src != nullptr);
      } else {
#pragma unroll 1
        for (int j = 0; j < Tl::VEC; ++j) {
          const T* src = d.at(i, k0 + kk + j, kend);
          tile[off + j] = src ? *src : T{};
        }
      }
    }
  }
};

// A of the forward: row m = (n, oh, ow) of the output, k = (kh, kw, c) with c < Cg of
// group `batch`; reads x in NHWC. K-major. The thread's two rows are decoded once per block.
template <class T>
struct FwdIm2colLoader : GatherLoad<FwdIm2colLoader<T>, T> {
  static constexpr bool kKMajor = true;
  using Tl = Tile<T>;
  const T* x;
  int64_t M, H, W, C, Cg, KW, Ho, Wo, sh, sw, dh, dw, pt, pl;
  FastDiv fCg, fKW, fP, fWo;  // by Cg, KW, Ho*Wo, Wo
  bool vec;
  int64_t img_[Tl::CHUNKS], ih0_[Tl::CHUNKS], iw0_[Tl::CHUNKS], coff_;
  bool mok_[Tl::CHUNKS];

  __device__ __forceinline__ void init(int64_t r0, int64_t group) {
    coff_ = group * Cg;
#pragma unroll
    for (int i = 0; i < Tl::CHUNKS; ++i) {
      int r, kk, off;
      Tl::template chunk<true>(static_cast<int>(threadIdx.x) + i * Tl::THREADS, r, kk, off);
      const int64_t m = r0 + r;
      mok_[i] = m < M;
      const int64_t n = mok_[i] ? fP.div(m) : 0, p = mok_[i] ? m - n * (Ho * Wo) : 0;
      const int64_t oh = fWo.div(p), ow = p - oh * Wo;
      img_[i] = n;
      ih0_[i] = oh * sh - pt;
      iw0_[i] = ow * sw - pl;
    }
  }
  // Element (row i, k) or null when it falls in the padding / past the end.
  __device__ __forceinline__ const T* at(int i, int64_t k, int64_t kend) const {
    if (!mok_[i] || k >= kend) return nullptr;
    const int64_t tap = fCg.div(k), c = k - tap * Cg;
    const int64_t kh = fKW.div(tap), kw = tap - kh * KW;
    const int64_t ih = ih0_[i] + kh * dh, iw = iw0_[i] + kw * dw;
    if (ih < 0 || ih >= H || iw < 0 || iw >= W) return nullptr;
    return x + ((img_[i] * H + ih) * W + iw) * C + coff_ + c;
  }
  __device__ __forceinline__ const T* base() const { return x; }
};

// A of the input gradient: row m = (n, ih, iw) of the input, k = (kh, kw, o) with o < Og
// of group `batch`; reads gy in NHWC (N, Ho, Wo, O). Tap (kh, kw) reaches output pixel
// oh = (ih + pt - kh*dh) / sh when that is a whole number in range (same for w).
template <class T>
struct DgradLoader : GatherLoad<DgradLoader<T>, T> {
  static constexpr bool kKMajor = true;
  using Tl = Tile<T>;
  const T* gy;
  int64_t M, H, W, O, Og, KW, Ho, Wo, sh, sw, dh, dw, pt, pl;
  FastDiv fOg, fKW, fHW, fW, fsh, fsw;  // by Og, KW, H*W, W, sh, sw
  bool vec;
  int64_t img_[Tl::CHUNKS], hn_[Tl::CHUNKS], wn_[Tl::CHUNKS], ooff_;
  bool mok_[Tl::CHUNKS];

  __device__ __forceinline__ void init(int64_t r0, int64_t group) {
    ooff_ = group * Og;
#pragma unroll
    for (int i = 0; i < Tl::CHUNKS; ++i) {
      int r, kk, off;
      Tl::template chunk<true>(static_cast<int>(threadIdx.x) + i * Tl::THREADS, r, kk, off);
      const int64_t m = r0 + r;
      mok_[i] = m < M;
      const int64_t n = mok_[i] ? fHW.div(m) : 0, p = mok_[i] ? m - n * (H * W) : 0;
      const int64_t ih = fW.div(p), iw = p - ih * W;
      img_[i] = n;
      hn_[i] = ih + pt;
      wn_[i] = iw + pl;
    }
  }
  __device__ __forceinline__ const T* at(int i, int64_t k, int64_t kend) const {
    if (!mok_[i] || k >= kend) return nullptr;
    const int64_t tap = fOg.div(k), o = k - tap * Og;
    const int64_t kh = fKW.div(tap), kw = tap - kh * KW;
    const int64_t hn = hn_[i] - kh * dh, wn = wn_[i] - kw * dw;
    if (hn < 0 || wn < 0) return nullptr;
    const int64_t oh = fsh.div(hn), ow = fsw.div(wn);
    if (oh * sh != hn || ow * sw != wn || oh >= Ho || ow >= Wo) return nullptr;
    return gy + ((img_[i] * Ho + oh) * Wo + ow) * O + ooff_ + o;
  }
  __device__ __forceinline__ const T* base() const { return gy; }
};

// B of the weight gradient, MN-major: column j = (kh, kw, c) with c < Cg of group `batch`,
// k = output pixel (n, oh, ow); element x[n, oh*sh - pt + kh*dh, ow*sw - pl + kw*dw, c]
// read from NHWC. A chunk is VEC consecutive j at one pixel.
template <class T>
struct WgradIm2colLoader {
  static constexpr bool kKMajor = false;
  using Tl = Tile<T>;
  const T* x;
  int64_t R, H, W, C, Cg, KW, Ho, Wo, sh, sw, dh, dw, pt, pl;
  FastDiv fCg, fKW, fP, fWo;  // by Cg, KW, Ho*Wo, Wo
  bool vec;
  int64_t r0_, coff_;
  // vec path: the tap of each of the thread's chunks (its columns do not change with k)
  int64_t hoff_[Tl::CHUNKS], woff_[Tl::CHUNKS], c_[Tl::CHUNKS];
  bool jok_[Tl::CHUNKS];

  __device__ __forceinline__ void init(int64_t r0, int64_t group) {
    r0_ = r0;
    coff_ = group * Cg;
#pragma unroll
    for (int i = 0; i < Tl::CHUNKS; ++i) {
      int r, kk, off;
      Tl::template chunk<false>(static_cast<int>(threadIdx.x) + i * Tl::THREADS, r, kk, off);
      const int64_t j = r0 + r;
      jok_[i] = j < R;
      const int64_t tap = jok_[i] ? fCg.div(j) : 0, c = jok_[i] ? j - tap * Cg : 0;
      const int64_t kh = fKW.div(tap), kw = tap - kh * KW;
      hoff_[i] = kh * dh - pt;
      woff_[i] = kw * dw - pl;
      c_[i] = c;
    }
  }
  // Element (column j, pixel k given as n, oh, ow) or null.
  __device__ __forceinline__ const T* at(int64_t j, int64_t n, int64_t oh, int64_t ow) const {
    if (j >= R) return nullptr;
    const int64_t tap = fCg.div(j), c = j - tap * Cg;
    const int64_t kh = fKW.div(tap), kw = tap - kh * KW;
    const int64_t ih = oh * sh - pt + kh * dh, iw = ow * sw - pl + kw * dw;
    if (ih < 0 || ih >= H || iw < 0 || iw >= W) return nullptr;
    return x + ((n * H + ih) * W + iw) * C + coff_ + c;
  }
  __device__ __forceinline__ void load(T* tile, int64_t k0, int64_t kend) const {
#pragma unroll
    for (int i = 0; i < Tl::CHUNKS; ++i) {
      int r, kk, off;
      Tl::template chunk<false>(static_cast<int>(threadIdx.x) + i * Tl::THREADS, r, kk, off);
      const int64_t pix = k0 + kk, j = r0_ + r;
      const bool kok = pix < kend;
      const int64_t n = kok ? fP.div(pix) : 0, p = kok ? pix - n * (Ho * Wo) : 0;
      const int64_t oh = fWo.div(p), ow = p - oh * Wo;
      if (vec) {  // Cg % VEC == 0 and R % VEC == 0: the chunk is one tap, wholly in or out
        const T* src = nullptr;
        if (kok && jok_[i]) {
          const int64_t ih = oh * sh + hoff_[i], iw = ow * sw + woff_[i];
          if (ih >= 0 && ih < H && iw >= 0 && iw < W) src = x + ((n * H + ih) * W + iw) * C + coff_ + c_[i];
        }
        cp_async16(tile + off, src ? src : x, src != nullptr);
      } else {
#pragma unroll 1
        for (int e = 0; e < Tl::VEC; ++e) {
          const T* src = kok ? at(j + e, n, oh, ow) : nullptr;
          tile[off + e] = src ? *src : T{};
        }
      }
    }
  }
};

// ---------------------------------------------------------------- epilogues

// out[(n*Ch + g*Chg + ch)*P + p] = v (+ bias[g*Chg + ch]) for GEMM row m = n*P + p and
// column ch (a channel of group g): the NCHW store of the forward and the input gradient.
template <class T>
struct NchwEpi {
  using Acc = typename AccOf<T>::type;
  static constexpr bool kMFast = true;  // consecutive m = consecutive pixels of one channel
  T* out;
  const T* bias;
  int64_t P, Ch, Chg;
  FastDiv fP;
  __device__ __forceinline__ void operator()(int64_t g, int, int64_t m, int64_t ch, Acc v) const {
    const int64_t n = fP.div(m), p = m - n * P, c = g * Chg + ch;
    if (bias) v += static_cast<Acc>(DevCvt<T>::load(bias[c]));
    out[(n * Ch + c) * P + p] = DevCvt<T>::template store<Acc>(v);
  }
};

// gw[g*Og + o][c][kh][kw] = v for row o and column j = (kh*KW + kw)*Cg + c.
template <class T>
struct WgradEpi {
  using Acc = typename AccOf<T>::type;
  static constexpr bool kMFast = false;
  T* gw;
  int64_t Og, Cg, KK;
  FastDiv fCg;
  __device__ __forceinline__ void operator()(int64_t g, int, int64_t o, int64_t j, Acc v) const {
    const int64_t tap = fCg.div(j), c = j - tap * Cg;
    gw[((g * Og + o) * Cg + c) * KK + tap] = DevCvt<T>::template store<Acc>(v);
  }
};

// Split-K wrapper: partials to ws[split][batch][m][n] when ws is set, else the final store.
template <class Acc, class F>
struct SplitEpi {
  static constexpr bool kMFast = F::kMFast;
  F f;
  Acc* ws;
  int64_t batch, M, N;
  __device__ __forceinline__ void operator()(int64_t b, int split, int64_t m, int64_t n, Acc v) const {
    if (ws)
      ws[((static_cast<int64_t>(split) * batch + b) * M + m) * N + n] = v;
    else
      f(b, split, m, n, v);
  }
};

// Runs one implicit GEMM: split-K when the output has few tiles and K is long.
template <class T, Kind KD, class LA, class LB, class F>
void run_gemm(const LA& la, const LB& lb, const F& f, int64_t M, int64_t N, int64_t K, int64_t groups,
              const Device& dev, const char* op) {
  using Acc = typename AccOf<T>::type;
  const int64_t tiles = ((M + 127) / 128) * ((N + 127) / 128) * groups;
  int64_t kchunk = 0;
  const int splits = mma::choose_splits(tiles, K, Tile<T>::BK, kchunk);
  SplitEpi<Acc, F> epi{f, nullptr, groups, M, N};
  Array ws;
  if (splits > 1) {
    ws = Array::empty({splits, groups, M, N}, sizeof(Acc) == 8 ? DType::Float64 : DType::Float32, dev, op);
    epi.ws = ws.data<Acc>();
  }
  mma::launch_tile_gemm<T, mma::Policy<T, KD, LA::kKMajor, LB::kKMajor>>(la, lb, epi, M, N, K, groups, splits,
                                                                          kchunk, op);
  if (splits > 1) mma::launch_splitk_reduce<Acc>(ws.data<Acc>(), splits, groups, M, N, f, op);
}

// gb[o] = sum over n, p of gy[n][o][p]: one block per channel, a block reduction.
template <class T>
__global__ void bias_grad_kernel(const T* gy, T* gb, int64_t N, int64_t O, int64_t P) {
  using Acc = typename AccOf<T>::type;
  __shared__ Acc red[32];
  for (int64_t o = blockIdx.x; o < O; o += gridDim.x) {
    Acc s = Acc(0);
    for (int64_t n = 0; n < N; ++n) {
      const T* row = gy + (n * O + o) * P;
      for (int64_t p = threadIdx.x; p < P; p += blockDim.x) s += static_cast<Acc>(DevCvt<T>::load(row[p]));
    }
#pragma unroll
    for (int d = 16; d > 0; d >>= 1) s += __shfl_down_sync(0xffffffffu, s, d);
    if ((threadIdx.x & 31) == 0) red[threadIdx.x >> 5] = s;
    __syncthreads();
    if (threadIdx.x < 32) {
      s = threadIdx.x < (blockDim.x >> 5) ? red[threadIdx.x] : Acc(0);
#pragma unroll
      for (int d = 16; d > 0; d >>= 1) s += __shfl_down_sync(0xffffffffu, s, d);
      if (threadIdx.x == 0) gb[o] = DevCvt<T>::template store<Acc>(s);
    }
    __syncthreads();  // red is reused by the next channel
  }
}

// ---------------------------------------------------------------- direct kernels

// For few channels per group (depthwise and the like) a GEMM tile would be mostly empty;
// these kernels work per output element instead (the per-element sums are short there:
// the routing below only sends convolutions with <= kDirectTaps taps per output here).
// Grid-stride loops over the output, consecutive threads on consecutive pixels.
constexpr int64_t kDirectTaps = 512;
bool direct_wins(int64_t gemm_n, int64_t taps) { return gemm_n < 16 && taps <= kDirectTaps; }

// Divisors of the direct kernels' index math.
struct DirectDivs {
  FastDiv Wo, Ho, O, Og, W, H, C, Cg, P, KW, KH, sh, sw;
};
DirectDivs make_divs(const Geom& g) {
  DirectDivs d;
  d.Wo = FastDiv(g.Wo);
  d.Ho = FastDiv(g.Ho);
  d.O = FastDiv(g.O);
  d.Og = FastDiv(g.O / g.groups);
  d.W = FastDiv(g.W);
  d.H = FastDiv(g.H);
  d.C = FastDiv(g.C);
  d.Cg = FastDiv(g.C / g.groups);
  d.P = FastDiv(g.Ho * g.Wo);
  d.KW = FastDiv(g.KW);
  d.KH = FastDiv(g.KH);
  d.sh = FastDiv(g.sh);
  d.sw = FastDiv(g.sw);
  return d;
}

// y[n][o][oh][ow] = bias[o] + sum over c < Cg, kh, kw of x[n][g*Cg + c][ih][iw] * w[o][c][kh][kw].
template <class T>
__global__ void direct_forward_kernel(const T* x, const T* w, const T* bias, T* y, Geom g, DirectDivs dv) {
  using Acc = typename AccOf<T>::type;
  const int64_t Cg = g.C / g.groups, KK = g.KH * g.KW;
  const int64_t total = g.N * g.O * g.Ho * g.Wo;
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t idx = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; idx < total; idx += step) {
    int64_t t = dv.Wo.div(idx);
    const int64_t ow = idx - t * g.Wo;
    int64_t t2 = dv.Ho.div(t);
    const int64_t oh = t - t2 * g.Ho;
    const int64_t n = dv.O.div(t2), o = t2 - n * g.O;
    const int64_t gi = dv.Og.div(o);
    Acc s = bias ? static_cast<Acc>(DevCvt<T>::load(bias[o])) : Acc(0);
    const T* wp = w + o * Cg * KK;
    const int64_t ih0 = oh * g.sh - g.pt, iw0 = ow * g.sw - g.pl;
#pragma unroll 1
    for (int64_t c = 0; c < Cg; ++c) {
      const T* xp = x + (n * g.C + gi * Cg + c) * g.H * g.W;
#pragma unroll 1
      for (int64_t kh = 0; kh < g.KH; ++kh) {
        const int64_t ih = ih0 + kh * g.dh;
        if (ih < 0 || ih >= g.H) continue;
        for (int64_t kw = 0; kw < g.KW; ++kw) {
          const int64_t iw = iw0 + kw * g.dw;
          if (iw < 0 || iw >= g.W) continue;
          s += static_cast<Acc>(DevCvt<T>::load(xp[ih * g.W + iw])) *
               static_cast<Acc>(DevCvt<T>::load(wp[(c * g.KH + kh) * g.KW + kw]));
        }
      }
    }
    y[idx] = DevCvt<T>::template store<Acc>(s);
  }
}

// gx[n][c][ih][iw] = bias[c] + sum over o < Og (of c's group), kh, kw with
// oh = (ih + pt - kh*dh) / sh and ow likewise whole and in range, of gy[n][o][oh][ow] * w[o][c%Cg][kh][kw].
template <class T>
__global__ void direct_backward_input_kernel(const T* gy, const T* w, const T* bias, T* gx, Geom g, DirectDivs dv) {
  using Acc = typename AccOf<T>::type;
  const int64_t Cg = g.C / g.groups, Og = g.O / g.groups, KK = g.KH * g.KW;
  const int64_t total = g.N * g.C * g.H * g.W;
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t idx = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; idx < total; idx += step) {
    int64_t t = dv.W.div(idx);
    const int64_t iw = idx - t * g.W;
    int64_t t2 = dv.H.div(t);
    const int64_t ih = t - t2 * g.H;
    const int64_t n = dv.C.div(t2), c = t2 - n * g.C;
    const int64_t gi = dv.Cg.div(c), cl = c - gi * Cg;
    Acc s = bias ? static_cast<Acc>(DevCvt<T>::load(bias[c])) : Acc(0);
#pragma unroll 1
    for (int64_t ol = 0; ol < Og; ++ol) {
      const int64_t o = gi * Og + ol;
      const T* gp = gy + (n * g.O + o) * g.Ho * g.Wo;
      const T* wp = w + (o * Cg + cl) * KK;
#pragma unroll 1
      for (int64_t kh = 0; kh < g.KH; ++kh) {
        const int64_t hn = ih + g.pt - kh * g.dh;
        if (hn < 0) continue;
        const int64_t oh = dv.sh.div(hn);
        if (oh * g.sh != hn || oh >= g.Ho) continue;
        for (int64_t kw = 0; kw < g.KW; ++kw) {
          const int64_t wn = iw + g.pl - kw * g.dw;
          if (wn < 0) continue;
          const int64_t ow = dv.sw.div(wn);
          if (ow * g.sw != wn || ow >= g.Wo) continue;
          s += static_cast<Acc>(DevCvt<T>::load(gp[oh * g.Wo + ow])) *
               static_cast<Acc>(DevCvt<T>::load(wp[kh * g.KW + kw]));
        }
      }
    }
    gx[idx] = DevCvt<T>::template store<Acc>(s);
  }
}

// gw[o][cl][kh][kw] = sum over n, oh, ow of gy[n][o][oh][ow] * x[n][g*Cg + cl][ih][iw]: one
// block per weight element (grid-stride), 256 threads over the pixels, a block reduction.
template <class T>
__global__ void direct_backward_weight_kernel(const T* gy, const T* x, T* gw, Geom g, DirectDivs dv) {
  using Acc = typename AccOf<T>::type;
  __shared__ Acc red[32];
  const int64_t Cg = g.C / g.groups, KK = g.KH * g.KW, P = g.Ho * g.Wo;
  const int64_t nw = g.O * Cg * KK, npix = g.N * P;
  for (int64_t widx = blockIdx.x; widx < nw; widx += gridDim.x) {
    const int64_t ok = widx / KK, tap = widx - ok * KK;  // once per block: plain division
    const int64_t o = ok / Cg, cl = ok - o * Cg;
    const int64_t kh = tap / g.KW, kw = tap - kh * g.KW;
    const int64_t c = dv.Og.div(o) * Cg + cl;
    const int64_t hoff = kh * g.dh - g.pt, woff = kw * g.dw - g.pl;
    Acc s = Acc(0);
    for (int64_t p = threadIdx.x; p < npix; p += blockDim.x) {
      const int64_t n = dv.P.div(p), q = p - n * P;
      const int64_t oh = dv.Wo.div(q), ow = q - oh * g.Wo;
      const int64_t ih = oh * g.sh + hoff, iw = ow * g.sw + woff;
      if (ih < 0 || ih >= g.H || iw < 0 || iw >= g.W) continue;
      s += static_cast<Acc>(DevCvt<T>::load(gy[(n * g.O + o) * P + q])) *
           static_cast<Acc>(DevCvt<T>::load(x[((n * g.C + c) * g.H + ih) * g.W + iw]));
    }
#pragma unroll
    for (int d = 16; d > 0; d >>= 1) s += __shfl_down_sync(0xffffffffu, s, d);
    if ((threadIdx.x & 31) == 0) red[threadIdx.x >> 5] = s;
    __syncthreads();
    if (threadIdx.x < 32) {
      s = threadIdx.x < (blockDim.x >> 5) ? red[threadIdx.x] : Acc(0);
#pragma unroll
      for (int d = 16; d > 0; d >>= 1) s += __shfl_down_sync(0xffffffffu, s, d);
      if (threadIdx.x == 0) gw[widx] = DevCvt<T>::template store<Acc>(s);
    }
    __syncthreads();  // red is reused by the next weight element
  }
}

// ---------------------------------------------------------------- the three products

template <class T, Kind KD>
void forward_typed(const Array& y, const Array& x, const Array& w, const Array* bias, const Geom& g,
                   const char* op) {
  constexpr int V = Tile<T>::VEC;
  const int64_t P = g.Ho * g.Wo, KK = g.KH * g.KW, Cg = g.Cg(), Og = g.Og();
  const int64_t M = g.N * P, K = KK * Cg;
  if (direct_wins(Og, K)) {
    direct_forward_kernel<T><<<cuda::grid_for(y.numel()), cuda::kThreads, 0, cuda::current_stream()>>>(
        x.data<T>(), w.data<T>(), bias ? bias->data<T>() : nullptr, y.data<T>(), g, make_divs(g));
    cuda::check_launch(op);
    return;
  }
  Array xh = to_nhwc<T>(x, g.N, g.C, g.H * g.W, op);
  Array wf = Array::empty({g.O, KK, Cg}, w.dtype(), w.device(), op);  // (O, KH*KW, Cg)
  transpose<T>(w.data<T>(), wf.data<T>(), g.O, Cg, KK, op);

  FwdIm2colLoader<T> la{};
  la.x = xh.data<T>();
  la.M = M;
  la.H = g.H;
  la.W = g.W;
  la.C = g.C;
  la.Cg = Cg;
  la.KW = g.KW;
  la.Ho = g.Ho;
  la.Wo = g.Wo;
  la.sh = g.sh;
  la.sw = g.sw;
  la.dh = g.dh;
  la.dw = g.dw;
  la.pt = g.pt;
  la.pl = g.pl;
  la.fCg = FastDiv(Cg);
  la.fKW = FastDiv(g.KW);
  la.fP = FastDiv(P);
  la.fWo = FastDiv(g.Wo);
  la.vec = Cg % V == 0 && aligned_to(la.x, 16);
  StridedLoader<T, true> lb{};
  lb.ptr = wf.data<T>();
  lb.R = Og;
  lb.ld = K;
  lb.bstride = Og * K;
  lb.vec = K % V == 0 && aligned_to(lb.ptr, 16);
  NchwEpi<T> f{y.data<T>(), bias ? bias->data<T>() : nullptr, P, g.O, Og, FastDiv(P)};
  run_gemm<T, KD>(la, lb, f, M, Og, K, g.groups, y.device(), op);
}

template <class T, Kind KD>
void backward_input_typed(const Array& gx, const Array& gy, const Array& w, const Array* bias, const Geom& g,
                          const char* op) {
  constexpr int V = Tile<T>::VEC;
  const int64_t P = g.Ho * g.Wo, KK = g.KH * g.KW, Cg = g.Cg(), Og = g.Og();
  const int64_t M = g.N * g.H * g.W, K = KK * Og;
  if (direct_wins(Cg, K)) {
    direct_backward_input_kernel<T><<<cuda::grid_for(gx.numel()), cuda::kThreads, 0, cuda::current_stream()>>>(
        gy.data<T>(), w.data<T>(), bias ? bias->data<T>() : nullptr, gx.data<T>(), g, make_divs(g));
    cuda::check_launch(op);
    return;
  }
  Array gyh = to_nhwc<T>(gy, g.N, g.O, P, op);
  // w (groups, Og, Cg*KK) -> wt (groups, Cg*KK, Og) = (groups, Cg, KK, Og)
  Array wt = Array::empty({g.groups, Cg * KK, Og}, w.dtype(), w.device(), op);
  transpose<T>(w.data<T>(), wt.data<T>(), g.groups, Og, Cg * KK, op);

  DgradLoader<T> la{};
  la.gy = gyh.data<T>();
  la.M = M;
  la.H = g.H;
  la.W = g.W;
  la.O = g.O;
  la.Og = Og;
  la.KW = g.KW;
  la.Ho = g.Ho;
  la.Wo = g.Wo;
  la.sh = g.sh;
  la.sw = g.sw;
  la.dh = g.dh;
  la.dw = g.dw;
  la.pt = g.pt;
  la.pl = g.pl;
  la.fOg = FastDiv(Og);
  la.fKW = FastDiv(g.KW);
  la.fHW = FastDiv(g.H * g.W);
  la.fW = FastDiv(g.W);
  la.fsh = FastDiv(g.sh);
  la.fsw = FastDiv(g.sw);
  la.vec = Og % V == 0 && aligned_to(la.gy, 16);
  StridedLoader<T, true> lb{};
  lb.ptr = wt.data<T>();
  lb.R = Cg;
  lb.ld = K;
  lb.bstride = Cg * K;
  lb.vec = K % V == 0 && aligned_to(lb.ptr, 16);
  NchwEpi<T> f{gx.data<T>(), bias ? bias->data<T>() : nullptr, g.H * g.W, g.C, Cg, FastDiv(g.H * g.W)};
  run_gemm<T, KD>(la, lb, f, M, Cg, K, g.groups, gx.device(), op);
}

template <class T, Kind KD>
void backward_weight_typed(const Array& gw, const Array* gb, const Array& gy, const Array& x, const Geom& g,
                           const char* op) {
  constexpr int V = Tile<T>::VEC;
  const int64_t P = g.Ho * g.Wo, KK = g.KH * g.KW, Cg = g.Cg(), Og = g.Og();
  const int64_t Ncol = KK * Cg, K = g.N * P;
  if (gb) {
    const int64_t blocks = g.O < 65535 ? g.O : 65535;
    if (blocks > 0) {
      bias_grad_kernel<T><<<static_cast<unsigned>(blocks), 256, 0, cuda::current_stream()>>>(
          gy.data<T>(), gb->data<T>(), g.N, g.O, P);
      cuda::check_launch(op);
    }
  }
  if (gw.numel() == 0) return;
  if (K == 0) {  // no pixels: the gradient is zero
    gw.zero_();
    return;
  }
  if (Og < 16) {  // a GEMM with M = Og rows would leave most of each tile empty
    const int64_t nw = gw.numel();
    const unsigned blocks = static_cast<unsigned>(nw < (int64_t(1) << 20) ? nw : (int64_t(1) << 20));
    direct_backward_weight_kernel<T><<<blocks, 256, 0, cuda::current_stream()>>>(gy.data<T>(), x.data<T>(),
                                                                                  gw.data<T>(), g, make_divs(g));
    cuda::check_launch(op);
    return;
  }
  Array gyh = to_nhwc<T>(gy, g.N, g.O, P, op);
  Array xh = to_nhwc<T>(x, g.N, g.C, g.H * g.W, op);

  StridedLoader<T, false> la{};  // (o, pixel) at gyh[pixel * O + g*Og + o]
  la.ptr = gyh.data<T>();
  la.R = Og;
  la.ld = g.O;
  la.bstride = Og;
  la.vec = Og % V == 0 && g.O % V == 0 && aligned_to(la.ptr, 16);
  WgradIm2colLoader<T> lb{};
  lb.x = xh.data<T>();
  lb.R = Ncol;
  lb.H = g.H;
  lb.W = g.W;
  lb.C = g.C;
  lb.Cg = Cg;
  lb.KW = g.KW;
  lb.Ho = g.Ho;
  lb.Wo = g.Wo;
  lb.sh = g.sh;
  lb.sw = g.sw;
  lb.dh = g.dh;
  lb.dw = g.dw;
  lb.pt = g.pt;
  lb.pl = g.pl;
  lb.fCg = FastDiv(Cg);
  lb.fKW = FastDiv(g.KW);
  lb.fP = FastDiv(P);
  lb.fWo = FastDiv(g.Wo);
  lb.vec = Cg % V == 0 && aligned_to(lb.x, 16);
  WgradEpi<T> f{gw.data<T>(), Og, Cg, KK, FastDiv(Cg)};
  run_gemm<T, KD>(la, lb, f, Og, Ncol, K, g.groups, gw.device(), op);
}

// ---------------------------------------------------------------- registered entry points

void check_arrays(std::initializer_list<const Array*> arrays, const Array& ref, const char* op) {
  for (const Array* a : arrays) {
    if (!a) continue;
    EMBER_CHECK(a->device() == ref.device(), Runtime, "[", op, "] expected all tensors on the same device, got ",
                a->device().str(), " and ", ref.device().str());
    EMBER_CHECK(a->dtype() == ref.dtype(), Runtime, "[", op, "] expected tensors of one dtype, got ",
                dtype_name(a->dtype()), " and ", dtype_name(ref.dtype()));
    EMBER_CHECK(a->is_contiguous(), Runtime, "[", op, "] internal: expected contiguous tensors");
  }
}

template <class F>
void by_dtype(DType dt, bool tf32, const char* op, const F& f) {
  switch (dt) {
    case DType::Float16: f(Half{}, std::integral_constant<Kind, Kind::Tc16>{}); break;
    case DType::BFloat16: f(BFloat16{}, std::integral_constant<Kind, Kind::Tc16>{}); break;
    case DType::Float32:
      if (tf32)
        f(float{}, std::integral_constant<Kind, Kind::Tf32>{});
      else
        f(float{}, std::integral_constant<Kind, Kind::Simt>{});
      break;
    case DType::Float64: f(double{}, std::integral_constant<Kind, Kind::Simt>{}); break;
    default: EMBER_CHECK(false, Type, "[", op, "] dtype ", dtype_name(dt), " is not supported on CUDA");
  }
}

void conv_forward_cuda(const Array& y, const Array& x, const Array& w, const Array* bias, const Geom& g,
                       bool allow_tf32) {
  const char* op = "conv2d";
  EMBER_CHECK(y.device().is_cuda(), Runtime, "[", op, "] expected a CUDA output");
  check_arrays({&x, &w, bias}, y, op);
  cuda::DeviceGuard guard(y.device().index, op);
  if (y.numel() == 0) return;
  by_dtype(y.dtype(), allow_tf32, op, [&](auto tag, auto kind) {
    using T = decltype(tag);
    forward_typed<T, decltype(kind)::value>(y, x, w, bias, g, op);
  });
}

void conv_backward_input_cuda(const Array& gx, const Array& gy, const Array& w, const Array* bias, const Geom& g,
                              bool allow_tf32) {
  const char* op = "conv2d_backward";
  EMBER_CHECK(gx.device().is_cuda(), Runtime, "[", op, "] expected a CUDA output");
  check_arrays({&gy, &w, bias}, gx, op);
  cuda::DeviceGuard guard(gx.device().index, op);
  if (gx.numel() == 0) return;
  by_dtype(gx.dtype(), allow_tf32, op, [&](auto tag, auto kind) {
    using T = decltype(tag);
    backward_input_typed<T, decltype(kind)::value>(gx, gy, w, bias, g, op);
  });
}

void conv_backward_weight_cuda(const Array& gw, const Array* gb, const Array& gy, const Array& x, const Geom& g,
                               bool allow_tf32) {
  const char* op = "conv2d_backward";
  EMBER_CHECK(gw.device().is_cuda(), Runtime, "[", op, "] expected a CUDA output");
  check_arrays({gb, &gy, &x}, gw, op);
  cuda::DeviceGuard guard(gw.device().index, op);
  by_dtype(gw.dtype(), allow_tf32, op, [&](auto tag, auto kind) {
    using T = decltype(tag);
    backward_weight_typed<T, decltype(kind)::value>(gw, gb, gy, x, g, op);
  });
}

}  // namespace

EMBER_CUDA_REGISTER(conv2d_forward, conv_forward_cuda);
EMBER_CUDA_REGISTER(conv2d_backward_input, conv_backward_input_cuda);
EMBER_CUDA_REGISTER(conv2d_backward_weight, conv_backward_weight_cuda);

}  // namespace ember
