// reduce.cpp — bindings of the reduce op family.
#include "bindings.h"

namespace ember {
void bind_reduce(py::module_& m) { (void)m; }
}  // namespace ember
