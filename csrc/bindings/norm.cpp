// norm.cpp — bindings of fused normalisations (csrc/ops/norm).
#include "bindings.h"

namespace ember {

void bind_norm(py::module_& m) {
  (void)m;
}

}  // namespace ember
