// storage.h — a refcounted block of memory shared by an array and its views.
//
// Storage owns its bytes (from the caching allocators) or borrows them from an
// outside owner (a NumPy array, a DLPack capsule) kept alive by `owner`. The
// version counter is bumped by every in-place write; autograd compares it with
// the version it saved to catch a tensor changed after it was saved for backward.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "allocator.h"
#include "device.h"

namespace ember {

class Storage {
 public:
  // Owned memory of nbytes on device d (uninitialised).
  Storage(size_t nbytes, Device d) : nbytes_(nbytes), device_(d) {
    data_ = nbytes ? device_alloc(nbytes, d) : nullptr;
  }
  // Pinned (page-locked) host memory from the CUDA host allocator.
  struct Pinned {};
  Storage(size_t nbytes, Pinned) : nbytes_(nbytes), device_(Device{}), pinned_(true) {
    data_ = nbytes ? pinned_alloc(nbytes) : nullptr;
  }
  // Borrowed memory, kept alive by owner.
  Storage(void* data, size_t nbytes, Device d, std::shared_ptr<void> owner)
      : data_(data), nbytes_(nbytes), device_(d), owner_(std::move(owner)) {}
  ~Storage() {
    if (!owner_ && data_) {
      if (pinned_) pinned_free(data_, nbytes_);
      else device_free(data_, nbytes_, device_);
    }
  }
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() const { return data_; }
  size_t nbytes() const { return nbytes_; }
  Device device() const { return device_; }
  bool borrowed() const { return static_cast<bool>(owner_); }
  bool pinned() const { return pinned_; }
  uint64_t version() const { return version_.load(std::memory_order_relaxed); }
  void bump_version() { version_.fetch_add(1, std::memory_order_relaxed); }

 private:
  void* data_ = nullptr;
  size_t nbytes_ = 0;
  Device device_;
  std::shared_ptr<void> owner_;
  bool pinned_ = false;
  std::atomic<uint64_t> version_{0};
};

}  // namespace ember
