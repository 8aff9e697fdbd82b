// rnn_pointwise_avx512.cpp — the AVX-512 build (CMake adds -mavx512f ...) of rnn_pointwise.h,
// chosen at run time through simd_level().
#define RNN_ISA rnn_avx512
#include "rnn_pointwise.h"

namespace ember::rnn_detail {
const Kernels& kernels_avx512() { return rnn_avx512::kernels(); }
}  // namespace ember::rnn_detail
