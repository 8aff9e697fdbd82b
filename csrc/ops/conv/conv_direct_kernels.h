// conv_direct_kernels.h — direct convolution kernels (no GEMM), included once per ISA
// (conv_direct_cpu.cpp, conv_direct_avx2.cpp, conv_direct_avx512.cpp) with CD_ISA
// naming the namespace and CD_VBYTES the vector width. For shapes a GEMM handles
// badly: depthwise and grouped convs with few channels per group, or a handful of
// output channels (LeNet's 1 -> 6), where packing would cost more than the math.
//
// Every kernel works on a zero-padded window copy of one image's group of channels
// (conv_window.h), so the inner loops carry no bounds checks. Work items are
// (image, group) pairs.
//   forward, stride-1 columns: register tiles of OB output channels x RB output rows
//     x 2 vectors of output columns, accumulated over every (channel, kh, kw) tap with
//     unaligned loads from the window rows; edge tiles are computed whole (the window
//     has slack) and stored partially. Strided columns: a scalar loop.
//   weight gradient: per (output channel block, channel, kh, kw) a dot product of gy
//     rows with shifted window rows, vector partial sums; per-thread partial gradients
//     summed at the end.
//   input gradient (strided convs; conv.cpp turns stride 1 into a forward): scatter
//     of w * gy into a window accumulator, then cropped into gx.
// GCC vector extensions give explicit vector registers without intrinsics, so one
// source serves every ISA.
#include <algorithm>
#include <atomic>
#include <cstring>
#include <vector>

#include "core/parallel.h"
#include "ops/conv/conv_kernels.h"
#include "ops/conv/conv_window.h"

namespace ember {
namespace conv_detail {
namespace CD_ISA {
namespace {

template <class T>
struct VT;
template <>
struct VT<float> {
  typedef float V __attribute__((vector_size(CD_VBYTES)));
  typedef float U __attribute__((vector_size(CD_VBYTES), aligned(4), may_alias));
};
template <>
struct VT<double> {
  typedef double V __attribute__((vector_size(CD_VBYTES)));
  typedef double U __attribute__((vector_size(CD_VBYTES), aligned(8), may_alias));
};

template <class T>
using Vec = typename VT<T>::V;

template <class T>
inline Vec<T> loadu(const T* p) {
  return *reinterpret_cast<const typename VT<T>::U*>(p);
}
template <class T>
inline void storeu(T* p, Vec<T> v) {
  *reinterpret_cast<typename VT<T>::U*>(p) = v;
}
// Broadcast for setup code; hot loops write `scalar * vector`, which GCC turns into one
// broadcast (`Vec{} + v` would also add a zero, as -0.0 + 0 is not -0.0).
template <class T>
inline Vec<T> splat(T v) {
  return Vec<T>{} + v;
}
template <class T>
inline T hsum(Vec<T> v) {
  constexpr int L = CD_VBYTES / sizeof(T);
  T s = 0;
  for (int i = 0; i < L; ++i) s += v[i];
  return s;
}

// About this many multiply-adds per parallel chunk.
constexpr int64_t kGrainWork = 1 << 16;

int64_t grain_for(int64_t work_per_item) {
  return std::max<int64_t>(1, kGrainWork / std::max<int64_t>(1, work_per_item));
}

// ------------------------------------------------------------------ forward

// Tile context: one image's window of the group's channels and the weights.
template <class T>
struct FwdCtx {
  const T* win;      // (Cg, Hp, Wp) + slack
  int64_t plane, Wp, Cg, KK;
  const int64_t* toff;  // KK tap offsets kh*dh*Wp + kw*dw
  const T* w;        // weights of the group: (Og, Cg, KK)
  const T* b;        // biases of the group or null
  T* y;              // outputs of the group: (Og, Ho, Wo)
  int64_t Ho, Wo, rstride;  // rstride = sh * Wp (window offset between output rows)
};

// OB output channels x RB output rows x 2 vectors of columns starting at (o0, oh0, ow0).
template <class T, int OB, int RB>
void fwd_tile(const FwdCtx<T>& c, int64_t o0, int64_t oh0, int64_t ow0) {
  constexpr int L = CD_VBYTES / sizeof(T);
  using V = Vec<T>;
  V acc[OB][RB][2];
#pragma GCC unroll 4
  for (int o = 0; o < OB; ++o) {
    const V init = splat<T>(c.b ? c.b[o0 + o] : T(0));
#pragma GCC unroll 4
    for (int r = 0; r < RB; ++r) acc[o][r][0] = acc[o][r][1] = init;
  }
  const int64_t wstride = c.Cg * c.KK;
  const T* w0 = c.w + o0 * wstride;
  for (int64_t ci = 0; ci < c.Cg; ++ci) {
    const T* src0 = c.win + ci * c.plane + oh0 * c.rstride + ow0;
    const T* wc = w0 + ci * c.KK;
    for (int64_t t = 0; t < c.KK; ++t) {
      const T* src = src0 + c.toff[t];
      V xv[RB][2];
#pragma GCC unroll 4
      for (int r = 0; r < RB; ++r) {
        xv[r][0] = loadu(src + r * c.rstride);
        xv[r][1] = loadu(src + r * c.rstride + L);
      }
#pragma GCC unroll 4
      for (int o = 0; o < OB; ++o) {
        const T wv = wc[o * wstride + t];
#pragma GCC unroll 4
        for (int r = 0; r < RB; ++r) {
          acc[o][r][0] += wv * xv[r][0];
          acc[o][r][1] += wv * xv[r][1];
        }
      }
    }
  }
  const int64_t cols = std::min<int64_t>(2 * L, c.Wo - ow0);
  for (int o = 0; o < OB; ++o) {
    for (int r = 0; r < RB; ++r) {
      T* dst = c.y + ((o0 + o) * c.Ho + oh0 + r) * c.Wo + ow0;
      if (cols == 2 * L) {
        storeu(dst, acc[o][r][0]);
        storeu(dst + L, acc[o][r][1]);
      } else {
        alignas(64) T tmp[2 * L];
        storeu(tmp, acc[o][r][0]);
        storeu(tmp + L, acc[o][r][1]);
        std::memcpy(dst, tmp, sizeof(T) * static_cast<size_t>(cols));
      }
    }
  }
}

template <class T, int OB, int RB>
void fwd_rows(const FwdCtx<T>& c, int64_t o0, int64_t oh0) {
  constexpr int TW = 2 * CD_VBYTES / sizeof(T);
  for (int64_t ow0 = 0; ow0 < c.Wo; ow0 += TW) fwd_tile<T, OB, RB>(c, o0, oh0, ow0);
}

// Output channels [o0, o0 + ob) with ob <= 4, all rows.
template <class T>
void fwd_channels(const FwdCtx<T>& c, int64_t o0, int64_t ob) {
  int64_t oh = 0;
  switch (ob) {
    case 4:
      for (; oh < c.Ho; ++oh) fwd_rows<T, 4, 1>(c, o0, oh);
      break;
    case 3:
      for (; oh < c.Ho; ++oh) fwd_rows<T, 3, 1>(c, o0, oh);
      break;
    case 2:
      for (; oh + 2 <= c.Ho; oh += 2) fwd_rows<T, 2, 2>(c, o0, oh);
      for (; oh < c.Ho; ++oh) fwd_rows<T, 2, 1>(c, o0, oh);
      break;
    default:
      for (; oh + 4 <= c.Ho; oh += 4) fwd_rows<T, 1, 4>(c, o0, oh);
      for (; oh < c.Ho; ++oh) fwd_rows<T, 1, 1>(c, o0, oh);
      break;
  }
}

// Strided columns: scalar taps over the window.
template <class T>
void fwd_strided(const Geom& g, const FwdCtx<T>& c, int64_t Og) {
  for (int64_t o = 0; o < Og; ++o) {
    const T* wo = c.w + o * c.Cg * c.KK;
    for (int64_t oh = 0; oh < c.Ho; ++oh) {
      T* dst = c.y + (o * c.Ho + oh) * c.Wo;
      for (int64_t ow = 0; ow < c.Wo; ++ow) {
        T acc = c.b ? c.b[o] : T(0);
        for (int64_t ci = 0; ci < c.Cg; ++ci) {
          const T* src = c.win + ci * c.plane + oh * c.rstride + ow * g.sw;
          const T* wc = wo + ci * c.KK;
          for (int64_t t = 0; t < c.KK; ++t) acc += wc[t] * src[c.toff[t]];
        }
        dst[ow] = acc;
      }
    }
  }
}

std::vector<int64_t> tap_offsets(const Geom& g) {
  std::vector<int64_t> toff(static_cast<size_t>(g.KH * g.KW));
  for (int64_t kh = 0; kh < g.KH; ++kh)
    for (int64_t kw = 0; kw < g.KW; ++kw) toff[kh * g.KW + kw] = kh * g.dh * g.Wp() + kw * g.dw;
  return toff;
}

template <class T>
void forward(const Geom& g, const T* x, const T* w, const T* b, T* y) {
  constexpr int64_t slack = 4 * CD_VBYTES / sizeof(T);
  const int64_t Cg = g.Cg(), Og = g.Og(), KK = g.KH * g.KW, plane = g.Hp() * g.Wp(), P = g.Ho * g.Wo;
  const std::vector<int64_t> toff = tap_offsets(g);
  const int64_t tasks = g.N * g.groups;
  parallel_for(0, tasks, grain_for(Og * Cg * KK * P), [&](int64_t t0, int64_t t1) {
    T* win = conv_scratch<T>(0, Cg * plane + slack);
    std::fill(win + Cg * plane, win + Cg * plane + slack, T(0));
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t n = t / g.groups, gi = t % g.groups;
      copy_window(g, x + (n * g.C + gi * Cg) * g.H * g.W, Cg, win);
      FwdCtx<T> c{win, plane, g.Wp(), Cg, KK, toff.data(), w + gi * Og * Cg * KK, b ? b + gi * Og : nullptr,
                  y + (n * g.O + gi * Og) * P, g.Ho, g.Wo, g.sh * g.Wp()};
      if (g.sw != 1) {
        fwd_strided(g, c, Og);
        continue;
      }
      for (int64_t o0 = 0; o0 < Og; o0 += 4) fwd_channels(c, o0, std::min<int64_t>(4, Og - o0));
    }
  });
}

// ------------------------------------------------------------------ weight gradient

// gw[o0:o0+OB, ci, :, :] += sum over pixels of gy[o] * window(ci) shifted by each tap.
template <class T, int OB>
void bww_block(const Geom& g, const T* gy, const T* win, int64_t plane, const int64_t* toff, int64_t o0,
               int64_t ci, T* gw) {
  constexpr int L = CD_VBYTES / sizeof(T);
  using V = Vec<T>;
  const int64_t KK = g.KH * g.KW, Wo = g.Wo, P = g.Ho * Wo, rstride = g.sh * g.Wp();
  const int64_t wstride = g.Cg() * KK;
  const int64_t vend = g.sw == 1 ? Wo / L * L : 0;
  for (int64_t t = 0; t < KK; ++t) {
    V acc[OB];
    T tail[OB];
    for (int o = 0; o < OB; ++o) {
      acc[o] = V{};
      tail[o] = T(0);
    }
    const T* xs = win + ci * plane + toff[t];
    for (int64_t oh = 0; oh < g.Ho; ++oh) {
      const T* xr = xs + oh * rstride;
      const T* gr = gy + o0 * P + oh * Wo;
      for (int64_t ow = 0; ow < vend; ow += L) {
        const V xv = loadu(xr + ow);
#pragma GCC unroll 4
        for (int o = 0; o < OB; ++o) acc[o] += loadu(gr + o * P + ow) * xv;
      }
      for (int64_t ow = vend; ow < Wo; ++ow) {
        const T xv = xr[ow * g.sw];
        for (int o = 0; o < OB; ++o) tail[o] += gr[o * P + ow] * xv;
      }
    }
    for (int o = 0; o < OB; ++o) gw[(o0 + o) * wstride + ci * KK + t] += hsum<T>(acc[o]) + tail[o];
  }
}

template <class T>
void backward_weight(const Geom& g, const T* gy, const T* x, T* gw, T* gb) {
  const int64_t Cg = g.Cg(), Og = g.Og(), KK = g.KH * g.KW, plane = g.Hp() * g.Wp(), P = g.Ho * g.Wo;
  const int64_t wsize = g.O * Cg * KK, slot = wsize + g.O;
  const std::vector<int64_t> toff = tap_offsets(g);
  const int64_t tasks = g.N * g.groups;
  const int64_t nt = get_num_threads();
  std::vector<T> part(static_cast<size_t>(nt * slot), T(0));
  std::atomic<int64_t> next{0};
  parallel_for(0, tasks, grain_for(Og * Cg * KK * P), [&](int64_t t0, int64_t t1) {
    T* acc = part.data() + next.fetch_add(1) * slot;
    T* win = conv_scratch<T>(0, Cg * plane + 1);
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t n = t / g.groups, gi = t % g.groups;
      copy_window(g, x + (n * g.C + gi * Cg) * g.H * g.W, Cg, win);
      const T* gyg = gy + (n * g.O + gi * Og) * P;
      T* gwg = acc + gi * Og * Cg * KK;
      for (int64_t o0 = 0; o0 < Og; o0 += 4) {
        const int64_t ob = std::min<int64_t>(4, Og - o0);
        for (int64_t ci = 0; ci < Cg; ++ci) {
          switch (ob) {
            case 4: bww_block<T, 4>(g, gyg, win, plane, toff.data(), o0, ci, gwg); break;
            case 3: bww_block<T, 3>(g, gyg, win, plane, toff.data(), o0, ci, gwg); break;
            case 2: bww_block<T, 2>(g, gyg, win, plane, toff.data(), o0, ci, gwg); break;
            default: bww_block<T, 1>(g, gyg, win, plane, toff.data(), o0, ci, gwg); break;
          }
        }
      }
      if (gb) {
        for (int64_t o = 0; o < Og; ++o) {
          const T* r = gyg + o * P;
          T s[8] = {};
          int64_t i = 0;
          for (; i + 8 <= P; i += 8)
            for (int j = 0; j < 8; ++j) s[j] += r[i + j];
          T tot = 0;
          for (; i < P; ++i) tot += r[i];
          for (int j = 0; j < 8; ++j) tot += s[j];
          acc[wsize + gi * Og + o] += tot;
        }
      }
    }
  });
  std::fill(gw, gw + wsize, T(0));
  if (gb) std::fill(gb, gb + g.O, T(0));
  const int64_t used = next.load();
  for (int64_t s = 0; s < used; ++s) {
    const T* acc = part.data() + s * slot;
    for (int64_t i = 0; i < wsize; ++i) gw[i] += acc[i];
    if (gb)
      for (int64_t o = 0; o < g.O; ++o) gb[o] += acc[wsize + o];
  }
}

// ------------------------------------------------------------------ input gradient

template <class T>
void backward_input(const Geom& g, const T* gy, const T* w, const T* b, T* gx) {
  const int64_t Cg = g.Cg(), Og = g.Og(), KK = g.KH * g.KW, Wp = g.Wp(), plane = g.Hp() * Wp;
  const int64_t P = g.Ho * g.Wo, xs = g.H * g.W, rstride = g.sh * Wp;
  const std::vector<int64_t> toff = tap_offsets(g);
  const int64_t tasks = g.N * g.groups;
  parallel_for(0, tasks, grain_for(Og * Cg * KK * P), [&](int64_t t0, int64_t t1) {
    T* acc = conv_scratch<T>(0, Cg * plane + 1);
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t n = t / g.groups, gi = t % g.groups;
      std::fill(acc, acc + Cg * plane, T(0));
      const T* gyg = gy + (n * g.O + gi * Og) * P;
      const T* wg = w + gi * Og * Cg * KK;
      for (int64_t o = 0; o < Og; ++o) {
        for (int64_t ci = 0; ci < Cg; ++ci) {
          for (int64_t k = 0; k < KK; ++k) {
            const T wv = wg[(o * Cg + ci) * KK + k];
            T* d = acc + ci * plane + toff[k];
            for (int64_t oh = 0; oh < g.Ho; ++oh) {
              T* dr = d + oh * rstride;
              const T* sr = gyg + o * P + oh * g.Wo;
              if (g.sw == 1) {
                for (int64_t ow = 0; ow < g.Wo; ++ow) dr[ow] += wv * sr[ow];
              } else {
                for (int64_t ow = 0; ow < g.Wo; ++ow) dr[ow * g.sw] += wv * sr[ow];
              }
            }
          }
        }
      }
      crop_window(g, acc, Cg, b ? b + gi * Cg : nullptr, gx + (n * g.C + gi * Cg) * xs);
    }
  });
}

const DirectKernels& kernels() {
  static const DirectKernels k{forward<float>,         forward<double>,         backward_input<float>,
                               backward_input<double>, backward_weight<float>, backward_weight<double>};
  return k;
}

}  // namespace
}  // namespace CD_ISA
}  // namespace conv_detail
}  // namespace ember
