// optim_avx2.cpp — the AVX2+FMA build of the fused optimizer kernels
// (optim_adam_impl.h, optim_sgd_impl.h; CMake adds -mavx2 -mfma to *_avx2.cpp),
// used when simd_level() == avx2.
// The compiler's own multiply-add contraction is off here: the kernels place each
// fused multiply-add where torch's CPU kernels have one, and nowhere else, so that
// float32 steps round like torch's.
#include "optim_kernels.h"

#pragma GCC optimize("fp-contract=off", "no-math-errno")

#include "optim_adam_impl.h"
#include "optim_sgd_impl.h"

namespace ember {
namespace optim_detail {

const Kernels& kernels_avx2() {
  static const Kernels k{sgd_impl,   adam_impl, adamax_impl,   nadam_impl, radam_impl, lion_impl,
                         rmsprop_impl, adagrad_impl, adadelta_impl, asgd_impl, rprop_impl};
  return k;
}

}  // namespace optim_detail
}  // namespace ember
