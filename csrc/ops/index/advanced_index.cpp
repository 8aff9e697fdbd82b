// advanced_index.cpp — NumPy/PyTorch advanced indexing: index (a copy) and
// index_put_ (assign or accumulate).
// Algorithm: bool masks become their nonzero() coordinate columns; the int
// indices are range-checked, then folded into one int64 array of element offsets
// (sum of index * stride over the indexed dims, broadcast shape B). The result
// is laid out NumPy's way: B replaces the indexed dims in place when they are
// adjacent, else B comes first. A StridedLoop over the result walks (out, self
// with 0 strides on B's dims, offsets with 0 strides on the other dims).
// index_put_ with accumulate runs serially, since repeated indices would race
// (as PyTorch's CPU kernel does); plain assignment runs in parallel.
// index_put_ first runs torch's overlap checks: the values and indices must not
// share elements with self (a one-element value with one bool mask is torch's
// masked_fill_ path, which checks the mask for partial overlap only).
#include <cstring>

#include "core/overlap.h"
#include "index.h"
#include "index_cuda.h"
#include "index_util.h"

namespace ember {
namespace {

struct Plan {
  std::vector<int64_t> dims;  // indexed dims of self, increasing
  std::vector<Array> idx;     // one int index array per indexed dim
  Shape bshape;               // broadcast shape of the index arrays
  Shape out_shape;
  std::vector<int64_t> src;   // per out dim: the self dim it comes from, or -1 for a B dim
  int64_t b_at = 0;           // first out dim of B
  Array offsets;              // int64, contiguous, shape B: element offsets into self
};

Plan make_plan(const Array& self, const std::vector<std::optional<Array>>& indices, const char* op) {
  Plan pl;
  const int64_t nd = self.ndim();
  int64_t d = 0;
  for (size_t k = 0; k < indices.size(); ++k) {
    if (!indices[k]) {
      ++d;
      continue;
    }
    const Array& ix = *indices[k];
    idx::check_same_device(self, ix, op);
    if (ix.dtype() == DType::Bool || ix.dtype() == DType::UInt8) {
      const int64_t m = ix.ndim();
      EMBER_CHECK(m > 0, Index, "[", op, "] a 0-d bool index must be handled by the caller");
      EMBER_CHECK(d + m <= nd, Index, "[", op, "] too many indices for tensor of dimension ", nd);
      for (int64_t j = 0; j < m; ++j)
        EMBER_CHECK(ix.shape()[j] == self.shape()[d + j], Index, "[", op, "] the shape of the mask ",
                    shape_str(ix.shape()), " at index ", k, " does not match the shape of the indexed tensor ",
                    shape_str(self.shape()), " at dim ", d + j);
      Array nz = nonzero(ix);
      for (int64_t j = 0; j < m; ++j) {
        pl.dims.push_back(d + j);
        pl.idx.push_back(nz.select(1, j));
      }
      d += m;
      continue;
    }
    EMBER_CHECK(ix.dtype() == DType::Int64 || ix.dtype() == DType::Int32, Index, "[", op,
                "] tensors used as indices must be int64, int32 or bool tensors, got ", dtype_name(ix.dtype()));
    EMBER_CHECK(d < nd, Index, "[", op, "] too many indices for tensor of dimension ", nd);
    pl.dims.push_back(d);
    pl.idx.push_back(ix);
    ++d;
  }
  EMBER_CHECK(d <= nd, Index, "[", op, "] too many indices for tensor of dimension ", nd);
  EMBER_CHECK(!pl.dims.empty(), Index, "[", op, "] expected at least one index tensor");
  // Broadcast the index shapes (IndexError, as NumPy and torch raise).
  Shape b = pl.idx[0].shape();
  for (size_t k = 1; k < pl.idx.size(); ++k) {
    const Shape& s = pl.idx[k].shape();
    size_t n = std::max(b.size(), s.size());
    Shape o(n);
    for (size_t i = 0; i < n; ++i) {
      int64_t x = i < n - b.size() ? 1 : b[i - (n - b.size())];
      int64_t y = i < n - s.size() ? 1 : s[i - (n - s.size())];
      if (x != y && x != 1 && y != 1) {
        std::string all;
        for (auto& a : pl.idx) all += (all.empty() ? "" : ", ") + shape_str(a.shape());
        EMBER_FAIL(Index, "[", op, "] shape mismatch: indexing tensors could not be broadcast together with shapes ", all);
      }
      o[i] = x == 1 ? y : x;
    }
    b = o;
  }
  pl.bshape = b;
  for (size_t k = 0; k < pl.idx.size(); ++k)
    idx::check_range(pl.idx[k], self.shape()[pl.dims[k]], true, op, pl.dims[k]);

  const bool adjacent = pl.dims.back() - pl.dims.front() + 1 == static_cast<int64_t>(pl.dims.size());
  auto push_self = [&](int64_t sd) { pl.out_shape.push_back(self.shape()[sd]); pl.src.push_back(sd); };
  auto push_b = [&] {
    pl.b_at = static_cast<int64_t>(pl.out_shape.size());
    for (int64_t s : b) { pl.out_shape.push_back(s); pl.src.push_back(-1); }
  };
  std::vector<bool> indexed(nd, false);
  for (int64_t x : pl.dims) indexed[x] = true;
  if (!adjacent) push_b();
  for (int64_t sd = 0; sd < nd; ++sd) {
    if (adjacent && sd == pl.dims.front()) push_b();
    if (!indexed[sd]) push_self(sd);
  }
  EMBER_CHECK(pl.out_shape.size() <= static_cast<size_t>(kMaxDims), Value, "[", op, "] the result would have ",
              pl.out_shape.size(), " dims; at most ", kMaxDims, " are supported");

  // offsets[b] = sum_k wrap(idx_k[b]) * stride(dims[k])
  pl.offsets = Array::zeros(b, DType::Int64, self.device());
  if (pl.offsets.numel() == 0) return pl;
  if (self.device().is_cuda()) {  // the kernel also range-checks (index_cuda.h)
    for (size_t k = 0; k < pl.idx.size(); ++k)
      cuda_kernels::index_add_offsets(op)(pl.offsets, idx::cuda_index64(pl.idx[k]), self.shape()[pl.dims[k]],
                                          self.strides()[pl.dims[k]], pl.dims[k], op);
    return pl;
  }
  int64_t so[kMaxDims], si[kMaxDims];
  broadcast_byte_strides(pl.offsets, b, so);
  for (size_t k = 0; k < pl.idx.size(); ++k) {
    const Array& ix = pl.idx[k];
    broadcast_byte_strides(ix, b, si);
    const int64_t size = self.shape()[pl.dims[k]], stride = self.strides()[pl.dims[k]];
    StridedLoop<2> loop(b, {static_cast<char*>(pl.offsets.data_ptr()), static_cast<char*>(ix.data_ptr())}, {so, si});
    idx::dispatch_index(ix.dtype(), [&](auto it) {
      using I = decltype(it);
      loop.run([&](char* const* p, const int64_t* s, int64_t n) {
        for (int64_t i = 0; i < n; ++i) {
          int64_t v = *reinterpret_cast<const I*>(p[1] + i * s[1]);
          if (v < 0) v += size;
          *reinterpret_cast<int64_t*>(p[0] + i * s[0]) += v * stride;
        }
      });
    });
  }
  return pl;
}

// Byte strides over the result shape: self's (0 on B dims) and the offsets' (0 elsewhere).
void plan_strides(const Plan& pl, const Array& self, int64_t* s_self, int64_t* s_off) {
  const int64_t nb = static_cast<int64_t>(pl.bshape.size());
  Shape bst = contiguous_strides(pl.bshape);
  for (size_t d = 0; d < pl.out_shape.size(); ++d) {
    if (pl.src[d] >= 0) {
      s_self[d] = self.strides()[pl.src[d]] * self.itemsize();
      s_off[d] = 0;
    } else {
      int64_t j = static_cast<int64_t>(d) - pl.b_at;
      s_self[d] = 0;
      s_off[d] = (j < nb && pl.bshape[j] != 1) ? bst[j] * 8 : 0;
    }
  }
}

// CUDA: views with the result shape over self (0 strides on B's dims) and over the
// offsets (0 strides elsewhere), in elements.
std::pair<Array, Array> plan_views(const Plan& pl, const Array& self) {
  int64_t ss[kMaxDims], sf[kMaxDims];
  plan_strides(pl, self, ss, sf);
  const size_t n = pl.out_shape.size();
  Shape s_self(n), s_off(n);
  for (size_t d = 0; d < n; ++d) {
    s_self[d] = ss[d] / self.itemsize();
    s_off[d] = sf[d] / 8;
  }
  return {Array(self.storage(), pl.out_shape, s_self, self.offset(), self.dtype()),
          Array(pl.offsets.storage(), pl.out_shape, s_off, pl.offsets.offset(), DType::Int64)};
}

// torch's _index_put_impl_ checks (an expanded self is only deprecated there).
void check_put_overlap(const Array& self, const std::vector<std::optional<Array>>& indices, const Array& values,
                       bool accumulate) {
  const Array* mask = nullptr;
  int n_index = 0;
  for (const auto& ix : indices)
    if (ix) {
      ++n_index;
      if (ix->dtype() == DType::Bool || ix->dtype() == DType::UInt8) mask = &*ix;
    }
  if (!accumulate && n_index == 1 && mask && values.numel() == 1) {
    assert_no_partial_overlap(self, *mask, "index_put_");
    return;
  }
  assert_no_overlap(self, values, "index_put_");
  for (const auto& ix : indices)
    if (ix) assert_no_overlap(self, *ix, "index_put_");
}

}  // namespace

Array index(const Array& self, const std::vector<std::optional<Array>>& indices) {
  Plan pl = make_plan(self, indices, "index");
  Array out = Array::empty(pl.out_shape, self.dtype(), self.device());
  if (out.numel() == 0) return out;
  if (out.device().is_cuda()) {
    auto views = plan_views(pl, self);
    cuda_kernels::index_advanced_get("index")(out, views.first, views.second);
    return out;
  }
  int64_t so[kMaxDims], ss[kMaxDims], sf[kMaxDims];
  broadcast_byte_strides(out, pl.out_shape, so);
  plan_strides(pl, self, ss, sf);
  StridedLoop<3> loop(pl.out_shape, {static_cast<char*>(out.data_ptr()), static_cast<char*>(self.data_ptr()),
                                     static_cast<char*>(pl.offsets.data_ptr())}, {so, ss, sf});
  const int64_t isz = self.itemsize();
  idx::dispatch_bytes(isz, [&](auto t) {
    using T = decltype(t);
    loop.run([&](char* const* p, const int64_t* s, int64_t n) {
      for (int64_t i = 0; i < n; ++i)
        *reinterpret_cast<T*>(p[0] + i * s[0]) =
            *reinterpret_cast<const T*>(p[1] + i * s[1] + *reinterpret_cast<const int64_t*>(p[2] + i * s[2]) * isz);
    });
  });
  return out;
}

void index_put_(const Array& self, const std::vector<std::optional<Array>>& indices, const Array& values_in,
                bool accumulate) {
  idx::check_same_device(self, values_in, "index_put_");
  check_put_overlap(self, indices, values_in, accumulate);
  Plan pl = make_plan(self, indices, "index_put_");
  Array values = values_in.to(self.dtype());
  if (needs_temporary(self, values)) values = values.clone();  // read every value before any write
  while (values.ndim() > static_cast<int64_t>(pl.out_shape.size()) && values.shape()[0] == 1) values = values.squeeze(0);
  bool ok = values.ndim() <= static_cast<int64_t>(pl.out_shape.size());
  for (int64_t i = 0; ok && i < values.ndim(); ++i) {
    int64_t v = values.shape()[values.ndim() - 1 - i], o = pl.out_shape[pl.out_shape.size() - 1 - i];
    ok = v == o || v == 1;
  }
  EMBER_CHECK(ok, Value, "[index_put_] shape mismatch: value tensor of shape ", shape_str(values_in.shape()),
              " cannot be broadcast to indexing result of shape ", shape_str(pl.out_shape));
  self.bump_version();
  if (shape_numel(pl.out_shape) == 0) return;
  if (self.device().is_cuda()) {
    auto views = plan_views(pl, self);
    const int64_t no = static_cast<int64_t>(pl.out_shape.size());
    Shape vst(no, 0);  // values broadcast to the result shape, in elements
    for (int64_t d = 0; d < no; ++d) {
      const int64_t j = d - (no - values.ndim());
      vst[d] = (j < 0 || values.shape()[j] == 1) ? 0 : values.strides()[j];
    }
    const Array vview(values.storage(), pl.out_shape, vst, values.offset(), values.dtype());
    cuda_kernels::index_advanced_put("index_put_")(views.first, views.second, vview, accumulate);
    return;
  }
  int64_t ss[kMaxDims], sf[kMaxDims], sv[kMaxDims];
  plan_strides(pl, self, ss, sf);
  broadcast_byte_strides(values, pl.out_shape, sv);
  // Operand 0 orders the walk: the values (their memory order), not self.
  StridedLoop<3> loop(pl.out_shape, {static_cast<char*>(values.data_ptr()), static_cast<char*>(self.data_ptr()),
                                     static_cast<char*>(pl.offsets.data_ptr())}, {sv, ss, sf});
  const int64_t isz = self.itemsize();
  if (!accumulate) {
    idx::dispatch_bytes(isz, [&](auto t) {
      using T = decltype(t);
      loop.run([&](char* const* p, const int64_t* s, int64_t n) {
        for (int64_t i = 0; i < n; ++i)
          *reinterpret_cast<T*>(p[1] + i * s[1] + *reinterpret_cast<const int64_t*>(p[2] + i * s[2]) * isz) =
              *reinterpret_cast<const T*>(p[0] + i * s[0]);
      });
    });
    return;
  }
  EMBER_DISPATCH_ALL(self.dtype(), "index_put_", [&] {
    using T = scalar_t;
    using C = compute_t<T>;
    loop.run_range([&](char* const* p, const int64_t* s, int64_t n) {
      for (int64_t i = 0; i < n; ++i) {
        T* dst = reinterpret_cast<T*>(p[1] + i * s[1] + *reinterpret_cast<const int64_t*>(p[2] + i * s[2]) * isz);
        C v = Cvt<T>::template load<C>(*dst) + Cvt<T>::template load<C>(*reinterpret_cast<const T*>(p[0] + i * s[0]));
        *dst = Cvt<T>::template store<C>(v);
      }
    }, 0, loop.numel());
  });
}

}  // namespace ember
