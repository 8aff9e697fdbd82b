// parallel.h — ember's CPU thread pool and parallel_for.
//
// One process-wide pool of std::threads (not OpenMP: libgomp hangs in a forked
// child). The calling thread takes part in the work, so a pool of n threads has
// n-1 workers. pthread_atfork resets the pool in a forked child; it is rebuilt on
// first use there. Size: EMBER_NUM_THREADS, else the CPUs in the affinity mask;
// ember.set_num_threads(n) rebuilds it.
#pragma once
#include <cstdint>

namespace ember {

int get_num_threads();
void set_num_threads(int n);
// True while the current thread runs inside a parallel region (nested calls run serially).
bool in_parallel_region();

namespace detail {
using ChunkFn = void (*)(void* ctx, int64_t begin, int64_t end);
void parallel_for_impl(int64_t begin, int64_t end, int64_t grain, ChunkFn fn, void* ctx);
}  // namespace detail

// Splits [begin, end) into at most get_num_threads() contiguous chunks of at least
// `grain` items and calls fn(chunk_begin, chunk_end) on each, one chunk per thread.
// Runs fn(begin, end) inline when the range is at most `grain` items, the pool has
// one thread, or the call is nested. Exceptions thrown by fn are rethrown here.
template <class F>
inline void parallel_for(int64_t begin, int64_t end, int64_t grain, const F& fn) {
  if (end <= begin) return;
  detail::parallel_for_impl(
      begin, end, grain,
      [](void* ctx, int64_t b, int64_t e) { (*static_cast<const F*>(ctx))(b, e); },
      const_cast<void*>(static_cast<const void*>(&fn)));
}

}  // namespace ember
