// array.h — ember's strided n-d array: a Storage plus shape, strides (in
// elements), offset (in elements) and dtype. Views (reshape when possible,
// permute, slice, expand, squeeze...) share the storage; kernels either take the
// strides or call contiguous() first.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "device.h"
#include "dtype.h"
#include "error.h"
#include "storage.h"
#include "checked.h"

namespace ember {

using Shape = std::vector<int64_t>;
constexpr int kMaxDims = 16;

// Row-major strides for a shape.
Shape contiguous_strides(const Shape& shape);
int64_t shape_numel(const Shape& shape);
// Normalises a possibly negative dim against ndim, with a "[op] dim out of range" error.
int64_t wrap_dim(int64_t dim, int64_t ndim, const char* op);
// Bytes of a contiguous `shape` array, checked for int64 overflow and (on the CPU)
// against the machine's RAM + swap: for ops that size work buffers from an output
// shape before allocating the output itself.
int64_t checked_alloc_bytes(const Shape& shape, DType dtype, Device device, const char* op);
// NumPy broadcasting of two shapes; throws "[op] shapes ... cannot be broadcast".
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op);

class Array {
 public:
  Array() = default;
  Array(std::shared_ptr<Storage> storage, Shape shape, Shape strides, int64_t offset, DType dtype)
      : storage_(std::move(storage)), shape_(std::move(shape)), strides_(std::move(strides)),
        offset_(offset), dtype_(dtype) {}

  // Uninitialised, contiguous. `op` names the caller in size/memory errors.
  static Array empty(const Shape& shape, DType dtype, Device device = Device{}, const char* op = "empty");
  static Array zeros(const Shape& shape, DType dtype, Device device = Device{}, const char* op = "zeros");
  static Array full(const Shape& shape, double value, DType dtype, Device device = Device{},
                    const char* op = "full");
  // A 0-d array holding one value.
  static Array scalar(double value, DType dtype, Device device = Device{});

  bool defined() const { return static_cast<bool>(storage_); }
  const Shape& shape() const { return shape_; }
  const Shape& strides() const { return strides_; }
  int64_t offset() const { return offset_; }
  DType dtype() const { return dtype_; }
  Device device() const { return storage_->device(); }
  int64_t ndim() const { return static_cast<int64_t>(shape_.size()); }
  int64_t numel() const { return shape_numel(shape_); }
  int64_t size(int64_t d) const { return shape_[wrap_dim(d, ndim(), "size")]; }
  int64_t itemsize() const { return ember::itemsize(dtype_); }
  int64_t nbytes() const { return checked_mul(numel(), itemsize(), "nbytes"); }
  const std::shared_ptr<Storage>& storage() const { return storage_; }
  bool is_contiguous() const;
  // True when the elements cover one dense block in some order (any permutation).
  bool is_non_overlapping_and_dense() const;

  void* data_ptr() const {
    return static_cast<char*>(storage_->data()) + offset_ * ember::itemsize(dtype_);
  }
  template <class T> T* data() const { return static_cast<T*>(data_ptr()); }

  uint64_t version() const { return storage_->version(); }
  void bump_version() const { storage_->bump_version(); }

  // ---- views (share storage) ----
  Array as_strided(const Shape& shape, const Shape& strides, int64_t offset) const;
  Array view(const Shape& shape) const;        // throws if not expressible as a view
  Array reshape(const Shape& shape) const;     // a view when possible, else a copy
  Array permute(const std::vector<int64_t>& dims) const;
  Array transpose(int64_t d0, int64_t d1) const;
  // Python-style slice of one dim: start/stop are clamped like list slicing, step > 0.
  Array slice(int64_t dim, int64_t start, int64_t stop, int64_t step = 1) const;
  Array select(int64_t dim, int64_t index) const;
  Array narrow(int64_t dim, int64_t start, int64_t length) const;
  Array expand(const Shape& shape) const;      // -1 keeps a dim
  Array squeeze() const;
  Array squeeze(int64_t dim) const;
  Array unsqueeze(int64_t dim) const;
  Array diagonal(int64_t offset, int64_t d1, int64_t d2) const;
  Array flatten(int64_t start_dim, int64_t end_dim) const;
  Array unfold(int64_t dim, int64_t size, int64_t step) const;

  // ---- copies ----
  Array contiguous() const;  // self when already contiguous
  Array clone() const;       // always a fresh contiguous copy
  Array to(DType dtype) const;           // self when same dtype
  Array to(Device device) const;         // self when same device
  // non_blocking: a host->device copy from pinned memory returns once queued on
  // the current stream (from pageable memory it stays synchronous).
  Array to(Device device, bool non_blocking) const;
  // Copies src into this (broadcast, cast, across devices); bumps the version.
  void copy_(const Array& src) const;
  void copy_from(const Array& src, bool non_blocking) const;  // copy_ with non_blocking (see to)
  // A copy in pinned host memory (self when already pinned); CPU arrays only.
  Array pin_memory() const;
  bool is_pinned() const;
  void fill_(double value) const;
  void zero_() const;

 private:
  std::shared_ptr<Storage> storage_;
  Shape shape_;
  Shape strides_;
  int64_t offset_ = 0;
  DType dtype_ = DType::Float32;
};

// Strided copy with dtype conversion between two CPU arrays of the same shape.
void copy_cpu(const Array& dst, const Array& src);

}  // namespace ember
