// optim_cpu.cpp — the baseline (SSE2) build of the fused optimizer
// kernels (optim_adam_impl.h, optim_sgd_impl.h) and the pick of the build by SIMD level.
// The compiler's own multiply-add contraction is off here: the kernels place each
// fused multiply-add where torch's CPU kernels have one, and nowhere else, so that
// float32 steps round like torch's.
#include "core/cpu_features.h"
#include "optim_kernels.h"

#pragma GCC optimize("fp-contract=off", "no-math-errno")

#include "optim_adam_impl.h"
#include "optim_sgd_impl.h"

namespace ember {
namespace optim_detail {

const Kernels& kernels_scalar() {
  static const Kernels k{sgd_impl,   adam_impl, adamax_impl,   nadam_impl, radam_impl, lion_impl,
                         rmsprop_impl, adagrad_impl, adadelta_impl, asgd_impl, rprop_impl};
  return k;
}

const Kernels& kernels() {
  switch (simd_level()) {
    case SimdLevel::AVX512: return kernels_avx512();
    case SimdLevel::AVX2: return kernels_avx2();
    default: return kernels_scalar();
  }
}

}  // namespace optim_detail
}  // namespace ember
