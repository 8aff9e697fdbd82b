// cuda_loader.cpp — _C's side of the CUDA module split (built into _C only).
//
// CUDA code lives in ember/_C_cuda.so, next to _C. The first call that needs a
// CUDA device (cuda_api.h, or a kernel getter of cuda_kernel.h) dlopens it
// (RTLD_LOCAL: its copy of the core stays private) and reads its kernel table;
// CPU-only use never loads it. When the file is absent ember was built without
// CUDA, and every CUDA entry point raises "[op] ember was built without CUDA";
// when it exists but cannot be loaded, the loader's reason is kept for
// ember.cuda and for the errors. The module must come from the same build: its
// table carries a build tag that has to match ours.
#include <dlfcn.h>
#include <unistd.h>

#include <string>
#include <unordered_map>

#include "cuda_api.h"
#include "cuda_api_kernels.h"
#include "cuda_kernel_abi.h"
#include "error.h"

namespace ember {
namespace cuda {
namespace {

struct Module {
  bool file_found = false;
  bool ok = false;
  std::string why;  // why ok is false
  std::unordered_map<std::string, KernelPtr> kernels;
};

std::string module_path() {
  Dl_info info;
  if (!dladdr(reinterpret_cast<void*>(&module_path), &info) || !info.dli_fname) return "";
  std::string self = info.dli_fname;
  size_t slash = self.rfind('/');
  return (slash == std::string::npos ? std::string(".") : self.substr(0, slash)) + "/" + kModuleFile;
}

Module load() {
  Module m;
  const std::string path = module_path();
  if (path.empty() || access(path.c_str(), F_OK) != 0) {
    m.why = "ember was built without CUDA";
    return m;
  }
  m.file_found = true;
  void* h = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    const char* e = dlerror();
    m.why = "the CUDA module could not be loaded (" + std::string(e ? e : path) + ")";
    return m;
  }
  auto table = reinterpret_cast<TableFn>(dlsym(h, kTableSymbol));
  if (!table) {
    m.why = "the CUDA module " + path + " has no kernel table";
    return m;
  }
  size_t n = 0;
  const char* tag = nullptr;
  const KernelEntry* entries = table(&n, &tag);
  if (!tag || std::string(tag) != build_tag()) {
    m.why = "the CUDA module " + path + " comes from another build of ember (" + (tag ? tag : "?") +
            " vs " + build_tag() + "); reinstall ember";
    return m;
  }
  for (size_t i = 0; i < n; ++i) m.kernels.emplace(entries[i].name, entries[i].fn);
  m.ok = true;
  return m;
}

const Module& module() {
  static const Module m = load();  // thread-safe, once
  return m;
}

}  // namespace

KernelPtr find_kernel(const char* name, const char* op) {
  const Module& m = module();
  if (!m.ok) EMBER_FAIL(Runtime, "[", op, "] ", m.why);
  auto it = m.kernels.find(name);
  if (it == m.kernels.end())
    EMBER_FAIL(NotImplemented, "[", op, "] has no CUDA kernel in this build (", name, ")");
  return it->second;
}

// ---- cuda_api.h, forwarded to _C_cuda

bool compiled() { return module().file_found; }

int device_count(std::string* why) {
  const Module& m = module();
  if (!m.ok) {
    if (why) *why = m.why;
    return 0;
  }
  return cuda_kernels::cuda_device_count("cuda.device_count")(why);
}

std::string device_name(int dev) { return cuda_kernels::cuda_device_name("cuda.get_device_name")(dev); }
void check_device(int dev, const char* op) { cuda_kernels::cuda_check_device(op)(dev, op); }
void* alloc(size_t nbytes, int dev) { return cuda_kernels::cuda_alloc("alloc")(nbytes, dev); }
void free(void* p, size_t nbytes, int dev) {
  if (p) cuda_kernels::cuda_free("free")(p, nbytes, dev);
}
void empty_cache() {
  if (module().ok) cuda_kernels::cuda_empty_cache("cuda.empty_cache")();
}
size_t allocated_bytes(int dev) {
  return module().ok ? cuda_kernels::cuda_allocated_bytes("cuda.memory_allocated")(dev) : 0;
}
size_t cached_bytes(int dev) { return module().ok ? cuda_kernels::cuda_cached_bytes("cuda.memory_reserved")(dev) : 0; }
std::vector<std::pair<std::string, int64_t>> memory_stats(int dev) {
  std::vector<std::pair<std::string, int64_t>> out;
  cuda_kernels::cuda_memory_stats("cuda.memory_stats")(dev, &out);
  return out;
}
void reset_peak_memory_stats(int dev) {
  cuda_kernels::cuda_reset_peak_memory_stats("cuda.reset_peak_memory_stats")(dev);
}
void reset_accumulated_memory_stats(int dev) {
  cuda_kernels::cuda_reset_accumulated_memory_stats("cuda.reset_accumulated_memory_stats")(dev);
}
void record_stream(void* p, uintptr_t stream, int dev) {
  cuda_kernels::cuda_record_stream("record_stream")(p, stream, dev);
}
void* host_alloc(size_t nbytes) { return cuda_kernels::cuda_host_alloc("pin_memory")(nbytes); }
void host_free(void* p, size_t nbytes) {
  if (p) cuda_kernels::cuda_host_free("pin_memory")(p, nbytes);
}
void host_empty_cache() {
  if (module().ok) cuda_kernels::cuda_host_empty_cache("cuda.host_empty_cache")();
}
void copy_h2d(void* dst, const void* src, size_t nbytes, int dev, bool non_blocking) {
  cuda_kernels::cuda_copy_h2d("to(cuda)")(dst, src, nbytes, dev, non_blocking);
}
void copy_d2h(void* dst, const void* src, size_t nbytes, int dev) {
  cuda_kernels::cuda_copy_d2h("to(cpu)")(dst, src, nbytes, dev);
}
void copy_d2d(void* dst, const void* src, size_t nbytes, int dev) {
  cuda_kernels::cuda_copy_d2d("copy_")(dst, src, nbytes, dev);
}
void copy_peer(void* dst, int dst_dev, const void* src, int src_dev, size_t nbytes) {
  cuda_kernels::cuda_copy_peer("to(cuda)")(dst, dst_dev, src, src_dev, nbytes);
}
void memset_zero(void* dst, size_t nbytes, int dev) { cuda_kernels::cuda_memset_zero("zero_")(dst, nbytes, dev); }
void synchronize(int dev) { cuda_kernels::cuda_synchronize("cuda.synchronize")(dev); }
void set_device(int dev) { cuda_kernels::cuda_set_device("cuda.set_device")(dev); }
int current_device() { return cuda_kernels::cuda_current_device("cuda.current_device")(); }

uintptr_t stream_create(int dev, int priority) {
  return cuda_kernels::cuda_stream_create("cuda.Stream")(dev, priority);
}
uintptr_t current_stream_handle(int dev) {
  return cuda_kernels::cuda_current_stream_handle("cuda.current_stream")(dev);
}
void set_current_stream(uintptr_t stream, int dev) {
  cuda_kernels::cuda_set_current_stream("cuda.set_stream")(stream, dev);
}
bool stream_query(uintptr_t stream, int dev) { return cuda_kernels::cuda_stream_query("cuda.Stream.query")(stream, dev); }
void stream_synchronize(uintptr_t stream, int dev) {
  cuda_kernels::cuda_stream_synchronize("cuda.Stream.synchronize")(stream, dev);
}
void stream_wait_event(uintptr_t stream, uintptr_t event, int dev) {
  cuda_kernels::cuda_stream_wait_event("cuda.Stream.wait_event")(stream, event, dev);
}
std::pair<int, int> stream_priority_range() {
  int least = 0, greatest = 0;
  cuda_kernels::cuda_stream_priority_range("cuda.Stream.priority_range")(&least, &greatest);
  return {least, greatest};
}
uintptr_t event_create(int dev, bool enable_timing, bool blocking) {
  return cuda_kernels::cuda_event_create("cuda.Event")(dev, enable_timing, blocking);
}
void event_destroy(uintptr_t event, int dev) {
  if (event && module().ok) cuda_kernels::cuda_event_destroy("cuda.Event")(event, dev);
}
void event_record(uintptr_t event, uintptr_t stream, int dev) {
  cuda_kernels::cuda_event_record("cuda.Event.record")(event, stream, dev);
}
bool event_query(uintptr_t event) { return cuda_kernels::cuda_event_query("cuda.Event.query")(event); }
void event_synchronize(uintptr_t event) { cuda_kernels::cuda_event_synchronize("cuda.Event.synchronize")(event); }
float event_elapsed_ms(uintptr_t start, uintptr_t end) {
  return cuda_kernels::cuda_event_elapsed_ms("cuda.Event.elapsed_time")(start, end);
}

}  // namespace cuda

void copy_cuda(const Array& dst, const Array& src) { cuda_kernels::cuda_copy("copy_")(dst, src); }
void fill_cuda(const Array& dst, double value) { cuda_kernels::cuda_fill("fill_")(dst, value); }

}  // namespace ember
