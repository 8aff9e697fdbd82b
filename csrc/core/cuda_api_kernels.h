// cuda_api_kernels.h — the CUDA services of cuda_api.h as entries of the kernel
// table (cuda_kernel.h): _C_cuda registers its implementations (cuda_api_cuda.cu,
// copy_cuda.cu) and _C's cuda_loader.cpp forwards cuda_api.h calls to them.
#pragma once
#include <cstddef>
#include <string>

#include "array.h"
#include "cuda_kernel.h"

EMBER_CUDA_KERNEL(cuda_device_count, int, (std::string * why));
EMBER_CUDA_KERNEL(cuda_device_name, std::string, (int dev));
EMBER_CUDA_KERNEL(cuda_check_device, void, (int dev, const char* op));
EMBER_CUDA_KERNEL(cuda_alloc, void*, (size_t nbytes, int dev));
EMBER_CUDA_KERNEL(cuda_free, void, (void* p, size_t nbytes, int dev));
EMBER_CUDA_KERNEL(cuda_empty_cache, void, ());
EMBER_CUDA_KERNEL(cuda_allocated_bytes, size_t, (int dev));
EMBER_CUDA_KERNEL(cuda_cached_bytes, size_t, (int dev));
EMBER_CUDA_KERNEL(cuda_copy_h2d, void, (void* dst, const void* src, size_t nbytes, int dev));
EMBER_CUDA_KERNEL(cuda_copy_d2h, void, (void* dst, const void* src, size_t nbytes, int dev));
EMBER_CUDA_KERNEL(cuda_copy_d2d, void, (void* dst, const void* src, size_t nbytes, int dev));
EMBER_CUDA_KERNEL(cuda_memset_zero, void, (void* dst, size_t nbytes, int dev));
EMBER_CUDA_KERNEL(cuda_synchronize, void, (int dev));
EMBER_CUDA_KERNEL(cuda_set_device, void, (int dev));
EMBER_CUDA_KERNEL(cuda_current_device, int, ());
// Same-device copy_ (any dtypes/strides) and fill_ (array.cpp's copy_cuda/fill_cuda).
EMBER_CUDA_KERNEL(cuda_copy, void, (const Array& dst, const Array& src));
EMBER_CUDA_KERNEL(cuda_fill, void, (const Array& dst, double value));
