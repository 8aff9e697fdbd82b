// elementwise_nocuda.cpp — cuda_ops entry points when ember is built without CUDA
// (excluded from CUDA builds): every call raises "[op] ember was built without CUDA".
#include "elementwise_cuda.h"

namespace ember {
namespace cuda_ops {

void unary(const char* op, const Array&, const Array&) {
  EMBER_FAIL(Runtime, "[", op, "] ember was built without CUDA");
}
void binary(const char* op, const Array&, const Array&, const Array&) {
  EMBER_FAIL(Runtime, "[", op, "] ember was built without CUDA");
}

}  // namespace cuda_ops
}  // namespace ember
