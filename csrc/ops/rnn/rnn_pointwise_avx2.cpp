// rnn_pointwise_avx2.cpp — the AVX2+FMA build (CMake adds -mavx2 -mfma) of rnn_pointwise.h,
// chosen at run time through simd_level().
#define RNN_ISA rnn_avx2
#include "rnn_pointwise.h"

namespace ember::rnn_detail {
const Kernels& kernels_avx2() { return rnn_avx2::kernels(); }
}  // namespace ember::rnn_detail
