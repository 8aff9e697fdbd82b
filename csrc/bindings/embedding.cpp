// embedding.cpp — bindings of embedding_bag (csrc/ops/embedding).
#include "bindings.h"

namespace ember {

void bind_embedding(py::module_& m) {
  (void)m;
}

}  // namespace ember
