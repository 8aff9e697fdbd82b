// optim_cpu.cpp — the baseline (SSE2) build of the fused optimizer kernels
// (optim_isa_build.h) and the pick of the build by SIMD level.
#include "core/cpu_features.h"
#include "optim_isa_build.h"

namespace ember {
namespace optim_detail {

const Kernels& kernels_scalar() { return isa_kernels(); }

const Kernels& kernels() {
  switch (simd_level()) {
    case SimdLevel::AVX512: return kernels_avx512();
    case SimdLevel::AVX2: return kernels_avx2();
    default: return kernels_scalar();
  }
}

}  // namespace optim_detail
}  // namespace ember
