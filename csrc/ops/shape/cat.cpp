// cat.cpp — cat and stack. The output is allocated once in the promoted dtype
// and each input is copied (converting, parallel inside copy_) into its slab,
// a narrow() view of the output along `dim`. On CUDA one kernel copies every
// input (shape_cuda.cu), after converting any of another dtype or layout.
#include "shape.h"
#include "shape_cuda.h"

namespace ember {

Array cat(const std::vector<Array>& arrays, int64_t dim) {
  EMBER_CHECK(!arrays.empty(), Value, "[cat] expected a non-empty list of tensors");
  // torch skips legacy 1-D empty tensors when the others have another shape.
  std::vector<const Array*> in;
  for (const Array& a : arrays)
    if (!(a.ndim() == 1 && a.shape()[0] == 0)) in.push_back(&a);
  DType dt = arrays[0].dtype();
  for (const Array& a : arrays) dt = promote_types(dt, a.dtype());
  const Device dev = arrays[0].device();
  for (size_t i = 0; i < arrays.size(); ++i)
    EMBER_CHECK(arrays[i].device() == dev, Runtime, "[cat] expected all tensors on the same device, got ",
                dev.str(), " and ", arrays[i].device().str(), " for tensor ", i);
  if (in.empty()) return Array::empty({0}, dt, dev);
  const Array& ref = *in[0];
  EMBER_CHECK(ref.ndim() > 0, Value, "[cat] zero-dimensional tensor (at position 0) cannot be concatenated");
  dim = wrap_dim(dim, ref.ndim(), "cat");
  Shape shape = ref.shape();
  int64_t total = 0;
  for (size_t i = 0; i < in.size(); ++i) {
    const Array& a = *in[i];
    EMBER_CHECK(a.ndim() == ref.ndim(), Value, "[cat] tensors must have the same number of dims: got shapes ",
                shape_str(ref.shape()), " and ", shape_str(a.shape()));
    for (int64_t d = 0; d < ref.ndim(); ++d)
      EMBER_CHECK(d == dim || a.shape()[d] == ref.shape()[d], Value, "[cat] sizes of tensors must match except in dim ",
                  dim, ": expected size ", ref.shape()[d], " but got size ", a.shape()[d], " in dim ", d,
                  " (shapes ", shape_str(ref.shape()), " and ", shape_str(a.shape()), ")");
    total = checked_add(total, a.shape()[dim], "cat");
  }
  shape[dim] = total;
  Array out = Array::empty(shape, dt, dev, "cat");
  if (dev.is_cuda()) {
    // One kernel for every input (contiguous, of out's dtype; others are converted first).
    std::vector<Array> conv;
    conv.reserve(in.size());
    for (const Array* a : in) conv.push_back(a->to(dt).contiguous());
    cuda_kernels::shape_cat("cat")(out, conv, dim);
    return out;
  }
  int64_t off = 0;
  for (const Array* a : in) {
    const int64_t n = a->shape()[dim];
    if (n > 0) out.narrow(dim, off, n).copy_(*a);
    off += n;
  }
  return out;
}

Array stack(const std::vector<Array>& arrays, int64_t dim) {
  EMBER_CHECK(!arrays.empty(), Value, "[stack] expected a non-empty list of tensors");
  for (size_t i = 1; i < arrays.size(); ++i)
    EMBER_CHECK(arrays[i].shape() == arrays[0].shape(), Value, "[stack] expects each tensor to be equal size, but got ",
                shape_str(arrays[0].shape()), " at entry 0 and ", shape_str(arrays[i].shape()), " at entry ", i);
  dim = wrap_dim(dim, arrays[0].ndim() + 1, "stack");
  std::vector<Array> u;
  u.reserve(arrays.size());
  for (const Array& a : arrays) u.push_back(a.unsqueeze(dim));
  return cat(u, dim);
}

}  // namespace ember
