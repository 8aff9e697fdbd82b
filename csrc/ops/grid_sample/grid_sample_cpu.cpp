// grid_sample_cpu.cpp — CPU kernels of grid_sample (4-D), forward and backward.
//
// Each output point (n, ho, wo) reads its grid value once, computes the source
// taps and weights (grid_sample_coords.h) and applies them to every channel:
//   bilinear: the 4 neighbours weighted by the opposite-area fractions;
//   nearest:  the neighbour at round-half-even of the source coordinate;
//   bicubic:  4x4 taps with Keys (A = -0.75) weights on the unpadded coordinate,
//             each tap index padded on its own (torch's get_value_bounded).
// Taps outside the image contribute zero. Forward and the grid gradient split the
// (n, point) range across threads; the input gradient scatters into planes, so it
// splits over (n, c) planes and each thread walks all points of its planes (no two
// threads write one plane). Layout: contiguous NCHW input, (N, Ho, Wo, 2) grid.
#include <algorithm>
#include <cmath>

#include "core/checked.h"
#include "core/parallel.h"
#include "grid_sample.h"
#include "grid_sample_coords.h"

namespace ember {
namespace grid_sample_detail {
namespace {

// Source taps and weights of one grid point for bilinear / nearest (up to 4 taps;
// an index of -1 marks a tap outside the image).
template <class T>
struct Taps {
  int64_t off[4];
  T w[4];
  int n;
};

template <class T>
Taps<T> linear_taps(const Geom& g, T gx, T gy) {
  Taps<T> t;
  const T ix = source_index(gx, g.W, g.padding, g.align_corners, static_cast<T*>(nullptr));
  const T iy = source_index(gy, g.H, g.padding, g.align_corners, static_cast<T*>(nullptr));
  if (g.mode == kNearest) {
    const int64_t x = to_index(round_half_even(ix)), y = to_index(round_half_even(iy));
    t.n = 1;
    t.w[0] = 1;
    t.off[0] = inside(x, y, g.W, g.H) ? y * g.W + x : -1;
    return t;
  }
  const T fx = std::floor(ix), fy = std::floor(iy);
  const int64_t x0 = to_index(fx), y0 = to_index(fy);
  const T dx = ix - fx, dy = iy - fy;
  t.n = 4;
  const int64_t xs[4] = {x0, x0 + 1, x0, x0 + 1}, ys[4] = {y0, y0, y0 + 1, y0 + 1};
  const T ws[4] = {(1 - dx) * (1 - dy), dx * (1 - dy), (1 - dx) * dy, dx * dy};
  for (int k = 0; k < 4; ++k) {
    t.w[k] = ws[k];
    t.off[k] = (x0 != -100 && y0 != -100 && inside(xs[k], ys[k], g.W, g.H)) ? ys[k] * g.W + xs[k] : -1;
  }
  return t;
}

// Bicubic: the 4 padded column and row indices (-100 outside) and their weights.
template <class T>
struct Cubic {
  int64_t xs[4], ys[4];
  T wx[4], wy[4], dwx[4], dwy[4];
  T gmx, gmy;  // d(pixel coordinate) / d(grid value)
};

template <class T>
Cubic<T> cubic_taps(const Geom& g, T gx, T gy, bool with_grad) {
  Cubic<T> c;
  const T ix = unnormalize(gx, g.W, g.align_corners, &c.gmx);
  const T iy = unnormalize(gy, g.H, g.align_corners, &c.gmy);
  const T fx = std::floor(ix), fy = std::floor(iy);
  cubic_coeffs(c.wx, ix - fx);
  cubic_coeffs(c.wy, iy - fy);
  if (with_grad) cubic_coeffs_grad(c.dwx, ix - fx), cubic_coeffs_grad(c.dwy, iy - fy);
  for (int i = 0; i < 4; ++i) {
    c.xs[i] = cubic_tap(fx - 1 + i, g.W, g.padding, g.align_corners);
    c.ys[i] = cubic_tap(fy - 1 + i, g.H, g.padding, g.align_corners);
  }
  return c;
}

int64_t point_grain(const Geom& g) { return std::max<int64_t>(1, 16384 / std::max<int64_t>(1, g.C * 4)); }

}  // namespace

template <class T>
void forward(const Geom& g, const T* x, const T* grid, T* y) {
  const int64_t P = checked_mul(g.Ho, g.Wo, "grid_sample"), HW = checked_mul(g.H, g.W, "grid_sample");
  const int64_t total = checked_mul(g.N, P, "grid_sample");
  parallel_for(0, total, point_grain(g), [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      const int64_t n = i / P, p = i % P;
      const T* gp = grid + i * 2;
      const T* xn = x + n * g.C * HW;
      T* yn = y + n * g.C * P + p;
      if (g.mode == kBicubic) {
        const Cubic<T> c = cubic_taps(g, gp[0], gp[1], false);
        for (int64_t ch = 0; ch < g.C; ++ch) {
          const T* plane = xn + ch * HW;
          T acc = 0;
          for (int j = 0; j < 4; ++j) {
            if (c.ys[j] < 0) continue;
            T row = 0;
            for (int k = 0; k < 4; ++k)
              if (c.xs[k] >= 0) row += plane[c.ys[j] * g.W + c.xs[k]] * c.wx[k];
            acc += row * c.wy[j];
          }
          yn[ch * P] = acc;
        }
        continue;
      }
      const Taps<T> t = linear_taps(g, gp[0], gp[1]);
      for (int64_t ch = 0; ch < g.C; ++ch) {
        const T* plane = xn + ch * HW;
        T acc = 0;
        for (int k = 0; k < t.n; ++k)
          if (t.off[k] >= 0) acc += plane[t.off[k]] * t.w[k];
        yn[ch * P] = acc;
      }
    }
  });
}

template <class T>
void backward(const Geom& g, const T* gy, const T* x, const T* grid, T* gx, T* ggrid) {
  const int64_t P = checked_mul(g.Ho, g.Wo, "grid_sample_backward");
  const int64_t HW = checked_mul(g.H, g.W, "grid_sample_backward");
  if (gx) {
    // One thread per (n, c) plane: the scatter-add never races.
    const int64_t planes = checked_mul(g.N, g.C, "grid_sample_backward");
    const int64_t grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(1, P));
    parallel_for(0, planes, grain, [&](int64_t b, int64_t e) {
      for (int64_t pl = b; pl < e; ++pl) {
        const int64_t n = pl / g.C;
        const T* gyp = gy + pl * P;
        T* gxp = gx + pl * HW;
        const T* gridn = grid + n * P * 2;
        for (int64_t p = 0; p < P; ++p) {
          const T go = gyp[p];
          if (g.mode == kBicubic) {
            const Cubic<T> c = cubic_taps(g, gridn[2 * p], gridn[2 * p + 1], false);
            for (int j = 0; j < 4; ++j) {
              if (c.ys[j] < 0) continue;
              for (int k = 0; k < 4; ++k)
                if (c.xs[k] >= 0) gxp[c.ys[j] * g.W + c.xs[k]] += go * c.wx[k] * c.wy[j];
            }
            continue;
          }
          const Taps<T> t = linear_taps(g, gridn[2 * p], gridn[2 * p + 1]);
          for (int k = 0; k < t.n; ++k)
            if (t.off[k] >= 0) gxp[t.off[k]] += go * t.w[k];
        }
      }
    });
  }
  if (!ggrid) return;
  const int64_t total = checked_mul(g.N, P, "grid_sample_backward");
  parallel_for(0, total, point_grain(g), [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      const int64_t n = i / P, p = i % P;
      const T* gp = grid + i * 2;
      T* out = ggrid + i * 2;
      const T* xn = x + n * g.C * HW;
      const T* gyn = gy + n * g.C * P + p;
      if (g.mode == kNearest) {
        out[0] = out[1] = 0;
        continue;
      }
      T sx = 0, sy = 0;
      if (g.mode == kBicubic) {
        const Cubic<T> c = cubic_taps(g, gp[0], gp[1], true);
        for (int64_t ch = 0; ch < g.C; ++ch) {
          const T* plane = xn + ch * HW;
          const T go = gyn[ch * P];
          for (int j = 0; j < 4; ++j) {
            if (c.ys[j] < 0) continue;
            for (int k = 0; k < 4; ++k) {
              if (c.xs[k] < 0) continue;
              const T v = plane[c.ys[j] * g.W + c.xs[k]] * go;
              sx -= v * c.dwx[k] * c.wy[j];
              sy -= v * c.dwy[j] * c.wx[k];
            }
          }
        }
        out[0] = c.gmx * sx, out[1] = c.gmy * sy;
        continue;
      }
      T gmx, gmy;
      const T ix = source_index(gp[0], g.W, g.padding, g.align_corners, &gmx);
      const T iy = source_index(gp[1], g.H, g.padding, g.align_corners, &gmy);
      const T fx = std::floor(ix), fy = std::floor(iy);
      const int64_t x0 = to_index(fx), y0 = to_index(fy);
      const T dx = ix - fx, dy = iy - fy;
      if (x0 == -100 || y0 == -100) {
        out[0] = out[1] = 0;
        continue;
      }
      const bool in00 = inside(x0, y0, g.W, g.H), in10 = inside(x0 + 1, y0, g.W, g.H);
      const bool in01 = inside(x0, y0 + 1, g.W, g.H), in11 = inside(x0 + 1, y0 + 1, g.W, g.H);
      for (int64_t ch = 0; ch < g.C; ++ch) {
        const T* plane = xn + ch * HW;
        const T go = gyn[ch * P];
        const T v00 = in00 ? plane[y0 * g.W + x0] : T(0), v10 = in10 ? plane[y0 * g.W + x0 + 1] : T(0);
        const T v01 = in01 ? plane[(y0 + 1) * g.W + x0] : T(0);
        const T v11 = in11 ? plane[(y0 + 1) * g.W + x0 + 1] : T(0);
        // d/d ix and d/d iy of the bilinear blend.
        sx += go * ((v10 - v00) * (1 - dy) + (v11 - v01) * dy);
        sy += go * ((v01 - v00) * (1 - dx) + (v11 - v10) * dx);
      }
      out[0] = gmx * sx, out[1] = gmy * sy;
    }
  });
}

template void forward<float>(const Geom&, const float*, const float*, float*);
template void forward<double>(const Geom&, const double*, const double*, double*);
template void backward<float>(const Geom&, const float*, const float*, const float*, float*, float*);
template void backward<double>(const Geom&, const double*, const double*, const double*, double*, double*);

}  // namespace grid_sample_detail
}  // namespace ember
