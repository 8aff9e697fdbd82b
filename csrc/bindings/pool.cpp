// pool.cpp — bindings of pooling, interpolation, pixel shuffle and padding (csrc/ops/pool).
#include "bindings.h"

namespace ember {

void bind_pool(py::module_& m) {
  (void)m;
}

}  // namespace ember
