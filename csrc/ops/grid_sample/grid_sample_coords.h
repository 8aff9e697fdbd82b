// grid_sample_coords.h — the source-coordinate maths of grid_sample, as torch's
// GridSampler.h: unnormalise [-1, 1] to pixel space (align_corners picks corner or
// edge centres), then border (clip) or reflection (fold about the edges, then clip)
// padding; the *_grad variants also return d(coordinate)/d(grid value). Integer
// indices go through to_index, which maps NaN, inf and out-of-range values to -100
// (outside every image) so a bad grid samples zeros instead of invoking UB.
#pragma once
#include <cmath>
#include <cstdint>

namespace ember {
namespace grid_sample_detail {

enum Mode { kBilinear = 0, kNearest = 1, kBicubic = 2 };
enum Padding { kZeros = 0, kBorder = 1, kReflection = 2 };

template <class T>
inline T unnormalize(T c, int64_t size, bool align_corners, T* grad) {
  if (align_corners) {
    if (grad) *grad = static_cast<T>(size - 1) / 2;
    return ((c + 1) / 2) * static_cast<T>(size - 1);
  }
  if (grad) *grad = static_cast<T>(size) / 2;
  return ((c + 1) * static_cast<T>(size) - 1) / 2;
}

template <class T>
inline T clip(T c, int64_t size, T* grad) {
  const T hi = static_cast<T>(size - 1);
  if (c <= T(0)) {
    if (grad) *grad = 0;
    return 0;
  }
  if (c >= hi) {
    if (grad) *grad = 0;
    return hi;
  }
  if (grad) *grad = 1;
  // NaN fails both comparisons above and stays NaN; to_index rejects it.
  return c;
}

// Reflects c into [twice_low / 2, twice_high / 2].
template <class T>
inline T reflect(T c, int64_t twice_low, int64_t twice_high, T* grad) {
  if (twice_low == twice_high) {
    if (grad) *grad = 0;
    return 0;
  }
  const T lo = static_cast<T>(twice_low) / 2;
  const T span = static_cast<T>(twice_high - twice_low) / 2;
  c = c - lo;
  T sign = 1;
  if (c < T(0)) sign = -1, c = -c;
  const T extra = std::fmod(c, span);
  // The parity of the number of flips, computed in floating point: an int cast of
  // floor(c / span) would overflow for huge coordinates.
  const bool even = std::fmod(std::floor(c / span), T(2)) == T(0);
  if (grad) *grad = even ? sign : -sign;
  return even ? extra + lo : span - extra + lo;
}

template <class T>
inline T apply_padding(T c, int64_t size, int padding, bool align_corners, T* grad) {
  if (padding == kBorder) {
    T gc = 1;
    c = clip(c, size, grad ? &gc : nullptr);
    if (grad) *grad *= gc;
  } else if (padding == kReflection) {
    T gr = 1, gc = 1;
    c = align_corners ? reflect(c, 0, 2 * (size - 1), grad ? &gr : nullptr)
                      : reflect(c, -1, 2 * size - 1, grad ? &gr : nullptr);
    c = clip(c, size, grad ? &gc : nullptr);
    if (grad) *grad *= gr * gc;
  }
  return c;
}

// Pixel-space source coordinate of a grid value; grad (optional) gets its derivative.
template <class T>
inline T source_index(T c, int64_t size, int padding, bool align_corners, T* grad) {
  T g = 1;
  c = unnormalize(c, size, align_corners, grad ? &g : nullptr);
  T gp = 1;
  c = apply_padding(c, size, padding, align_corners, grad ? &gp : nullptr);
  if (grad) *grad = g * gp;
  return c;
}

// floor / round results as int64, or -100 when not finite or beyond +-2^62.
template <class T>
inline int64_t to_index(T v) {
  if (!(std::fabs(v) < static_cast<T>(4611686018427387904.0))) return -100;
  return static_cast<int64_t>(v);
}

// Round half to even (std::nearbyint under the default rounding mode, which torch
// uses) without the libm call: floor, then step up past .5 or onto an even .5.
template <class T>
inline T round_half_even(T v) {
  const T r = std::floor(v), d = v - r;
  if (d > T(0.5) || (d == T(0.5) && std::fmod(r, T(2)) != T(0))) return r + 1;
  return r;
}

inline bool inside(int64_t x, int64_t y, int64_t W, int64_t H) { return x >= 0 && x < W && y >= 0 && y < H; }

// Keys cubic convolution weights (A = -0.75) for the taps at -1, 0, 1, 2 from floor.
template <class T>
inline void cubic_coeffs(T c[4], T t) {
  const T A = T(-0.75);
  auto conv1 = [A](T x) { return ((A + 2) * x - (A + 3)) * x * x + 1; };
  auto conv2 = [A](T x) { return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A; };
  c[0] = conv2(t + T(1));
  c[1] = conv1(t);
  c[2] = conv1(T(1) - t);
  c[3] = conv2(T(2) - t);
}

// d(cubic_coeffs)/d(x) where x = tap - t (so d/dt is the negation), as torch.
template <class T>
inline void cubic_coeffs_grad(T c[4], T t) {
  const T A = T(-0.75);
  T x = -T(1) - t;
  c[0] = (-T(3) * A * x - T(10) * A) * x - T(8) * A;
  x = -t;
  c[1] = (-T(3) * (A + 2) * x - T(2) * (A + 3)) * x;
  x = T(1) - t;
  c[2] = (T(3) * (A + 2) * x - T(2) * (A + 3)) * x;
  x = T(2) - t;
  c[3] = (T(3) * A * x - T(10) * A) * x + T(8) * A;
}

// Index of a bicubic tap after padding, or -100 when it falls outside.
template <class T>
inline int64_t cubic_tap(T i, int64_t size, int padding, bool align_corners) {
  const T c = apply_padding(i, size, padding, align_corners, static_cast<T*>(nullptr));
  const int64_t k = to_index(c);
  return (k >= 0 && k < size) ? k : -100;
}

}  // namespace grid_sample_detail
}  // namespace ember
