// box_muller_cpu.cpp — the baseline (SSE2) build of box_muller_impl.h and the choice
// of kernel by SIMD level.
#define BM_NAME box_muller_scalar
#include "box_muller_impl.h"

#include "core/cpu_features.h"

namespace ember {
namespace rng {

BoxMullerFn box_muller_kernel() {
  switch (simd_level()) {
    case SimdLevel::AVX512: return box_muller_avx512;
    case SimdLevel::AVX2: return box_muller_avx2;
    default: return box_muller_scalar;
  }
}

}  // namespace rng
}  // namespace ember
