// interpolate.cpp — checks, per-dim index/weight tables and dispatch of
// F.interpolate's nearest, nearest-exact, (bi/tri)linear and bicubic modes, with
// and without antialiasing, and 'area' (adaptive average windows; used for 3 spatial
// dims, the 1-d/2-d area mode runs the adaptive_avg_pool kernels), forward and
// backward (interp_kernels.h runs them).
//
// The tables follow torch's CPU kernels to the rounding: scales and source indices
// in the compute type (float for float32), floorf for the integer part, the user's
// scale factor used as 1/scale when given (recompute_scale_factor=False), a dim
// whose size does not change copied by linear / antialiased modes. torch computes
// nearest indices two ways: its generic kernel (scale * i) and, for 2-d outputs
// with OH + OW <= 128 and for every backward, nearest_idx (which maps out == in and
// out == 2 * in exactly); both are reproduced. Antialiasing is PIL's: a triangle
// (linear) or Keys a = -0.5 (cubic) filter stretched by the scale when
// downsampling, normalised over the taps inside the input.
// Layout: the input is made contiguous; passes run over the last dim first (W,
// then H, then D), each on a (outer, in, inner) view.
#include <algorithm>
#include <cmath>

#include <cstring>

#include "core/lowp_compute.h"
#include "interp_kernels.h"
#include "pool.h"
#include "pool_check.h"
#include "pool_cuda.h"

namespace ember {
namespace {
using namespace pool_detail;

template <class T>
T scales_value(double s, int64_t in, int64_t out) {
  return s > 0. ? static_cast<T>(1.0 / s) : static_cast<T>(in) / static_cast<T>(out);
}

template <class T>
T area_scale(int64_t in, int64_t out, bool align_corners, double s) {
  if (align_corners) return out > 1 ? static_cast<T>(in - 1) / static_cast<T>(out - 1) : T(0);
  return scales_value<T>(s, in, out);
}

template <class T>
T source_index(T scale, int64_t i, bool align_corners, bool cubic) {
  if (align_corners) return scale * static_cast<T>(i);
  const T src = static_cast<T>(static_cast<double>(scale) * (static_cast<double>(i) + 0.5) - 0.5);
  return (!cubic && src < T(0)) ? T(0) : src;
}

// floorf of the (float-converted) index, torch's guard_index_and_lambda.
template <class T>
void guard(T real, int64_t in, int64_t& index, T& lambda) {
  index = std::min(static_cast<int64_t>(std::floor(static_cast<float>(real))), in - 1);
  lambda = std::min(std::max(real - static_cast<T>(index), T(0)), T(1));
}

template <class T>
void cubic_coeffs(T c[4], T t) {
  const T A = T(-0.75);
  auto conv1 = [A](T x) { return ((A + 2) * x - (A + 3)) * x * x + 1; };
  auto conv2 = [A](T x) { return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A; };
  c[0] = conv2(t + T(1));
  c[1] = conv1(t);
  c[2] = conv1(T(1) - t);
  c[3] = conv2((T(1) - t) + T(1));
}

template <class T>
T aa_filter(T x, bool cubic) {
  x = std::abs(x);
  if (!cubic) return x < T(1) ? T(1) - x : T(0);
  const T a = T(-0.5);
  if (x < T(1)) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < T(2)) return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
  return T(0);
}

template <class T>
InterpTable<T> identity_table(int64_t n) {
  InterpTable<T> t;
  t.in = t.out = n;
  t.identity = true;
  return t;
}

template <class T>
InterpTable<T> make_table(int64_t in, int64_t out, InterpMode mode, bool align_corners, double s, bool antialias,
                          bool nearest_idx_fn) {
  InterpTable<T> t;
  t.in = in, t.out = out;
  if (mode == InterpMode::Nearest || mode == InterpMode::NearestExact) {
    const bool exact = mode == InterpMode::NearestExact;
    if (nearest_idx_fn && !exact && (out == in || out == 2 * in)) {
      if (out == in) return identity_table<T>(in);
    }
    t.taps = 1;
    t.idx.resize(out), t.w.assign(out, T(1)), t.count.assign(out, 1);
    for (int64_t i = 0; i < out; ++i) {
      int64_t k;
      if (nearest_idx_fn) {
        const float sc = scales_value<float>(s, in, out);
        if (exact)
          k = static_cast<int64_t>(std::floor(static_cast<float>((static_cast<double>(i) + 0.5) * sc)));
        else if (out == 2 * in)
          k = i >> 1;
        else
          k = static_cast<int64_t>(std::floor(static_cast<float>(i) * sc));
      } else {
        const T sc = area_scale<T>(in, out, false, s);
        if (exact)
          k = static_cast<int64_t>(
              std::floor(static_cast<float>(static_cast<double>(source_index<T>(sc, i, false, false)) + 0.5)));
        else
          k = static_cast<int64_t>(std::floor(static_cast<float>(source_index<T>(sc, i, true, false))));
      }
      t.idx[i] = std::min(k, in - 1);
    }
    return t;
  }
  if (mode == InterpMode::Area) {
    // Adaptive average pooling windows, each tap weighted 1 / window size.
    int64_t taps = 1;
    for (int64_t i = 0; i < out; ++i) taps = std::max(taps, adaptive_end(i, out, in) - adaptive_start(i, out, in));
    t.taps = taps;
    t.idx.assign(out * taps, 0), t.w.assign(out * taps, T(0)), t.count.assign(out, 0);
    for (int64_t i = 0; i < out; ++i) {
      const int64_t a = adaptive_start(i, out, in), n = adaptive_end(i, out, in) - a;
      t.count[i] = n;
      for (int64_t j = 0; j < n; ++j) t.idx[i * taps + j] = a + j, t.w[i * taps + j] = T(1) / static_cast<T>(n);
    }
    return t;
  }
  const bool cubic = mode == InterpMode::Cubic;
  if (antialias) {
    if (out == in) return identity_table<T>(in);
    const T scale = area_scale<T>(in, out, align_corners, s);
    const int interp = cubic ? 4 : 2;
    const T support = static_cast<T>(scale >= T(1) ? (interp * 0.5) * scale : interp * 0.5);
    const int64_t taps = static_cast<int64_t>(std::ceil(support)) * 2 + 1;
    const T invscale = scale >= T(1) ? static_cast<T>(1.0 / scale) : T(1);
    t.taps = taps;
    t.idx.assign(out * taps, 0), t.w.assign(out * taps, T(0)), t.count.assign(out, 0);
    for (int64_t i = 0; i < out; ++i) {
      const T center = static_cast<T>(scale * (i + 0.5));
      const int64_t xmin = std::max<int64_t>(static_cast<int64_t>((center - support) + 0.5), 0);
      const int64_t xsize =
          std::clamp<int64_t>(std::min<int64_t>(static_cast<int64_t>((center + support) + 0.5), in) - xmin, 0, taps);
      T* w = t.w.data() + i * taps;
      T total = 0;
      for (int64_t j = 0; j < xsize; ++j) {
        w[j] = aa_filter<T>(static_cast<T>((static_cast<T>(j + xmin) - center + 0.5) * invscale), cubic);
        total += w[j];
      }
      if (total != T(0))
        for (int64_t j = 0; j < xsize; ++j) w[j] /= total;
      for (int64_t j = 0; j < taps; ++j) t.idx[i * taps + j] = std::min(xmin + j, in - 1);
      // A window with no tap inside keeps one zero-weight tap (never read past count 0).
      t.count[i] = xsize;
    }
    return t;
  }
  const T scale = area_scale<T>(in, out, align_corners, s);
  if (!cubic) {
    if (out == in) return identity_table<T>(in);
    t.taps = 2;
    t.idx.resize(out * 2), t.w.resize(out * 2), t.count.assign(out, 2);
    for (int64_t i = 0; i < out; ++i) {
      int64_t i0;
      T l1;
      guard<T>(source_index<T>(scale, i, align_corners, false), in, i0, l1);
      t.idx[2 * i] = i0;
      t.idx[2 * i + 1] = i0 + (i0 < in - 1 ? 1 : 0);
      t.w[2 * i] = T(1) - l1;
      t.w[2 * i + 1] = l1;
    }
    return t;
  }
  t.taps = 4;
  t.idx.resize(out * 4), t.w.resize(out * 4), t.count.assign(out, 4);
  for (int64_t i = 0; i < out; ++i) {
    int64_t i0;
    T l;
    guard<T>(source_index<T>(scale, i, align_corners, true), in, i0, l);
    cubic_coeffs<T>(t.w.data() + 4 * i, l);
    for (int64_t j = 0; j < 4; ++j) t.idx[4 * i + j] = std::clamp<int64_t>(i0 - 1 + j, 0, in - 1);
  }
  return t;
}

std::string dims_str(const Shape& s, int64_t sd) {
  static const char* names[3] = {"D", "H", "W"};
  std::string r;
  for (int64_t i = 0; i < sd; ++i) {
    r += (i ? ", " : "") + std::string(names[3 - sd + i]) + ": " + std::to_string(s[s.size() - sd + i]);
  }
  return r;
}

// Checks and returns the input shape's spatial dims.
void check_interp(const Shape& xs, const Shape& output_size, int mode, const std::vector<double>& scales,
                  const char* op) {
  const int64_t sd = static_cast<int64_t>(output_size.size());
  EMBER_CHECK(sd >= 1 && sd <= 3, Value, "[", op, "] expected 1 to 3 output sizes, got ", shape_str(output_size));
  EMBER_CHECK(mode >= 0 && mode <= 4, Value, "[", op, "] unknown interpolation mode ", mode);
  EMBER_CHECK(static_cast<int64_t>(scales.size()) == sd, Value, "[", op, "] expected ", sd, " scales, got ",
              scales.size());
  EMBER_CHECK(static_cast<int64_t>(xs.size()) == sd + 2, Runtime, "[", op, "] expected a ", sd + 2,
              "-D (N, C, ...) input for ", sd, " output sizes, got shape ", shape_str(xs));
  bool ok = true;
  for (int64_t i = 0; i < sd; ++i) ok = ok && xs[2 + i] > 0 && output_size[i] > 0;
  EMBER_CHECK(ok, Runtime, "[", op, "] input and output sizes should be greater than 0, got input (",
              dims_str(xs, sd), ") output (", dims_str(output_size, sd), ")");
  EMBER_CHECK(xs[1] > 0, Runtime, "[", op, "] expected a non-empty ", sd + 2,
              "-D input (only the batch dim may be 0), got shape ", shape_str(xs));
}

template <class T>
std::vector<InterpTable<T>> tables(const Shape& in_sz, const Shape& out_sz, int mode, bool align_corners,
                                   const std::vector<double>& scales, bool antialias, bool backward) {
  const int64_t sd = static_cast<int64_t>(out_sz.size());
  const InterpMode m = static_cast<InterpMode>(mode);
  const bool nearest = m == InterpMode::Nearest || m == InterpMode::NearestExact || m == InterpMode::Area;
  const bool idx_fn = nearest && (backward || (sd == 2 && out_sz[0] + out_sz[1] <= 128));
  std::vector<InterpTable<T>> t;
  for (int64_t i = 0; i < sd; ++i) {
    t.push_back(make_table<T>(in_sz[i], out_sz[i], m, align_corners && !nearest, scales[i], antialias && !nearest,
                              idx_fn));
  }
  return t;
}

// ---- CUDA: the same tables, uploaded; one kernel launch per resampled dim
// (pool_cuda.cu). float16/bfloat16 use float tables there (on the CPU they run in
// float32, core/lowp_compute.h).
template <class V>
Array upload(const std::vector<V>& v, DType dt, Device dev) {
  Array a = Array::empty({static_cast<int64_t>(v.size())}, dt);
  if (!v.empty()) std::memcpy(a.data_ptr(), v.data(), v.size() * sizeof(V));
  return a.to(dev);
}

template <class A>
Array interpolate_cuda(const Array& x, const Shape& output_size, int mode, bool align_corners,
                       const std::vector<double>& scales, bool antialias, const char* op) {
  const int64_t sd = static_cast<int64_t>(output_size.size());
  const Shape in_sz(x.shape().end() - sd, x.shape().end());
  const Device dev = x.device();
  const DType wd = dtype_of<A>::value;
  const auto tabs = tables<A>(in_sz, output_size, mode, align_corners, scales, antialias, false);
  Array cur = x.contiguous();
  Shape sizes = in_sz;
  for (int64_t d = sd - 1; d >= 0; --d) {
    const InterpTable<A>& t = tabs[d];
    if (t.identity) continue;
    int64_t outer = x.shape()[0] * x.shape()[1], inner = 1;
    for (int64_t k = 0; k < d; ++k) outer *= sizes[k];
    for (int64_t k = d + 1; k < sd; ++k) inner *= sizes[k];
    sizes[d] = output_size[d];
    Array next = Array::empty(with_spatial(x.shape(), sizes), x.dtype(), dev, op);
    cuda_kernels::pool_resample_dim(op)(next, cur, upload(t.idx, DType::Int64, dev), upload(t.w, wd, dev),
                                        upload(t.count, DType::Int64, dev), outer, t.in, t.out, inner, t.taps);
    cur = next;
  }
  return cur.storage() == x.storage() ? cur.clone() : cur;
}

template <class A>
Array interpolate_backward_cuda(const Array& grad, const Shape& input_shape, int mode, bool align_corners,
                                const std::vector<double>& scales, bool antialias, const char* op) {
  const int64_t sd = static_cast<int64_t>(grad.ndim()) - 2;
  const Shape out_sz(grad.shape().end() - sd, grad.shape().end());
  const Shape in_sz(input_shape.end() - sd, input_shape.end());
  const Device dev = grad.device();
  const DType wd = dtype_of<A>::value;
  const auto tabs = tables<A>(in_sz, out_sz, mode, align_corners, scales, antialias, true);
  Array cur = grad.contiguous();
  Shape sizes = out_sz;
  for (int64_t d = 0; d < sd; ++d) {
    const InterpTable<A>& t = tabs[d];
    if (t.identity) continue;
    int64_t outer = input_shape[0] * input_shape[1], inner = 1;
    for (int64_t k = 0; k < d; ++k) outer *= sizes[k];
    for (int64_t k = d + 1; k < sd; ++k) inner *= sizes[k];
    sizes[d] = in_sz[d];
    // The table inverted (CSR by input index), entries in (j, k) order: the CPU's
    // order of accumulation into each input.
    std::vector<int64_t> off(t.in + 1, 0);
    for (int64_t j = 0; j < t.out; ++j)
      for (int64_t k = 0; k < t.count[j]; ++k) ++off[t.idx[j * t.taps + k] + 1];
    for (int64_t i = 0; i < t.in; ++i) off[i + 1] += off[i];
    std::vector<int64_t> src(off[t.in]), fill(off.begin(), off.end() - 1);
    std::vector<A> w(off[t.in]);
    for (int64_t j = 0; j < t.out; ++j)
      for (int64_t k = 0; k < t.count[j]; ++k) {
        const int64_t e = fill[t.idx[j * t.taps + k]]++;
        src[e] = j;
        w[e] = t.w[j * t.taps + k];
      }
    Array next = Array::empty(with_spatial(input_shape, sizes), grad.dtype(), dev, op);
    cuda_kernels::pool_resample_dim_backward(op)(next, cur, upload(off, DType::Int64, dev),
                                                 upload(src, DType::Int64, dev), upload(w, wd, dev), outer, t.in,
                                                 t.out, inner);
    cur = next;
  }
  return cur.storage() == grad.storage() ? cur.clone() : cur;
}

}  // namespace

Array interpolate(const Array& x, const Shape& output_size, int mode, bool align_corners,
                  const std::vector<double>& scales, bool antialias) {
  const char* op = "interpolate";
  check_float_input(x, op, "input");
  if (lowp::on_cpu(x))
    return lowp::in_float32(x.dtype(), interpolate, x, output_size, mode, align_corners, scales, antialias);
  check_interp(x.shape(), output_size, mode, scales, op);
  const int64_t sd = static_cast<int64_t>(output_size.size());
  const Shape in_sz(x.shape().end() - sd, x.shape().end());
  // The resampling tables are sized by output_size: check the output fits before building them.
  checked_alloc_bytes(with_spatial(x.shape(), output_size), x.dtype(), x.device(), op);
  if (x.numel() == 0) return Array::empty(with_spatial(x.shape(), output_size), x.dtype(), x.device(), op);
  if (x.device().is_cuda())
    return x.dtype() == DType::Float64
               ? interpolate_cuda<double>(x, output_size, mode, align_corners, scales, antialias, op)
               : interpolate_cuda<float>(x, output_size, mode, align_corners, scales, antialias, op);
  Array cur = x.contiguous();
  EMBER_DISPATCH_FLOAT(x.dtype(), op, [&] {
    const auto tabs = tables<scalar_t>(in_sz, output_size, mode, align_corners, scales, antialias, false);
    // Last dim first: sizes[i] tracks the current spatial extent.
    Shape sizes = in_sz;
    for (int64_t d = sd - 1; d >= 0; --d) {
      if (tabs[d].identity) continue;
      int64_t outer = x.shape()[0] * x.shape()[1], inner = 1;
      for (int64_t k = 0; k < d; ++k) outer *= sizes[k];
      for (int64_t k = d + 1; k < sd; ++k) inner *= sizes[k];
      sizes[d] = output_size[d];
      Array next = Array::empty(with_spatial(x.shape(), sizes), x.dtype(), x.device(), op);
      resample_dim<scalar_t>(cur.data<scalar_t>(), next.data<scalar_t>(), outer, inner, tabs[d]);
      cur = next;
    }
  });
  return cur.storage() == x.storage() ? cur.clone() : cur;
}

Array interpolate_backward(const Array& grad, const Shape& input_shape, int mode, bool align_corners,
                           const std::vector<double>& scales, bool antialias) {
  const char* op = "interpolate_backward";
  check_float_input(grad, op, "grad");
  if (lowp::on_cpu(grad))
    return lowp::in_float32(grad.dtype(), interpolate_backward, grad, input_shape, mode, align_corners, scales,
                            antialias);
  const int64_t sd = static_cast<int64_t>(grad.ndim()) - 2;
  EMBER_CHECK(sd >= 1 && sd <= 3 && static_cast<int64_t>(input_shape.size()) == grad.ndim(), Runtime, "[", op,
              "] grad of shape ", shape_str(grad.shape()), " does not match input shape ", shape_str(input_shape));
  const Shape out_sz(grad.shape().end() - sd, grad.shape().end());
  check_interp(input_shape, out_sz, mode, scales, op);
  EMBER_CHECK(grad.shape()[0] == input_shape[0] && grad.shape()[1] == input_shape[1], Runtime, "[", op,
              "] grad of shape ", shape_str(grad.shape()), " does not match input shape ", shape_str(input_shape));
  const Shape in_sz(input_shape.end() - sd, input_shape.end());
  checked_alloc_bytes(input_shape, grad.dtype(), grad.device(), op);
  if (grad.numel() == 0) return Array::zeros(input_shape, grad.dtype(), grad.device(), op);
  if (grad.device().is_cuda())
    return grad.dtype() == DType::Float64
               ? interpolate_backward_cuda<double>(grad, input_shape, mode, align_corners, scales, antialias, op)
               : interpolate_backward_cuda<float>(grad, input_shape, mode, align_corners, scales, antialias, op);
  Array cur = grad.contiguous();
  EMBER_DISPATCH_FLOAT(grad.dtype(), op, [&] {
    const auto tabs = tables<scalar_t>(in_sz, out_sz, mode, align_corners, scales, antialias, true);
    // The transpose of the forward passes, in reverse order: first dim first.
    Shape sizes = out_sz;
    for (int64_t d = 0; d < sd; ++d) {
      if (tabs[d].identity) continue;
      int64_t outer = input_shape[0] * input_shape[1], inner = 1;
      for (int64_t k = 0; k < d; ++k) outer *= sizes[k];
      for (int64_t k = d + 1; k < sd; ++k) inner *= sizes[k];
      sizes[d] = in_sz[d];
      Array next = Array::empty(with_spatial(input_shape, sizes), grad.dtype(), grad.device(), op);
      resample_dim_backward<scalar_t>(cur.data<scalar_t>(), next.data<scalar_t>(), outer, inner, tabs[d]);
      cur = next;
    }
  });
  return cur.storage() == grad.storage() ? cur.clone() : cur;
}

}  // namespace ember
