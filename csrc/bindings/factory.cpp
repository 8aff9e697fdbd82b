// factory.cpp — bindings of the factory op family.
#include "bindings.h"

namespace ember {
void bind_factory(py::module_& m) { (void)m; }
}  // namespace ember
