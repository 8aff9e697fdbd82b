// flip_roll.cpp — flip and roll. flip copies from a view of self with the
// flipped dims' strides negated (base moved to their last element), so it is
// one parallel strided copy. roll copies the two halves of each rolled dim into
// their swapped places, one dim after the other.
#include <vector>

#include "shape.h"

namespace ember {

Array flip(const Array& self, const std::vector<int64_t>& dims) {
  std::vector<bool> seen(std::max<int64_t>(self.ndim(), 1), false);
  Shape st = self.strides();
  int64_t off = self.offset();
  for (int64_t d0 : dims) {
    int64_t d = wrap_dim(d0, self.ndim(), "flip");
    EMBER_CHECK(!seen[d], Value, "[flip] dim ", d, " appears multiple times in the list of dims");
    seen[d] = true;
    if (self.ndim() == 0 || self.shape()[d] == 0) continue;
    off += (self.shape()[d] - 1) * st[d];
    st[d] = -st[d];
  }
  Array out = Array::empty(self.shape(), self.dtype(), self.device());
  if (out.numel() == 0) return out;
  // An internal view with negative strides: only ever read by copy_.
  out.copy_(Array(self.storage(), self.shape(), st, off, self.dtype()));
  return out;
}

namespace {
Array roll_dim(const Array& x, int64_t shift, int64_t d) {
  const int64_t n = x.shape()[d];
  Array out = Array::empty(x.shape(), x.dtype(), x.device());
  if (out.numel() == 0) return out;
  int64_t s = shift % n;
  if (s < 0) s += n;
  if (s == 0) {
    out.copy_(x);
    return out;
  }
  out.narrow(d, s, n - s).copy_(x.narrow(d, 0, n - s));
  out.narrow(d, 0, s).copy_(x.narrow(d, n - s, s));
  return out;
}
}  // namespace

Array roll(const Array& self, const std::vector<int64_t>& shifts, const std::vector<int64_t>& dims) {
  if (dims.empty()) {
    EMBER_CHECK(shifts.size() == 1, Value, "[roll] without dims, shifts must hold one value, got ", shifts.size());
    return roll_dim(self.reshape({-1}), shifts[0], 0).view(self.shape());
  }
  EMBER_CHECK(shifts.size() == dims.size(), Value, "[roll] shifts and dims must align: got ", shifts.size(),
              " shifts and ", dims.size(), " dims");
  Array x = self;
  for (size_t i = 0; i < dims.size(); ++i) {
    EMBER_CHECK(self.ndim() > 0, Index, "[roll] dimension specified as ", dims[i], " but tensor has no dimensions");
    int64_t d = wrap_dim(dims[i], self.ndim(), "roll");
    x = roll_dim(x, shifts[i], d);
  }
  return x;
}

}  // namespace ember
