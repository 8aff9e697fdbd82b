// factory.h — the factory op family: arange, linspace, logspace, eye.
// (empty/zeros/full live on ember::Array.)
#pragma once
#include "core/array.h"

namespace ember {

// Integer dtypes compute start + i * step in int64 (torch truncates both first).
Array arange(double start, double end, double step, DType dtype, Device device = Device{});
Array linspace(double start, double end, int64_t steps, DType dtype, Device device = Device{});
Array logspace(double start, double end, int64_t steps, double base, DType dtype, Device device = Device{});
Array eye(int64_t n, int64_t m, DType dtype, Device device = Device{});

}  // namespace ember
