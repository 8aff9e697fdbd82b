// dlpack.cpp — bindings of the dlpack op family.
#include "bindings.h"

namespace ember {
void bind_dlpack(py::module_& m) { (void)m; }
}  // namespace ember
