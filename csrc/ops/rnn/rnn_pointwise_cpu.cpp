// rnn_pointwise_cpu.cpp — the baseline (no -m flags) build of rnn_pointwise.h,
// chosen at run time through simd_level().
#define RNN_ISA rnn_scalar
#include "rnn_pointwise.h"

namespace ember::rnn_detail {
const Kernels& kernels_scalar() { return rnn_scalar::kernels(); }
}  // namespace ember::rnn_detail
