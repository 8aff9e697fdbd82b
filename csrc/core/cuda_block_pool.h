// cuda_block_pool.h — the bookkeeping of ember's CUDA caching allocator, in plain
// C++ (no CUDA headers): the CUDA module runs it over cudaMalloc/cudaFree and CUDA
// events (cuda_api_cuda.cu); _C runs it over a fake backend for the tests
// (`_C._test_block_pool`, tests/test_cuda_allocator_logic.py), so every line of it
// is exercised on machines without a GPU.
//
// The design is PyTorch's CUDACachingAllocator, simplified:
//  * Requests round up to 512 bytes. Requests <= 1 MiB come from the small pool,
//    whose segments (one cudaMalloc each) are 2 MiB; larger ones from the large
//    pool: 20 MiB segments for requests < 10 MiB, else the request rounded up to
//    2 MiB.
//  * A segment is a doubly linked list of blocks (prev/next = neighbours in
//    memory). An allocation takes the best fit — the smallest free block of the
//    same stream that is large enough, from a std::set ordered by (stream, size,
//    ptr) — and splits off the rest when the rest is worth keeping (>= 512 bytes in
//    the small pool, > 1 MiB in the large pool). A freed block merges with free
//    neighbours, so a segment whose blocks are all free is one block again.
//  * Streams: a block belongs to the stream that was current when it was
//    allocated and is reused only for allocations on that stream (work on one
//    stream runs in order, so no synchronisation is needed). When a tensor is used
//    on another stream (record_stream), freeing it records an event on each such
//    stream and the block returns to the pool only once all have completed
//    (checked at the start of every allocation).
//  * cudaMalloc failing: wait for the pending events, return every cached segment
//    that is entirely free to the driver and retry once; then raise "CUDA out of
//    memory. Tried to allocate ...".
//  * Stats like torch.cuda.memory_stats(): current/peak/allocated/freed for
//    allocated, reserved, active and requested bytes and for allocation and
//    segment counts, over all/small_pool/large_pool; num_alloc_retries, num_ooms,
//    num_device_alloc (cudaMalloc calls) and num_device_free (cudaFree calls).
//
// Backend B provides (called with the pool's lock held):
//   void* malloc(size_t n);            // nullptr when out of memory, throws on other errors
//   void free(void* p);
//   uintptr_t record_event(uintptr_t stream);  // 0 when it already waited for the stream
//   bool event_done(uintptr_t ev);     // the work recorded before it has completed
//   void event_synchronize(uintptr_t ev);
//   void destroy_event(uintptr_t ev);
//   int device() const; size_t total_memory();  // for the out-of-memory message
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "error.h"

namespace ember {
namespace cuda_pool {

using StreamId = uintptr_t;
using EventId = uintptr_t;

constexpr size_t kMinBlock = 512;                // every size is a multiple of this
constexpr size_t kSmallSize = size_t(1) << 20;   // largest request of the small pool
constexpr size_t kSmallBuffer = size_t(2) << 20;  // small pool segment
constexpr size_t kLargeBuffer = size_t(20) << 20;  // large pool segment for requests < kMinLargeAlloc
constexpr size_t kMinLargeAlloc = size_t(10) << 20;
constexpr size_t kRoundLarge = size_t(2) << 20;  // larger segments round up to this

inline size_t round_size(size_t n) {
  if (n < kMinBlock) return kMinBlock;
  return (n + kMinBlock - 1) / kMinBlock * kMinBlock;
}
inline size_t segment_size(size_t rounded) {
  if (rounded <= kSmallSize) return kSmallBuffer;
  if (rounded < kMinLargeAlloc) return kLargeBuffer;
  return (rounded + kRoundLarge - 1) / kRoundLarge * kRoundLarge;
}

struct Block {
  StreamId stream = 0;
  size_t size = 0;
  char* ptr = nullptr;
  bool small = false;
  bool allocated = false;
  size_t requested = 0;
  Block* prev = nullptr;  // neighbours in the same segment
  Block* next = nullptr;
  std::vector<StreamId> uses;  // other streams it was used on (record_stream)
  int pending_events = 0;      // events still to complete before it is free again
};

struct BlockLess {
  bool operator()(const Block* a, const Block* b) const {
    if (a->stream != b->stream) return a->stream < b->stream;
    if (a->size != b->size) return a->size < b->size;
    return reinterpret_cast<uintptr_t>(a->ptr) < reinterpret_cast<uintptr_t>(b->ptr);
  }
};

struct Stat {
  int64_t current = 0, peak = 0, allocated = 0, freed = 0;
  void add(int64_t n) {
    current += n;
    allocated += n;
    if (current > peak) peak = current;
  }
  void sub(int64_t n) {
    current -= n;
    freed += n;
  }
};

enum StatPool { kAll = 0, kSmallPool = 1, kLargePool = 2 };
struct Stats {
  Stat allocated_bytes[3], reserved_bytes[3], active_bytes[3], requested_bytes[3];
  Stat allocation[3], segment[3], active[3];
  int64_t num_alloc_retries = 0, num_ooms = 0, num_device_alloc = 0, num_device_free = 0;

  // torch.cuda.memory_stats() keys, e.g. "allocated_bytes.all.current".
  std::vector<std::pair<std::string, int64_t>> flat() const {
    std::vector<std::pair<std::string, int64_t>> out;
    const char* pools[3] = {"all", "small_pool", "large_pool"};
    auto put = [&](const char* name, const Stat* s) {
      for (int p = 0; p < 3; ++p) {
        const std::string k = std::string(name) + "." + pools[p] + ".";
        out.emplace_back(k + "current", s[p].current);
        out.emplace_back(k + "peak", s[p].peak);
        out.emplace_back(k + "allocated", s[p].allocated);
        out.emplace_back(k + "freed", s[p].freed);
      }
    };
    put("allocated_bytes", allocated_bytes);
    put("reserved_bytes", reserved_bytes);
    put("active_bytes", active_bytes);
    put("requested_bytes", requested_bytes);
    put("allocation", allocation);
    put("segment", segment);
    put("active", active);
    out.emplace_back("num_alloc_retries", num_alloc_retries);
    out.emplace_back("num_ooms", num_ooms);
    out.emplace_back("num_device_alloc", num_device_alloc);
    out.emplace_back("num_device_free", num_device_free);
    return out;
  }
};

inline std::string fmt_gib(double bytes, const char* unit, double scale) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f %s", bytes / scale, unit);
  return buf;
}

template <class B>
class BlockPool {
 public:
  explicit BlockPool(B backend) : b_(std::move(backend)) {}
  BlockPool(const BlockPool&) = delete;
  BlockPool& operator=(const BlockPool&) = delete;

  B& backend() { return b_; }
  std::mutex& mutex() { return m_; }

  // A block of at least nbytes for work on `stream`. Raises "CUDA out of memory..."
  void* malloc(size_t nbytes, StreamId stream) {
    std::lock_guard<std::mutex> lk(m_);
    process_events();
    const size_t size = round_size(nbytes);
    const bool small = size <= kSmallSize;
    auto& pool = small ? small_ : large_;
    Block* blk = find_free(pool, stream, size);
    if (blk) {
      pool.erase(blk);
    } else {
      const size_t seg = segment_size(size);
      void* p = b_.malloc(seg);
      if (!p) {
        stats_.num_alloc_retries += 1;
        release_cached();
        p = b_.malloc(seg);
      }
      if (!p) {
        stats_.num_ooms += 1;
        oom(nbytes);
      }
      stats_.num_device_alloc += 1;
      blk = new Block();
      blk->stream = stream;
      blk->size = seg;
      blk->ptr = static_cast<char*>(p);
      blk->small = small;
      add(stats_.reserved_bytes, small, static_cast<int64_t>(seg));
      add(stats_.segment, small, 1);
    }
    if (should_split(blk, size)) {
      Block* rest = new Block();
      rest->stream = blk->stream;
      rest->size = blk->size - size;
      rest->ptr = blk->ptr + size;
      rest->small = blk->small;
      rest->prev = blk;
      rest->next = blk->next;
      if (blk->next) blk->next->prev = rest;
      blk->next = rest;
      blk->size = size;
      pool.insert(rest);
    }
    blk->allocated = true;
    blk->requested = nbytes;
    active_[blk->ptr] = blk;
    add(stats_.allocated_bytes, small, static_cast<int64_t>(blk->size));
    add(stats_.active_bytes, small, static_cast<int64_t>(blk->size));
    add(stats_.requested_bytes, small, static_cast<int64_t>(nbytes));
    add(stats_.allocation, small, 1);
    add(stats_.active, small, 1);
    return blk->ptr;
  }

  // Returns a block from malloc; false when p is not one (nothing happens then).
  bool free(void* p) {
    std::lock_guard<std::mutex> lk(m_);
    auto it = active_.find(static_cast<char*>(p));
    if (it == active_.end()) return false;
    Block* blk = it->second;
    active_.erase(it);
    blk->allocated = false;
    sub(stats_.allocated_bytes, blk->small, static_cast<int64_t>(blk->size));
    sub(stats_.requested_bytes, blk->small, static_cast<int64_t>(blk->requested));
    sub(stats_.allocation, blk->small, 1);
    blk->requested = 0;
    if (!blk->uses.empty()) {
      std::vector<StreamId> uses;
      uses.swap(blk->uses);
      for (StreamId s : uses) {
        EventId ev = b_.record_event(s);
        pending_.emplace_back(ev, blk);
        blk->pending_events += 1;
      }
      return true;
    }
    free_block(blk);
    return true;
  }

  // Marks the block holding p (a pointer returned by malloc) as used on `stream`.
  // False when p is not a live block of this pool.
  bool record_stream(void* p, StreamId stream) {
    std::lock_guard<std::mutex> lk(m_);
    auto it = active_.find(static_cast<char*>(p));
    if (it == active_.end()) return false;
    Block* blk = it->second;
    if (stream != blk->stream && std::find(blk->uses.begin(), blk->uses.end(), stream) == blk->uses.end())
      blk->uses.push_back(stream);
    return true;
  }

  // Waits for pending events and returns every entirely free segment to the backend.
  void empty_cache() {
    std::lock_guard<std::mutex> lk(m_);
    release_cached();
  }

  Stats stats() {
    std::lock_guard<std::mutex> lk(m_);
    return stats_;
  }
  void reset_peak() {
    std::lock_guard<std::mutex> lk(m_);
    for (Stat* s : {stats_.allocated_bytes, stats_.reserved_bytes, stats_.active_bytes, stats_.requested_bytes,
                    stats_.allocation, stats_.segment, stats_.active})
      for (int p = 0; p < 3; ++p) s[p].peak = s[p].current;
  }
  void reset_accumulated() {
    std::lock_guard<std::mutex> lk(m_);
    for (Stat* s : {stats_.allocated_bytes, stats_.reserved_bytes, stats_.active_bytes, stats_.requested_bytes,
                    stats_.allocation, stats_.segment, stats_.active})
      for (int p = 0; p < 3; ++p) s[p].allocated = s[p].freed = 0;
    stats_.num_alloc_retries = stats_.num_ooms = stats_.num_device_alloc = stats_.num_device_free = 0;
  }
  size_t allocated_bytes() {
    std::lock_guard<std::mutex> lk(m_);
    return static_cast<size_t>(stats_.allocated_bytes[kAll].current);
  }
  size_t reserved_bytes() {
    std::lock_guard<std::mutex> lk(m_);
    return static_cast<size_t>(stats_.reserved_bytes[kAll].current);
  }
  // Free blocks in the pools (for tests): (stream, size) pairs.
  size_t free_block_count() {
    std::lock_guard<std::mutex> lk(m_);
    return small_.size() + large_.size();
  }
  size_t pending_event_count() {
    std::lock_guard<std::mutex> lk(m_);
    return pending_.size();
  }

 private:
  using Pool = std::set<Block*, BlockLess>;

  static void add(Stat* s, bool small, int64_t n) {
    s[kAll].add(n);
    s[small ? kSmallPool : kLargePool].add(n);
  }
  static void sub(Stat* s, bool small, int64_t n) {
    s[kAll].sub(n);
    s[small ? kSmallPool : kLargePool].sub(n);
  }

  static Block* find_free(Pool& pool, StreamId stream, size_t size) {
    Block key;
    key.stream = stream;
    key.size = size;
    key.ptr = nullptr;
    auto it = pool.lower_bound(&key);
    if (it == pool.end() || (*it)->stream != stream) return nullptr;
    return *it;
  }

  static bool should_split(const Block* blk, size_t size) {
    const size_t rest = blk->size - size;
    return blk->small ? rest >= kMinBlock : rest > kSmallSize;
  }

  static bool is_free(const Block* b) { return b && !b->allocated && b->pending_events == 0; }

  // A block that became free (no pending events): merge with free neighbours, pool it.
  void free_block(Block* blk) {
    auto& pool = blk->small ? small_ : large_;
    sub(stats_.active_bytes, blk->small, static_cast<int64_t>(blk->size));
    sub(stats_.active, blk->small, 1);
    if (is_free(blk->prev)) {
      Block* p = blk->prev;
      pool.erase(p);  // before its size changes: the set is ordered by size
      p->size += blk->size;
      p->next = blk->next;
      if (blk->next) blk->next->prev = p;
      delete blk;
      blk = p;
    }
    if (is_free(blk->next)) {
      Block* n = blk->next;
      pool.erase(n);
      blk->size += n->size;
      blk->next = n->next;
      if (n->next) n->next->prev = blk;
      delete n;
    }
    pool.insert(blk);
  }

  // Blocks whose events have all completed go back to the pools.
  void process_events() {
    for (size_t i = 0; i < pending_.size();) {
      auto [ev, blk] = pending_[i];
      if (ev == 0 || b_.event_done(ev)) {
        if (ev) b_.destroy_event(ev);
        pending_[i] = pending_.back();
        pending_.pop_back();
        if (--blk->pending_events == 0) free_block(blk);
      } else {
        ++i;
      }
    }
  }

  void release_cached() {
    for (auto& pe : pending_) {
      if (pe.first) {
        b_.event_synchronize(pe.first);
        b_.destroy_event(pe.first);
      }
      if (--pe.second->pending_events == 0) free_block(pe.second);
    }
    pending_.clear();
    for (Pool* pool : {&small_, &large_}) {
      for (auto it = pool->begin(); it != pool->end();) {
        Block* b = *it;
        if (b->prev || b->next) {
          ++it;
          continue;
        }
        it = pool->erase(it);
        b_.free(b->ptr);
        stats_.num_device_free += 1;
        sub(stats_.reserved_bytes, b->small, static_cast<int64_t>(b->size));
        sub(stats_.segment, b->small, 1);
        delete b;
      }
    }
  }

  [[noreturn]] void oom(size_t nbytes) {
    const double kMiB = 1024.0 * 1024.0, kGiB = kMiB * 1024.0;
    std::string total;
    try {
      total = fmt_gib(static_cast<double>(b_.total_memory()), "GiB", kGiB);
    } catch (...) {
      total = "? GiB";
    }
    EMBER_FAIL(Runtime, "CUDA out of memory. Tried to allocate ", fmt_gib(static_cast<double>(nbytes), "MiB", kMiB),
               " (GPU ", b_.device(), "; ", total, " total capacity; ",
               fmt_gib(static_cast<double>(stats_.allocated_bytes[kAll].current), "GiB", kGiB),
               " already allocated; ", fmt_gib(static_cast<double>(stats_.reserved_bytes[kAll].current), "GiB", kGiB),
               " reserved by ember)");
  }

  B b_;
  std::mutex m_;
  Pool small_, large_;
  std::unordered_map<char*, Block*> active_;
  std::vector<std::pair<EventId, Block*>> pending_;
  Stats stats_;
};

}  // namespace cuda_pool
}  // namespace ember
