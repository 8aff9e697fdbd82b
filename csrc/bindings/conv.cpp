// conv.cpp — bindings of convolutions (csrc/ops/conv).
#include "bindings.h"

namespace ember {

void bind_conv(py::module_& m) {
  (void)m;
}

}  // namespace ember
