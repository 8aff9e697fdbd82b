// random_nocuda.cpp — the CUDA entry points of the random ops when ember is
// built without CUDA: each raises "[op] ember was built without CUDA".
#include "core/cuda_api.h"
#include "random_backend.h"

namespace ember {
namespace rng {

void fill_cuda(const Array&, Dist, const DistParams&, uint64_t, uint64_t) { cuda::check_device(0, "random"); }
void bernoulli_tensor_cuda(const Array&, const Array&, uint64_t, uint64_t) { cuda::check_device(0, "bernoulli"); }
bool probs_in_unit_interval_cuda(const Array&) {
  cuda::check_device(0, "bernoulli");
  return false;
}

}  // namespace rng
}  // namespace ember
