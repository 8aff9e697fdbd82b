// pool_check.h — internal: argument checks and plane geometry shared by pool.cpp,
// unpool.cpp and interpolate.cpp.
#pragma once
#include <string>

#include "core/array.h"
#include "pool_kernels.h"

namespace ember {
namespace pool_detail {

// Any floating array (else a TypeError naming op). CPU float16/bfloat16 callers then
// run in float32 through core/lowp_compute.h; CUDA kernels take them natively.
void check_float_input(const Array& x, const char* op, const char* what);
// "[op] expected all tensors on the same device, got cpu and cuda:0".
void check_same_device(const Array& a, const Array& b, const char* op);
// xs is (C, *spatial) or (N, C, *spatial) with `sd` spatial dims and non-empty
// non-batch dims (torch allows only the batch dim to be 0).
void check_pool_input(const Shape& xs, int64_t sd, const char* op);
// Number of planes (product of the non-spatial dims).
int64_t planes(const Shape& s, int64_t sd);
// x's shape with its last sd dims replaced by `spatial`.
Shape with_spatial(const Shape& s, const Shape& spatial);
// Threads split planes; ~32K elements of work per chunk keeps small inputs serial.
int64_t plane_grain(int64_t work_per_plane);
// "1d" / "2d" op names.
std::string op_name(const char* base, int64_t sd);

}  // namespace pool_detail
}  // namespace ember
