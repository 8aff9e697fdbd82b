// repeat.cpp — repeat (tile the whole array) and repeat_interleave (repeat each
// element). repeat copies a broadcast view: self seen as (1, s0, 1, s1, ...)
// expanded to (r0, s0, r1, s1, ...) is copied into the output viewed the same
// way, so the work is one parallel strided copy. repeat_interleave builds the
// gather index (element i repeated repeats[i] times) and calls index_select.
#include <algorithm>

#include "ops/index/index.h"
#include "shape.h"

namespace ember {

Array repeat(const Array& self, const Shape& repeats) {
  const int64_t n = static_cast<int64_t>(repeats.size()), nd = self.ndim();
  EMBER_CHECK(n >= nd, Value, "[repeat] number of repeat dims (", n,
              ") can not be smaller than number of tensor dims (", nd, ")");
  for (int64_t r : repeats) EMBER_CHECK(r >= 0, Value, "[repeat] repeats can not be negative, got ", shape_str(repeats));
  EMBER_CHECK(2 * n <= kMaxDims, Value, "[repeat] at most ", kMaxDims / 2, " repeat dims are supported, got ", n);
  Shape out_shape(n), wide(2 * n), wide_st(2 * n);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t j = i - (n - nd);
    const int64_t s = j < 0 ? 1 : self.shape()[j];
    out_shape[i] = checked_mul(repeats[i], s, "repeat");
    wide[2 * i] = repeats[i];
    wide[2 * i + 1] = s;
    wide_st[2 * i] = 0;
    wide_st[2 * i + 1] = j < 0 ? 0 : self.strides()[j];
  }
  checked_numel(out_shape, "repeat");
  Array out = Array::empty(out_shape, self.dtype(), self.device(), "repeat");
  if (out.numel() == 0) return out;
  Array src(self.storage(), wide, wide_st, self.offset(), self.dtype());
  out.view(wide).copy_(src);
  return out;
}

Array repeat_interleave(const Array& self_in, const Array& repeats_in, std::optional<int64_t> dim_opt) {
  EMBER_CHECK(repeats_in.dtype() == DType::Int64 || repeats_in.dtype() == DType::Int32, Type,
              "[repeat_interleave] repeats must be an int64 or int32 tensor, got ", dtype_name(repeats_in.dtype()));
  EMBER_CHECK(repeats_in.ndim() <= 1, Value, "[repeat_interleave] repeats must be 0-d or 1-D, got shape ",
              shape_str(repeats_in.shape()));
  EMBER_CHECK(repeats_in.device().is_cpu() || repeats_in.device() == self_in.device(), Runtime,
              "[repeat_interleave] expected repeats on the CPU or on the input's device, got ",
              repeats_in.device().str(), " and ", self_in.device().str());
  Array self = dim_opt ? self_in : self_in.reshape({-1});
  if (self.ndim() == 0) self = self.reshape({1});
  const int64_t dim = wrap_dim(dim_opt.value_or(0), self.ndim(), "repeat_interleave");
  const int64_t n = self.shape()[dim];
  // The output size depends on the repeats: CUDA repeats are read on the host (one sync).
  Array rep = repeats_in.to(cpu_device()).to(DType::Int64).contiguous().reshape({-1});
  EMBER_CHECK(rep.numel() == 1 || rep.numel() == n, Value, "[repeat_interleave] repeats must have 1 or ", n,
              " elements (the size of dim ", dim, "), got ", rep.numel());
  const int64_t* r = rep.data<int64_t>();
  int64_t total = 0;
  for (int64_t i = 0; i < rep.numel(); ++i) {
    EMBER_CHECK(r[i] >= 0, Value, "[repeat_interleave] repeats can not be negative, got ", r[i]);
    total = checked_add(total, r[i], "repeat_interleave");
  }
  if (rep.numel() == 1) total = checked_mul(r[0], n, "repeat_interleave");
  Array index = Array::empty({total}, DType::Int64, Device{}, "repeat_interleave");
  int64_t* w = index.data<int64_t>();
  for (int64_t i = 0; i < n; ++i) {
    const int64_t k = rep.numel() == 1 ? r[0] : r[i];
    std::fill(w, w + k, i);
    w += k;
  }
  return index_select(self, dim, index.to(self.device()));
}

}  // namespace ember
