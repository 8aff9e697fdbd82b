// cuda_api_kernels.h — the CUDA services of cuda_api.h as entries of the kernel
// table (cuda_kernel.h): _C_cuda registers its implementations (cuda_api_cuda.cu,
// copy_cuda.cu) and _C's cuda_loader.cpp forwards cuda_api.h calls to them.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

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
EMBER_CUDA_KERNEL(cuda_memory_stats, void, (int dev, std::vector<std::pair<std::string, int64_t>>* out));
EMBER_CUDA_KERNEL(cuda_reset_peak_memory_stats, void, (int dev));
EMBER_CUDA_KERNEL(cuda_reset_accumulated_memory_stats, void, (int dev));
EMBER_CUDA_KERNEL(cuda_record_stream, void, (void* p, uintptr_t stream, int dev));
EMBER_CUDA_KERNEL(cuda_host_alloc, void*, (size_t nbytes));
EMBER_CUDA_KERNEL(cuda_host_free, void, (void* p, size_t nbytes));
EMBER_CUDA_KERNEL(cuda_host_empty_cache, void, ());
EMBER_CUDA_KERNEL(cuda_copy_h2d, void, (void* dst, const void* src, size_t nbytes, int dev, bool non_blocking));
EMBER_CUDA_KERNEL(cuda_copy_d2h, void, (void* dst, const void* src, size_t nbytes, int dev));
EMBER_CUDA_KERNEL(cuda_copy_d2d, void, (void* dst, const void* src, size_t nbytes, int dev));
EMBER_CUDA_KERNEL(cuda_copy_peer, void, (void* dst, int dst_dev, const void* src, int src_dev, size_t nbytes));
EMBER_CUDA_KERNEL(cuda_memset_zero, void, (void* dst, size_t nbytes, int dev));
EMBER_CUDA_KERNEL(cuda_synchronize, void, (int dev));
EMBER_CUDA_KERNEL(cuda_set_device, void, (int dev));
EMBER_CUDA_KERNEL(cuda_current_device, int, ());
EMBER_CUDA_KERNEL(cuda_stream_create, uintptr_t, (int dev, int priority));
EMBER_CUDA_KERNEL(cuda_current_stream_handle, uintptr_t, (int dev));
EMBER_CUDA_KERNEL(cuda_set_current_stream, void, (uintptr_t stream, int dev));
EMBER_CUDA_KERNEL(cuda_stream_query, bool, (uintptr_t stream, int dev));
EMBER_CUDA_KERNEL(cuda_stream_synchronize, void, (uintptr_t stream, int dev));
EMBER_CUDA_KERNEL(cuda_stream_wait_event, void, (uintptr_t stream, uintptr_t event, int dev));
EMBER_CUDA_KERNEL(cuda_stream_priority_range, void, (int* least, int* greatest));
EMBER_CUDA_KERNEL(cuda_event_create, uintptr_t, (int dev, bool enable_timing, bool blocking));
EMBER_CUDA_KERNEL(cuda_event_destroy, void, (uintptr_t event, int dev));
EMBER_CUDA_KERNEL(cuda_event_record, void, (uintptr_t event, uintptr_t stream, int dev));
EMBER_CUDA_KERNEL(cuda_event_query, bool, (uintptr_t event));
EMBER_CUDA_KERNEL(cuda_event_synchronize, void, (uintptr_t event));
EMBER_CUDA_KERNEL(cuda_event_elapsed_ms, float, (uintptr_t start, uintptr_t end));
// Same-device copy_ (any dtypes/strides) and fill_ (array.cpp's copy_cuda/fill_cuda).
EMBER_CUDA_KERNEL(cuda_copy, void, (const Array& dst, const Array& src));
EMBER_CUDA_KERNEL(cuda_fill, void, (const Array& dst, double value));
