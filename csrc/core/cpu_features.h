// cpu_features.h — which SIMD path kernels take, decided once at run time.
//
// Kernels are compiled per ISA (files ending in _avx2.cpp / _avx512.cpp get the
// matching -m flags from CMake) and chosen through simd_level(). EMBER_SIMD=
// scalar|avx2|avx512 caps the level, like PyTorch's ATEN_CPU_CAPABILITY, so tests
// can run every path the machine supports.
#pragma once

namespace ember {

enum class SimdLevel : int { Scalar = 0, AVX2 = 1, AVX512 = 2 };

// The level in use: the best the CPU supports, capped by EMBER_SIMD.
SimdLevel simd_level();
// Re-reads EMBER_SIMD (tests switch paths in one process).
void set_simd_level_cap(SimdLevel cap);
const char* simd_level_name(SimdLevel level);
// The best level this CPU supports, ignoring any cap.
SimdLevel cpu_max_simd_level();

}  // namespace ember
