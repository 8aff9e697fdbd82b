// rnn_pointwise.h — the fused per-time-step pointwise passes of the recurrent layers,
// included once per ISA (rnn_pointwise_cpu.cpp, _avx2.cpp, _avx512.cpp) with RNN_ISA
// naming the namespace. Each kernel walks rows [b0, b1) of one step (the batch rows
// active at that step); within a row the gates of width H sit side by side in PyTorch's
// order, so every inner loop runs over contiguous memory and the compiler vectorises it
// at the file's -m flags (sigmoid/tanh: the branch-free vm:: versions for float32).
//
// Formulas (torch's): RNN h = act(pre); LSTM i,f,o = sigmoid, g = tanh,
// c = f*c' + i*g, r = o*tanh(c); GRU r,z = sigmoid(gi + gh), n = tanh(gi_n + r*(gh_n + b_hn)),
// h = (1-z)*n + z*h'. The backward passes use the saved activations, never the
// pre-activations: sigmoid' = s(1-s), tanh' = 1 - t^2.
#pragma GCC optimize("no-trapping-math")
#include <cstdint>

#include "ops/elementwise/ew_math.h"
#include "rnn.h"

namespace ember {
namespace rnn_detail {
namespace RNN_ISA {
namespace {

static inline float sig(float v) { return vm::sigmoid(v); }
static inline double sig(double v) { return vm::sigmoid(v); }
static inline float th(float v) { return vm::tanh(v); }
static inline double th(double v) { return __builtin_tanh(v); }

template <class T>
void rnn_fwd(T* g, T* y, T* hbuf, bool relu, int64_t H, int64_t b0, int64_t b1) {
  for (int64_t b = b0; b < b1; ++b) {
    T* gr = g + b * H;
    T* yr = y + b * H;
    T* hr = hbuf + b * H;
    if (relu) {
  #pragma GCC ivdep
    for (int64_t j = 0; j < H; ++j) {
        T v = gr[j] > T(0) ? gr[j] : T(0);
        gr[j] = v; yr[j] = v; hr[j] = v;
      }
    } else {
  #pragma GCC ivdep
    for (int64_t j = 0; j < H; ++j) {
        T v = th(gr[j]);
        gr[j] = v; yr[j] = v; hr[j] = v;
      }
    }
  }
}

template <class T>
void rnn_bwd(const T* h, const T* dy, const T* dhbuf, T* dg, bool relu, int64_t H, int64_t b0, int64_t b1) {
  for (int64_t b = b0; b < b1; ++b) {
    const T* hr = h + b * H;
    const T* dyr = dy + b * H;
    const T* dhr = dhbuf + b * H;
    T* dgr = dg + b * H;
    if (relu) {
#pragma GCC ivdep
      for (int64_t j = 0; j < H; ++j) dgr[j] = hr[j] > T(0) ? dyr[j] + dhr[j] : T(0);
    } else {
#pragma GCC ivdep
      for (int64_t j = 0; j < H; ++j) dgr[j] = (dyr[j] + dhr[j]) * (T(1) - hr[j] * hr[j]);
    }
  }
}

template <class T>
void lstm_fwd(T* g, T* cbuf, T* cprev, T* c, T* r, T* hbuf, int64_t H, int64_t b0, int64_t b1) {
  for (int64_t b = b0; b < b1; ++b) {
    T* gi = g + b * 4 * H;
    T* gf = gi + H;
    T* gg = gf + H;
    T* go = gg + H;
    T* cb = cbuf + b * H;
    T* cp = cprev + b * H;
    T* cr = c + b * H;
    T* rr = r + b * H;
#pragma GCC ivdep
    for (int64_t j = 0; j < H; ++j) {
      T i = sig(gi[j]), f = sig(gf[j]), gv = th(gg[j]), o = sig(go[j]);
      T c0 = cb[j];
      T c1 = f * c0 + i * gv;
      gi[j] = i; gf[j] = f; gg[j] = gv; go[j] = o;
      cp[j] = c0; cr[j] = c1; cb[j] = c1;
      rr[j] = o * th(c1);
    }
    if (hbuf) {
      T* hr = hbuf + b * H;
#pragma GCC ivdep
      for (int64_t j = 0; j < H; ++j) hr[j] = rr[j];
    }
  }
}

template <class T>
void lstm_bwd(const T* g, const T* cprev, const T* c, const T* dr_a, const T* dr_b, T* dcbuf, T* dg, int64_t H,
              int64_t b0, int64_t b1) {
  for (int64_t b = b0; b < b1; ++b) {
    const T* gi = g + b * 4 * H;
    const T* gf = gi + H;
    const T* gg = gf + H;
    const T* go = gg + H;
    const T* cp = cprev + b * H;
    const T* cr = c + b * H;
    const T* da = dr_a + b * H;
    // dr_b (when given) is added before the loop so the loop has one input stream.
    const T* db = dr_b ? dr_b + b * H : nullptr;
    T* dc = dcbuf + b * H;
    T* di = dg + b * 4 * H;
    T* df = di + H;
    T* dgg = df + H;
    T* dout = dgg + H;
#pragma GCC ivdep
    for (int64_t j = 0; j < H; ++j) {
      T dr = da[j] + (db ? db[j] : T(0));
      T i = gi[j], f = gf[j], gv = gg[j], o = go[j];
      T tc = th(cr[j]);
      T dct = dc[j] + dr * o * (T(1) - tc * tc);
      dout[j] = dr * tc * o * (T(1) - o);
      di[j] = dct * gv * i * (T(1) - i);
      df[j] = dct * cp[j] * f * (T(1) - f);
      dgg[j] = dct * i * (T(1) - gv * gv);
      dc[j] = dct * f;
    }
  }
}

template <class T>
void gru_fwd(T* gi, const T* gh, const T* bhh, const T* hprev, T* ghn, T* y, T* hbuf, int64_t H, int64_t b0,
             int64_t b1) {
  for (int64_t b = b0; b < b1; ++b) {
    T* ir = gi + b * 3 * H;
    T* iz = ir + H;
    T* in = iz + H;
    const T* hr = gh + b * 3 * H;
    const T* hz = hr + H;
    const T* hn = hz + H;
    const T* hp = hprev + b * H;
    T* gn = ghn + b * H;
    T* yr = y + b * H;
    T* hb = hbuf + b * H;
#pragma GCC ivdep
    for (int64_t j = 0; j < H; ++j) {
      T br = bhh ? bhh[j] : T(0), bz = bhh ? bhh[H + j] : T(0), bn = bhh ? bhh[2 * H + j] : T(0);
      T r = sig(ir[j] + hr[j] + br);
      T z = sig(iz[j] + hz[j] + bz);
      T hnv = hn[j] + bn;
      T n = th(in[j] + r * hnv);
      T h = (T(1) - z) * n + z * hp[j];
      ir[j] = r; iz[j] = z; in[j] = n; gn[j] = hnv;
      yr[j] = h; hb[j] = h;
    }
  }
}

template <class T>
void gru_bwd(const T* g, const T* ghn, const T* hprev, const T* dy, T* dhbuf, T* dgi, T* dgh, int64_t H, int64_t b0,
             int64_t b1) {
  for (int64_t b = b0; b < b1; ++b) {
    const T* gr = g + b * 3 * H;
    const T* gz = gr + H;
    const T* gn = gz + H;
    const T* hnv = ghn + b * H;
    const T* hp = hprev + b * H;
    const T* dyr = dy + b * H;
    T* dh = dhbuf + b * H;
    T* dir = dgi + b * 3 * H;
    T* diz = dir + H;
    T* din = diz + H;
    T* dhr = dgh + b * 3 * H;
    T* dhz = dhr + H;
    T* dhn = dhz + H;
#pragma GCC ivdep
    for (int64_t j = 0; j < H; ++j) {
      T d = dyr[j] + dh[j];
      T r = gr[j], z = gz[j], n = gn[j];
      T dn = d * (T(1) - z) * (T(1) - n * n);
      T dz = d * (hp[j] - n) * z * (T(1) - z);
      T dr = dn * hnv[j] * r * (T(1) - r);
      dir[j] = dr; diz[j] = dz; din[j] = dn;
      dhr[j] = dr; dhz[j] = dz; dhn[j] = dn * r;
      dh[j] = d * z;
    }
  }
}

template <class T>
Pointwise<T> table() {
  return Pointwise<T>{&rnn_fwd<T>, &rnn_bwd<T>, &lstm_fwd<T>, &lstm_bwd<T>, &gru_fwd<T>, &gru_bwd<T>};
}

}  // namespace

static const Kernels& kernels() {
  static const Kernels k{table<float>(), table<double>()};
  return k;
}

}  // namespace RNN_ISA
}  // namespace rnn_detail
}  // namespace ember
