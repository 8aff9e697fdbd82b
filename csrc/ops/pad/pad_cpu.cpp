// pad_cpu.cpp — the index-map kernels behind reflect / replicate / circular padding.
//
// Each padded dim d gets a map out_index -> in_index (built in pad.cpp), so one
// gather serves every mode: y[o, i0, .., ik] = x[o, map0[i0], .., mapk[ik]], with x
// and y contiguous and the padded dims last. Rows (the last dim) are the unit of
// work; their interior is a contiguous run of the source row, copied with memcpy, and
// only the padded edges go through the map. The backward scatter-adds each output
// element into its source; several outputs share a source, so it runs one (outer)
// plane per task, which never races.
#include <algorithm>
#include <cstring>

#include "core/parallel.h"
#include "ops/pad/pad.h"

namespace ember {
namespace pad_detail {
namespace {

int64_t prod(const std::vector<int64_t>& v, size_t from, size_t to) {
  int64_t p = 1;
  for (size_t i = from; i < to; ++i) p *= v[i];
  return p;
}

// Source offset (in elements, within one outer plane of x) of output row r, where a
// row is one index along every padded dim but the last.
int64_t row_source(int64_t r, const std::vector<int64_t>& in, const std::vector<std::vector<int64_t>>& maps) {
  const size_t k = maps.size();
  int64_t off = 0, stride = in[k - 1];
  for (size_t d = k - 1; d-- > 0;) {
    const int64_t od = static_cast<int64_t>(maps[d].size());
    off += maps[d][r % od] * stride;
    r /= od;
    stride *= in[d];
  }
  return off;
}

// The longest run [a, b) of the last-dim map where map[i] = map[a] + (i - a).
void interior_run(const std::vector<int64_t>& m, int64_t& a, int64_t& b) {
  a = b = 0;
  const int64_t n = static_cast<int64_t>(m.size());
  for (int64_t i = 0; i < n;) {
    int64_t j = i + 1;
    while (j < n && m[j] == m[j - 1] + 1) ++j;
    if (j - i > b - a) {
      a = i;
      b = j;
    }
    i = j;
  }
}

// The shape of one pad problem: output rows of the padded dims but the last, the
// last dim's index map and its contiguous interior run [a, b).
struct Plan {
  const std::vector<int64_t>& last;
  int64_t out_last, rows, in_plane, out_plane, a, b;
  Plan(const std::vector<int64_t>& in, const std::vector<std::vector<int64_t>>& maps)
      : last(maps.back()), out_last(static_cast<int64_t>(maps.back().size())), rows(1) {
    const size_t k = maps.size();
    for (size_t d = 0; d + 1 < k; ++d) rows *= static_cast<int64_t>(maps[d].size());
    in_plane = prod(in, 0, k);
    out_plane = rows * out_last;
    interior_run(last, a, b);
  }
};

template <class E>
void gather_impl(const E* x, E* y, int64_t outer, const std::vector<int64_t>& in,
                 const std::vector<std::vector<int64_t>>& maps) {
  const Plan p(in, maps);
  const std::vector<int64_t>& last = p.last;
  const int64_t out_last = p.out_last, rows = p.rows, in_plane = p.in_plane, out_plane = p.out_plane, a = p.a,
                b = p.b;
  const int64_t grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(1, out_last));
  parallel_for(0, outer * rows, grain, [&](int64_t r0, int64_t r1) {
    for (int64_t t = r0; t < r1; ++t) {
      const int64_t o = t / rows, r = t % rows;
      const E* src = x + o * in_plane + row_source(r, in, maps);
      E* dst = y + o * out_plane + r * out_last;
      for (int64_t i = 0; i < a; ++i) dst[i] = src[last[i]];
      if (b > a) std::memcpy(dst + a, src + last[a], sizeof(E) * static_cast<size_t>(b - a));
      for (int64_t i = b; i < out_last; ++i) dst[i] = src[last[i]];
    }
  });
}

template <class T>
void scatter_impl(const T* gy, T* gx, int64_t outer, const std::vector<int64_t>& in,
                  const std::vector<std::vector<int64_t>>& maps) {
  const Plan p(in, maps);
  const std::vector<int64_t>& last = p.last;
  const int64_t out_last = p.out_last, rows = p.rows, in_plane = p.in_plane, out_plane = p.out_plane, a = p.a,
                b = p.b;
  const int64_t grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(1, out_plane));
  parallel_for(0, outer, grain, [&](int64_t o0, int64_t o1) {
    for (int64_t o = o0; o < o1; ++o) {
      T* dst0 = gx + o * in_plane;
      std::fill(dst0, dst0 + in_plane, T(0));
      for (int64_t r = 0; r < rows; ++r) {
        T* dst = dst0 + row_source(r, in, maps);
        const T* src = gy + o * out_plane + r * out_last;
        for (int64_t i = 0; i < a; ++i) dst[last[i]] += src[i];
        if (b > a) {
          T* d = dst + last[a];
          const T* s = src + a;
          for (int64_t i = 0; i < b - a; ++i) d[i] += s[i];
        }
        for (int64_t i = b; i < out_last; ++i) dst[last[i]] += src[i];
      }
    }
  });
}

}  // namespace

void gather(const void* x, void* y, int64_t elem_bytes, int64_t outer, const std::vector<int64_t>& in,
            const std::vector<std::vector<int64_t>>& maps) {
  switch (elem_bytes) {
    case 1: return gather_impl(static_cast<const uint8_t*>(x), static_cast<uint8_t*>(y), outer, in, maps);
    case 2: return gather_impl(static_cast<const uint16_t*>(x), static_cast<uint16_t*>(y), outer, in, maps);
    case 4: return gather_impl(static_cast<const uint32_t*>(x), static_cast<uint32_t*>(y), outer, in, maps);
    default: return gather_impl(static_cast<const uint64_t*>(x), static_cast<uint64_t*>(y), outer, in, maps);
  }
}

void scatter_add_f32(const float* gy, float* gx, int64_t outer, const std::vector<int64_t>& in,
                     const std::vector<std::vector<int64_t>>& maps) {
  scatter_impl(gy, gx, outer, in, maps);
}

void scatter_add_f64(const double* gy, double* gx, int64_t outer, const std::vector<int64_t>& in,
                     const std::vector<std::vector<int64_t>>& maps) {
  scatter_impl(gy, gx, outer, in, maps);
}

}  // namespace pad_detail
}  // namespace ember
