// amp.h — the two kernels behind ember.amp.GradScaler, after torch's
// _amp_foreach_non_finite_check_and_unscale_ and _amp_update_scale_.
//
//   amp_non_finite_check_and_unscale_(grads, found_inf, inv_scale):
//     every grad (any floating dtype, any layout) is multiplied in place by
//     inv_scale (a one-element float32 tensor; skipped when it holds 1), and
//     found_inf (a one-element float32 tensor) is set to 1 when any element of any
//     grad is inf or NaN. found_inf is only ever set, never cleared, so one flag can
//     gather several calls. Products are computed in float for half/bfloat16 grads,
//     in the grad's own type otherwise (torch's opmath), so they round like torch's.
//   amp_update_scale_(scale, growth_tracker, found_inf, growth_factor, backoff_factor,
//                     growth_interval):
//     torch's growth tracker: on found_inf, scale *= backoff_factor and the tracker
//     resets; otherwise the tracker counts successful steps and, on reaching
//     growth_interval, scale *= growth_factor (kept when still finite) and resets.
//     scale: one-element float32, growth_tracker: one-element int32.
//
// Both read their scalar inputs where they live (no copy to the host on CUDA) and
// run on the CPU or on the tensors' CUDA device (amp_cuda.cu); all tensors of one
// call must be on one device.
#pragma once
#include <cstdint>
#include <vector>

#include "core/array.h"

namespace ember {

void amp_non_finite_check_and_unscale_(const std::vector<Array>& grads, const Array& found_inf,
                                       const Array& inv_scale);
void amp_update_scale_(const Array& scale, const Array& growth_tracker, const Array& found_inf,
                       double growth_factor, double backoff_factor, int64_t growth_interval);

namespace amp_detail {

// CPU kernels (amp_cpu.cpp). unscale_dense: `n` elements of dtype `dt` stored densely
// from `data` (any order); returns true when one of them is not finite.
bool unscale_dense_cpu(void* data, int64_t n, DType dt, float inv_scale);
void update_scale_cpu(float* scale, int32_t* growth_tracker, const float* found_inf, double growth_factor,
                      double backoff_factor, int64_t growth_interval);

}  // namespace amp_detail
}  // namespace ember
