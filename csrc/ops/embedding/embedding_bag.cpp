// embedding_bag.cpp — checks and CPU kernels of embedding_bag.
//
// Forward: one task per bag (parallel over bags); each accumulates its rows of
// weight straight into its output row, so the (L, D) gather never exists. Max mode
// keeps, per column, the index of the first maximum (torch's tie rule).
// Backward: bags may share rows of weight, so threads split the D columns instead
// (every thread walks all entries over its own column range: no races, no atomics).
// Layout: weight and grad rows contiguous (made so here), indices/offsets int64.
#include "embedding_bag.h"
#include "embedding_cuda.h"

#include <algorithm>
#include <limits>

#include "core/parallel.h"

namespace ember {
namespace {

constexpr int64_t kNoPadding = -1;

Array as_index(const Array& a, const char* what) {
  EMBER_CHECK(a.dtype() == DType::Int64 || a.dtype() == DType::Int32, Type, "[embedding_bag] expected ", what,
              " of dtype int64 or int32, got ", dtype_name(a.dtype()));
  EMBER_CHECK(a.ndim() == 1, Value, "[embedding_bag] expected 1-D ", what, ", got shape ", shape_str(a.shape()));
  return a.to(DType::Int64).contiguous();
}

struct Bags {
  const int64_t* idx;
  const int64_t* off;
  int64_t L, B;
  int64_t begin(int64_t b) const { return off[b]; }
  int64_t end(int64_t b) const { return b + 1 < B ? off[b + 1] : L; }
};

Bags check_bags(const Array& indices, const Array& offsets, int64_t V) {
  Bags g{indices.data<int64_t>(), offsets.data<int64_t>(), indices.numel(), offsets.numel()};
  for (int64_t b = 0; b < g.B; ++b) {
    EMBER_CHECK(g.off[b] >= 0 && g.off[b] <= g.L && (b == 0 || g.off[b] >= g.off[b - 1]), Runtime,
                "[embedding_bag] offsets must be non-decreasing and within [0, ", g.L, "], got offsets[", b,
                "] = ", g.off[b]);
  }
  EMBER_CHECK(g.B == 0 || g.off[0] == 0, Runtime, "[embedding_bag] offsets[0] has to be 0, got ", g.B ? g.off[0] : 0);
  for (int64_t i = 0; i < g.L; ++i) {
    EMBER_CHECK(g.idx[i] >= 0 && g.idx[i] < V, Runtime, "[embedding_bag] index ", g.idx[i],
                " is out of range for an embedding with ", V, " rows");
  }
  return g;
}

std::optional<Array> check_psw(const std::optional<Array>& psw, const Array& weight, int64_t L, int mode) {
  if (!psw) return std::nullopt;
  EMBER_CHECK(mode == static_cast<int>(BagMode::Sum), Value,
              "[embedding_bag] per_sample_weights is only supported for mode='sum'");
  EMBER_CHECK(psw->dtype() == weight.dtype(), Type, "[embedding_bag] expected per_sample_weights of dtype ",
              dtype_name(weight.dtype()), ", got ", dtype_name(psw->dtype()));
  EMBER_CHECK(psw->numel() == L, Value, "[embedding_bag] expected per_sample_weights with ", L,
              " elements (one per index), got shape ", shape_str(psw->shape()));
  return psw->reshape({L}).contiguous();
}

template <class T>
void bag_forward(const Bags& g, const T* w, int64_t D, BagMode mode, const T* psw, int64_t pad, T* out,
                 int64_t* bag_size, int64_t* argmax) {
  parallel_for(0, g.B, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, D * 8)), [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      T* o = out + b * D;
      std::fill(o, o + D, T(0));
      int64_t* am = mode == BagMode::Max ? argmax + b * D : nullptr;
      if (am) std::fill(am, am + D, int64_t(-1));
      int64_t count = 0;
      for (int64_t i = g.begin(b); i < g.end(b); ++i) {
        const int64_t r = g.idx[i];
        if (r == pad) continue;
        const T* row = w + r * D;
        if (am) {
          for (int64_t d = 0; d < D; ++d) {
            if (am[d] < 0 || row[d] > o[d] || row[d] != row[d]) {
              if (am[d] >= 0 && o[d] != o[d]) continue;  // a NaN already won
              o[d] = row[d];
              am[d] = r;
            }
          }
        } else {
          const T s = psw ? psw[i] : T(1);
          for (int64_t d = 0; d < D; ++d) o[d] += s * row[d];
        }
        ++count;
      }
      if (mode == BagMode::Mean && count > 0) {
        const T inv = T(1) / static_cast<T>(count);
        for (int64_t d = 0; d < D; ++d) o[d] *= inv;
      }
      bag_size[b] = count;
    }
  });
}

template <class T>
void bag_backward(const Bags& g, const T* gr, int64_t D, BagMode mode, const T* psw, int64_t pad,
                  const int64_t* bag_size, const int64_t* argmax, T* gw) {
  parallel_for(0, D, std::max<int64_t>(16, D / 64), [&](int64_t d0, int64_t d1) {
    for (int64_t b = 0; b < g.B; ++b) {
      const T* gb = gr + b * D;
      if (mode == BagMode::Max) {
        const int64_t* am = argmax + b * D;
        for (int64_t d = d0; d < d1; ++d)
          if (am[d] >= 0) gw[am[d] * D + d] += gb[d];
        continue;
      }
      const T bag_scale = mode == BagMode::Mean && bag_size[b] > 0 ? T(1) / static_cast<T>(bag_size[b]) : T(1);
      for (int64_t i = g.begin(b); i < g.end(b); ++i) {
        const int64_t r = g.idx[i];
        if (r == pad) continue;
        const T s = psw ? psw[i] * bag_scale : bag_scale;
        T* row = gw + r * D;
        for (int64_t d = d0; d < d1; ++d) row[d] += s * gb[d];
      }
    }
  });
}

void check_device(const Array& a, const Array& b) {
  EMBER_CHECK(a.device() == b.device(), Runtime, "[embedding_bag] expected all tensors on the same device, got ",
              a.device().str(), " and ", b.device().str());
}

void check_weight(const Array& weight) {
  EMBER_CHECK(weight.ndim() == 2, Value, "[embedding_bag] expected a 2-D weight, got shape ",
              shape_str(weight.shape()));
}

}  // namespace

std::tuple<Array, Array, Array> embedding_bag(const Array& weight_in, const Array& indices_in,
                                              const Array& offsets_in, int mode_in,
                                              const std::optional<Array>& psw_in, int64_t padding_idx) {
  check_weight(weight_in);
  check_device(weight_in, indices_in);
  check_device(weight_in, offsets_in);
  if (psw_in) check_device(weight_in, *psw_in);
  EMBER_CHECK(mode_in >= 0 && mode_in <= 2, Value, "[embedding_bag] mode must be sum, mean or max");
  const Array weight = weight_in.contiguous();
  const Array indices = as_index(indices_in, "indices"), offsets = as_index(offsets_in, "offsets");
  const int64_t V = weight.shape()[0], D = weight.shape()[1];
  if (weight.device().is_cuda()) {  // indices and offsets are checked by the kernel (no host read)
    EMBER_CHECK(is_floating(weight.dtype()) && itemsize(weight.dtype()) >= 4, Type,
                "[embedding_bag] expected a float32 or float64 weight, got ", dtype_name(weight.dtype()));
    const int64_t L = indices.numel(), B = offsets.numel();
    const auto psw = check_psw(psw_in, weight, L, mode_in);
    const Device dev = weight.device();
    Array out = Array::empty({B, D}, weight.dtype(), dev, "embedding_bag");
    Array bag_size = Array::empty({B}, DType::Int64, dev);
    Array argmax = Array::empty({mode_in == 2 ? B : 0, mode_in == 2 ? D : 0}, DType::Int64, dev);
    cuda_kernels::embedding_bag_fwd("embedding_bag")(weight, indices, offsets, mode_in, psw ? &*psw : nullptr,
                                                     padding_idx < 0 ? kNoPadding : padding_idx, out, bag_size,
                                                     argmax);
    return {out, bag_size, argmax};
  }
  const Bags g = check_bags(indices, offsets, V);
  const auto psw = check_psw(psw_in, weight, g.L, mode_in);
  const BagMode mode = static_cast<BagMode>(mode_in);
  Array out = Array::empty({g.B, D}, weight.dtype(), weight.device(), "embedding_bag");
  Array bag_size = Array::empty({g.B}, DType::Int64);
  Array argmax = Array::empty({mode == BagMode::Max ? g.B : 0, mode == BagMode::Max ? D : 0}, DType::Int64);
  const int64_t pad = padding_idx < 0 ? kNoPadding : padding_idx;
  EMBER_DISPATCH_FLOAT(weight.dtype(), "embedding_bag", [&] {
    bag_forward<scalar_t>(g, weight.data<scalar_t>(), D, mode, psw ? psw->data<scalar_t>() : nullptr, pad,
                          out.data<scalar_t>(), bag_size.data<int64_t>(),
                          mode == BagMode::Max ? argmax.data<int64_t>() : nullptr);
  });
  return {out, bag_size, argmax};
}

Array embedding_bag_backward(const Array& grad_in, const Array& indices_in, const Array& offsets_in,
                             const Array& bag_size, const Array& argmax, int64_t num_weights, int mode_in,
                             const std::optional<Array>& psw_in, int64_t padding_idx) {
  check_weight(grad_in);
  check_device(grad_in, indices_in);
  check_device(grad_in, offsets_in);
  if (psw_in) check_device(grad_in, *psw_in);
  const Array indices = as_index(indices_in, "indices"), offsets = as_index(offsets_in, "offsets");
  const Array grad = grad_in.contiguous();
  const int64_t D = grad.shape()[1];
  if (grad.device().is_cuda()) {  // indices and offsets are checked by the kernel (no host read)
    check_device(grad_in, bag_size);
    if (mode_in == 2) check_device(grad_in, argmax);
    EMBER_CHECK(is_floating(grad.dtype()) && itemsize(grad.dtype()) >= 4, Type,
                "[embedding_bag] expected a float32 or float64 grad, got ", dtype_name(grad.dtype()));
    const int64_t L = indices.numel(), B = offsets.numel();
    EMBER_CHECK(num_weights >= 0, Value, "[embedding_bag] num_weights must be non-negative, got ", num_weights);
    EMBER_CHECK(grad.shape()[0] == B && bag_size.numel() == B, Value, "[embedding_bag] expected grad with ", B,
                " rows, got shape ", shape_str(grad.shape()));
    const auto psw = check_psw(psw_in, grad, L, mode_in);
    if (mode_in == 2)
      EMBER_CHECK(argmax.ndim() == 2 && argmax.shape()[0] == B && argmax.shape()[1] == D, Value,
                  "[embedding_bag] max-mode backward needs the forward's (", B, ", ", D, ") argmax");
    const Array bs = bag_size.to(DType::Int64).contiguous();
    const Array am = argmax.to(DType::Int64).contiguous();
    Array gw = Array::empty({num_weights, D}, grad.dtype(), grad.device(), "embedding_bag_backward");
    cuda_kernels::embedding_bag_bwd("embedding_bag_backward")(gw, grad, indices, offsets, bs, am, mode_in,
                                                              psw ? &*psw : nullptr,
                                                              padding_idx < 0 ? kNoPadding : padding_idx);
    return gw;
  }
  const Bags g = check_bags(indices, offsets, num_weights);
  EMBER_CHECK(grad.shape()[0] == g.B && bag_size.numel() == g.B, Value, "[embedding_bag] expected grad with ", g.B,
              " rows, got shape ", shape_str(grad.shape()));
  const auto psw = check_psw(psw_in, grad, g.L, mode_in);
  const BagMode mode = static_cast<BagMode>(mode_in);
  if (mode == BagMode::Max)
    EMBER_CHECK(argmax.ndim() == 2 && argmax.shape()[0] == g.B && argmax.shape()[1] == D, Value,
                "[embedding_bag] max-mode backward needs the forward's (", g.B, ", ", D, ") argmax");
  const Array bs = bag_size.to(DType::Int64).contiguous();
  const Array am = argmax.to(DType::Int64).contiguous();
  Array gw = Array::zeros({num_weights, D}, grad.dtype(), grad.device(), "embedding_bag_backward");
  const int64_t pad = padding_idx < 0 ? kNoPadding : padding_idx;
  EMBER_DISPATCH_FLOAT(grad.dtype(), "embedding_bag_backward", [&] {
    bag_backward<scalar_t>(g, grad.data<scalar_t>(), D, mode, psw ? psw->data<scalar_t>() : nullptr, pad,
                           bs.data<int64_t>(), mode == BagMode::Max ? am.data<int64_t>() : nullptr,
                           gw.data<scalar_t>());
  });
  return gw;
}

}  // namespace ember
