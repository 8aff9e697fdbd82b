// random.cpp — bindings of the random op family.
#include "bindings.h"

namespace ember {
void bind_random(py::module_& m) { (void)m; }
}  // namespace ember
