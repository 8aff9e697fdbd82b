// allocator.cpp — the caching CPU allocator (see allocator.h).
//
// Size classes: requests round up to 64 bytes, then to a quarter of their power
// of two (at most 25% waste), and a freed block is kept on its class's list. The
// cache is capped; past the cap blocks go straight back to the system.
#include "allocator.h"

#include <pthread.h>

#include <cstdlib>
#include <mutex>
#include <new>
#include <unordered_map>
#include <vector>

#include "cuda_api.h"
#include "error.h"

namespace ember {
namespace {

constexpr size_t kAlign = 64;
constexpr size_t kMaxCached = size_t(2) << 30;  // 2 GiB

size_t size_class(size_t n) {
  if (n == 0) n = 1;
  n = (n + kAlign - 1) & ~(kAlign - 1);
  if (n <= 4096) return n;
  size_t p = size_t(1) << (63 - __builtin_clzll(n));  // highest power of two <= n
  size_t q = p / 4;
  return (n + q - 1) / q * q;
}

struct Cache {
  std::mutex m;
  std::unordered_map<size_t, std::vector<void*>> free_lists;
  size_t cached = 0, allocated = 0;
};

Cache* g_cache = new Cache();  // never destroyed: blocks may be freed during exit

void after_fork_in_child() {
  // Another thread may have held the mutex at fork time; the lists stay valid.
  new (&g_cache->m) std::mutex();
}
struct AtFork {
  AtFork() { pthread_atfork(nullptr, nullptr, after_fork_in_child); }
} g_atfork;

}  // namespace

void* cpu_alloc(size_t nbytes) {
  size_t cls = size_class(nbytes);
  {
    std::lock_guard<std::mutex> lk(g_cache->m);
    auto it = g_cache->free_lists.find(cls);
    if (it != g_cache->free_lists.end() && !it->second.empty()) {
      void* p = it->second.back();
      it->second.pop_back();
      g_cache->cached -= cls;
      g_cache->allocated += cls;
      return p;
    }
    g_cache->allocated += cls;
  }
  void* p = std::aligned_alloc(kAlign, cls);
  if (!p) {
    cpu_empty_cache();
    p = std::aligned_alloc(kAlign, cls);
  }
  if (!p) {
    std::lock_guard<std::mutex> lk(g_cache->m);
    g_cache->allocated -= cls;
    EMBER_FAIL(Runtime, "[alloc] out of memory: tried to allocate ", nbytes, " bytes on the CPU");
  }
  return p;
}

void cpu_free(void* p, size_t nbytes) {
  if (!p) return;
  size_t cls = size_class(nbytes);
  {
    std::lock_guard<std::mutex> lk(g_cache->m);
    g_cache->allocated -= cls;
    if (g_cache->cached + cls <= kMaxCached) {
      g_cache->free_lists[cls].push_back(p);
      g_cache->cached += cls;
      return;
    }
  }
  std::free(p);
}

void cpu_empty_cache() {
  std::vector<void*> all;
  {
    std::lock_guard<std::mutex> lk(g_cache->m);
    for (auto& kv : g_cache->free_lists) {
      all.insert(all.end(), kv.second.begin(), kv.second.end());
      kv.second.clear();
    }
    g_cache->cached = 0;
  }
  for (void* p : all) std::free(p);
}

size_t cpu_cached_bytes() {
  std::lock_guard<std::mutex> lk(g_cache->m);
  return g_cache->cached;
}
size_t cpu_allocated_bytes() {
  std::lock_guard<std::mutex> lk(g_cache->m);
  return g_cache->allocated;
}

void* device_alloc(size_t nbytes, Device d) {
  if (d.is_cpu()) return cpu_alloc(nbytes);
  return cuda::alloc(nbytes, d.index);
}
void device_free(void* p, size_t nbytes, Device d) {
  if (d.is_cpu()) return cpu_free(p, nbytes);
  cuda::free(p, nbytes, d.index);
}
void* pinned_alloc(size_t nbytes) { return cuda::host_alloc(nbytes); }
void pinned_free(void* p, size_t nbytes) { cuda::host_free(p, nbytes); }

}  // namespace ember
