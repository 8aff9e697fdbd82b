// shape.cpp — bindings of the shape op family.
#include "bindings.h"

namespace ember {
void bind_shape(py::module_& m) { (void)m; }
}  // namespace ember
