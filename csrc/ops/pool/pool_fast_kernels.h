// pool_fast_kernels.h — max / average pooling for the common 2x2 (or 1x2) window
// with stride 2 across, no padding, no dilation, every window inside the input:
// one output row from the two input rows under it. Included once per ISA
// (pool_fast_cpu.cpp, _avx2.cpp, _avx512.cpp) with PF_ISA naming the namespace and
// PF_VBYTES the native register width.
//
// Vector loop: two registers of a row (2L elements) are de-interleaved into even
// and odd columns (a, b); the row below gives (c, d); L outputs per step. GCC 12
// does not vectorise the chained selects of the plain loop, so lanes are explicit
// (GCC vector extensions, as softmax_kernels.h).
//
// Same results as the generic loops: the max of a 2x2 window is taken pairwise
// across each row, then down, with "take the newcomer if it is greater or NaN";
// the composition picks the first maximum in row-major order and the last NaN,
// exactly torch's single scan. Average sums ((a + b) + c) + d, torch's order, and
// divides by the divisor.
// Layout: contiguous planes (P, H, W) -> (P, OH, OW); row oh reads rows oh*sh (+1);
// the plane is smaller than 2^31 elements (indices are built in 32-bit lanes for
// float).
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "pool_kernels.h"

namespace ember {
namespace pool_detail {
namespace PF_ISA {
namespace {

template <class T>
struct Vec {
  static constexpr int n = PF_VBYTES / sizeof(T);
  typedef T v __attribute__((vector_size(PF_VBYTES)));
  using I = std::conditional_t<sizeof(T) == 4, int32_t, int64_t>;
  typedef I iv __attribute__((vector_size(PF_VBYTES)));
  typedef int64_t lv __attribute__((vector_size(n * 8)));
};

template <class V>
static inline V load(const void* p) {
  V v;
  std::memcpy(&v, p, sizeof(V));
  return v;
}
template <class V>
static inline void store(void* p, const V& v) {
  std::memcpy(p, &v, sizeof(V));
}

// Even and odd lanes of the 2n elements in (v0, v1).
template <class T>
static inline void deinterleave(typename Vec<T>::v v0, typename Vec<T>::v v1, typename Vec<T>::v& ev,
                                typename Vec<T>::v& od) {
  using IV = typename Vec<T>::iv;
  constexpr int n = Vec<T>::n;
  if constexpr (n == 2) {
    ev = __builtin_shuffle(v0, v1, IV{0, 2});
    od = __builtin_shuffle(v0, v1, IV{1, 3});
  } else if constexpr (n == 4) {
    ev = __builtin_shuffle(v0, v1, IV{0, 2, 4, 6});
    od = __builtin_shuffle(v0, v1, IV{1, 3, 5, 7});
  } else if constexpr (n == 8) {
    ev = __builtin_shuffle(v0, v1, IV{0, 2, 4, 6, 8, 10, 12, 14});
    od = __builtin_shuffle(v0, v1, IV{1, 3, 5, 7, 9, 11, 13, 15});
  } else {
    static_assert(n == 16, "unexpected vector width");
    ev = __builtin_shuffle(v0, v1, IV{0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30});
    od = __builtin_shuffle(v0, v1, IV{1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31});
  }
}

template <class T>
static inline typename Vec<T>::iv lane_ids() {
  typename Vec<T>::iv r;
  for (int i = 0; i < Vec<T>::n; ++i) r[i] = i;
  return r;
}

// b replaces a when it is greater or NaN (torch's update rule).
template <class T>
static inline bool takes(T b, T a) {
  return (b > a) || (b != b);
}
template <class V>
static inline auto vtakes(V b, V a) {
  return (b > a) | (b != b);
}

template <class T>
static void max_row(const T* r0, const T* r1, T* o, int64_t* oi, int64_t n, int64_t base, int64_t W) {
  using V = typename Vec<T>::v;
  using IV = typename Vec<T>::iv;
  using I = typename Vec<T>::I;
  constexpr int L = Vec<T>::n;
  int64_t j = 0;
  const IV lanes2 = lane_ids<T>() * I(2);
  for (; j + L <= n; j += L) {
    V a, b;
    deinterleave<T>(load<V>(r0 + 2 * j), load<V>(r0 + 2 * j + L), a, b);
    const IV tb = vtakes(b, a);
    V top = tb ? b : a;
    IV sel = tb;
    if (r1) {
      V c, d;
      deinterleave<T>(load<V>(r1 + 2 * j), load<V>(r1 + 2 * j + L), c, d);
      const IV td = vtakes(d, c);
      const V bot = td ? d : c;
      const IV down = vtakes(bot, top);
      top = down ? bot : top;
      sel = down ? td : tb;
      if (oi) {
        // flat index: base + 2*(j + lane) + (odd column) + (lower row ? W : 0); masks are -1/0.
        const IV col = lanes2 + I(2 * j) - sel + (down & I(W));
        store(oi + j, __builtin_convertvector(col, typename Vec<T>::lv) + base);
      }
    } else if (oi) {
      const IV col = lanes2 + I(2 * j) - sel;
      store(oi + j, __builtin_convertvector(col, typename Vec<T>::lv) + base);
    }
    store(o + j, top);
  }
  for (; j < n; ++j) {
    const T a = r0[2 * j], b = r0[2 * j + 1];
    const bool tb = takes(b, a);
    T top = tb ? b : a;
    int64_t at = 2 * j + tb;
    if (r1) {
      const T c = r1[2 * j], d = r1[2 * j + 1];
      const bool td = takes(d, c);
      const T bot = td ? d : c;
      if (takes(bot, top)) {
        top = bot;
        at = W + 2 * j + td;
      }
    }
    o[j] = top;
    if (oi) oi[j] = base + at;
  }
}

template <class T>
static void avg_row(const T* r0, const T* r1, T* o, int64_t n, T divisor) {
  using V = typename Vec<T>::v;
  constexpr int L = Vec<T>::n;
  int64_t j = 0;
  for (; j + L <= n; j += L) {
    V a, b;
    deinterleave<T>(load<V>(r0 + 2 * j), load<V>(r0 + 2 * j + L), a, b);
    V s = a + b;
    if (r1) {
      V c, d;
      deinterleave<T>(load<V>(r1 + 2 * j), load<V>(r1 + 2 * j + L), c, d);
      s = (s + c) + d;
    }
    store(o + j, s / divisor);
  }
  for (; j < n; ++j) {
    T s = r0[2 * j] + r0[2 * j + 1];
    if (r1) s = (s + r1[2 * j]) + r1[2 * j + 1];
    o[j] = s / divisor;
  }
}

// gx rows under output row j += g / divisor (the plane was zeroed: windows may overlap
// down the rows when sh < kh).
template <class T>
static void avg_row_backward(const T* g, T* r, int64_t n, T divisor) {
  using V = typename Vec<T>::v;
  using IV = typename Vec<T>::iv;
  constexpr int L = Vec<T>::n;
  int64_t j = 0;
  for (; j + L <= n; j += L) {
    const V d = load<V>(g + j) / divisor;
    V lo, hi;
    if constexpr (L == 2) {
      lo = __builtin_shuffle(d, IV{0, 0});
      hi = __builtin_shuffle(d, IV{1, 1});
    } else if constexpr (L == 4) {
      lo = __builtin_shuffle(d, IV{0, 0, 1, 1});
      hi = __builtin_shuffle(d, IV{2, 2, 3, 3});
    } else if constexpr (L == 8) {
      lo = __builtin_shuffle(d, IV{0, 0, 1, 1, 2, 2, 3, 3});
      hi = __builtin_shuffle(d, IV{4, 4, 5, 5, 6, 6, 7, 7});
    } else {
      lo = __builtin_shuffle(d, IV{0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7});
      hi = __builtin_shuffle(d, IV{8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13, 14, 14, 15, 15});
    }
    store(r + 2 * j, load<V>(r + 2 * j) + lo);
    store(r + 2 * j + L, load<V>(r + 2 * j + L) + hi);
  }
  for (; j < n; ++j) {
    const T d = g[j] / divisor;
    r[2 * j] += d;
    r[2 * j + 1] += d;
  }
}

template <class T>
static void max_planes(const T* x, T* y, int64_t* idx, const Geom& g, int64_t p0, int64_t p1) {
  const int64_t plane = g.H * g.W, oplane = g.OH * g.OW;
  for (int64_t p = p0; p < p1; ++p) {
    for (int64_t oh = 0; oh < g.OH; ++oh) {
      const int64_t h = oh * g.sh;
      const T* r0 = x + p * plane + h * g.W;
      const int64_t o = p * oplane + oh * g.OW;
      max_row(r0, g.kh == 2 ? r0 + g.W : nullptr, y + o, idx ? idx + o : nullptr, g.OW, h * g.W, g.W);
    }
  }
}

template <class T>
static void avg_planes(const T* x, T* y, const Geom& g, T divisor, int64_t p0, int64_t p1) {
  const int64_t plane = g.H * g.W, oplane = g.OH * g.OW;
  for (int64_t p = p0; p < p1; ++p) {
    for (int64_t oh = 0; oh < g.OH; ++oh) {
      const T* r0 = x + p * plane + oh * g.sh * g.W;
      avg_row(r0, g.kh == 2 ? r0 + g.W : nullptr, y + p * oplane + oh * g.OW, g.OW, divisor);
    }
  }
}

template <class T>
static void avg_backward_planes(const T* gy, T* gx, const Geom& g, T divisor, int64_t p0, int64_t p1) {
  const int64_t plane = g.H * g.W, oplane = g.OH * g.OW;
  for (int64_t p = p0; p < p1; ++p) {
    T* gp = gx + p * plane;
    std::memset(gp, 0, sizeof(T) * plane);
    for (int64_t oh = 0; oh < g.OH; ++oh) {
      const T* row = gy + p * oplane + oh * g.OW;
      for (int64_t r = 0; r < g.kh; ++r) avg_row_backward(row, gp + (oh * g.sh + r) * g.W, g.OW, divisor);
    }
  }
}

}  // namespace

const FastKernels& fast_kernels() {
  static const FastKernels k{&max_planes<float>,          &max_planes<double>,
                             &avg_planes<float>,          &avg_planes<double>,
                             &avg_backward_planes<float>, &avg_backward_planes<double>};
  return k;
}

}  // namespace PF_ISA
}  // namespace pool_detail
}  // namespace ember
