// one_hot.cpp — one_hot(labels, num_classes): int64 output of shape
// labels.shape + (num_classes,), one 1 per row. Labels are checked (and the class
// count inferred as max + 1 when num_classes is -1) in a first pass; the rows are
// then written in parallel into a zeroed contiguous output.
#include <algorithm>

#include "index.h"
#include "index_cuda.h"
#include "index_util.h"

namespace ember {

Array one_hot(const Array& self, int64_t num_classes) {
  EMBER_CHECK(self.dtype() == DType::Int64 || self.dtype() == DType::Int32, Type,
              "[one_hot] expected an int64 (or int32) tensor of class indices, got ", dtype_name(self.dtype()));
  if (self.device().is_cuda()) return cuda_kernels::index_one_hot("one_hot")(idx::cuda_index64(self), num_classes);
  Array lab = self.contiguous();
  const int64_t n = lab.numel();
  EMBER_CHECK(num_classes >= -1, Value, "[one_hot] num_classes must be -1 or non-negative, got ", num_classes);
  int64_t lo = 0, hi = -1;
  idx::dispatch_index(lab.dtype(), [&](auto it) {
    using I = decltype(it);
    const I* p = lab.data<I>();
    if (n > 0) {
      lo = hi = p[0];
      for (int64_t i = 1; i < n; ++i) {
        lo = std::min<int64_t>(lo, p[i]);
        hi = std::max<int64_t>(hi, p[i]);
      }
    }
  });
  if (num_classes == -1) {
    EMBER_CHECK(n > 0, Value, "[one_hot] cannot infer the number of classes from an empty tensor");
    num_classes = hi + 1;
  }
  EMBER_CHECK(n == 0 || lo >= 0, Value, "[one_hot] class values must be non-negative, got ", lo);
  EMBER_CHECK(n == 0 || hi < num_classes, Value, "[one_hot] class values must be smaller than num_classes ",
              num_classes, ", got ", hi);
  Shape shape = self.shape();
  shape.push_back(num_classes);
  Array out = Array::zeros(shape, DType::Int64, self.device(), "one_hot");
  int64_t* po = out.data<int64_t>();
  idx::dispatch_index(lab.dtype(), [&](auto it) {
    using I = decltype(it);
    const I* p = lab.data<I>();
    parallel_for(0, n, 65536, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) po[i * num_classes + p[i]] = 1;
    });
  });
  return out;
}

}  // namespace ember
