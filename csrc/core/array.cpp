// array.cpp — Array construction, views, and the copy/fill paths every op uses.
#include "array.h"

#include <algorithm>
#include <cstring>

#include <sys/sysinfo.h>
#include <unistd.h>

#include "cuda_api.h"
#include "overlap.h"
#include "parallel.h"
#include "strided_loop.h"

namespace ember {

// Implemented by the CUDA backend (or its no-CUDA stub).
void copy_cuda(const Array& dst, const Array& src);
void fill_cuda(const Array& dst, double value);

Shape contiguous_strides(const Shape& shape) {
  Shape st(shape.size());
  int64_t s = 1;
  for (int64_t i = static_cast<int64_t>(shape.size()) - 1; i >= 0; --i) {
    st[i] = s;
    if (i > 0) s = checked_mul(s, std::max<int64_t>(shape[i], 1), "contiguous_strides");
  }
  return st;
}

int64_t shape_numel(const Shape& shape) { return checked_numel(shape, "numel"); }

int64_t wrap_dim(int64_t dim, int64_t ndim, const char* op) {
  int64_t n = ndim > 0 ? ndim : 1;  // a 0-d array accepts dim 0 and -1
  if (dim < -n || dim >= n)
    EMBER_FAIL(Index, "[", op, "] Dimension out of range (expected to be in range of [", -n, ", ", n - 1,
               "], but got ", dim, ")");
  return dim < 0 ? dim + n : dim;
}

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
  size_t n = std::max(a.size(), b.size());
  Shape out(n);
  for (size_t i = 0; i < n; ++i) {
    int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    if (da != db && da != 1 && db != 1)
      EMBER_FAIL(Value, "[", op, "] shapes ", shape_str(a), " and ", shape_str(b),
                 " cannot be broadcast together (dim ", i, ": ", da, " vs ", db, ")");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

void broadcast_byte_strides(const Array& a, const Shape& shape, int64_t* out) {
  int64_t n = static_cast<int64_t>(shape.size()), an = a.ndim(), isz = a.itemsize();
  for (int64_t i = 0; i < n; ++i) {
    int64_t j = i - (n - an);
    out[i] = (j < 0 || a.shape()[j] == 1) ? 0 : a.strides()[j] * isz;
  }
}

static void check_shape(const Shape& shape, const char* op) {
  if (static_cast<int64_t>(shape.size()) > kMaxDims)
    EMBER_FAIL(Value, "[", op, "] at most ", kMaxDims, " dims are supported, got ", shape.size());
  for (int64_t s : shape)
    if (s < 0) EMBER_FAIL(Value, "[", op, "] negative dimension in shape ", shape_str(shape));
}

// RAM + swap of this machine in bytes (0 when unknown). Linux overcommits: a
// request larger than this can "succeed" and then kill the process on first
// touch, so such requests are refused up front with a clean error instead.
static uint64_t host_memory_limit() {
  static const uint64_t limit = [] {
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    if (pages <= 0 || page <= 0) return uint64_t(0);
    uint64_t total = static_cast<uint64_t>(pages) * static_cast<uint64_t>(page);
    struct sysinfo si;
    if (sysinfo(&si) == 0) total += static_cast<uint64_t>(si.totalswap) * si.mem_unit;
    return total;
  }();
  return limit;
}

int64_t checked_alloc_bytes(const Shape& shape, DType dtype, Device device, const char* op) {
  check_shape(shape, op);
  const int64_t nbytes = checked_nbytes(shape, ember::itemsize(dtype), op);
  if (device.is_cpu()) {
    const uint64_t limit = host_memory_limit();
    EMBER_CHECK(limit == 0 || static_cast<uint64_t>(nbytes) <= limit, Runtime, "[", op,
                "] out of memory: tried to allocate ", nbytes, " bytes on the CPU for shape ", shape_str(shape),
                ", more than this machine's ", limit, " bytes of RAM and swap");
  }
  return nbytes;
}

Array Array::empty(const Shape& shape, DType dtype, Device device, const char* op) {
  if (device.is_cuda()) cuda::check_device(device.index, op);
  const int64_t nbytes = checked_alloc_bytes(shape, dtype, device, op);
  return Array(std::make_shared<Storage>(static_cast<size_t>(nbytes), device), shape, contiguous_strides(shape), 0,
               dtype);
}

Array Array::zeros(const Shape& shape, DType dtype, Device device, const char* op) {
  Array a = empty(shape, dtype, device, op);
  a.zero_();
  return a;
}

Array Array::full(const Shape& shape, double value, DType dtype, Device device, const char* op) {
  Array a = empty(shape, dtype, device, op);
  a.fill_(value);
  return a;
}

Array Array::scalar(double value, DType dtype, Device device) { return full({}, value, dtype, device); }

bool Array::is_contiguous() const {
  int64_t expected = 1;
  for (int64_t i = ndim() - 1; i >= 0; --i) {
    if (shape_[i] == 1) continue;
    if (strides_[i] != expected) return shape_[i] == 0 || numel() == 0;
    expected *= shape_[i];
  }
  return true;
}

bool Array::is_non_overlapping_and_dense() const {
  if (is_contiguous()) return true;
  std::vector<int64_t> idx;
  for (int64_t d = 0; d < ndim(); ++d)
    if (shape_[d] != 1) idx.push_back(d);
  std::sort(idx.begin(), idx.end(), [&](int64_t a, int64_t b) { return strides_[a] < strides_[b]; });
  int64_t expected = 1;
  for (int64_t d : idx) {
    if (strides_[d] != expected) return false;
    expected *= shape_[d];
  }
  return true;
}

// ---------------------------------------------------------------- views

Array Array::as_strided(const Shape& shape, const Shape& strides, int64_t offset) const {
  check_shape(shape, "as_strided");
  // RuntimeError like torch for every bad geometry (mismatch, negative, out of bounds).
  EMBER_CHECK(shape.size() == strides.size(), Runtime, "[as_strided] shape ", shape_str(shape),
              " and strides ", shape_str(strides), " differ in length");
  for (int64_t st : strides)
    EMBER_CHECK(st >= 0, Runtime, "[as_strided] negative strides are not supported, got strides ", shape_str(strides));
  EMBER_CHECK(offset >= 0, Runtime, "[as_strided] negative storage offset ", offset);
  if (checked_numel(shape, "as_strided") > 0) {
    const StrideExtent ext = checked_extent(shape, strides, offset, "as_strided");
    const int64_t lo = ext.lo, hi = ext.hi;
    int64_t cap = static_cast<int64_t>(storage_->nbytes() / ember::itemsize(dtype_));
    EMBER_CHECK(lo >= 0 && hi < cap, Runtime, "[as_strided] view of shape ", shape_str(shape), " strides ",
                shape_str(strides), " offset ", offset, " reaches outside a storage of ", cap, " elements");
  }
  return Array(storage_, shape, strides, offset, dtype_);
}

static Shape infer_size(const Shape& shape, int64_t numel, const char* op, const Shape& from) {
  Shape out = shape;
  int64_t infer = -1, prod = 1;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] == -1) {
      EMBER_CHECK(infer < 0, Runtime, "[", op, "] only one dimension can be inferred (-1), got ", shape_str(shape));
      infer = static_cast<int64_t>(i);
    } else {
      EMBER_CHECK(out[i] >= 0, Runtime, "[", op, "] invalid shape dimension ", out[i], " in ", shape_str(shape));
      prod = checked_mul(prod, out[i], op);
    }
  }
  if (infer >= 0) {
    EMBER_CHECK(prod != 0 && numel % prod == 0, Runtime, "[", op, "] shape ", shape_str(shape),
                " is invalid for input of size ", numel, " (shape ", shape_str(from), ")");
    out[infer] = numel / prod;
  } else {
    EMBER_CHECK(prod == numel, Runtime, "[", op, "] shape ", shape_str(shape), " is invalid for input of size ",
                numel, " (shape ", shape_str(from), ")");
  }
  check_shape(out, op);
  return out;
}

// Strides that view `old` (shape/strides) as `shape`, or false (PyTorch's computeStride).
static bool view_strides(const Shape& oshape, const Shape& ostride, const Shape& shape, Shape& out) {
  out.assign(shape.size(), 0);
  if (shape_numel(oshape) == 0 || oshape.empty()) {
    out = contiguous_strides(shape);
    return true;
  }
  int64_t view_d = static_cast<int64_t>(shape.size()) - 1;
  int64_t chunk_base_stride = ostride.back();
  int64_t tensor_numel = 1, view_numel = 1;
  for (int64_t td = static_cast<int64_t>(oshape.size()) - 1; td >= 0; --td) {
    tensor_numel *= oshape[td];
    if (td == 0 || (oshape[td - 1] != 1 && ostride[td - 1] != tensor_numel * chunk_base_stride)) {
      while (view_d >= 0 && (view_numel < tensor_numel || shape[view_d] == 1)) {
        out[view_d] = view_numel * chunk_base_stride;
        view_numel *= shape[view_d];
        --view_d;
      }
      if (view_numel != tensor_numel) return false;
      if (td > 0) {
        chunk_base_stride = ostride[td - 1];
        tensor_numel = 1;
        view_numel = 1;
      }
    }
  }
  return view_d == -1;
}

Array Array::view(const Shape& shape) const {
  Shape s = infer_size(shape, numel(), "view", shape_);
  Shape st;
  EMBER_CHECK(view_strides(shape_, strides_, s, st), Runtime, "[view] size ", shape_str(s),
              " is not compatible with input of shape ", shape_str(shape_), " and strides ", shape_str(strides_),
              ": use .reshape(...) instead");
  return Array(storage_, s, st, offset_, dtype_);
}

Array Array::reshape(const Shape& shape) const {
  Shape s = infer_size(shape, numel(), "reshape", shape_);
  Shape st;
  if (view_strides(shape_, strides_, s, st)) return Array(storage_, s, st, offset_, dtype_);
  return contiguous().view(s);
}

Array Array::permute(const std::vector<int64_t>& dims) const {
  EMBER_CHECK(static_cast<int64_t>(dims.size()) == ndim(), Value, "[permute] expected ", ndim(),
              " dims for input of shape ", shape_str(shape_), ", got ", dims.size());
  Shape s(dims.size()), st(dims.size());
  std::vector<bool> seen(dims.size(), false);
  for (size_t i = 0; i < dims.size(); ++i) {
    int64_t d = wrap_dim(dims[i], ndim(), "permute");
    EMBER_CHECK(!seen[d], Value, "[permute] dim ", d, " repeated in ", shape_str(dims));
    seen[d] = true;
    s[i] = shape_[d];
    st[i] = strides_[d];
  }
  return Array(storage_, s, st, offset_, dtype_);
}

Array Array::transpose(int64_t d0, int64_t d1) const {
  // Wrap first: a 0-d array still only accepts dims 0 and -1, as in torch.
  d0 = wrap_dim(d0, ndim(), "transpose");
  d1 = wrap_dim(d1, ndim(), "transpose");
  if (ndim() == 0) return *this;
  Shape s = shape_, st = strides_;
  std::swap(s[d0], s[d1]);
  std::swap(st[d0], st[d1]);
  return Array(storage_, s, st, offset_, dtype_);
}

Array Array::slice(int64_t dim, int64_t start, int64_t stop, int64_t step) const {
  EMBER_CHECK(ndim() > 0, Index, "[slice] cannot slice a 0-d array");
  dim = wrap_dim(dim, ndim(), "slice");
  EMBER_CHECK(step > 0, Value, "[slice] step must be positive, got ", step);
  int64_t n = shape_[dim];
  if (start < 0) start += n;
  if (stop < 0) stop += n;
  start = std::min(std::max<int64_t>(start, 0), n);
  stop = std::min(std::max<int64_t>(stop, start), n);
  Shape s = shape_, st = strides_;
  s[dim] = stop > start ? (stop - start - 1) / step + 1 : 0;  // no stop - start + step: it can overflow
  st[dim] = s[dim] > 1 ? checked_mul(strides_[dim], step, "slice") : strides_[dim];
  return Array(storage_, s, st, offset_ + start * strides_[dim], dtype_);
}

Array Array::select(int64_t dim, int64_t index) const {
  EMBER_CHECK(ndim() > 0, Index, "[select] cannot index a 0-d array");
  dim = wrap_dim(dim, ndim(), "select");
  int64_t n = shape_[dim];
  EMBER_CHECK(index >= -n && index < n, Index, "[select] index ", index, " is out of bounds for dim ", dim,
              " with size ", n);
  if (index < 0) index += n;
  Shape s = shape_, st = strides_;
  s.erase(s.begin() + dim);
  st.erase(st.begin() + dim);
  return Array(storage_, s, st, offset_ + index * strides_[dim], dtype_);
}

Array Array::narrow(int64_t dim, int64_t start, int64_t length) const {
  // wrap_dim lets a 0-d array through (dim 0 / -1), but it has no shape_[0] to narrow.
  EMBER_CHECK(ndim() > 0, Runtime, "[narrow] narrow() cannot be applied to a 0-dim tensor, got shape ()");
  dim = wrap_dim(dim, ndim(), "narrow");
  int64_t n = shape_[dim];
  if (start < 0) start += n;
  // length <= n - start, not start + length <= n: the sum could overflow.
  EMBER_CHECK(start >= 0 && length >= 0 && length <= n - start, Index, "[narrow] start ", start, " + length ",
              length, " exceeds dim ", dim, " of size ", n);
  return slice(dim, start, start + length, 1);
}

Array Array::expand(const Shape& shape) const {
  EMBER_CHECK(static_cast<int64_t>(shape.size()) >= ndim(), Value, "[expand] the number of sizes ",
              shape.size(), " must be at least the number of dims ", ndim(), " of shape ", shape_str(shape_));
  check_shape(Shape(shape.size(), 0), "expand");
  size_t n = shape.size(), lead = n - shape_.size();
  Shape s(n), st(n);
  for (size_t i = 0; i < n; ++i) {
    int64_t want = shape[i];
    EMBER_CHECK(want >= -1, Runtime, "[expand] the expanded size of the tensor (", want,
                ") isn't allowed: sizes must be non-negative or -1, got ", shape_str(shape));
    if (i < lead) {
      EMBER_CHECK(want >= 0, Runtime, "[expand] the expanded size of the tensor (", want,
                  ") isn't allowed in a leading, non-existing dimension ", i, " of ", shape_str(shape));
      s[i] = want;
      st[i] = 0;
      continue;
    }
    int64_t have = shape_[i - lead];
    if (want == -1) want = have;
    EMBER_CHECK(want == have || have == 1, Value, "[expand] cannot expand shape ", shape_str(shape_), " to ",
                shape_str(shape), ": dim ", i, " has size ", have, ", expected 1 or ", want);
    s[i] = want;
    st[i] = (have == want) ? strides_[i - lead] : 0;
  }
  checked_numel(s, "expand");
  return Array(storage_, s, st, offset_, dtype_);
}

Array Array::squeeze() const {
  Shape s, st;
  for (int64_t i = 0; i < ndim(); ++i)
    if (shape_[i] != 1) {
      s.push_back(shape_[i]);
      st.push_back(strides_[i]);
    }
  return Array(storage_, s, st, offset_, dtype_);
}

Array Array::squeeze(int64_t dim) const {
  dim = wrap_dim(dim, ndim(), "squeeze");  // before the 0-d early return: torch checks the dim too
  if (ndim() == 0) return *this;
  if (shape_[dim] != 1) return *this;
  Shape s = shape_, st = strides_;
  s.erase(s.begin() + dim);
  st.erase(st.begin() + dim);
  return Array(storage_, s, st, offset_, dtype_);
}

Array Array::unsqueeze(int64_t dim) const {
  dim = wrap_dim(dim, ndim() + 1, "unsqueeze");
  check_shape(Shape(ndim() + 1, 0), "unsqueeze");
  Shape s = shape_, st = strides_;
  int64_t stride = dim < ndim() ? checked_mul(strides_[dim], shape_[dim], "unsqueeze") : 1;
  s.insert(s.begin() + dim, 1);
  st.insert(st.begin() + dim, stride);
  return Array(storage_, s, st, offset_, dtype_);
}

Array Array::diagonal(int64_t off, int64_t d1, int64_t d2) const {
  // torch's order: wrap (IndexError for a 0-d/1-d array's dim 1), then identical dims (RuntimeError);
  // a 0-d array can only get here with identical dims, so shape_[d] is never read for it.
  d1 = wrap_dim(d1, ndim(), "diagonal");
  d2 = wrap_dim(d2, ndim(), "diagonal");
  EMBER_CHECK(d1 != d2, Runtime, "[diagonal] diagonal dimensions cannot be identical: dim1 and dim2 both are ", d1);
  EMBER_CHECK(ndim() >= 2, Runtime, "[diagonal] expected at least 2 dims, got shape ", shape_str(shape_));
  int64_t len, start = offset_;
  if (off >= 0) {
    len = std::max<int64_t>(std::min(shape_[d1], saturating_sub(shape_[d2], off)), 0);
    if (len > 0) start = checked_add(start, checked_mul(off, strides_[d2], "diagonal"), "diagonal");
  } else {
    len = std::max<int64_t>(std::min(saturating_add(shape_[d1], off), shape_[d2]), 0);
    if (len > 0) start = checked_add(start, checked_mul(-off, strides_[d1], "diagonal"), "diagonal");
  }
  Shape s, st;
  for (int64_t i = 0; i < ndim(); ++i)
    if (i != d1 && i != d2) {
      s.push_back(shape_[i]);
      st.push_back(strides_[i]);
    }
  s.push_back(len);
  st.push_back(checked_add(strides_[d1], strides_[d2], "diagonal"));
  return Array(storage_, s, st, start, dtype_);
}

Array Array::flatten(int64_t start_dim, int64_t end_dim) const {
  start_dim = wrap_dim(start_dim, ndim(), "flatten");  // a 0-d array takes dims in [-1, 0]
  end_dim = wrap_dim(end_dim, ndim(), "flatten");
  if (ndim() == 0) return reshape({1});
  EMBER_CHECK(start_dim <= end_dim, Value, "[flatten] start_dim ", start_dim, " must not be after end_dim ",
              end_dim);
  Shape s;
  for (int64_t i = 0; i < start_dim; ++i) s.push_back(shape_[i]);
  int64_t m = 1;
  for (int64_t i = start_dim; i <= end_dim; ++i) m = checked_mul(m, shape_[i], "flatten");
  s.push_back(m);
  for (int64_t i = end_dim + 1; i < ndim(); ++i) s.push_back(shape_[i]);
  return reshape(s);
}

Array Array::unfold(int64_t dim, int64_t size, int64_t step) const {
  int64_t d = wrap_dim(dim, ndim(), "unfold");
  int64_t n = ndim() == 0 ? 1 : shape_[d];
  EMBER_CHECK(size >= 0 && size <= n, Runtime, "[unfold] size ", size, " exceeds dim ", d, " of size ", n);
  EMBER_CHECK(step > 0, Runtime, "[unfold] step must be positive, got ", step);
  Shape s = shape_, st = strides_;
  if (ndim() == 0) {
    s = {size};
    st = {1};
    return Array(storage_, s, st, offset_, dtype_);
  }
  s[d] = window_count(n, size, step);
  st[d] = s[d] > 1 ? checked_mul(strides_[d], step, "unfold") : strides_[d];
  s.push_back(size);
  st.push_back(strides_[d]);
  return Array(storage_, s, st, offset_, dtype_);
}

// ---------------------------------------------------------------- copies

Array Array::contiguous() const {
  if (is_contiguous()) return *this;
  return clone();
}

Array Array::clone() const {
  Array out = empty(shape_, dtype_, device());
  out.copy_(*this);
  return out;
}

Array Array::to(DType dtype) const {
  if (dtype == dtype_) return *this;
  Array out = empty(shape_, dtype, device());
  out.copy_(*this);
  return out;
}

Array Array::to(Device d) const { return to(d, false); }

Array Array::to(Device d, bool non_blocking) const {
  if (d == device()) return *this;
  Array out = empty(shape_, dtype_, d);
  out.copy_from(*this, non_blocking);
  return out;
}

Array Array::pin_memory() const {
  EMBER_CHECK(device().is_cpu(), Runtime, "[pin_memory] cannot pin '", device().str(),
              "' memory: only CPU tensors can be pinned");
  if (is_pinned()) return *this;
  const int64_t nbytes = checked_alloc_bytes(shape_, dtype_, cpu_device(), "pin_memory");
  Array out(std::make_shared<Storage>(static_cast<size_t>(nbytes), Storage::Pinned{}), shape_,
            contiguous_strides(shape_), 0, dtype_);
  out.copy_(*this);
  return out;
}

bool Array::is_pinned() const { return storage_ && storage_->pinned(); }

namespace {

template <class D, class S>
void copy_loop(char* const* p, const int64_t* st, int64_t n) {
  char* dst = p[0];
  const char* src = p[1];
  if (st[0] == sizeof(D) && st[1] == sizeof(S)) {
    D* d = reinterpret_cast<D*>(dst);
    const S* s = reinterpret_cast<const S*>(src);
    for (int64_t i = 0; i < n; ++i) d[i] = convert<D, S>(s[i]);
    return;
  }
  for (int64_t i = 0; i < n; ++i) {
    *reinterpret_cast<D*>(dst + i * st[0]) =
        convert<D, S>(*reinterpret_cast<const S*>(src + i * st[1]));
  }
}

// float <-> float32 conversions go through float, not double, where exact.
template <>
void copy_loop<float, float>(char* const* p, const int64_t* st, int64_t n) {
  if (st[0] == 4 && st[1] == 4) {
    std::memcpy(p[0], p[1], n * 4);
    return;
  }
  for (int64_t i = 0; i < n; ++i)
    *reinterpret_cast<float*>(p[0] + i * st[0]) = *reinterpret_cast<const float*>(p[1] + i * st[1]);
}

}  // namespace

void copy_cpu(const Array& dst, const Array& src) {
  if (dst.numel() == 0) return;
  // A source sharing bytes with dst other than element for element is read through
  // a temporary: the chunks below run in any order, on any thread, so an in-place
  // overlapping copy would depend on both (NumPy's copyto semantics instead).
  if (needs_temporary(dst, src)) {
    Array tmp = Array::empty(dst.shape(), src.dtype(), src.device(), "copy_");
    copy_cpu(tmp, src);
    copy_cpu(dst, tmp);
    return;
  }
  if (dst.dtype() == src.dtype() && dst.is_contiguous() && src.is_contiguous()) {
    char* d = static_cast<char*>(dst.data_ptr());
    const char* s = static_cast<const char*>(src.data_ptr());
    int64_t nb = dst.nbytes();
    if (d == s) return;
    parallel_for(0, nb, int64_t(1) << 20, [&](int64_t b, int64_t e) { std::memmove(d + b, s + b, e - b); });
    return;
  }
  int64_t sd[kMaxDims], ss[kMaxDims];
  broadcast_byte_strides(dst, dst.shape(), sd);
  broadcast_byte_strides(src, dst.shape(), ss);
  StridedLoop<2> loop(dst.shape(), {static_cast<char*>(dst.data_ptr()), static_cast<char*>(src.data_ptr())},
                      {sd, ss});
  EMBER_DISPATCH_ALL(dst.dtype(), "copy", [&] {
    using D = scalar_t;
    EMBER_DISPATCH_ALL(src.dtype(), "copy", [&] {
      loop.run(copy_loop<D, scalar_t>);
    });
  });
}

void Array::copy_(const Array& src) const { copy_from(src, false); }

void Array::copy_from(const Array& src, bool non_blocking) const {
  EMBER_CHECK(defined() && src.defined(), Value, "[copy_] undefined array");
  // torch's copy_: the very same elements are a no-op (even in an expanded view);
  // otherwise no internal overlap in dst and no partial overlap with src. Other
  // shared memory (strided views) is read through a temporary (in copy_cpu, and
  // below for CUDA), so the result never depends on the order of the writes.
  if (overlap_status(*this, src) == MemOverlapStatus::Full && src.dtype() == dtype_ && src.shape() == shape_) {
    bump_version();
    return;
  }
  assert_no_internal_overlap(*this, "copy_");
  assert_no_partial_overlap(*this, src, "copy_");
  Array s = src;
  if (s.shape() != shape_) {
    broadcast_shapes(shape_, s.shape(), "copy_");  // checks compatibility
    EMBER_CHECK(s.ndim() <= ndim(), Value, "[copy_] cannot copy a source of shape ", shape_str(s.shape()),
                " into a destination of shape ", shape_str(shape_));
    s = s.expand(shape_);
  }
  bump_version();
  if (numel() == 0) return;
  Device dd = device(), sdv = s.device();
  if (dd.is_cpu() && sdv.is_cpu()) return copy_cpu(*this, s);
  if (dd.is_cuda() && sdv.is_cuda() && dd == sdv)
    return copy_cuda(*this, needs_temporary(*this, src) ? s.clone() : s);
  // Across devices: stage through a contiguous array of dst's dtype on the source side.
  Array staged = (s.dtype() == dtype_ && s.is_contiguous()) ? s : [&] {
    Array t = empty(shape_, dtype_, sdv);
    t.copy_(s);
    return t;
  }();
  Array target = is_contiguous() ? *this : empty(shape_, dtype_, dd);
  if (sdv.is_cpu()) {
    // Asynchronous only from pinned memory; a pageable source (or a staged
    // temporary) is copied synchronously.
    cuda::copy_h2d(target.data_ptr(), staged.data_ptr(), target.nbytes(), dd.index, non_blocking && staged.is_pinned());
  } else if (dd.is_cpu()) {
    cuda::copy_d2h(target.data_ptr(), staged.data_ptr(), target.nbytes(), sdv.index);
  } else {
    // Between two GPUs: a peer copy, never through the host.
    cuda::copy_peer(target.data_ptr(), dd.index, staged.data_ptr(), sdv.index, target.nbytes());
  }
  if (target.data_ptr() != data_ptr()) copy_(target);
}

namespace {
template <class T>
void fill_cpu(const Array& a, double value) {
  T v = Cvt<T>::template store<double>(value);
  int64_t st[kMaxDims];
  broadcast_byte_strides(a, a.shape(), st);
  StridedLoop<1> loop(a.shape(), {static_cast<char*>(a.data_ptr())}, {st});
  loop.run([v](char* const* p, const int64_t* s, int64_t n) {
    if (s[0] == sizeof(T)) {
      T* d = reinterpret_cast<T*>(p[0]);
      for (int64_t i = 0; i < n; ++i) d[i] = v;
    } else {
      for (int64_t i = 0; i < n; ++i) *reinterpret_cast<T*>(p[0] + i * s[0]) = v;
    }
  });
}
}  // namespace

void Array::fill_(double value) const {
  bump_version();
  if (numel() == 0) return;
  // torch fills expanded views too; writing each shared location once keeps the
  // threads from racing on it (and skips the repeats).
  Array t = *this;
  if (has_internal_overlap(*this) == MemOverlap::Yes) {
    Shape s = shape_;
    for (size_t d = 0; d < s.size(); ++d)
      if (strides_[d] == 0) s[d] = 1;
    t = Array(storage_, s, strides_, offset_, dtype_);
  }
  if (device().is_cuda()) return fill_cuda(t, value);
  EMBER_DISPATCH_ALL(dtype_, "fill_", [&] { fill_cpu<scalar_t>(t, value); });
}

void Array::zero_() const {
  if (numel() > 0 && is_contiguous()) {
    bump_version();
    if (device().is_cuda()) return cuda::memset_zero(data_ptr(), nbytes(), device().index);
    char* d = static_cast<char*>(data_ptr());
    parallel_for(0, nbytes(), int64_t(1) << 20, [&](int64_t b, int64_t e) { std::memset(d + b, 0, e - b); });
    return;
  }
  fill_(0.0);
}

}  // namespace ember
