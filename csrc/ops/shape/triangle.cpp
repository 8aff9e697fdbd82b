// triangle.cpp — tril and triu over the last two dims (batched). The input is
// copied into a contiguous output (parallel strided copy), then each row's
// dropped part is zeroed; zero bits are 0 in every dtype, so memset serves all.
// On CUDA one kernel copies and masks at once (shape_cuda.cu).
#include <algorithm>
#include <cstring>

#include "core/parallel.h"
#include "shape.h"
#include "shape_cuda.h"

namespace ember {
namespace {
Array triangle(const Array& self, int64_t k, bool lower, const char* op) {
  EMBER_CHECK(self.ndim() >= 2, Value, "[", op, "] input must have at least 2 dims, got shape ", shape_str(self.shape()));
  Array out = Array::empty(self.shape(), self.dtype(), self.device(), op);
  if (out.numel() == 0) return out;
  if (out.device().is_cuda()) {  // one fused copy-and-mask kernel
    cuda_kernels::shape_triangle(op)(out, self, k, lower);
    return out;
  }
  out.copy_(self);
  const int64_t R = self.shape()[self.ndim() - 2], C = self.shape()[self.ndim() - 1];
  const int64_t rows = out.numel() / C, isz = out.itemsize();
  char* base = static_cast<char*>(out.data_ptr());
  parallel_for(0, rows, std::max<int64_t>(1, 65536 / std::max<int64_t>(C, 1)), [&](int64_t b, int64_t e) {
    for (int64_t row = b; row < e; ++row) {
      const int64_t i = row % R;
      char* p = base + row * C * isz;
      // lower keeps j <= i + k; upper keeps j >= i + k.
      int64_t lo, hi;
      // Saturating: a diagonal near +-2^63 keeps or drops everything, never wraps.
      const int64_t ik = saturating_add(i, k);
      if (lower) { lo = std::clamp<int64_t>(saturating_add(ik, 1), 0, C); hi = C; }
      else { lo = 0; hi = std::clamp<int64_t>(ik, 0, C); }
      if (hi > lo) std::memset(p + lo * isz, 0, (hi - lo) * isz);
    }
  });
  return out;
}
}  // namespace

Array tril(const Array& self, int64_t diagonal) { return triangle(self, diagonal, true, "tril"); }
Array triu(const Array& self, int64_t diagonal) { return triangle(self, diagonal, false, "triu"); }

}  // namespace ember
