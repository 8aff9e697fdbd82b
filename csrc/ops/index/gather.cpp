// gather.cpp — gather, index_select and take: out[i] = self[i with `dim`
// replaced by index[i]].
// Algorithm: one StridedLoop over the output with three operands (out, self with
// a 0 stride along `dim`, index shaped like out); each element offsets self's
// pointer by index * dim_stride. index_select passes a 1-D index viewed with 0
// strides off `dim`, so a run along the inner dims is one strided row copy.
// Elements move as raw bytes: one instantiation per itemsize serves every dtype.
// Indices are range-checked before the kernel runs (on CUDA by the kernel itself,
// see index_cuda.h; index_gather_cuda.cu holds the CUDA twin).
#include <cstring>

#include "index.h"
#include "index_cuda.h"
#include "index_util.h"

namespace ember {
namespace {

// index has out's shape (0 strides where it repeats); all indices valid.
void gather_kernel(const Array& out, const Array& self, int64_t dim, const Array& index) {
  if (out.numel() == 0) return;
  const Shape& shape = out.shape();
  int64_t so[kMaxDims], ss[kMaxDims], si[kMaxDims];
  broadcast_byte_strides(out, shape, so);
  idx::strides_with_zero(self, shape, dim, ss);
  broadcast_byte_strides(index, shape, si);
  const int64_t dim_stride = self.strides()[dim] * self.itemsize();
  const int64_t size = self.shape()[dim];
  StridedLoop<3> loop(shape, {static_cast<char*>(out.data_ptr()), static_cast<char*>(self.data_ptr()),
                              static_cast<char*>(index.data_ptr())}, {so, ss, si});
  idx::dispatch_bytes(self.itemsize(), [&](auto t) {
    using T = decltype(t);
    idx::dispatch_index(index.dtype(), [&](auto it) {
      using I = decltype(it);
      loop.run([&](char* const* p, const int64_t* s, int64_t n) {
        if (s[2] == 0) {  // one index for the whole run: a row copy
          int64_t ix = *reinterpret_cast<const I*>(p[2]);
          if (ix < 0) ix += size;
          const char* src = p[1] + ix * dim_stride;
          if (s[0] == sizeof(T) && s[1] == sizeof(T)) {
            std::memcpy(p[0], src, n * sizeof(T));
            return;
          }
          for (int64_t i = 0; i < n; ++i)
            *reinterpret_cast<T*>(p[0] + i * s[0]) = *reinterpret_cast<const T*>(src + i * s[1]);
          return;
        }
        for (int64_t i = 0; i < n; ++i) {
          int64_t ix = *reinterpret_cast<const I*>(p[2] + i * s[2]);
          if (ix < 0) ix += size;
          *reinterpret_cast<T*>(p[0] + i * s[0]) =
              *reinterpret_cast<const T*>(p[1] + i * s[1] + ix * dim_stride);
        }
      });
    });
  });
}

}  // namespace

Array gather(const Array& self_in, int64_t dim, const Array& index_in) {
  idx::check_same_device(self_in, index_in, "gather");
  idx::check_index_dtype(index_in, "gather");
  const bool scalar = self_in.ndim() == 0;
  Array self = scalar ? self_in.reshape({1}) : self_in;
  Array index = index_in.ndim() == 0 ? index_in.reshape({1}) : index_in;
  dim = wrap_dim(dim, self.ndim(), "gather");
  EMBER_CHECK(index.ndim() == self.ndim(), Value, "[gather] index must have as many dims as input: got index of shape ",
              shape_str(index_in.shape()), " and input of shape ", shape_str(self_in.shape()));
  for (int64_t d = 0; d < self.ndim(); ++d)
    EMBER_CHECK(d == dim || index.shape()[d] <= self.shape()[d], Value, "[gather] index of shape ",
                shape_str(index.shape()), " is larger than input of shape ", shape_str(self.shape()), " in dim ", d);
  if (index.numel() > 0) idx::check_range(index, self.shape()[dim], false, "gather", dim);
  Array out = Array::empty(index.shape(), self.dtype(), self.device());
  if (out.device().is_cuda())
    cuda_kernels::index_gather("gather")(out, self, dim, idx::cuda_index64(index), false, "gather");
  else gather_kernel(out, self, dim, index);
  return index_in.ndim() == 0 ? out.reshape({}) : out;
}

Array index_select(const Array& self_in, int64_t dim, const Array& index_in) {
  idx::check_same_device(self_in, index_in, "index_select");
  idx::check_index_dtype(index_in, "index_select");
  EMBER_CHECK(index_in.ndim() <= 1, Index, "[index_select] index must be 0-d or 1-D, got shape ",
              shape_str(index_in.shape()));
  Array self = self_in.ndim() == 0 ? self_in.reshape({1}) : self_in;
  Array index = idx::cuda_index64(index_in.reshape({-1}));
  dim = wrap_dim(dim, self.ndim(), "index_select");
  idx::check_range(index, self.shape()[dim], false, "index_select", dim);
  Shape shape = self.shape();
  shape[dim] = index.numel();
  Array out = Array::empty(shape, self.dtype(), self.device());
  Shape ist(shape.size(), 0);
  ist[dim] = index.strides()[0];
  const Array iview(index.storage(), shape, ist, index.offset(), index.dtype());
  if (out.device().is_cuda()) cuda_kernels::index_gather("index_select")(out, self, dim, iview, false, "index_select");
  else gather_kernel(out, self, dim, iview);
  return (self_in.ndim() == 0 && index_in.ndim() == 0) ? out.reshape({}) : out;
}

Array take(const Array& self, const Array& index) {
  idx::check_same_device(self, index, "take");
  idx::check_index_dtype(index, "take");
  Array flat = self.reshape({-1});
  Array ix = idx::cuda_index64(index.reshape({-1}));
  idx::check_range(ix, flat.numel(), true, "take", -1);
  Array out = Array::empty({ix.numel()}, self.dtype(), self.device());
  if (out.device().is_cuda()) cuda_kernels::index_gather("take")(out, flat, 0, ix, true, "take");
  else gather_kernel(out, flat, 0, ix);
  return out.view(index.shape());
}

}  // namespace ember
