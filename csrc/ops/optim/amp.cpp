// amp.cpp — argument checks and device dispatch of the GradScaler kernels (amp.h).
// Every check runs before anything is written. Grads that are not dense (a sliced
// or strided view) are unscaled through a contiguous copy that is copied back.
#include "amp.h"

#include <algorithm>
#include <utility>

#include "amp_cuda.h"
#include "core/checked.h"
#include "core/overlap.h"

namespace ember {
namespace {

void check_scalar(const char* op, const char* what, const Array& a, DType dt) {
  EMBER_CHECK(a.defined(), Value, "[", op, "] ", what, " is undefined");
  EMBER_CHECK(a.dtype() == dt, Type, "[", op, "] expected ", what, " of dtype ", dtype_name(dt), ", got ",
              dtype_name(a.dtype()));
  EMBER_CHECK(a.numel() == 1, Value, "[", op, "] expected ", what, " to hold one element, got shape ",
              shape_str(a.shape()));
}

void check_same_device(const char* op, const Array& ref, const Array& a) {
  EMBER_CHECK(a.device() == ref.device(), Runtime, "[", op, "] expected all tensors on the same device, got ",
              ref.device().str(), " and ", a.device().str());
}

// Lowest and one-past-highest byte a strided array reaches (numel > 0).
std::pair<uintptr_t, uintptr_t> byte_extent(const Array& a) {
  int64_t lo = 0, hi = 0;
  for (int64_t d = 0; d < a.ndim(); ++d) {
    const int64_t span = (a.shape()[d] - 1) * a.strides()[d];
    if (span < 0) lo += span;
    else hi += span;
  }
  const uintptr_t base = reinterpret_cast<uintptr_t>(a.data_ptr());
  const int64_t isz = a.itemsize();
  return {base + static_cast<uintptr_t>(lo * isz), base + static_cast<uintptr_t>((hi + 1) * isz)};
}

}  // namespace

void amp_non_finite_check_and_unscale_(const std::vector<Array>& grads, const Array& found_inf,
                                       const Array& inv_scale) {
  const char* op = "_amp_foreach_non_finite_check_and_unscale_";
  check_scalar(op, "found_inf", found_inf, DType::Float32);
  check_scalar(op, "inv_scale", inv_scale, DType::Float32);
  check_same_device(op, found_inf, inv_scale);
  struct Range {
    uintptr_t lo, hi;
    size_t i;
  };
  std::vector<Range> ranges;
  ranges.reserve(grads.size());
  for (size_t i = 0; i < grads.size(); ++i) {
    const Array& g = grads[i];
    EMBER_CHECK(g.defined(), Value, "[", op, "] grad ", i, " is undefined");
    check_same_device(op, found_inf, g);
    EMBER_CHECK(is_floating(g.dtype()), Type, "[", op, "] expected floating point grads, got grad ", i,
                " of dtype ", dtype_name(g.dtype()));
    if (g.numel() == 0) continue;
    assert_no_internal_overlap(g, op);
    auto e = byte_extent(g);
    ranges.push_back({e.first, e.second, i});
  }
  // Two grads in one memory would be unscaled twice.
  std::sort(ranges.begin(), ranges.end(), [](const Range& a, const Range& b) { return a.lo < b.lo; });
  for (size_t j = 1; j < ranges.size(); ++j)
    EMBER_CHECK(ranges[j].lo >= ranges[j - 1].hi, Value, "[", op, "] grads ", std::min(ranges[j - 1].i, ranges[j].i),
                " and ", std::max(ranges[j - 1].i, ranges[j].i), " share memory; every grad must be distinct");

  // Dense views are processed in place; the others through a contiguous copy.
  std::vector<Array> work;
  std::vector<std::pair<size_t, size_t>> copy_back;  // (grad index, work index)
  work.reserve(grads.size());
  for (size_t i = 0; i < grads.size(); ++i) {
    const Array& g = grads[i];
    if (g.numel() == 0) continue;
    if (g.is_non_overlapping_and_dense()) {
      work.push_back(g);
    } else {
      copy_back.push_back({i, work.size()});
      work.push_back(g.contiguous());
    }
  }

  if (found_inf.device().is_cuda()) {
    if (!work.empty()) cuda_kernels::amp_unscale(op)(work, found_inf, inv_scale);
  } else {
    const float inv = *inv_scale.data<float>();
    bool bad = false;
    for (const Array& w : work)
      if (amp_detail::unscale_dense_cpu(w.data_ptr(), w.numel(), w.dtype(), inv)) bad = true;
    if (bad) *found_inf.data<float>() = 1.0f;
  }
  for (const auto& cb : copy_back) grads[cb.first].copy_(work[cb.second]);
  for (const Array& g : grads) g.bump_version();
  found_inf.bump_version();
}

void amp_update_scale_(const Array& scale, const Array& growth_tracker, const Array& found_inf,
                       double growth_factor, double backoff_factor, int64_t growth_interval) {
  const char* op = "_amp_update_scale_";
  check_scalar(op, "scale", scale, DType::Float32);
  check_scalar(op, "growth_tracker", growth_tracker, DType::Int32);
  check_scalar(op, "found_inf", found_inf, DType::Float32);
  check_same_device(op, scale, growth_tracker);
  check_same_device(op, scale, found_inf);
  if (scale.device().is_cuda()) {
    cuda_kernels::amp_update_scale(op)(scale, growth_tracker, found_inf, growth_factor, backoff_factor,
                                       growth_interval);
  } else {
    amp_detail::update_scale_cpu(scale.data<float>(), growth_tracker.data<int32_t>(), found_inf.data<float>(),
                                 growth_factor, backoff_factor, growth_interval);
  }
  scale.bump_version();
  growth_tracker.bump_version();
}

}  // namespace ember
