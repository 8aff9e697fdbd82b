// cuda_kernel.h — how the CPU module (ember._C) reaches kernels that live in the
// CUDA module (ember/_C_cuda.so).
//
// The CUDA code is a separate shared library, loaded by _C the first time a CUDA
// device is used (cuda_loader.cpp), so CPU-only use never maps the CUDA runtime
// or its fatbins. The two sides meet in a table of named kernels:
//
//   in a header both sides include (csrc/ops/<family>/<family>_cuda.h):
//     EMBER_CUDA_KERNEL(reduce_sum, void, (const Array& out, const Array& in, int dim));
//   in csrc/ops/<family>/<family>_cuda.cu (built into _C_cuda only):
//     static void sum_cuda(const Array& out, const Array& in, int dim) { ... }
//     EMBER_CUDA_REGISTER(reduce_sum, sum_cuda);
//   on the host side, in csrc/ops/<family>/<family>.cpp, after all checks:
//     cuda_kernels::reduce_sum("sum")(out, in, dim);
//
// The getter loads _C_cuda on first use and raises "[op] ..." when ember was built
// without CUDA, there is no GPU, or the kernel is not in this build. The registered
// function must have exactly the declared type (checked at compile time). Argument
// checks, shape logic and output allocation stay on the host side, shared with the
// CPU path; the CUDA function launches work on cuda::current_stream() and returns.
//
// Errors: an ember::Error thrown inside _C_cuda propagates into _C like any other
// (both modules are built by the same compiler and libstdc++ matches exception
// types by name).
#pragma once
#include <type_traits>

namespace ember {
namespace cuda {

using KernelPtr = void (*)();

// _C: loads _C_cuda when needed and returns the kernel registered under `name`;
// raises "[op] ..." when there is none. _C_cuda: looks in its own table.
KernelPtr find_kernel(const char* name, const char* op);

// _C_cuda only: adds a kernel to the table handed to _C at load time.
struct KernelRegistrar {
  KernelRegistrar(const char* name, KernelPtr fn);
};

}  // namespace cuda
}  // namespace ember

// Declares kernel `name` with return type `ret` and parameter list `params` (in
// parentheses), and the getter ember::cuda_kernels::name(op).
#define EMBER_CUDA_KERNEL(name, ret, params)                                                     \
  namespace ember {                                                                                \
  namespace cuda_kernels {                                                                         \
  using name##_fn = ret(*) params;                                                                 \
  inline name##_fn name(const char* op) {                                                          \
    static const name##_fn fn = reinterpret_cast<name##_fn>(::ember::cuda::find_kernel(#name, op)); \
    return fn;                                                                                     \
  }                                                                                                \
  }                                                                                                \
  }

// Registers `fn` (a function of exactly the declared type) as kernel `name`.
// Use at namespace scope in a .cu file.
#define EMBER_CUDA_REGISTER(name, fn)                                                            \
  static_assert(std::is_same<decltype(&fn), ::ember::cuda_kernels::name##_fn>::value,            \
                "EMBER_CUDA_REGISTER(" #name "): the function's type differs from its declaration"); \
  static const ::ember::cuda::KernelRegistrar ember_cuda_registrar_##name(                        \
      #name, reinterpret_cast<::ember::cuda::KernelPtr>(&fn))
