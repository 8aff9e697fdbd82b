// cuda_api.h — the host-side CUDA services the core needs: devices, memory,
// copies, streams. Implemented in cuda_api_cuda.cu when ember is built with CUDA,
// else by cuda_api_nocuda.cpp, whose functions raise "[op] ember was built
// without CUDA" (device_count() returns 0 there).
#pragma once
#include <cstddef>
#include <string>

namespace ember {
namespace cuda {

bool compiled();
// Number of usable devices; 0 when there is no driver or GPU (reason in *why).
int device_count(std::string* why = nullptr);
std::string device_name(int dev);
void check_device(int dev, const char* op);  // throws when dev is not usable

void* alloc(size_t nbytes, int dev);
void free(void* p, size_t nbytes, int dev);
void empty_cache();
size_t allocated_bytes(int dev);
size_t cached_bytes(int dev);

// Copies on the current (default) stream; the *_sync forms wait for completion.
void copy_h2d(void* dst, const void* src, size_t nbytes, int dev);
void copy_d2h(void* dst, const void* src, size_t nbytes, int dev);
void copy_d2d(void* dst, const void* src, size_t nbytes, int dev);
void memset_zero(void* dst, size_t nbytes, int dev);
void synchronize(int dev);
void set_device(int dev);
int current_device();

}  // namespace cuda
}  // namespace ember
