// masked.cpp — masked_fill_, masked_select and nonzero.
// masked_fill_ is one StridedLoop over (self, mask broadcast to self).
// masked_select and nonzero produce output in logical row-major order, so they
// walk the elements with coordinates in two passes over the same chunks: count
// the hits per chunk (in parallel), prefix-sum the counts into write positions,
// then write each chunk's hits (in parallel).
#include <vector>

#include "core/overlap.h"
#include "index.h"
#include "index_cuda.h"
#include "index_util.h"

namespace ember {
namespace {

template <class T>
inline bool is_nonzero(const char* p) {
  using C = compute_t<T>;
  return Cvt<T>::template load<C>(*reinterpret_cast<const T*>(p)) != C(0);
}

void check_mask(const Array& mask, const char* op) {
  EMBER_CHECK(mask.dtype() == DType::Bool, Type, "[", op, "] expected a bool mask, got ", dtype_name(mask.dtype()));
}

// Chunk c covers elements [n*c/nc, n*(c+1)/nc).
inline int64_t chunk_begin(int64_t n, int64_t c, int64_t nc) { return n * c / nc; }

}  // namespace

void masked_fill_(const Array& self, const Array& mask_in, double value) {
  idx::check_same_device(self, mask_in, "masked_fill_");
  check_mask(mask_in, "masked_fill_");
  Shape b = broadcast_shapes(self.shape(), mask_in.shape(), "masked_fill_");
  EMBER_CHECK(b == self.shape(), Value, "[masked_fill_] mask of shape ", shape_str(mask_in.shape()),
              " cannot be broadcast to self of shape ", shape_str(self.shape()));
  // torch: an expanded self is allowed here (deprecated), a mask sharing part of self is not.
  assert_no_partial_overlap(self, mask_in, "masked_fill_");
  const Array mask = needs_temporary(self, mask_in) ? mask_in.clone() : mask_in;
  self.bump_version();
  if (self.numel() == 0) return;
  if (self.device().is_cuda()) {
    cuda_kernels::index_masked_fill("masked_fill_")(self, mask, value, static_cast<int64_t>(value));
    return;
  }
  int64_t sa[kMaxDims], sm[kMaxDims];
  broadcast_byte_strides(self, b, sa);
  broadcast_byte_strides(mask, b, sm);
  StridedLoop<2> loop(b, {static_cast<char*>(self.data_ptr()), static_cast<char*>(mask.data_ptr())}, {sa, sm});
  EMBER_DISPATCH_ALL(self.dtype(), "masked_fill_", [&] {
    const scalar_t v = Cvt<scalar_t>::template store<double>(value);
    loop.run([&](char* const* p, const int64_t* s, int64_t n) {
      for (int64_t i = 0; i < n; ++i)
        if (*reinterpret_cast<const bool*>(p[1] + i * s[1])) *reinterpret_cast<scalar_t*>(p[0] + i * s[0]) = v;
    });
  });
}

Array masked_select(const Array& self, const Array& mask) {
  idx::check_same_device(self, mask, "masked_select");
  check_mask(mask, "masked_select");
  Shape b = broadcast_shapes(self.shape(), mask.shape(), "masked_select");
  if (self.device().is_cuda()) return cuda_kernels::index_masked_select("masked_select")(self, mask);
  const int64_t n = shape_numel(b);
  if (n == 0) return Array::empty({0}, self.dtype(), self.device());
  int64_t sa[kMaxDims], sm[kMaxDims];
  broadcast_byte_strides(self, b, sa);
  broadcast_byte_strides(mask, b, sm);
  const char* pa = static_cast<const char*>(self.data_ptr());
  const char* pm = static_cast<const char*>(mask.data_ptr());
  const int64_t nc = idx::num_chunks(n, 32768);
  std::vector<int64_t> pos(nc + 1, 0);
  parallel_for(0, nc, 1, [&](int64_t cb, int64_t ce) {
    for (int64_t c = cb; c < ce; ++c) {
      int64_t cnt = 0;
      idx::walk_rowmajor<1>(b, {pm}, {sm}, chunk_begin(n, c, nc), chunk_begin(n, c + 1, nc),
                            [&](const std::array<const char*, 1>& p, const int64_t*) { cnt += *reinterpret_cast<const bool*>(p[0]); });
      pos[c + 1] = cnt;
    }
  });
  for (int64_t c = 0; c < nc; ++c) pos[c + 1] += pos[c];
  Array out = Array::empty({pos[nc]}, self.dtype(), self.device());
  char* po = static_cast<char*>(out.data_ptr());
  idx::dispatch_bytes(self.itemsize(), [&](auto t) {
    using T = decltype(t);
    parallel_for(0, nc, 1, [&](int64_t cb, int64_t ce) {
      for (int64_t c = cb; c < ce; ++c) {
        T* w = reinterpret_cast<T*>(po) + pos[c];
        idx::walk_rowmajor<2>(b, {pa, pm}, {sa, sm}, chunk_begin(n, c, nc), chunk_begin(n, c + 1, nc),
                              [&](const std::array<const char*, 2>& p, const int64_t*) {
                                if (*reinterpret_cast<const bool*>(p[1])) *w++ = *reinterpret_cast<const T*>(p[0]);
                              });
      }
    });
  });
  return out;
}

Array nonzero(const Array& self) {
  if (self.device().is_cuda()) return cuda_kernels::index_nonzero("nonzero")(self);
  const int64_t nd = self.ndim();
  const Shape shape = nd == 0 ? Shape{1} : self.shape();
  const int64_t n = shape_numel(shape);
  if (n == 0) return Array::empty({0, nd}, DType::Int64, self.device());
  int64_t st[kMaxDims];
  for (size_t d = 0; d < shape.size(); ++d) st[d] = nd == 0 ? 0 : self.strides()[d] * self.itemsize();
  const char* base = static_cast<const char*>(self.data_ptr());
  const int64_t nc = idx::num_chunks(n, 32768);
  std::vector<int64_t> pos(nc + 1, 0);
  Array out;
  EMBER_DISPATCH_ALL(self.dtype(), "nonzero", [&] {
    parallel_for(0, nc, 1, [&](int64_t cb, int64_t ce) {
      for (int64_t c = cb; c < ce; ++c) {
        int64_t cnt = 0;
        idx::walk_rowmajor<1>(shape, {base}, {st}, chunk_begin(n, c, nc), chunk_begin(n, c + 1, nc),
                              [&](const std::array<const char*, 1>& p, const int64_t*) { cnt += is_nonzero<scalar_t>(p[0]); });
        pos[c + 1] = cnt;
      }
    });
    for (int64_t c = 0; c < nc; ++c) pos[c + 1] += pos[c];
    out = Array::empty({pos[nc], nd}, DType::Int64, self.device());
    int64_t* po = out.data<int64_t>();
    parallel_for(0, nc, 1, [&](int64_t cb, int64_t ce) {
      for (int64_t c = cb; c < ce; ++c) {
        int64_t* w = po + pos[c] * nd;
        idx::walk_rowmajor<1>(shape, {base}, {st}, chunk_begin(n, c, nc), chunk_begin(n, c + 1, nc),
                              [&](const std::array<const char*, 1>& p, const int64_t* coord) {
                                if (!is_nonzero<scalar_t>(p[0])) return;
                                for (int64_t d = 0; d < nd; ++d) *w++ = coord[d];
                              });
      }
    });
  });
  return out;
}

}  // namespace ember
