// scatter.cpp — scatter_ (assign / add / multiply), scatter_reduce_ (sum, prod,
// mean, amax, amin; include_self) and index_add_:
//     self[i with `dim` replaced by index[i]] (op)= src[i]   for i over index's shape.
// Algorithm: a StridedLoop over index's shape with `dim` collapsed to 1; each
// element walks its whole line along `dim` serially. Two different lines never
// touch the same element of self, so lines run in parallel without races even
// when indices repeat (scatter_add, index_add with duplicates). index_add_ is the
// same kernel with a 1-D index viewed with 0 strides off `dim`.
// Indices are range-checked before anything is written, and self is checked for
// overlap with itself, index and src (torch's rules, core/overlap.h).
#include <cmath>
#include <limits>
#include <type_traits>

#include "core/overlap.h"
#include "index.h"
#include "index_cuda.h"
#include "index_util.h"

namespace ember {
namespace {

// src is read at index's coordinates (its own strides; a 0-d src is a constant).
template <class T, class I, class Op>
void scatter_kernel(const Array& self, int64_t dim, const Array& index, const Array& src, const Op& op) {
  if (index.numel() == 0) return;
  Shape rshape = index.shape();
  const int64_t L = rshape[dim];
  rshape[dim] = 1;
  const int64_t nd = self.ndim(), isz = self.itemsize();
  int64_t sa[kMaxDims], si[kMaxDims], ss[kMaxDims];
  for (int64_t d = 0; d < nd; ++d) {
    sa[d] = self.strides()[d] * isz;
    si[d] = index.strides()[d] * index.itemsize();
    ss[d] = src.ndim() ? src.strides()[d] * isz : 0;
  }
  const int64_t a_dim = sa[dim], i_dim = si[dim], s_dim = ss[dim], size = self.shape()[dim];
  StridedLoop<3> loop(rshape, {static_cast<char*>(self.data_ptr()), static_cast<char*>(index.data_ptr()),
                               static_cast<char*>(src.data_ptr())}, {sa, si, ss});
  loop.run([&](char* const* p, const int64_t* s, int64_t n) {
    for (int64_t i = 0; i < n; ++i) {
      char* a = p[0] + i * s[0];
      const char* ip = p[1] + i * s[1];
      const char* sp = p[2] + i * s[2];
      for (int64_t j = 0; j < L; ++j) {
        int64_t ix = *reinterpret_cast<const I*>(ip + j * i_dim);
        if (ix < 0) ix += size;
        T* dst = reinterpret_cast<T*>(a + ix * a_dim);
        *dst = op(*dst, *reinterpret_cast<const T*>(sp + j * s_dim));
      }
    }
  }, std::max<int64_t>(1, 32768 / std::max<int64_t>(L, 1)));
}

enum class Red { Assign, Sum, Prod, Max, Min };

// mean's final division; integers use floor division, as torch does.
template <class T>
void div_count(T* a, int64_t count) {
  using C = compute_t<T>;
  C v = Cvt<T>::template load<C>(*a);
  if constexpr (std::is_floating_point<C>::value) {
    *a = Cvt<T>::template store<C>(v / static_cast<C>(count));
  } else if constexpr (!std::is_same<C, bool>::value) {
    C d = static_cast<C>(count), q = v / d;
    if ((v % d != 0) && ((v < 0) != (d < 0))) --q;
    *a = Cvt<T>::template store<C>(q);
  }
}

template <class T>
struct Ops {
  using C = compute_t<T>;
  static C ld(T v) { return Cvt<T>::template load<C>(v); }
  static T st(C v) { return Cvt<T>::template store<C>(v); }
};

template <class T, class I>
void scatter_red(const Array& self, int64_t dim, const Array& index, const Array& src, Red red, double alpha) {
  using O = Ops<T>;
  using C = typename O::C;
  switch (red) {
    case Red::Assign:
      return scatter_kernel<T, I>(self, dim, index, src, [](T, T b) { return b; });
    case Red::Sum:
      if (alpha != 1.0) {
        const C al = static_cast<C>(alpha);
        if constexpr (std::is_same<C, bool>::value)
          return scatter_kernel<T, I>(self, dim, index, src, [al](T a, T b) { return O::st(O::ld(a) || (O::ld(b) && al)); });
        else
          return scatter_kernel<T, I>(self, dim, index, src,
                                      [al](T a, T b) { return O::st(O::ld(a) + O::ld(b) * al); });
      }
      return scatter_kernel<T, I>(self, dim, index, src, [](T a, T b) { return O::st(O::ld(a) + O::ld(b)); });
    case Red::Prod:
      if constexpr (std::is_same<C, bool>::value)
        return scatter_kernel<T, I>(self, dim, index, src, [](T a, T b) { return O::st(O::ld(a) && O::ld(b)); });
      else
        return scatter_kernel<T, I>(self, dim, index, src, [](T a, T b) { return O::st(O::ld(a) * O::ld(b)); });
    case Red::Max:  // NaN wins, as in torch
      return scatter_kernel<T, I>(self, dim, index, src, [](T a, T b) {
        C x = O::ld(b), y = O::ld(a);
        return O::st((x > y || x != x) ? x : y);
      });
    case Red::Min:
      return scatter_kernel<T, I>(self, dim, index, src, [](T a, T b) {
        C x = O::ld(b), y = O::ld(a);
        return O::st((x < y || x != x) ? x : y);
      });
  }
}

void run_scatter(const Array& self, int64_t dim, const Array& index, const Array& src, Red red, double alpha,
                 const char* op) {
  if (self.device().is_cuda()) {
    // src is read at index's coordinates: view it with index's shape (a 0-d src repeats).
    const Shape st = src.ndim() ? src.strides() : Shape(index.ndim(), 0);
    const Array sv(src.storage(), index.shape(), st, src.offset(), src.dtype());
    cuda_kernels::index_scatter(op)(self, dim, idx::cuda_index64(index), &sv, 0.0, 0, static_cast<int>(red), alpha,
                                    op);
    return;
  }
  EMBER_DISPATCH_ALL(self.dtype(), op, [&] {
    idx::dispatch_index(index.dtype(), [&](auto it) { scatter_red<scalar_t, decltype(it)>(self, dim, index, src, red, alpha); });
  });
}

// torch's overlap checks before a scatter-like write: self must not overlap itself,
// nor share elements with index or src. Index/src sharing memory in a layout the
// checks cannot clear (strided views) are read through copies.
void check_scatter_write(const Array& self, Array& index, Array* src, const char* op) {
  assert_no_internal_overlap(self, op);
  assert_no_overlap(self, index, op);
  if (src) assert_no_overlap(self, *src, op);
  if (needs_temporary(self, index)) index = index.clone();
  if (src && needs_temporary(self, *src)) *src = src->clone();
}

// Shared checks of scatter-like ops; returns the wrapped dim. src may be 0-d (a value).
int64_t check_scatter(const Array& self, int64_t dim, const Array& index, const Array& src, const char* op) {
  idx::check_same_device(self, index, op);
  idx::check_same_device(self, src, op);
  idx::check_index_dtype(index, op);
  dim = wrap_dim(dim, self.ndim(), op);
  EMBER_CHECK(index.ndim() == self.ndim(), Value, "[", op, "] index must have as many dims as self: got index of shape ",
              shape_str(index.shape()), " and self of shape ", shape_str(self.shape()));
  EMBER_CHECK(src.ndim() == 0 || src.ndim() == self.ndim(), Value, "[", op, "] src must have as many dims as self: got src of shape ",
              shape_str(src.shape()), " and self of shape ", shape_str(self.shape()));
  EMBER_CHECK(src.dtype() == self.dtype(), Type, "[", op, "] expected self and src of the same dtype, got ",
              dtype_name(self.dtype()), " and ", dtype_name(src.dtype()));
  for (int64_t d = 0; d < self.ndim(); ++d) {
    EMBER_CHECK(d == dim || index.shape()[d] <= self.shape()[d], Value, "[", op, "] index of shape ",
                shape_str(index.shape()), " is larger than self of shape ", shape_str(self.shape()), " in dim ", d);
    EMBER_CHECK(src.ndim() == 0 || index.shape()[d] <= src.shape()[d], Value, "[", op, "] index of shape ",
                shape_str(index.shape()), " is larger than src of shape ", shape_str(src.shape()), " in dim ", d);
  }
  if (index.numel() > 0) idx::check_range(index, self.shape()[dim], false, op, dim);
  return dim;
}

Red parse_scatter_reduce(const std::string& reduce) {
  if (reduce.empty() || reduce == "none") return Red::Assign;
  if (reduce == "add") return Red::Sum;
  if (reduce == "multiply") return Red::Prod;
  EMBER_FAIL(Value, "[scatter] reduce must be 'add' or 'multiply', got '", reduce, "'");
}

// A 0-d array of self's dtype holding the identity of `red` (exact for int64).
Array identity_of(const Array& self, Red red) {
  Array out = Array::empty({}, self.dtype(), self.device());
  EMBER_DISPATCH_ALL(self.dtype(), "scatter_reduce", [&] {
    using C = compute_t<scalar_t>;
    C v = red == Red::Prod ? C(1) : C(0);
    if (red == Red::Max)
      v = std::numeric_limits<C>::has_infinity ? -std::numeric_limits<C>::infinity() : std::numeric_limits<C>::lowest();
    if (red == Red::Min)
      v = std::numeric_limits<C>::has_infinity ? std::numeric_limits<C>::infinity() : std::numeric_limits<C>::max();
    *out.data<scalar_t>() = Cvt<scalar_t>::template store<C>(v);
  });
  return out;
}

// The identity of `red` for self's dtype as (double, exact int64) for the CUDA kernel.
void identity_value(DType dt, Red red, double& v, int64_t& iv) {
  EMBER_DISPATCH_ALL(dt, "scatter_reduce", [&] {
    using C = compute_t<scalar_t>;
    C c = red == Red::Prod ? C(1) : C(0);
    if (red == Red::Max)
      c = std::numeric_limits<C>::has_infinity ? -std::numeric_limits<C>::infinity() : std::numeric_limits<C>::lowest();
    if (red == Red::Min)
      c = std::numeric_limits<C>::has_infinity ? std::numeric_limits<C>::infinity() : std::numeric_limits<C>::max();
    v = static_cast<double>(c);
    iv = std::is_floating_point<C>::value ? 0 : static_cast<int64_t>(c);
  });
}

// self[index] (red)= value on CUDA (a scalar passed by value, no 0-d device array).
void run_scatter_value_cuda(const Array& self, int64_t dim, const Array& index, double v, int64_t iv, Red red,
                            const char* op) {
  cuda_kernels::index_scatter(op)(self, dim, idx::cuda_index64(index), nullptr, v, iv, static_cast<int>(red), 1.0,
                                  op);
}

}  // namespace

void scatter_(const Array& self_in, int64_t dim, const Array& index_in, const Array& src_in, const std::string& reduce) {
  Red red = parse_scatter_reduce(reduce);
  const bool z = self_in.ndim() == 0;
  Array self = z ? self_in.reshape({1}) : self_in;
  Array index = (z && index_in.ndim() == 0) ? index_in.reshape({1}) : index_in;
  Array src = (z && src_in.ndim() == 0) ? src_in.reshape({1}) : src_in;
  dim = check_scatter(self, dim, index, src, "scatter");
  check_scatter_write(self, index, &src, "scatter");
  self_in.bump_version();
  run_scatter(self, dim, index, src, red, 1.0, "scatter");
}

void scatter_value_(const Array& self_in, int64_t dim, const Array& index_in, double value, const std::string& reduce) {
  Red red = parse_scatter_reduce(reduce);
  const bool z = self_in.ndim() == 0;
  Array self = z ? self_in.reshape({1}) : self_in;
  Array index = (z && index_in.ndim() == 0) ? index_in.reshape({1}) : index_in;
  // On CUDA the value goes to the kernel by value; a 0-d view of self (never read)
  // stands in for it in the shared checks.
  const bool cuda = self.device().is_cuda();
  Array src = cuda ? Array(self.storage(), Shape{}, Shape{}, self.offset(), self.dtype())
                   : Array::scalar(value, self.dtype(), self.device());
  dim = check_scatter(self, dim, index, src, "scatter");
  check_scatter_write(self, index, nullptr, "scatter");
  self_in.bump_version();
  if (cuda)
    run_scatter_value_cuda(self, dim, index, value, static_cast<int64_t>(value), red, "scatter");
  else
    run_scatter(self, dim, index, src, red, 1.0, "scatter");
}

void scatter_reduce_(const Array& self_in, int64_t dim, const Array& index_in, const Array& src_in,
                     const std::string& reduce, bool include_self) {
  Red red;
  const bool mean = reduce == "mean";
  if (reduce == "sum" || mean) red = Red::Sum;
  else if (reduce == "prod") red = Red::Prod;
  else if (reduce == "amax") red = Red::Max;
  else if (reduce == "amin") red = Red::Min;
  else EMBER_FAIL(Value, "[scatter_reduce] reduce must be one of 'sum', 'prod', 'mean', 'amax', 'amin', got '", reduce, "'");
  const bool z = self_in.ndim() == 0;
  Array self = z ? self_in.reshape({1}) : self_in;
  Array index = (z && index_in.ndim() == 0) ? index_in.reshape({1}) : index_in;
  Array src = (z && src_in.ndim() == 0) ? src_in.reshape({1}) : src_in;
  dim = check_scatter(self, dim, index, src, "scatter_reduce");
  EMBER_CHECK(src.ndim() == self.ndim(), Value, "[scatter_reduce] src must be a tensor of self's rank");
  check_scatter_write(self, index, &src, "scatter_reduce");
  self_in.bump_version();
  if (!include_self) {
    if (self.device().is_cuda()) {
      double v = 0;
      int64_t iv = 0;
      identity_value(self.dtype(), red, v, iv);
      run_scatter_value_cuda(self, dim, index, v, iv, Red::Assign, "scatter_reduce");
    } else {
      run_scatter(self, dim, index, identity_of(self, red), Red::Assign, 1.0, "scatter_reduce");
    }
  }
  run_scatter(self, dim, index, src, red, 1.0, "scatter_reduce");
  if (!mean || index.numel() == 0) return;
  if (self.device().is_cuda()) {
    Array counts = Array::zeros(self.shape(), DType::Int64, self.device());
    run_scatter_value_cuda(counts, dim, index, 1.0, 1, Red::Sum, "scatter_reduce");
    cuda_kernels::index_scatter_mean_div("scatter_reduce")(self, counts, include_self ? 1 : 0);
    return;
  }
  // mean: count the scattered elements per target, then divide where anything landed.
  Array counts = Array::zeros(self.shape(), DType::Int64, self.device());
  Array one = Array::scalar(1.0, DType::Int64, self.device());
  idx::dispatch_index(index.dtype(), [&](auto it) {
    scatter_red<int64_t, decltype(it)>(counts, dim, index, one, Red::Sum, 1.0);
  });
  const int64_t extra = include_self ? 1 : 0;
  int64_t sa[kMaxDims], sc[kMaxDims];
  broadcast_byte_strides(self, self.shape(), sa);
  broadcast_byte_strides(counts, self.shape(), sc);
  StridedLoop<2> loop(self.shape(), {static_cast<char*>(self.data_ptr()), static_cast<char*>(counts.data_ptr())}, {sa, sc});
  EMBER_DISPATCH_ALL(self.dtype(), "scatter_reduce", [&] {
    loop.run([&](char* const* p, const int64_t* s, int64_t n) {
      for (int64_t i = 0; i < n; ++i) {
        int64_t c = *reinterpret_cast<const int64_t*>(p[1] + i * s[1]);
        if (c == 0) continue;
        div_count(reinterpret_cast<scalar_t*>(p[0] + i * s[0]), c + extra);
      }
    });
  });
}

void index_add_(const Array& self_in, int64_t dim, const Array& index_in, const Array& source_in, double alpha) {
  const char* op = "index_add";
  idx::check_same_device(self_in, index_in, op);
  idx::check_same_device(self_in, source_in, op);
  idx::check_index_dtype(index_in, op);
  EMBER_CHECK(index_in.ndim() <= 1, Index, "[index_add] index must be 0-d or 1-D, got shape ", shape_str(index_in.shape()));
  EMBER_CHECK(source_in.dtype() == self_in.dtype(), Type, "[index_add] expected self and source of the same dtype, got ",
              dtype_name(self_in.dtype()), " and ", dtype_name(source_in.dtype()));
  Array self = self_in.ndim() == 0 ? self_in.reshape({1}) : self_in;
  Array source = source_in.ndim() == 0 ? source_in.reshape({1}) : source_in;
  Array index = idx::cuda_index64(index_in.reshape({-1}));  // widened before the 0-stride view below
  dim = wrap_dim(dim, self.ndim(), op);
  EMBER_CHECK(source.ndim() == self.ndim(), Value, "[index_add] source of shape ", shape_str(source_in.shape()),
              " must have as many dims as self of shape ", shape_str(self_in.shape()));
  for (int64_t d = 0; d < self.ndim(); ++d)
    EMBER_CHECK(d == dim ? source.shape()[d] == index.numel() : source.shape()[d] == self.shape()[d], Value,
                "[index_add] source of shape ", shape_str(source_in.shape()), " does not match self of shape ",
                shape_str(self_in.shape()), " with ", index.numel(), " indices along dim ", dim);
  idx::check_range(index, self.shape()[dim], false, op, dim);
  check_scatter_write(self, index, &source, op);
  self_in.bump_version();
  Shape ist(source.ndim(), 0);
  ist[dim] = index.strides()[0];
  Array iview(index.storage(), source.shape(), ist, index.offset(), index.dtype());
  run_scatter(self, dim, iview, source, Red::Sum, alpha, op);
}

}  // namespace ember
