// allocator.h — host and device memory for Storage.
//
// The CPU allocator returns 64-byte-aligned blocks and keeps freed blocks in
// size-class free lists, so an allocating `a + b` in a loop reuses warm pages
// instead of paying mmap + page faults on every call. The CUDA allocator (in
// cuda/) caches device blocks the same way.
#pragma once
#include <cstddef>
#include <cstdint>

#include "device.h"

namespace ember {

void* cpu_alloc(size_t nbytes);
void cpu_free(void* p, size_t nbytes);
// Returns every cached block to the system.
void cpu_empty_cache();
// Bytes held in the free lists / handed out now.
size_t cpu_cached_bytes();
size_t cpu_allocated_bytes();

// Device-generic entry points used by Storage (CUDA ones throw when ember was
// built without CUDA).
void* device_alloc(size_t nbytes, Device d);
void device_free(void* p, size_t nbytes, Device d);
// Page-locked host memory for fast and asynchronous host<->device copies
// (Tensor.pin_memory); raises when no CUDA device is usable.
void* pinned_alloc(size_t nbytes);
void pinned_free(void* p, size_t nbytes);

}  // namespace ember
