// box_muller_impl.h — the body of one ISA's box_muller (box_muller.h); BM_NAME names
// the function. vm::log_pos and vm::sincos_turn are branch-free, so the loop
// vectorises; their selects need no-trapping-math to be if-converted (ember never
// reads the FP exception flags).
#pragma GCC optimize("no-trapping-math")
#include <cmath>
#include <cstdint>
#include <limits>

#include "box_muller.h"
#include "ops/elementwise/vec_math.h"

namespace ember {
namespace rng {

void BM_NAME(const double* u1, const double* u2, int64_t n, double* z0, double* z1) {
  for (int64_t i = 0; i < n; ++i) {
    const double r = std::sqrt(-2.0 * vm::log_pos(u1[i]));
    double s, c;
    vm::sincos_turn(u2[i], s, c);
    z0[i] = r * c;
    z1[i] = r * s;
  }
}

}  // namespace rng
}  // namespace ember
