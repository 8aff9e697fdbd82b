// sort.cpp — bindings of the sort op family.
#include "bindings.h"

namespace ember {
void bind_sort(py::module_& m) { (void)m; }
}  // namespace ember
