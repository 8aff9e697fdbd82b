// amp_cuda.h — the CUDA twins of the GradScaler kernels (amp.h), registered by
// amp_cuda.cu and called by amp.cpp after every check. Host-only C++ here.
//
// amp_unscale: `grads` are dense (non-overlapping and dense, any order), floating,
// on one device with the one-element float32 found_inf and inv_scale.
// amp_update_scale: scale float32 and growth_tracker int32, one element each.
#pragma once
#include <cstdint>
#include <vector>

#include "core/array.h"
#include "core/cuda_kernel.h"

EMBER_CUDA_KERNEL(amp_unscale, void,
                  (const std::vector<Array>& grads, const Array& found_inf, const Array& inv_scale));
EMBER_CUDA_KERNEL(amp_update_scale, void,
                  (const Array& scale, const Array& growth_tracker, const Array& found_inf, double growth_factor,
                   double backoff_factor, int64_t growth_interval));
