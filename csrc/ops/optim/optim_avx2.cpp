// optim_avx2.cpp — the AVX2+FMA build of the fused optimizer kernels
// (optim_isa_build.h; CMake adds -mavx2 -mfma to *_avx2.cpp), used when
// simd_level() == avx2.
#include "optim_isa_build.h"

namespace ember {
namespace optim_detail {

const Kernels& kernels_avx2() { return isa_kernels(); }

}  // namespace optim_detail
}  // namespace ember
