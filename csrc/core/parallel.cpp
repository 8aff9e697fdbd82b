// parallel.cpp — the thread pool behind parallel_for (see parallel.h).
//
// A job is one call to parallel_for: the caller publishes (fn, ctx, range, chunk
// count) under a mutex, bumps a generation counter and wakes the workers; worker i
// runs chunk i, the caller runs chunk 0. Workers spin briefly before sleeping so
// back-to-back kernels do not pay a futex wake-up each. A submit mutex serialises
// concurrent callers (the GIL is released in kernels); a caller that finds the pool
// busy runs its range inline instead of waiting.
#include "parallel.h"

#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace ember {
namespace {

thread_local bool t_in_parallel = false;

int default_num_threads() {
  if (const char* env = std::getenv("EMBER_NUM_THREADS")) {
    int n = std::atoi(env);
    if (n > 0) return n;
  }
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
  unsigned hc = std::thread::hardware_concurrency();
  return hc ? static_cast<int>(hc) : 1;
}

class Pool {
 public:
  explicit Pool(int n) : n_(n) {
    for (int i = 1; i < n_; ++i) workers_.emplace_back([this, i] { worker_loop(i); });
  }
  ~Pool() {
    {
      std::lock_guard<std::mutex> lk(m_);
      stop_ = true;
      gen_.fetch_add(1, std::memory_order_release);
    }
    cv_start_.notify_all();
    for (auto& t : workers_) t.join();
  }
  int size() const { return n_; }
  std::mutex& submit_mutex() { return submit_; }

  // Runs chunks 0..nchunks-1 of [begin, end); caller holds submit_mutex().
  void run(int64_t begin, int64_t end, int nchunks, detail::ChunkFn fn, void* ctx) {
    {
      std::lock_guard<std::mutex> lk(m_);
      fn_ = fn;
      ctx_ = ctx;
      begin_ = begin;
      end_ = end;
      nchunks_ = nchunks;
      err_ = nullptr;
      pending_.store(nchunks - 1, std::memory_order_relaxed);
      gen_.fetch_add(1, std::memory_order_release);
    }
    cv_start_.notify_all();
    run_chunk(0);
    // Wait for the workers: spin first (short kernels), then sleep.
    for (int spin = 0; spin < 20000 && pending_.load(std::memory_order_acquire) > 0; ++spin) {
      __builtin_ia32_pause();
    }
    if (pending_.load(std::memory_order_acquire) > 0) {
      std::unique_lock<std::mutex> lk(m_);
      cv_done_.wait(lk, [this] { return pending_.load(std::memory_order_acquire) == 0; });
    }
    if (err_) {
      std::exception_ptr e = err_;
      err_ = nullptr;
      std::rethrow_exception(e);
    }
  }

 private:
  void run_chunk(int i) {
    int64_t total = end_ - begin_;
    int64_t b = begin_ + total * i / nchunks_;
    int64_t e = begin_ + total * (i + 1) / nchunks_;
    bool prev = t_in_parallel;
    t_in_parallel = true;
    try {
      if (e > b) fn_(ctx_, b, e);
    } catch (...) {
      std::lock_guard<std::mutex> lk(m_);
      if (!err_) err_ = std::current_exception();
    }
    t_in_parallel = prev;
  }

  void worker_loop(int idx) {
    uint64_t seen = 0;
    for (;;) {
      // Spin a little for the next job before blocking.
      uint64_t g = gen_.load(std::memory_order_acquire);
      for (int spin = 0; g == seen && spin < 20000; ++spin) {
        __builtin_ia32_pause();
        g = gen_.load(std::memory_order_acquire);
      }
      if (g == seen) {
        std::unique_lock<std::mutex> lk(m_);
        cv_start_.wait(lk, [&] { return gen_.load(std::memory_order_acquire) != seen; });
        g = gen_.load(std::memory_order_acquire);
      }
      int nchunks;
      {
        // Read the generation and the job together: a worker that wakes late must
        // not pair an old generation with a newer job.
        std::lock_guard<std::mutex> lk(m_);
        if (stop_) return;
        seen = gen_.load(std::memory_order_acquire);
        nchunks = nchunks_;
      }
      if (idx < nchunks) {
        run_chunk(idx);
        if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
          std::lock_guard<std::mutex> lk(m_);
          cv_done_.notify_one();
        }
      }
    }
  }

  int n_;
  std::vector<std::thread> workers_;
  std::mutex m_, submit_;
  std::condition_variable cv_start_, cv_done_;
  std::atomic<uint64_t> gen_{0};
  std::atomic<int> pending_{0};
  bool stop_ = false;
  detail::ChunkFn fn_ = nullptr;
  void* ctx_ = nullptr;
  int64_t begin_ = 0, end_ = 0;
  int nchunks_ = 0;
  std::exception_ptr err_;
};

std::mutex g_pool_mutex;
Pool* g_pool = nullptr;
int g_requested = 0;  // 0: default

void after_fork_in_child() {
  // The workers do not exist in the child and the mutexes may be held: drop the
  // pool without touching it (a small leak) and rebuild on first use.
  new (&g_pool_mutex) std::mutex();
  g_pool = nullptr;
}

struct AtForkRegistrar {
  AtForkRegistrar() { pthread_atfork(nullptr, nullptr, after_fork_in_child); }
} g_atfork;

Pool* pool() {
  Pool* p = g_pool;
  if (p) return p;
  std::lock_guard<std::mutex> lk(g_pool_mutex);
  if (!g_pool) g_pool = new Pool(g_requested > 0 ? g_requested : default_num_threads());
  return g_pool;
}

}  // namespace

int get_num_threads() { return pool()->size(); }

void set_num_threads(int n) {
  if (n < 1) n = 1;
  std::lock_guard<std::mutex> lk(g_pool_mutex);
  g_requested = n;
  Pool* old = g_pool;
  g_pool = nullptr;
  if (old) {
    std::lock_guard<std::mutex> wait_for_jobs(old->submit_mutex());
  }
  delete old;
  g_pool = new Pool(n);
}

bool in_parallel_region() { return t_in_parallel; }

namespace detail {
void parallel_for_impl(int64_t begin, int64_t end, int64_t grain, ChunkFn fn, void* ctx) {
  int64_t range = end - begin;
  if (grain < 1) grain = 1;
  if (range <= grain || t_in_parallel) {
    fn(ctx, begin, end);
    return;
  }
  Pool* p = pool();
  int64_t max_chunks = (range + grain - 1) / grain;
  int nchunks = static_cast<int>(std::min<int64_t>(p->size(), max_chunks));
  if (nchunks <= 1) {
    fn(ctx, begin, end);
    return;
  }
  std::unique_lock<std::mutex> lk(p->submit_mutex(), std::try_to_lock);
  if (!lk.owns_lock()) {
    fn(ctx, begin, end);
    return;
  }
  p->run(begin, end, nchunks, fn, ctx);
}
}  // namespace detail

}  // namespace ember
