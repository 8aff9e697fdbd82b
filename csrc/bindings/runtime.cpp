// runtime.cpp — process-level settings: threads, SIMD level, allocator and CUDA
// device queries, CUDA streams/events/memory stats (ember.cuda), and the test
// hook of the CUDA caching allocator's bookkeeping (_test_block_pool).
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <unordered_map>

#include "bindings.h"
#include "core/allocator.h"
#include "core/array.h"
#include "core/cpu_features.h"
#include "core/cuda_api.h"
#include "core/cuda_block_pool.h"
#include "core/cuda_divmod.h"
#include "core/parallel.h"

namespace ember {
namespace {

// A device that hands out fake addresses, for testing cuda_block_pool.h on the CPU.
struct FakeBackend {
  uintptr_t next_addr = uintptr_t(1) << 40;
  size_t live = 0, limit = std::numeric_limits<size_t>::max();
  int fail_next = 0;
  std::unordered_map<uintptr_t, size_t> segments;
  std::vector<size_t> mallocs;  // sizes of every successful device malloc
  uintptr_t next_event = 1;
  std::set<uintptr_t> open_events;  // recorded, not completed
  int64_t events_created = 0, events_destroyed = 0;

  void* malloc(size_t n) {
    if (fail_next > 0) {
      --fail_next;
      return nullptr;
    }
    if (n > limit - live) return nullptr;
    uintptr_t p = next_addr;
    next_addr += n + (size_t(1) << 21);  // a gap: segments are never adjacent
    live += n;
    segments[p] = n;
    mallocs.push_back(n);
    return reinterpret_cast<void*>(p);
  }
  void free(void* p) {
    auto it = segments.find(reinterpret_cast<uintptr_t>(p));
    EMBER_CHECK(it != segments.end(), Runtime, "[_test_block_pool] free of an unknown segment");
    live -= it->second;
    segments.erase(it);
  }
  uintptr_t record_event(uintptr_t) {
    ++events_created;
    open_events.insert(next_event);
    return next_event++;
  }
  bool event_done(uintptr_t e) { return open_events.count(e) == 0; }
  void event_synchronize(uintptr_t e) { open_events.erase(e); }
  void destroy_event(uintptr_t e) {
    ++events_destroyed;
    open_events.erase(e);
  }
  int device() const { return 0; }
  size_t total_memory() { return limit == std::numeric_limits<size_t>::max() ? (size_t(80) << 30) : limit; }
};

// Runs a script of allocator calls, one per line:
//   malloc NAME BYTES [STREAM] | free NAME | record NAME STREAM | complete (every
//   recorded event completes) | empty_cache | fail N (the next N device mallocs
//   fail) | limit BYTES (device capacity) | reset_peak
// Returns {"stats": memory_stats dict, "ptrs": {NAME: address}, "device_mallocs":
// [sizes], "live_device_bytes", "free_blocks", "pending_events", "events_created",
// "events_destroyed", "error": the message of the first error (the script stops) or None}.
py::dict test_block_pool(const std::string& script) {
  cuda_pool::BlockPool<FakeBackend> pool{FakeBackend{}};
  std::map<std::string, void*> ptrs;
  py::object error = py::none();
  std::istringstream lines(script);
  std::string line;
  try {
    while (std::getline(lines, line)) {
      std::istringstream ls(line);
      std::string cmd, name;
      if (!(ls >> cmd) || cmd[0] == '#') continue;
      if (cmd == "malloc") {
        size_t n = 0;
        uintptr_t stream = 0;
        ls >> name >> n;
        if (!(ls >> stream)) stream = 0;
        ptrs[name] = pool.malloc(n, stream);
      } else if (cmd == "free") {
        ls >> name;
        EMBER_CHECK(ptrs.count(name), Value, "[_test_block_pool] unknown block ", name);
        EMBER_CHECK(pool.free(ptrs[name]), Value, "[_test_block_pool] ", name, " is not allocated");
      } else if (cmd == "record") {
        uintptr_t stream = 0;
        ls >> name >> stream;
        EMBER_CHECK(ptrs.count(name) && pool.record_stream(ptrs[name], stream), Value,
                    "[_test_block_pool] ", name, " is not allocated");
      } else if (cmd == "complete") {
        pool.backend().open_events.clear();
      } else if (cmd == "empty_cache") {
        pool.empty_cache();
      } else if (cmd == "fail") {
        ls >> pool.backend().fail_next;
      } else if (cmd == "limit") {
        ls >> pool.backend().limit;
      } else if (cmd == "reset_peak") {
        pool.reset_peak();
      } else {
        EMBER_FAIL(Value, "[_test_block_pool] unknown command '", cmd, "'");
      }
    }
  } catch (const Error& e) {
    error = py::str(e.what());
  }
  py::dict stats;
  for (auto& kv : pool.stats().flat()) stats[py::str(kv.first)] = kv.second;
  py::dict named;
  for (auto& kv : ptrs) named[py::str(kv.first)] = reinterpret_cast<uintptr_t>(kv.second);
  py::dict out;
  FakeBackend& b = pool.backend();
  out["stats"] = stats;
  out["ptrs"] = named;
  out["device_mallocs"] = py::cast(b.mallocs);
  out["live_device_bytes"] = b.live;
  out["free_blocks"] = pool.free_block_count();
  out["pending_events"] = pool.pending_event_count();
  out["events_created"] = b.events_created;
  out["events_destroyed"] = b.events_destroyed;
  out["error"] = error;
  return out;
}

}  // namespace

void bind_runtime(py::module_& m) {
#ifdef EMBER_VERSION
  m.attr("__version__") = EMBER_VERSION;
#endif
#ifdef NDEBUG
  m.attr("build_type") = "Release";
#else
  m.attr("build_type") = "Debug";
#endif
  m.def("get_num_threads", &get_num_threads);
  m.def("set_num_threads", [](int n) {
    EMBER_CHECK(n >= 1, Value, "[set_num_threads] expected a positive number of threads, got ", n);
    py::gil_scoped_release g;
    set_num_threads(n);
  });
  m.def("simd_level", [] { return std::string(simd_level_name(simd_level())); });
  m.def("cpu_max_simd_level", [] { return std::string(simd_level_name(cpu_max_simd_level())); });
  m.def("set_simd_level", [](const std::string& s) {
    SimdLevel l = s == "scalar" ? SimdLevel::Scalar : s == "avx2" ? SimdLevel::AVX2 : SimdLevel::AVX512;
    EMBER_CHECK(s == "scalar" || s == "avx2" || s == "avx512", Value,
                "[set_simd_level] expected 'scalar', 'avx2' or 'avx512', got '", s, "'");
    set_simd_level_cap(l);
  });
  m.def("cpu_empty_cache", &cpu_empty_cache);
  m.def("cpu_cached_bytes", &cpu_cached_bytes);
  m.def("cpu_allocated_bytes", &cpu_allocated_bytes);

  auto c = m.def_submodule("cuda", "CUDA runtime queries");
  c.def("compiled", &cuda::compiled);
  c.def("device_count", [] { return cuda::device_count(nullptr); });
  c.def("unavailable_reason", [] {
    std::string why;
    cuda::device_count(&why);
    return why;
  });
  c.def("device_name", &cuda::device_name);
  c.def("synchronize", &cuda::synchronize, release_gil());
  c.def("set_device", &cuda::set_device);
  c.def("current_device", &cuda::current_device);
  c.def("empty_cache", &cuda::empty_cache);
  c.def("allocated_bytes", &cuda::allocated_bytes);
  c.def("cached_bytes", &cuda::cached_bytes);
  c.def("memory_stats", [](int dev) {
    py::dict d;
    for (auto& kv : cuda::memory_stats(dev)) d[py::str(kv.first)] = kv.second;
    return d;
  });
  c.def("reset_peak_memory_stats", &cuda::reset_peak_memory_stats);
  c.def("reset_accumulated_memory_stats", &cuda::reset_accumulated_memory_stats);
  c.def("host_empty_cache", &cuda::host_empty_cache);
  // Streams and events: opaque integer handles (0 = the legacy default stream).
  c.def("stream_create", &cuda::stream_create);
  c.def("current_stream", &cuda::current_stream_handle);
  c.def("set_current_stream", &cuda::set_current_stream);
  c.def("stream_query", &cuda::stream_query);
  c.def("stream_synchronize", &cuda::stream_synchronize, release_gil());
  c.def("stream_wait_event", &cuda::stream_wait_event);
  c.def("stream_priority_range", &cuda::stream_priority_range);
  c.def("event_create", &cuda::event_create);
  c.def("event_destroy", &cuda::event_destroy);
  c.def("event_record", &cuda::event_record);
  c.def("event_query", &cuda::event_query);
  c.def("event_synchronize", &cuda::event_synchronize, release_gil());
  c.def("event_elapsed_ms", &cuda::event_elapsed_ms);
  // Tensor.record_stream / pin_memory / is_pinned / to(non_blocking=)
  c.def("record_stream", [](const Array& a, uintptr_t stream) {
    EMBER_CHECK(a.device().is_cuda(), Runtime, "[record_stream] expected a CUDA tensor, got one on ",
                a.device().str());
    cuda::record_stream(a.storage()->data(), stream, a.device().index);
  });
  c.def("pin_memory", &Array::pin_memory, release_gil());
  c.def("is_pinned", &Array::is_pinned);
  c.def("to_device", [](const Array& a, int type, int index, bool non_blocking) {
    py::gil_scoped_release g;
    return a.to(make_device(type, index), non_blocking);
  });
  c.def("copy_", [](const Array& dst, const Array& src, bool non_blocking) {
    py::gil_scoped_release g;
    dst.copy_from(src, non_blocking);
  });

  m.def("_test_fast_divmod", [](uint32_t d, const std::vector<uint32_t>& ns) {
    EMBER_CHECK(d >= 1 && d <= (uint32_t(1) << 31), Value, "[_test_fast_divmod] divisor out of range");
    FastDivmod f(d);
    std::vector<uint32_t> q(ns.size());
    for (size_t i = 0; i < ns.size(); ++i) {
      EMBER_CHECK(ns[i] < (uint32_t(1) << 31), Value, "[_test_fast_divmod] numerator out of range");
      q[i] = f.div(ns[i]);
    }
    return q;
  }, "FastDivmod (core/cuda_divmod.h) on the host: n / d for each n; for tests.");
  m.def("_test_block_pool", &test_block_pool,
        "Runs a script of caching-allocator calls over a fake device (see runtime.cpp); for tests.");
}

}  // namespace ember
