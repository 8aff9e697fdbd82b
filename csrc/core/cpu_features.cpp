// cpu_features.cpp — run-time ISA detection (see cpu_features.h).
#include "cpu_features.h"

#include <atomic>
#include <cstdlib>
#include <cstring>

namespace ember {
namespace {

SimdLevel detect() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
      __builtin_cpu_supports("fma"))
    return SimdLevel::AVX512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
      __builtin_cpu_supports("f16c"))
    return SimdLevel::AVX2;
#endif
  return SimdLevel::Scalar;
}

SimdLevel env_cap() {
  const char* env = std::getenv("EMBER_SIMD");
  if (!env) return SimdLevel::AVX512;
  if (!std::strcmp(env, "scalar")) return SimdLevel::Scalar;
  if (!std::strcmp(env, "avx2")) return SimdLevel::AVX2;
  return SimdLevel::AVX512;
}

std::atomic<int> g_level{-1};

}  // namespace

SimdLevel cpu_max_simd_level() {
  static const SimdLevel best = detect();
  return best;
}

SimdLevel simd_level() {
  int l = g_level.load(std::memory_order_relaxed);
  if (l < 0) {
    SimdLevel best = cpu_max_simd_level(), cap = env_cap();
    l = static_cast<int>(best) < static_cast<int>(cap) ? static_cast<int>(best) : static_cast<int>(cap);
    g_level.store(l, std::memory_order_relaxed);
  }
  return static_cast<SimdLevel>(l);
}

void set_simd_level_cap(SimdLevel cap) {
  int best = static_cast<int>(cpu_max_simd_level());
  int c = static_cast<int>(cap);
  g_level.store(best < c ? best : c, std::memory_order_relaxed);
}

const char* simd_level_name(SimdLevel level) {
  switch (level) {
    case SimdLevel::AVX512: return "avx512";
    case SimdLevel::AVX2: return "avx2";
    default: return "scalar";
  }
}

}  // namespace ember
