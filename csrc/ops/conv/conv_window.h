// conv_window.h — internal: the zero-padded (or cropped) copy of an image that the
// conv kernels read instead of checking bounds, and its inverse for gradients.
//
// A window covers rows [-pt, H + pb) and columns [-pl, W + pr) of each (H, W) plane,
// zeros outside the image; negative pads crop. Functions are static: every ISA build
// that includes this keeps its own copy (no cross-ISA ODR merging by the linker).
#pragma once
#include <algorithm>
#include <cstring>
#include <vector>

#include "ops/conv/conv_kernels.h"

namespace ember {
namespace conv_detail {

// dst (C, Hp, Wp) = window of src (C, H, W).
template <class T>
static void copy_window(const Geom& g, const T* src, int64_t C, T* dst) {
  const int64_t H = g.H, W = g.W, Hp = g.Hp(), Wp = g.Wp();
  const int64_t q0 = std::clamp<int64_t>(g.pl, 0, Wp), q1 = std::clamp<int64_t>(W + g.pl, q0, Wp);
  for (int64_t c = 0; c < C; ++c) {
    for (int64_t r = 0; r < Hp; ++r) {
      T* d = dst + (c * Hp + r) * Wp;
      const int64_t ih = r - g.pt;
      if (ih < 0 || ih >= H) {
        std::fill(d, d + Wp, T(0));
        continue;
      }
      const T* s = src + (c * H + ih) * W - g.pl;
      std::fill(d, d + q0, T(0));
      if (q1 > q0) std::memcpy(d + q0, s + q0, sizeof(T) * static_cast<size_t>(q1 - q0));
      std::fill(d + q1, d + Wp, T(0));
    }
  }
}

// dst (C, H, W) = the image part of a window buffer (C, Hp, Wp), + b[c] when b is set.
// Positions cropped away by negative pads (outside the window) get b[c] or zero.
template <class T>
static void crop_window(const Geom& g, const T* src, int64_t C, const T* b, T* dst) {
  const int64_t H = g.H, W = g.W, Hp = g.Hp(), Wp = g.Wp();
  for (int64_t c = 0; c < C; ++c) {
    const T bias = b ? b[c] : T(0);
    for (int64_t ih = 0; ih < H; ++ih) {
      T* d = dst + (c * H + ih) * W;
      const int64_t r = ih + g.pt;
      if (r < 0 || r >= Hp) {
        std::fill(d, d + W, bias);
        continue;
      }
      const T* s = src + (c * Hp + r) * Wp + g.pl;
      for (int64_t iw = 0; iw < W; ++iw) {
        const int64_t q = iw + g.pl;
        d[iw] = (q >= 0 && q < Wp) ? s[iw] + bias : bias;
      }
    }
  }
}

// Per-thread, grow-only scratch (pool threads live for the whole process).
template <class T>
static T* conv_scratch(int slot, int64_t n) {
  thread_local std::vector<T> bufs[3];
  std::vector<T>& b = bufs[slot];
  if (static_cast<int64_t>(b.size()) < n) b.resize(static_cast<size_t>(n));
  return b.data();
}

}  // namespace conv_detail
}  // namespace ember
