// optim_isa_build.h — the body of each per-ISA build of the fused optimizer kernels
// (optim_cpu.cpp: baseline, optim_avx2.cpp, optim_avx512.cpp; CMake sets each file's
// -m flags): the kernels of optim_adam_impl.h and optim_sgd_impl.h, compiled with the
// compiler's own multiply-add contraction off (the kernels place each fused
// multiply-add where torch's CPU kernels have one, and nowhere else, so that float32
// steps round like torch's), and their table. Include once, from those files only.
#pragma once
#include "optim_kernels.h"

#pragma GCC optimize("fp-contract=off", "no-math-errno")

#include "optim_adam_impl.h"
#include "optim_sgd_impl.h"

namespace ember {
namespace optim_detail {
namespace {

const Kernels& isa_kernels() {
  static const Kernels k{sgd_impl,     adam_impl,    adamax_impl,   nadam_impl, radam_impl, lion_impl,
                         rmsprop_impl, adagrad_impl, adadelta_impl, asgd_impl,  rprop_impl};
  return k;
}

}  // namespace
}  // namespace optim_detail
}  // namespace ember
