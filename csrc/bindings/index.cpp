// index.cpp — bindings of the index op family.
#include "bindings.h"

namespace ember {
void bind_index(py::module_& m) { (void)m; }
}  // namespace ember
