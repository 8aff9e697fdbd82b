// elementwise.cpp — bindings of the elementwise op family.
#include "bindings.h"

namespace ember {
void bind_elementwise(py::module_& m) { (void)m; }
}  // namespace ember
