// cuda_api_cuda.cu — the CUDA services of cuda_api.h on the CUDA runtime.
//
// Devices: cudaGetDeviceCount is asked once; with no driver or GPU the count is 0
// and the reason is kept for ember.cuda and for "[op] CUDA device N is not
// available: ..." errors.
//
// Memory: a caching allocator like the CPU one (allocator.cpp). Requests round
// up to 512 bytes, and above 1 MiB to a quarter of their power of two; freed
// blocks go on their device's size-class free list and are handed out again
// without cudaMalloc/cudaFree (both synchronise the device). All of ember's work
// runs in order on the legacy default stream, so a block freed while a queued
// kernel still reads it is only reused by work queued after that kernel. When
// cudaMalloc fails the device's cache is released (cudaFree waits for the
// device) and the allocation retried once.
//
// Copies run on the legacy default stream; host<->device copies use cudaMemcpy,
// which returns once the host buffer may be reused (pageable memory), and the
// device->host copy returns only when the data has arrived, so .numpy()/.item()
// see it.
#include <pthread.h>

#include <mutex>
#include <new>
#include <unordered_map>
#include <vector>

#include "cuda_api_kernels.h"
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

// ---- caching allocator ----

constexpr size_t kRound = 512;
constexpr size_t kSmall = size_t(1) << 20;

size_t size_class(size_t n) {
  if (n == 0) n = 1;
  n = (n + kRound - 1) / kRound * kRound;
  if (n <= kSmall) return n;
  size_t p = size_t(1) << (63 - __builtin_clzll(n));  // highest power of two <= n
  size_t q = p / 4;
  return (n + q - 1) / q * q;
}

struct DevCache {
  std::unordered_map<size_t, std::vector<void*>> free_lists;
  size_t cached = 0, allocated = 0;
};

struct Cache {
  std::mutex m;
  std::unordered_map<int, DevCache> devs;
};

Cache* g_cache = new Cache();  // never destroyed: storages may be freed during exit

void after_fork_in_child() { new (&g_cache->m) std::mutex(); }
struct AtFork {
  AtFork() { pthread_atfork(nullptr, nullptr, after_fork_in_child); }
} g_atfork;

// Takes every cached block of one device (dev >= 0) or of all devices (dev < 0).
std::vector<std::pair<int, void*>> take_cached(int dev) {
  std::vector<std::pair<int, void*>> out;
  std::lock_guard<std::mutex> lk(g_cache->m);
  for (auto& kv : g_cache->devs) {
    if (dev >= 0 && kv.first != dev) continue;
    for (auto& fl : kv.second.free_lists) {
      for (void* p : fl.second) out.emplace_back(kv.first, p);
      fl.second.clear();
    }
    kv.second.cached = 0;
  }
  return out;
}

void release(const std::vector<std::pair<int, void*>>& blocks) {
  int prev = -1;
  if (blocks.empty() || cudaGetDevice(&prev) != cudaSuccess) {
    cudaGetLastError();
    return;
  }
  for (const auto& b : blocks) {
    cudaSetDevice(b.first);
    cudaFree(b.second);  // errors (e.g. during process exit) leave the block to the driver
  }
  cudaSetDevice(prev);
  cudaGetLastError();
}

}  // namespace

// ---------------------------------------------------------------- devices

namespace {
thread_local cudaStream_t t_current_stream = nullptr;  // legacy default stream
}
cudaStream_t current_stream() { return t_current_stream; }

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

// ---------------------------------------------------------------- memory

void* alloc(size_t nbytes, int dev) {
  const size_t cls = size_class(nbytes);
  {
    std::lock_guard<std::mutex> lk(g_cache->m);
    DevCache& dc = g_cache->devs[dev];
    auto it = dc.free_lists.find(cls);
    if (it != dc.free_lists.end() && !it->second.empty()) {
      void* p = it->second.back();
      it->second.pop_back();
      dc.cached -= cls;
      dc.allocated += cls;
      return p;
    }
  }
  DeviceGuard g(dev, "alloc");
  void* p = nullptr;
  cudaError_t e = cudaMalloc(&p, cls);
  if (e == cudaErrorMemoryAllocation) {
    cudaGetLastError();
    release(take_cached(dev));
    e = cudaMalloc(&p, cls);
  }
  if (e != cudaSuccess) {
    cudaGetLastError();
    size_t held = allocated_bytes(dev), cached = cached_bytes(dev);
    if (e == cudaErrorMemoryAllocation)
      EMBER_FAIL(Runtime, "[alloc] CUDA out of memory: tried to allocate ", nbytes, " bytes on cuda:", dev,
                 " (ember holds ", held, " bytes in tensors and ", cached, " bytes cached)");
    throw_cuda_error(e, "alloc", "cudaMalloc");
  }
  std::lock_guard<std::mutex> lk(g_cache->m);
  g_cache->devs[dev].allocated += cls;
  return p;
}

void free(void* p, size_t nbytes, int dev) {
  if (!p) return;
  const size_t cls = size_class(nbytes);
  try {
    std::lock_guard<std::mutex> lk(g_cache->m);
    DevCache& dc = g_cache->devs[dev];
    dc.allocated -= cls;
    dc.free_lists[cls].push_back(p);
    dc.cached += cls;
  } catch (...) {
    // Out of host memory for the list: give the block straight back.
    cudaFree(p);
    cudaGetLastError();
  }
}

void empty_cache() { release(take_cached(-1)); }

size_t allocated_bytes(int dev) {
  std::lock_guard<std::mutex> lk(g_cache->m);
  auto it = g_cache->devs.find(dev);
  return it == g_cache->devs.end() ? 0 : it->second.allocated;
}

size_t cached_bytes(int dev) {
  std::lock_guard<std::mutex> lk(g_cache->m);
  auto it = g_cache->devs.find(dev);
  return it == g_cache->devs.end() ? 0 : it->second.cached;
}

// ---------------------------------------------------------------- copies

void copy_h2d(void* dst, const void* src, size_t nbytes, int dev) {
  if (nbytes == 0) return;
  DeviceGuard g(dev, "to(cuda)");
  EMBER_CUDA_CHECK(cudaMemcpy(dst, src, nbytes, cudaMemcpyHostToDevice), "to(cuda)");
}

void copy_d2h(void* dst, const void* src, size_t nbytes, int dev) {
  if (nbytes == 0) return;
  DeviceGuard g(dev, "to(cpu)");
  EMBER_CUDA_CHECK(cudaMemcpy(dst, src, nbytes, cudaMemcpyDeviceToHost), "to(cpu)");
  // Pageable copies already wait; this also covers pinned destinations.
  EMBER_CUDA_CHECK(cudaStreamSynchronize(0), "to(cpu)");
}

void copy_d2d(void* dst, const void* src, size_t nbytes, int dev) {
  if (nbytes == 0 || dst == src) return;
  DeviceGuard g(dev, "copy_");
  EMBER_CUDA_CHECK(cudaMemcpyAsync(dst, src, nbytes, cudaMemcpyDeviceToDevice, 0), "copy_");
}

void memset_zero(void* dst, size_t nbytes, int dev) {
  if (nbytes == 0) return;
  DeviceGuard g(dev, "zero_");
  EMBER_CUDA_CHECK(cudaMemsetAsync(dst, 0, nbytes, 0), "zero_");
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
EMBER_CUDA_REGISTER(cuda_copy_h2d, copy_h2d);
EMBER_CUDA_REGISTER(cuda_copy_d2h, copy_d2h);
EMBER_CUDA_REGISTER(cuda_copy_d2d, copy_d2d);
EMBER_CUDA_REGISTER(cuda_memset_zero, memset_zero);
EMBER_CUDA_REGISTER(cuda_synchronize, synchronize);
EMBER_CUDA_REGISTER(cuda_set_device, set_device);
EMBER_CUDA_REGISTER(cuda_current_device, current_device);

}  // namespace cuda
}  // namespace ember
