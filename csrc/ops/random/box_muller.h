// box_muller.h — the Box-Muller transform over arrays on the CPU, compiled once per
// ISA (box_muller_{cpu,avx2,avx512}.cpp) so the loop vectorises; the float-precision
// normal sampler (random_cpu.cpp) feeds it a chunk of uniforms at a time.
#pragma once
#include <cstdint>

namespace ember {
namespace rng {

// z0[i] = r cos(2 pi u2[i]), z1[i] = r sin(2 pi u2[i]), r = sqrt(-2 ln u1[i]);
// u1 in (0, 1], u2 in [0, 1). Double precision, within ~1e-15 of libm's.
using BoxMullerFn = void (*)(const double* u1, const double* u2, int64_t n, double* z0, double* z1);

// The kernel for the SIMD level in use.
BoxMullerFn box_muller_kernel();

void box_muller_scalar(const double* u1, const double* u2, int64_t n, double* z0, double* z1);
void box_muller_avx2(const double* u1, const double* u2, int64_t n, double* z0, double* z1);
void box_muller_avx512(const double* u1, const double* u2, int64_t n, double* z0, double* z1);

}  // namespace rng
}  // namespace ember
