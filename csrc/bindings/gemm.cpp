// gemm.cpp — bindings of the gemm op family.
#include "bindings.h"

namespace ember {
void bind_gemm(py::module_& m) { (void)m; }
}  // namespace ember
