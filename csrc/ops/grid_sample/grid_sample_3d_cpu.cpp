// grid_sample_3d_cpu.cpp — CPU kernels of grid_sample on 5-D input, forward and
// backward: trilinear (torch's 'bilinear' on volumes) blends the 8 neighbours with
// weights wx * wy * wz; nearest takes the neighbour at round-half-even. Padding and
// unnormalisation are grid_sample_coords.h's. Work splits as in the 2-D kernels:
// (n, point) ranges for the forward and the grid gradient, (n, c) volumes for the
// scattered input gradient. Layout: contiguous NCDHW input, (N, Do, Ho, Wo, 3) grid.
#include <algorithm>
#include <cmath>

#include "core/checked.h"
#include "core/parallel.h"
#include "grid_sample.h"
#include "grid_sample_coords.h"

namespace ember {
namespace grid_sample_detail {
namespace {

// The 8 corners (or 1 for nearest) of one grid point: volume offsets (-1 outside),
// weights, and for the grid gradient the derivative of each weight wrt ix, iy, iz.
template <class T>
struct Taps3 {
  int64_t off[8];
  T w[8], dw[8][3];
  T gm[3];  // d(pixel coordinate) / d(grid value) per axis
  int n;
};

template <class T>
Taps3<T> taps3(const Geom& g, const T* gp, bool with_grad) {
  Taps3<T> t;
  const int64_t sizes[3] = {g.W, g.H, g.D};
  T ic[3];
  for (int a = 0; a < 3; ++a)
    ic[a] = source_index(gp[a], sizes[a], g.padding, g.align_corners, with_grad ? &t.gm[a] : static_cast<T*>(nullptr));
  if (g.mode == kNearest) {
    const int64_t x = to_index(round_half_even(ic[0])), y = to_index(round_half_even(ic[1]));
    const int64_t z = to_index(round_half_even(ic[2]));
    t.n = 1;
    t.w[0] = 1;
    t.dw[0][0] = t.dw[0][1] = t.dw[0][2] = 0;
    t.off[0] = (inside(x, y, g.W, g.H) && z >= 0 && z < g.D) ? (z * g.H + y) * g.W + x : -1;
    return t;
  }
  int64_t base[3];
  T frac[3];
  bool ok = true;
  for (int a = 0; a < 3; ++a) {
    const T f = std::floor(ic[a]);
    base[a] = to_index(f);
    frac[a] = ic[a] - f;
    ok = ok && base[a] != -100;
  }
  t.n = 8;
  for (int k = 0; k < 8; ++k) {
    const int bx = k & 1, by = (k >> 1) & 1, bz = (k >> 2) & 1;
    const T wx = bx ? frac[0] : 1 - frac[0], wy = by ? frac[1] : 1 - frac[1], wz = bz ? frac[2] : 1 - frac[2];
    t.w[k] = wx * wy * wz;
    t.dw[k][0] = (bx ? T(1) : T(-1)) * wy * wz;
    t.dw[k][1] = (by ? T(1) : T(-1)) * wx * wz;
    t.dw[k][2] = (bz ? T(1) : T(-1)) * wx * wy;
    const int64_t x = base[0] + bx, y = base[1] + by, z = base[2] + bz;
    t.off[k] = (ok && inside(x, y, g.W, g.H) && z >= 0 && z < g.D) ? (z * g.H + y) * g.W + x : -1;
  }
  return t;
}

int64_t grain3(const Geom& g) { return std::max<int64_t>(1, 16384 / std::max<int64_t>(1, g.C * 8)); }

}  // namespace

template <class T>
void forward_3d(const Geom& g, const T* x, const T* grid, T* y) {
  const char* op = "grid_sample";
  const int64_t P = checked_mul(checked_mul(g.Do, g.Ho, op), g.Wo, op);
  const int64_t V = checked_mul(checked_mul(g.D, g.H, op), g.W, op);
  parallel_for(0, checked_mul(g.N, P, op), grain3(g), [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      const int64_t n = i / P, p = i % P;
      const Taps3<T> t = taps3(g, grid + i * 3, false);
      const T* xn = x + n * g.C * V;
      T* yn = y + n * g.C * P + p;
      for (int64_t ch = 0; ch < g.C; ++ch) {
        const T* vol = xn + ch * V;
        T acc = 0;
        for (int k = 0; k < t.n; ++k)
          if (t.off[k] >= 0) acc += vol[t.off[k]] * t.w[k];
        yn[ch * P] = acc;
      }
    }
  });
}

template <class T>
void backward_3d(const Geom& g, const T* gy, const T* x, const T* grid, T* gx, T* ggrid) {
  const char* op = "grid_sample_backward";
  const int64_t P = checked_mul(checked_mul(g.Do, g.Ho, op), g.Wo, op);
  const int64_t V = checked_mul(checked_mul(g.D, g.H, op), g.W, op);
  if (gx) {
    const int64_t grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(1, P));
    parallel_for(0, checked_mul(g.N, g.C, op), grain, [&](int64_t b, int64_t e) {
      for (int64_t vi = b; vi < e; ++vi) {
        const T* gyp = gy + vi * P;
        T* gxp = gx + vi * V;
        const T* gridn = grid + (vi / g.C) * P * 3;
        for (int64_t p = 0; p < P; ++p) {
          const Taps3<T> t = taps3(g, gridn + p * 3, false);
          for (int k = 0; k < t.n; ++k)
            if (t.off[k] >= 0) gxp[t.off[k]] += gyp[p] * t.w[k];
        }
      }
    });
  }
  if (!ggrid) return;
  parallel_for(0, checked_mul(g.N, P, op), grain3(g), [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      T* out = ggrid + i * 3;
      if (g.mode == kNearest) {
        out[0] = out[1] = out[2] = 0;
        continue;
      }
      const int64_t n = i / P, p = i % P;
      const Taps3<T> t = taps3(g, grid + i * 3, true);
      const T* xn = x + n * g.C * V;
      const T* gyn = gy + n * g.C * P + p;
      T s[3] = {0, 0, 0};
      for (int64_t ch = 0; ch < g.C; ++ch) {
        const T* vol = xn + ch * V;
        const T go = gyn[ch * P];
        for (int k = 0; k < t.n; ++k) {
          if (t.off[k] < 0) continue;
          const T v = vol[t.off[k]] * go;
          s[0] += v * t.dw[k][0], s[1] += v * t.dw[k][1], s[2] += v * t.dw[k][2];
        }
      }
      for (int a = 0; a < 3; ++a) out[a] = t.gm[a] * s[a];
    }
  });
}

template void forward_3d<float>(const Geom&, const float*, const float*, float*);
template void forward_3d<double>(const Geom&, const double*, const double*, double*);
template void backward_3d<float>(const Geom&, const float*, const float*, const float*, float*, float*);
template void backward_3d<double>(const Geom&, const double*, const double*, const double*, double*, double*);

}  // namespace grid_sample_detail
}  // namespace ember
