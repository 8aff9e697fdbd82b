// amp_cpu.cpp — CPU kernels of the GradScaler ops (amp.h).
//
// unscale: one pass over each grad's dense storage block, split across ember's
// thread pool (parallel_for, grain kGrain elements). float/double grads go through
// explicit 16-byte SIMD lanes (simd_lanes.h): the non-finite test is a bit test
// (exponent all ones = inf or NaN) OR-ed into an integer lane accumulator, which
// needs no float reassociation, and the multiply is one vector product per lane
// group; half/bfloat16 grads convert through float. The op is memory bound, so the
// baseline (SSE2) build is the only one. Each chunk reports whether it saw a
// non-finite value through one relaxed atomic store.
#include <atomic>
#include <cmath>
#include <cstring>
#include <type_traits>

#include "amp.h"
#include "core/parallel.h"
#include "core/simd_lanes.h"

namespace ember {
namespace amp_detail {
namespace {

constexpr int kBytes = 16;
constexpr int64_t kGrain = int64_t(1) << 16;

// float / double: vector lanes, then a scalar tail.
template <class T, bool MUL>
bool unscale_span(T* p, int64_t n, T inv) {
  using VT = lanes::Vec<T, kBytes>;
  using V = typename VT::type;
  using I = typename VT::itype;
  using U = std::conditional_t<sizeof(T) == 4, int32_t, int64_t>;
  constexpr U kExpBits = sizeof(T) == 4 ? U(0x7f800000) : U(0x7ff0000000000000LL);
  constexpr int L = VT::n;
  const I ebits = lanes::splat<kBytes, U>(kExpBits);
  const V vinv = lanes::splat<kBytes, T>(inv);
  I acc = lanes::splat<kBytes, U>(0);
  int64_t i = 0;
  for (; i + L <= n; i += L) {
    V v = lanes::load<kBytes>(p + i);
    I b;
    std::memcpy(&b, &v, sizeof(b));
    acc |= ((b & ebits) == ebits);  // -1 in a lane holding inf or NaN
    if (MUL) {
      v = v * vinv;
      std::memcpy(p + i, &v, sizeof(v));
    }
  }
  bool bad = false;
  for (int j = 0; j < L; ++j) bad |= acc[j] != 0;
  for (; i < n; ++i) {
    const T v = p[i];
    if (!std::isfinite(v)) bad = true;
    if (MUL) p[i] = v * inv;
  }
  return bad;
}

// half / bfloat16: through float, rounded back like every other kernel (Cvt).
template <class T, bool MUL>
bool unscale_span_16(T* p, int64_t n, float inv) {
  bool bad = false;
  for (int64_t i = 0; i < n; ++i) {
    const float v = Cvt<T>::template load<float>(p[i]);
    if (!std::isfinite(v)) bad = true;
    if (MUL) p[i] = Cvt<T>::template store<float>(v * inv);
  }
  return bad;
}

template <class T, bool MUL>
bool unscale_chunk(T* p, int64_t n, float inv) {
  if constexpr (std::is_same_v<T, float>) return unscale_span<float, MUL>(p, n, inv);
  else if constexpr (std::is_same_v<T, double>) return unscale_span<double, MUL>(p, n, static_cast<double>(inv));
  else return unscale_span_16<T, MUL>(p, n, inv);
}

template <class T>
bool unscale_typed(T* p, int64_t n, float inv) {
  std::atomic<bool> bad{false};
  const bool mul = inv != 1.0f;  // torch: `inv_scale == 1.f ? val : val * inv_scale`
  parallel_for(0, n, kGrain, [&](int64_t b, int64_t e) {
    const bool r = mul ? unscale_chunk<T, true>(p + b, e - b, inv) : unscale_chunk<T, false>(p + b, e - b, inv);
    if (r) bad.store(true, std::memory_order_relaxed);
  });
  return bad.load(std::memory_order_relaxed);
}

}  // namespace

bool unscale_dense_cpu(void* data, int64_t n, DType dt, float inv_scale) {
  if (n == 0) return false;
  return EMBER_DISPATCH_ALL_FLOAT(dt, "_amp_foreach_non_finite_check_and_unscale_",
                                  [&] { return unscale_typed(static_cast<scalar_t*>(data), n, inv_scale); });
}

void update_scale_cpu(float* scale, int32_t* growth_tracker, const float* found_inf, double growth_factor,
                      double backoff_factor, int64_t growth_interval) {
  // torch's _amp_update_scale_cpu_kernel, statement for statement.
  if (*found_inf) {
    *scale = static_cast<float>(*scale * backoff_factor);
    *growth_tracker = 0;
  } else {
    // A successful step: the tracker counts it before the comparison.
    const int64_t successful = static_cast<int64_t>(*growth_tracker) + 1;
    if (successful == growth_interval) {
      const float new_scale = static_cast<float>(*scale * growth_factor);
      if (std::isfinite(new_scale)) *scale = new_scale;  // never grow past float32's range
      *growth_tracker = 0;
    } else {
      *growth_tracker = static_cast<int32_t>(successful);
    }
  }
}

}  // namespace amp_detail
}  // namespace ember
