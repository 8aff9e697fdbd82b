// factory.h — the factory op family: arange, linspace, logspace, eye.
// (empty/zeros/full live on ember::Array.)
#pragma once
#include "core/array.h"

namespace ember {

// Lengths follow torch: int64 dtype uses integer arithmetic on the truncated
// arguments, every other dtype ceil((end - start) / step) in double.
Array arange(double start, double end, double step, DType dtype, Device device = Device{});
// All-integer arguments (exact beyond 2^53): torch's int64 length rule, computed without wrapping.
Array arange_int64(int64_t start, int64_t end, int64_t step, DType dtype, Device device = Device{});
Array linspace(double start, double end, int64_t steps, DType dtype, Device device = Device{});
Array logspace(double start, double end, int64_t steps, double base, DType dtype, Device device = Device{});
Array eye(int64_t n, int64_t m, DType dtype, Device device = Device{});

}  // namespace ember
