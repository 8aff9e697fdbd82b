// cuda_api_nocuda.cpp — the CUDA services when ember is built without CUDA:
// no devices, and every entry point that needs one raises a clear error.
#include "array.h"
#include "cuda_api.h"
#include "error.h"

namespace ember {
namespace cuda {

[[noreturn]] static void no_cuda(const char* op) {
  EMBER_FAIL(Runtime, "[", op, "] ember was built without CUDA");
}

bool compiled() { return false; }
int device_count(std::string* why) {
  if (why) *why = "ember was built without CUDA";
  return 0;
}
std::string device_name(int) { no_cuda("cuda.get_device_name"); }
void check_device(int, const char* op) { no_cuda(op); }
void* alloc(size_t, int) { no_cuda("cuda alloc"); }
void free(void*, size_t, int) {}
void empty_cache() {}
size_t allocated_bytes(int) { return 0; }
size_t cached_bytes(int) { return 0; }
void copy_h2d(void*, const void*, size_t, int) { no_cuda("to(cuda)"); }
void copy_d2h(void*, const void*, size_t, int) { no_cuda("to(cpu)"); }
void copy_d2d(void*, const void*, size_t, int) { no_cuda("copy_"); }
void memset_zero(void*, size_t, int) { no_cuda("zero_"); }
void synchronize(int) { no_cuda("cuda.synchronize"); }
void set_device(int) { no_cuda("cuda.set_device"); }
int current_device() { no_cuda("cuda.current_device"); }

}  // namespace cuda

void copy_cuda(const Array&, const Array&) { cuda::check_device(0, "copy_"); }
void fill_cuda(const Array&, double) { cuda::check_device(0, "fill_"); }

}  // namespace ember
