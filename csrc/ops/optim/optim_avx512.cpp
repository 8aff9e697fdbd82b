// optim_avx512.cpp — the AVX-512 build of the fused optimizer kernels
// (optim_isa_build.h; CMake adds -mavx512f ... -mfma to *_avx512.cpp), used when
// simd_level() == avx512.
#include "optim_isa_build.h"

namespace ember {
namespace optim_detail {

const Kernels& kernels_avx512() { return isa_kernels(); }

}  // namespace optim_detail
}  // namespace ember
