// cuda_api_cuda.cu — the CUDA services of cuda_api.h on the CUDA runtime (host
// code only; built into _C_cuda and reached from _C through the kernel table).
//
// Devices: cudaGetDeviceCount is asked once; with no driver or GPU the count is 0
// and the reason is kept for ember.cuda and for "[op] CUDA device N is not
// available: ..." errors.
//
// Streams: each thread has a current stream per device (the legacy default stream,
// handle 0, until ember.cuda.stream(s) sets another). Streams ember creates are
// non-blocking (they do not wait for the legacy stream, as in PyTorch) and are never
// destroyed: a destroyed stream's handle could come back for a new stream, and the
// allocator would then hand its blocks to the new stream without waiting.
//
// Device memory: one cuda_pool::BlockPool per device (cuda_block_pool.h) over
// cudaMalloc/cudaFree and CUDA events — blocks are cached per stream, split and
// merged, and a block used on other streams (record_stream) is reused only after
// events on those streams complete.
//
// Pinned host memory: cudaHostAlloc'd blocks in power-of-two size classes, cached.
// An asynchronous host->device copy records an event on its stream against the
// pinned block it reads; the block is handed out again only after that event.
//
// Copies run on the current stream of their device. Host->device returns at once
// for a pinned source with non_blocking, else after a stream synchronisation;
// device->host always waits (the caller reads the data next).
#include <pthread.h>

#include <map>
#include <mutex>
#include <new>
#include <set>
#include <unordered_map>
#include <utility>
#include <vector>

#include "cuda_api_kernels.h"
#include "cuda_block_pool.h"
#include "cuda_utils.cuh"

namespace ember {
namespace cuda {

void throw_cuda_error(cudaError_t e, const char* op, const char* expr) {
  cudaGetLastError();  // clear a non-sticky error so later checks do not report it again
  EMBER_FAIL(Runtime, "[", op, "] CUDA error: ", cudaGetErrorString(e), " (", cudaGetErrorName(e), " from ",
             expr, ")");
}

namespace {

struct DeviceInfo {
  int count = 0;
  std::string why;
};

const DeviceInfo& device_info() {
  static const DeviceInfo info = [] {
    DeviceInfo d;
    int n = 0;
    cudaError_t e = cudaGetDeviceCount(&n);
    if (e != cudaSuccess) {
      cudaGetLastError();
      d.count = 0;
      d.why = std::string(cudaGetErrorString(e)) + " (" + cudaGetErrorName(e) + ")";
    } else if (n == 0) {
      d.why = "no CUDA device found";
    } else {
      d.count = n;
    }
    return d;
  }();
  return info;
}

// Makes dev current for a scope without throwing (frees and destructors).
struct QuietDeviceGuard {
  int prev = -1;
  explicit QuietDeviceGuard(int dev) {
    int cur = -1;
    if (cudaGetDevice(&cur) != cudaSuccess) {
      cudaGetLastError();
      return;
    }
    if (cur != dev) {
      if (cudaSetDevice(dev) == cudaSuccess) prev = cur;
      else cudaGetLastError();
    }
  }
  ~QuietDeviceGuard() {
    if (prev >= 0) cudaSetDevice(prev);
  }
};

// ---- current streams: per thread, per device

constexpr int kMaxDevices = 64;
thread_local uintptr_t t_stream[kMaxDevices] = {};

// ---- device memory

struct CudaBackend {
  int dev;
  void* malloc(size_t n) {
    void* p = nullptr;
    cudaError_t e = cudaMalloc(&p, n);
    if (e == cudaErrorMemoryAllocation) {
      cudaGetLastError();
      return nullptr;
    }
    check_status(e, "alloc", "cudaMalloc");
    return p;
  }
  void free(void* p) {
    if (cudaFree(p) != cudaSuccess) cudaGetLastError();  // e.g. during process exit: left to the driver
  }
  uintptr_t record_event(uintptr_t stream) {
    cudaEvent_t ev = nullptr;
    if (cudaEventCreateWithFlags(&ev, cudaEventDisableTiming) == cudaSuccess) {
      if (cudaEventRecord(ev, reinterpret_cast<cudaStream_t>(stream)) == cudaSuccess)
        return reinterpret_cast<uintptr_t>(ev);
      cudaEventDestroy(ev);
    }
    // No event: wait for the stream here instead (the block is then free at once).
    cudaGetLastError();
    if (cudaStreamSynchronize(reinterpret_cast<cudaStream_t>(stream)) != cudaSuccess) cudaGetLastError();
    return 0;
  }
  bool event_done(uintptr_t ev) {
    cudaError_t e = cudaEventQuery(reinterpret_cast<cudaEvent_t>(ev));
    if (e == cudaErrorNotReady) {
      cudaGetLastError();
      return false;
    }
    if (e != cudaSuccess) cudaGetLastError();
    return true;
  }
  void event_synchronize(uintptr_t ev) {
    if (cudaEventSynchronize(reinterpret_cast<cudaEvent_t>(ev)) != cudaSuccess) cudaGetLastError();
  }
  void destroy_event(uintptr_t ev) {
    if (cudaEventDestroy(reinterpret_cast<cudaEvent_t>(ev)) != cudaSuccess) cudaGetLastError();
  }
  int device() const { return dev; }
  size_t total_memory() {
    size_t free_b = 0, total = 0;
    QuietDeviceGuard g(dev);
    if (cudaMemGetInfo(&free_b, &total) != cudaSuccess) cudaGetLastError();
    return total;
  }
};
using Pool = cuda_pool::BlockPool<CudaBackend>;

std::vector<Pool*>* g_pools = nullptr;  // one per device, never destroyed
std::once_flag g_pools_once;

Pool& pool(int dev) {
  std::call_once(g_pools_once, [] {
    auto* v = new std::vector<Pool*>();
    for (int i = 0; i < device_info().count; ++i) v->push_back(new Pool(CudaBackend{i}));
    g_pools = v;
  });
  EMBER_CHECK(dev >= 0 && dev < static_cast<int>(g_pools->size()), Runtime, "[alloc] CUDA device ", dev,
              " is not available");
  return *(*g_pools)[dev];
}

// ---- pinned host memory

struct HostBlock {
  size_t size = 0;
  bool in_use = false;
  int pending = 0;  // events recorded by asynchronous copies still to complete
};
struct HostCache {
  std::mutex m;
  std::map<uintptr_t, HostBlock> blocks;  // by base address
  std::map<size_t, std::vector<void*>> free_lists;
  std::vector<std::pair<cudaEvent_t, uintptr_t>> pending;
  size_t allocated = 0, cached = 0;
};
HostCache* g_host = new HostCache();  // never destroyed: storages may be freed during exit

void after_fork_in_child() {
  new (&g_host->m) std::mutex();
  if (g_pools)
    for (Pool* p : *g_pools) new (&p->mutex()) std::mutex();
}
struct AtFork {
  AtFork() { pthread_atfork(nullptr, nullptr, after_fork_in_child); }
} g_atfork;

size_t host_size_class(size_t n) {
  if (n <= 512) return 512;
  size_t p = size_t(1) << (63 - __builtin_clzll(n));
  return p == n ? n : p * 2;
}

// Caller holds g_host->m.
void host_to_free_list(uintptr_t base, HostBlock& b) {
  g_host->free_lists[b.size].push_back(reinterpret_cast<void*>(base));
  g_host->cached += b.size;
}
void host_process_events() {
  auto& pend = g_host->pending;
  for (size_t i = 0; i < pend.size();) {
    cudaError_t e = cudaEventQuery(pend[i].first);
    if (e == cudaErrorNotReady) {
      cudaGetLastError();
      ++i;
      continue;
    }
    if (e != cudaSuccess) cudaGetLastError();
    cudaEventDestroy(pend[i].first);
    auto it = g_host->blocks.find(pend[i].second);
    pend[i] = pend.back();
    pend.pop_back();
    if (it != g_host->blocks.end() && --it->second.pending == 0 && !it->second.in_use)
      host_to_free_list(it->first, it->second);
  }
}

// The pinned block holding p, if any. Caller holds g_host->m.
std::map<uintptr_t, HostBlock>::iterator host_find(const void* p) {
  const uintptr_t a = reinterpret_cast<uintptr_t>(p);
  auto it = g_host->blocks.upper_bound(a);
  if (it == g_host->blocks.begin()) return g_host->blocks.end();
  --it;
  return a < it->first + it->second.size ? it : g_host->blocks.end();
}

// An asynchronous copy on `s` reads the pinned memory at p.
void host_record_event(const void* p, cudaStream_t s) {
  std::lock_guard<std::mutex> lk(g_host->m);
  auto it = host_find(p);
  if (it == g_host->blocks.end()) return;  // not ours (the caller checked it is pinned)
  cudaEvent_t ev = nullptr;
  EMBER_CUDA_CHECK(cudaEventCreateWithFlags(&ev, cudaEventDisableTiming), "to(cuda)");
  cudaError_t e = cudaEventRecord(ev, s);
  if (e != cudaSuccess) {
    cudaEventDestroy(ev);
    throw_cuda_error(e, "to(cuda)", "cudaEventRecord");
  }
  g_host->pending.emplace_back(ev, it->first);
  it->second.pending += 1;
}

void enable_peer_access(int from, int to) {
  static std::mutex m;
  static std::set<std::pair<int, int>> done;
  std::lock_guard<std::mutex> lk(m);
  if (!done.insert({from, to}).second) return;
  int can = 0;
  if (cudaDeviceCanAccessPeer(&can, from, to) != cudaSuccess || !can) {
    cudaGetLastError();
    return;  // cudaMemcpyPeerAsync still works, staged by the driver
  }
  QuietDeviceGuard g(from);
  cudaError_t e = cudaDeviceEnablePeerAccess(to, 0);
  if (e != cudaSuccess) cudaGetLastError();  // cudaErrorPeerAccessAlreadyEnabled is fine too
}

}  // namespace

// ---------------------------------------------------------------- devices and streams

cudaStream_t current_stream(int dev) {
  return (dev >= 0 && dev < kMaxDevices) ? reinterpret_cast<cudaStream_t>(t_stream[dev]) : nullptr;
}
cudaStream_t current_stream() {
  int dev = 0;
  if (cudaGetDevice(&dev) != cudaSuccess) {
    cudaGetLastError();
    return nullptr;
  }
  return current_stream(dev);
}

bool compiled() { return true; }

int device_count(std::string* why) {
  const DeviceInfo& d = device_info();
  if (why) *why = d.why;
  return d.count;
}

void check_device(int dev, const char* op) {
  const DeviceInfo& d = device_info();
  if (d.count == 0) EMBER_FAIL(Runtime, "[", op, "] CUDA device ", dev, " is not available: ", d.why);
  if (dev < 0 || dev >= d.count)
    EMBER_FAIL(Runtime, "[", op, "] CUDA device ", dev, " is not available: ", d.count,
               d.count == 1 ? " device was" : " devices were", " found (valid indices 0..", d.count - 1, ")");
}

DeviceGuard::DeviceGuard(int dev, const char* op) {
  check_device(dev, op);
  int cur = -1;
  EMBER_CUDA_CHECK(cudaGetDevice(&cur), op);
  if (cur != dev) {
    EMBER_CUDA_CHECK(cudaSetDevice(dev), op);
    prev_ = cur;
  }
}
DeviceGuard::~DeviceGuard() {
  if (prev_ >= 0) cudaSetDevice(prev_);
}

std::string device_name(int dev) {
  check_device(dev, "cuda.get_device_name");
  cudaDeviceProp prop;
  EMBER_CUDA_CHECK(cudaGetDeviceProperties(&prop, dev), "cuda.get_device_name");
  return std::string(prop.name);
}

void set_device(int dev) {
  check_device(dev, "cuda.set_device");
  EMBER_CUDA_CHECK(cudaSetDevice(dev), "cuda.set_device");
}

int current_device() {
  const DeviceInfo& d = device_info();
  if (d.count == 0) EMBER_FAIL(Runtime, "[cuda.current_device] no CUDA device is available: ", d.why);
  int cur = 0;
  EMBER_CUDA_CHECK(cudaGetDevice(&cur), "cuda.current_device");
  return cur;
}

void synchronize(int dev) {
  DeviceGuard g(dev, "cuda.synchronize");
  EMBER_CUDA_CHECK(cudaDeviceSynchronize(), "cuda.synchronize");
}

uintptr_t stream_create(int dev, int priority) {
  DeviceGuard g(dev, "cuda.Stream");
  int least = 0, greatest = 0;
  EMBER_CUDA_CHECK(cudaDeviceGetStreamPriorityRange(&least, &greatest), "cuda.Stream");
  // Lower numbers are higher priorities: clamp into [greatest, least] like torch.
  if (priority > least) priority = least;
  if (priority < greatest) priority = greatest;
  cudaStream_t s = nullptr;
  EMBER_CUDA_CHECK(cudaStreamCreateWithPriority(&s, cudaStreamNonBlocking, priority), "cuda.Stream");
  return reinterpret_cast<uintptr_t>(s);
}

uintptr_t current_stream_handle(int dev) {
  check_device(dev, "cuda.current_stream");
  return reinterpret_cast<uintptr_t>(current_stream(dev));
}

void set_current_stream(uintptr_t stream, int dev) {
  check_device(dev, "cuda.set_stream");
  EMBER_CHECK(dev < kMaxDevices, Runtime, "[cuda.set_stream] at most ", kMaxDevices, " devices are supported");
  t_stream[dev] = stream;
}

bool stream_query(uintptr_t stream, int dev) {
  DeviceGuard g(dev, "cuda.Stream.query");
  cudaError_t e = cudaStreamQuery(reinterpret_cast<cudaStream_t>(stream));
  if (e == cudaErrorNotReady) {
    cudaGetLastError();
    return false;
  }
  EMBER_CUDA_CHECK(e, "cuda.Stream.query");
  return true;
}

void stream_synchronize(uintptr_t stream, int dev) {
  DeviceGuard g(dev, "cuda.Stream.synchronize");
  EMBER_CUDA_CHECK(cudaStreamSynchronize(reinterpret_cast<cudaStream_t>(stream)), "cuda.Stream.synchronize");
}

void stream_wait_event(uintptr_t stream, uintptr_t event, int dev) {
  DeviceGuard g(dev, "cuda.Stream.wait_event");
  EMBER_CUDA_CHECK(cudaStreamWaitEvent(reinterpret_cast<cudaStream_t>(stream), reinterpret_cast<cudaEvent_t>(event), 0),
                   "cuda.Stream.wait_event");
}

static void stream_priority_range_k(int* least, int* greatest) {
  DeviceGuard g(current_device(), "cuda.Stream.priority_range");
  EMBER_CUDA_CHECK(cudaDeviceGetStreamPriorityRange(least, greatest), "cuda.Stream.priority_range");
}
std::pair<int, int> stream_priority_range() {
  int l = 0, g = 0;
  stream_priority_range_k(&l, &g);
  return {l, g};
}

uintptr_t event_create(int dev, bool enable_timing, bool blocking) {
  DeviceGuard g(dev, "cuda.Event");
  unsigned flags = (enable_timing ? 0u : unsigned(cudaEventDisableTiming)) | (blocking ? unsigned(cudaEventBlockingSync) : 0u);
  cudaEvent_t ev = nullptr;
  EMBER_CUDA_CHECK(cudaEventCreateWithFlags(&ev, flags), "cuda.Event");
  return reinterpret_cast<uintptr_t>(ev);
}

void event_destroy(uintptr_t event, int dev) {
  if (!event) return;
  QuietDeviceGuard g(dev);
  if (cudaEventDestroy(reinterpret_cast<cudaEvent_t>(event)) != cudaSuccess) cudaGetLastError();
}

void event_record(uintptr_t event, uintptr_t stream, int dev) {
  DeviceGuard g(dev, "cuda.Event.record");
  EMBER_CUDA_CHECK(cudaEventRecord(reinterpret_cast<cudaEvent_t>(event), reinterpret_cast<cudaStream_t>(stream)),
                   "cuda.Event.record");
}

bool event_query(uintptr_t event) {
  cudaError_t e = cudaEventQuery(reinterpret_cast<cudaEvent_t>(event));
  if (e == cudaErrorNotReady) {
    cudaGetLastError();
    return false;
  }
  EMBER_CUDA_CHECK(e, "cuda.Event.query");
  return true;
}

void event_synchronize(uintptr_t event) {
  EMBER_CUDA_CHECK(cudaEventSynchronize(reinterpret_cast<cudaEvent_t>(event)), "cuda.Event.synchronize");
}

float event_elapsed_ms(uintptr_t start, uintptr_t end) {
  float ms = 0;
  EMBER_CUDA_CHECK(cudaEventElapsedTime(&ms, reinterpret_cast<cudaEvent_t>(start), reinterpret_cast<cudaEvent_t>(end)),
                   "cuda.Event.elapsed_time");
  return ms;
}

// ---------------------------------------------------------------- device memory

void* alloc(size_t nbytes, int dev) {
  DeviceGuard g(dev, "alloc");
  return pool(dev).malloc(nbytes, reinterpret_cast<uintptr_t>(current_stream(dev)));
}

void free(void* p, size_t /*nbytes*/, int dev) {
  if (!p || !g_pools || dev < 0 || dev >= static_cast<int>(g_pools->size())) return;
  QuietDeviceGuard g(dev);  // events for record_stream are created on dev
  try {
    (*g_pools)[dev]->free(p);
  } catch (...) {
    // Out of host memory for the bookkeeping: the block stays with the pool.
  }
}

void empty_cache() {
  if (!g_pools) return;
  for (Pool* p : *g_pools) {
    QuietDeviceGuard g(p->backend().dev);
    p->empty_cache();
  }
}

size_t allocated_bytes(int dev) {
  if (!g_pools || dev < 0 || dev >= static_cast<int>(g_pools->size())) return 0;
  return (*g_pools)[dev]->allocated_bytes();
}

size_t cached_bytes(int dev) {
  if (!g_pools || dev < 0 || dev >= static_cast<int>(g_pools->size())) return 0;
  Pool& p = *(*g_pools)[dev];
  return p.reserved_bytes() - p.allocated_bytes();
}

static void memory_stats_k(int dev, std::vector<std::pair<std::string, int64_t>>* out) {
  check_device(dev, "cuda.memory_stats");
  *out = pool(dev).stats().flat();
}
std::vector<std::pair<std::string, int64_t>> memory_stats(int dev) {
  std::vector<std::pair<std::string, int64_t>> out;
  memory_stats_k(dev, &out);
  return out;
}

void reset_peak_memory_stats(int dev) {
  check_device(dev, "cuda.reset_peak_memory_stats");
  pool(dev).reset_peak();
}

void reset_accumulated_memory_stats(int dev) {
  check_device(dev, "cuda.reset_accumulated_memory_stats");
  pool(dev).reset_accumulated();
}

void record_stream(void* p, uintptr_t stream, int dev) {
  check_device(dev, "record_stream");
  pool(dev).record_stream(p, stream);  // memory ember did not allocate (DLPack) is left alone
}

// ---------------------------------------------------------------- pinned host memory

void* host_alloc(size_t nbytes) {
  const DeviceInfo& d = device_info();
  EMBER_CHECK(d.count > 0, Runtime, "[pin_memory] pinned memory needs a CUDA device: ", d.why);
  const size_t size = host_size_class(nbytes);
  {
    std::lock_guard<std::mutex> lk(g_host->m);
    host_process_events();
    auto it = g_host->free_lists.find(size);
    if (it != g_host->free_lists.end() && !it->second.empty()) {
      void* p = it->second.back();
      it->second.pop_back();
      g_host->cached -= size;
      g_host->allocated += size;
      g_host->blocks[reinterpret_cast<uintptr_t>(p)].in_use = true;
      return p;
    }
  }
  void* p = nullptr;
  cudaError_t e = cudaHostAlloc(&p, size, cudaHostAllocDefault);
  if (e != cudaSuccess) {
    cudaGetLastError();
    host_empty_cache();
    e = cudaHostAlloc(&p, size, cudaHostAllocDefault);
  }
  if (e != cudaSuccess) {
    cudaGetLastError();
    EMBER_FAIL(Runtime, "[pin_memory] cannot allocate ", size, " bytes of pinned host memory: ",
               cudaGetErrorString(e));
  }
  std::lock_guard<std::mutex> lk(g_host->m);
  HostBlock& b = g_host->blocks[reinterpret_cast<uintptr_t>(p)];
  b.size = size;
  b.in_use = true;
  b.pending = 0;
  g_host->allocated += size;
  return p;
}

void host_free(void* p, size_t /*nbytes*/) {
  if (!p) return;
  std::lock_guard<std::mutex> lk(g_host->m);
  auto it = g_host->blocks.find(reinterpret_cast<uintptr_t>(p));
  if (it == g_host->blocks.end() || !it->second.in_use) return;
  it->second.in_use = false;
  g_host->allocated -= it->second.size;
  if (it->second.pending == 0) host_to_free_list(it->first, it->second);
}

void host_empty_cache() {
  std::vector<void*> blocks;
  {
    std::lock_guard<std::mutex> lk(g_host->m);
    host_process_events();
    for (auto& fl : g_host->free_lists) {
      for (void* p : fl.second) {
        g_host->blocks.erase(reinterpret_cast<uintptr_t>(p));
        blocks.push_back(p);
      }
      fl.second.clear();
    }
    g_host->cached = 0;
  }
  for (void* p : blocks)
    if (cudaFreeHost(p) != cudaSuccess) cudaGetLastError();
}

// ---------------------------------------------------------------- copies

void copy_h2d(void* dst, const void* src, size_t nbytes, int dev, bool non_blocking) {
  if (nbytes == 0) return;
  DeviceGuard g(dev, "to(cuda)");
  cudaStream_t s = current_stream(dev);
  EMBER_CUDA_CHECK(cudaMemcpyAsync(dst, src, nbytes, cudaMemcpyHostToDevice, s), "to(cuda)");
  if (non_blocking) host_record_event(src, s);
  else EMBER_CUDA_CHECK(cudaStreamSynchronize(s), "to(cuda)");
}

void copy_d2h(void* dst, const void* src, size_t nbytes, int dev) {
  if (nbytes == 0) return;
  DeviceGuard g(dev, "to(cpu)");
  cudaStream_t s = current_stream(dev);
  EMBER_CUDA_CHECK(cudaMemcpyAsync(dst, src, nbytes, cudaMemcpyDeviceToHost, s), "to(cpu)");
  EMBER_CUDA_CHECK(cudaStreamSynchronize(s), "to(cpu)");
}

void copy_d2d(void* dst, const void* src, size_t nbytes, int dev) {
  if (nbytes == 0 || dst == src) return;
  DeviceGuard g(dev, "copy_");
  EMBER_CUDA_CHECK(cudaMemcpyAsync(dst, src, nbytes, cudaMemcpyDeviceToDevice, current_stream(dev)), "copy_");
}

// Runs on the source device's current stream, after the destination's current
// stream (which may still use dst's memory); the destination stream then waits
// for the copy. Like torch's copy_device_to_device.
void copy_peer(void* dst, int dst_dev, const void* src, int src_dev, size_t nbytes) {
  if (nbytes == 0) return;
  if (dst_dev == src_dev) return copy_d2d(dst, src, nbytes, dst_dev);
  const char* op = "to(cuda)";
  check_device(dst_dev, op);
  DeviceGuard g(src_dev, op);
  enable_peer_access(src_dev, dst_dev);
  cudaStream_t ss = current_stream(src_dev), ds = current_stream(dst_dev);
  cudaEvent_t dst_ready = nullptr, copied = nullptr;
  {
    DeviceGuard gd(dst_dev, op);
    EMBER_CUDA_CHECK(cudaEventCreateWithFlags(&dst_ready, cudaEventDisableTiming), op);
    EMBER_CUDA_CHECK(cudaEventRecord(dst_ready, ds), op);
  }
  // Events are released once their work completes, even right after recording.
  struct EventsOut {
    cudaEvent_t* a;
    cudaEvent_t* b;
    ~EventsOut() {
      if (*a) cudaEventDestroy(*a);
      if (*b) cudaEventDestroy(*b);
    }
  } events_out{&dst_ready, &copied};
  EMBER_CUDA_CHECK(cudaStreamWaitEvent(ss, dst_ready, 0), op);
  EMBER_CUDA_CHECK(cudaMemcpyPeerAsync(dst, dst_dev, src, src_dev, nbytes, ss), op);
  EMBER_CUDA_CHECK(cudaEventCreateWithFlags(&copied, cudaEventDisableTiming), op);
  EMBER_CUDA_CHECK(cudaEventRecord(copied, ss), op);
  DeviceGuard gd(dst_dev, op);
  EMBER_CUDA_CHECK(cudaStreamWaitEvent(ds, copied, 0), op);
}

void memset_zero(void* dst, size_t nbytes, int dev) {
  if (nbytes == 0) return;
  DeviceGuard g(dev, "zero_");
  EMBER_CUDA_CHECK(cudaMemsetAsync(dst, 0, nbytes, current_stream(dev)), "zero_");
}

// ---------------------------------------------------------------- the table _C reads

EMBER_CUDA_REGISTER(cuda_device_count, device_count);
EMBER_CUDA_REGISTER(cuda_device_name, device_name);
EMBER_CUDA_REGISTER(cuda_check_device, check_device);
EMBER_CUDA_REGISTER(cuda_alloc, alloc);
EMBER_CUDA_REGISTER(cuda_free, free);
EMBER_CUDA_REGISTER(cuda_empty_cache, empty_cache);
EMBER_CUDA_REGISTER(cuda_allocated_bytes, allocated_bytes);
EMBER_CUDA_REGISTER(cuda_cached_bytes, cached_bytes);
EMBER_CUDA_REGISTER(cuda_memory_stats, memory_stats_k);
EMBER_CUDA_REGISTER(cuda_reset_peak_memory_stats, reset_peak_memory_stats);
EMBER_CUDA_REGISTER(cuda_reset_accumulated_memory_stats, reset_accumulated_memory_stats);
EMBER_CUDA_REGISTER(cuda_record_stream, record_stream);
EMBER_CUDA_REGISTER(cuda_host_alloc, host_alloc);
EMBER_CUDA_REGISTER(cuda_host_free, host_free);
EMBER_CUDA_REGISTER(cuda_host_empty_cache, host_empty_cache);
EMBER_CUDA_REGISTER(cuda_copy_h2d, copy_h2d);
EMBER_CUDA_REGISTER(cuda_copy_d2h, copy_d2h);
EMBER_CUDA_REGISTER(cuda_copy_d2d, copy_d2d);
EMBER_CUDA_REGISTER(cuda_copy_peer, copy_peer);
EMBER_CUDA_REGISTER(cuda_memset_zero, memset_zero);
EMBER_CUDA_REGISTER(cuda_synchronize, synchronize);
EMBER_CUDA_REGISTER(cuda_set_device, set_device);
EMBER_CUDA_REGISTER(cuda_current_device, current_device);
EMBER_CUDA_REGISTER(cuda_stream_create, stream_create);
EMBER_CUDA_REGISTER(cuda_current_stream_handle, current_stream_handle);
EMBER_CUDA_REGISTER(cuda_set_current_stream, set_current_stream);
EMBER_CUDA_REGISTER(cuda_stream_query, stream_query);
EMBER_CUDA_REGISTER(cuda_stream_synchronize, stream_synchronize);
EMBER_CUDA_REGISTER(cuda_stream_wait_event, stream_wait_event);
EMBER_CUDA_REGISTER(cuda_stream_priority_range, stream_priority_range_k);
EMBER_CUDA_REGISTER(cuda_event_create, event_create);
EMBER_CUDA_REGISTER(cuda_event_destroy, event_destroy);
EMBER_CUDA_REGISTER(cuda_event_record, event_record);
EMBER_CUDA_REGISTER(cuda_event_query, event_query);
EMBER_CUDA_REGISTER(cuda_event_synchronize, event_synchronize);
EMBER_CUDA_REGISTER(cuda_event_elapsed_ms, event_elapsed_ms);

}  // namespace cuda
}  // namespace ember
