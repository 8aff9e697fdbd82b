// cuda_api.h — the host-side CUDA services the core needs: devices, memory,
// copies, streams and events. _C forwards each call to the CUDA module
// (cuda_loader.cpp -> cuda_api_cuda.cu through the kernel table); without it they
// raise "[op] ember was built without CUDA" (device_count() returns 0).
//
// Streams and events are opaque handles (uintptr_t holding a cudaStream_t /
// cudaEvent_t); stream 0 is the legacy default stream. Every copy and kernel runs
// on the calling thread's current stream of its device (set_current_stream).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace ember {
namespace cuda {

bool compiled();
// Number of usable devices; 0 when there is no driver or GPU (reason in *why).
int device_count(std::string* why = nullptr);
std::string device_name(int dev);
void check_device(int dev, const char* op);  // throws when dev is not usable

// ---- device memory: the caching allocator (cuda_block_pool.h)
void* alloc(size_t nbytes, int dev);
void free(void* p, size_t nbytes, int dev);
void empty_cache();
size_t allocated_bytes(int dev);
size_t cached_bytes(int dev);  // reserved - allocated
// torch.cuda.memory_stats() of one device: ("allocated_bytes.all.current", n), ...
std::vector<std::pair<std::string, int64_t>> memory_stats(int dev);
void reset_peak_memory_stats(int dev);
void reset_accumulated_memory_stats(int dev);
// The block holding p (a pointer alloc returned) is in use on `stream` too: it is
// reused only after the work queued there so far has completed.
void record_stream(void* p, uintptr_t stream, int dev);

// ---- pinned (page-locked) host memory, cached like torch's host allocator
void* host_alloc(size_t nbytes);
void host_free(void* p, size_t nbytes);
void host_empty_cache();

// ---- copies, all on the current stream of `dev`
// Host -> device. non_blocking: src is pinned memory (host_alloc) and the call
// returns once the copy is queued (the pinned block is not reused before it has
// completed); else it returns when src may be reused.
void copy_h2d(void* dst, const void* src, size_t nbytes, int dev, bool non_blocking = false);
// Device -> host; returns when the data has arrived.
void copy_d2h(void* dst, const void* src, size_t nbytes, int dev);
void copy_d2d(void* dst, const void* src, size_t nbytes, int dev);
// Between two devices, never through the host (cudaMemcpyPeerAsync, ordered after
// the current streams of both devices; each device's current stream waits for it).
void copy_peer(void* dst, int dst_dev, const void* src, int src_dev, size_t nbytes);
void memset_zero(void* dst, size_t nbytes, int dev);
void synchronize(int dev);
void set_device(int dev);
int current_device();

// ---- streams and events (handles; see above)
uintptr_t stream_create(int dev, int priority);  // non-blocking stream, never destroyed
uintptr_t current_stream_handle(int dev);
void set_current_stream(uintptr_t stream, int dev);
bool stream_query(uintptr_t stream, int dev);
void stream_synchronize(uintptr_t stream, int dev);
void stream_wait_event(uintptr_t stream, uintptr_t event, int dev);
std::pair<int, int> stream_priority_range();  // (least, greatest)
uintptr_t event_create(int dev, bool enable_timing, bool blocking);
void event_destroy(uintptr_t event, int dev);
void event_record(uintptr_t event, uintptr_t stream, int dev);
bool event_query(uintptr_t event);
void event_synchronize(uintptr_t event);
float event_elapsed_ms(uintptr_t start, uintptr_t end);

}  // namespace cuda
}  // namespace ember
