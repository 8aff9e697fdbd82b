// cuda_kernel_table_cuda.cu — _C_cuda's kernel table: EMBER_CUDA_REGISTER adds
// entries during static initialisation; _C reads them once through the exported
// ember_cuda_kernel_table (cuda_kernel_abi.h). Host code only.
#include <cstring>
#include <string>
#include <vector>

#include "cuda_kernel_abi.h"
#include "error.h"

namespace ember {
namespace cuda {
namespace {

std::vector<KernelEntry>& table() {
  static std::vector<KernelEntry>* t = new std::vector<KernelEntry>();  // outlives every static
  return *t;
}

}  // namespace

KernelRegistrar::KernelRegistrar(const char* name, KernelPtr fn) { table().push_back({name, fn}); }

// Kernels calling kernels of other families inside _C_cuda go through the same table.
KernelPtr find_kernel(const char* name, const char* op) {
  for (const KernelEntry& e : table())
    if (std::strcmp(e.name, name) == 0) return e.fn;
  EMBER_FAIL(NotImplemented, "[", op, "] has no CUDA kernel in this build (", name, ")");
}

}  // namespace cuda
}  // namespace ember

extern "C" __attribute__((visibility("default"))) const ember::cuda::KernelEntry* ember_cuda_kernel_table(
    size_t* count, const char** build_tag) {
  static const std::string tag = ember::cuda::build_tag();
  auto& t = ember::cuda::table();
  *count = t.size();
  *build_tag = tag.c_str();
  return t.data();
}
