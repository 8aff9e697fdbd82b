// random_transforms.h — how Philox output words become samples; shared by the
// CPU driver (random_cpu.cpp) and the CUDA kernels (random_cuda.cu) so both
// backends turn the same counters into the same numbers.
//
// Layout of a stream: element i of an output (row-major logical order) reads
// block `offset + i / P` at slot `i % P`, where P = kPerBlock is 4 for draws of
// one 32-bit word (float-precision samples) and 2 for draws of two words (53-bit
// doubles, 64-bit integers). A call reserves ceil(n / P) blocks from the
// generator, so results depend on neither the thread count nor the device.
// Each transform fills the P samples of one block at once (Box-Muller makes
// samples in pairs).
#pragma once
#include <cmath>
#include <cstdint>

#include "core/dtype.h"
#include "core/philox.h"

namespace ember {
namespace rng {

enum class Dist : int { Uniform, Normal, LogNormal, Exponential, Cauchy, Geometric, RandInt, Bernoulli };

// Parameters of one fill; which fields are used depends on the Dist.
struct DistParams {
  double a = 0, b = 1;  // uniform [a, b), normal (mean, std), exponential (lambd), cauchy (median, sigma), geometric (p), bernoulli (p)
  int64_t low = 0;      // randint: low + [0, range)
  uint64_t range = 0;   // randint: 0 means the full 2^64 range
};

constexpr float kTwo24Inv = 1.0f / 16777216.0f;               // 2^-24
constexpr double kTwo53Inv = 1.0 / 9007199254740992.0;        // 2^-53
constexpr double kTwo32Inv = 1.0 / 4294967296.0;              // 2^-32
constexpr double kTwoPi = 6.283185307179586476925286766559;
constexpr double kPi = 3.141592653589793238462643383279;

// Samples per block; the float-precision path serves float32, float16 and bfloat16.
inline int per_block(Dist d, DType t) {
  switch (d) {
    case Dist::Uniform: case Dist::Normal: case Dist::LogNormal: return t == DType::Float64 ? 2 : 4;
    case Dist::Bernoulli: return 4;
    default: return 2;
  }
}

// [0, 1) with 24 random bits (every value exactly representable in float).
EMBER_HOST_DEVICE inline float u24(uint32_t x) { return static_cast<float>(x >> 8) * kTwo24Inv; }
// [0, 1) with 53 random bits.
EMBER_HOST_DEVICE inline double u53(uint32_t lo, uint32_t hi) {
  uint64_t x = (static_cast<uint64_t>(hi) << 32) | lo;
  return static_cast<double>(x >> 11) * kTwo53Inv;
}
EMBER_HOST_DEVICE inline uint64_t u64(uint32_t lo, uint32_t hi) { return (static_cast<uint64_t>(hi) << 32) | lo; }
// floor(x * range / 2^64): maps a 64-bit draw into [0, range) without a division
// or a rejection loop; the bias is at most range / 2^64.
EMBER_HOST_DEVICE inline uint64_t mul_shift(uint64_t x, uint64_t range) {
#ifdef __CUDA_ARCH__
  return __umul64hi(x, range);
#else
  return static_cast<uint64_t>((static_cast<unsigned __int128>(x) * range) >> 64);
#endif
}

// a * b + c with two roundings on both backends: nvcc would otherwise fuse it
// into one FMA (one rounding) and the GPU would drift from the CPU by an ulp.
// (Host builds without -march have no FMA to fuse into.)
EMBER_HOST_DEVICE inline float mul_add_rn(float a, float b, float c) {
#ifdef __CUDA_ARCH__
  return __fadd_rn(__fmul_rn(a, b), c);
#else
  return a * b + c;
#endif
}
EMBER_HOST_DEVICE inline double mul_add_rn(double a, double b, double c) {
#ifdef __CUDA_ARCH__
  return __dadd_rn(__dmul_rn(a, b), c);
#else
  return a * b + c;
#endif
}

EMBER_HOST_DEVICE inline float next_toward(float b, float a) { return ::nextafterf(b, a); }
EMBER_HOST_DEVICE inline double next_toward(double b, double a) { return ::nextafter(b, a); }
// a + (b - a) * u can round up to b; keep the interval half-open.
template <class C>
EMBER_HOST_DEVICE inline C affine_half_open(C a, C b, C u) {
  C r = mul_add_rn(b - a, u, a);
  return (r >= b && a < b) ? next_toward(b, a) : r;
}

template <class C> struct Uniform;
template <> struct Uniform<float> {
  static constexpr int kPerBlock = 4;
  using value_type = float;
  float a, b;
  EMBER_HOST_DEVICE void operator()(const Philox4& w, int64_t, float* out) const {
    for (int j = 0; j < 4; ++j) out[j] = affine_half_open(a, b, u24(w.v[j]));
  }
};
template <> struct Uniform<double> {
  static constexpr int kPerBlock = 2;
  using value_type = double;
  double a, b;
  EMBER_HOST_DEVICE void operator()(const Philox4& w, int64_t, double* out) const {
    out[0] = affine_half_open(a, b, u53(w.v[0], w.v[1]));
    out[1] = affine_half_open(a, b, u53(w.v[2], w.v[3]));
  }
};

// Box-Muller: (r cos t, r sin t) with r = sqrt(-2 ln u1), u1 in (0, 1], t = 2 pi u2.
// Computed in double for both precisions so the CPU and the GPU round alike.
EMBER_HOST_DEVICE inline void box_muller(double u1, double u2, double& z0, double& z1) {
  double r = ::sqrt(-2.0 * ::log(u1));
  double t = kTwoPi * u2;
  z0 = r * ::cos(t);
  z1 = r * ::sin(t);
}

template <class C> struct Normal;
template <> struct Normal<float> {
  static constexpr int kPerBlock = 4;
  using value_type = float;
  double mean, std;
  bool log_normal;
  EMBER_HOST_DEVICE void operator()(const Philox4& w, int64_t, float* out) const {
    for (int p = 0; p < 2; ++p) {
      double u1 = static_cast<double>((w.v[2 * p] >> 8) + 1) * static_cast<double>(kTwo24Inv);
      double u2 = static_cast<double>(u24(w.v[2 * p + 1]));
      double z0, z1;
      box_muller(u1, u2, z0, z1);
      z0 = mul_add_rn(std, z0, mean);
      z1 = mul_add_rn(std, z1, mean);
      out[2 * p] = static_cast<float>(log_normal ? ::exp(z0) : z0);
      out[2 * p + 1] = static_cast<float>(log_normal ? ::exp(z1) : z1);
    }
  }
};
template <> struct Normal<double> {
  static constexpr int kPerBlock = 2;
  using value_type = double;
  double mean, std;
  bool log_normal;
  EMBER_HOST_DEVICE void operator()(const Philox4& w, int64_t, double* out) const {
    double u1 = 1.0 - u53(w.v[0], w.v[1]);  // (0, 1]
    double u2 = u53(w.v[2], w.v[3]);
    double z0, z1;
    box_muller(u1, u2, z0, z1);
    z0 = mul_add_rn(std, z0, mean);
    z1 = mul_add_rn(std, z1, mean);
    out[0] = log_normal ? ::exp(z0) : z0;
    out[1] = log_normal ? ::exp(z1) : z1;
  }
};

// Exponential, Cauchy and geometric by inversion of a 53-bit uniform.
struct Exponential {
  static constexpr int kPerBlock = 2;
  using value_type = double;
  double lambd;
  EMBER_HOST_DEVICE void operator()(const Philox4& w, int64_t, double* out) const {
    for (int j = 0; j < 2; ++j) out[j] = -::log1p(-u53(w.v[2 * j], w.v[2 * j + 1])) / lambd;
  }
};
struct Cauchy {
  static constexpr int kPerBlock = 2;
  using value_type = double;
  double median, sigma;
  EMBER_HOST_DEVICE void operator()(const Philox4& w, int64_t, double* out) const {
    for (int j = 0; j < 2; ++j) out[j] = mul_add_rn(sigma, ::tan(kPi * (u53(w.v[2 * j], w.v[2 * j + 1]) - 0.5)), median);
  }
};
// Number of Bernoulli(p) trials up to and including the first success (>= 1).
struct Geometric {
  static constexpr int kPerBlock = 2;
  using value_type = double;
  double p;
  EMBER_HOST_DEVICE void operator()(const Philox4& w, int64_t, double* out) const {
    double denom = ::log1p(-p);
    for (int j = 0; j < 2; ++j) {
      double u = 1.0 - u53(w.v[2 * j], w.v[2 * j + 1]);  // (0, 1]
      double k = ::ceil(::log(u) / denom);
      out[j] = k < 1.0 ? 1.0 : k;
    }
  }
};

// low + [0, range) from a 64-bit draw; range 0 stands for 2^64.
struct RandInt {
  static constexpr int kPerBlock = 2;
  using value_type = int64_t;
  int64_t low;
  uint64_t range;
  EMBER_HOST_DEVICE void operator()(const Philox4& w, int64_t, int64_t* out) const {
    for (int j = 0; j < 2; ++j) {
      uint64_t x = u64(w.v[2 * j], w.v[2 * j + 1]);
      uint64_t r = range == 0 ? x : mul_shift(x, range);
      out[j] = static_cast<int64_t>(static_cast<uint64_t>(low) + r);
    }
  }
};

// 1 with probability p: a 32-bit uniform below p (exact at p = 0 and p = 1).
struct Bernoulli {
  static constexpr int kPerBlock = 4;
  using value_type = int64_t;
  double p;
  EMBER_HOST_DEVICE void operator()(const Philox4& w, int64_t, int64_t* out) const {
    for (int j = 0; j < 4; ++j) out[j] = static_cast<double>(w.v[j]) * kTwo32Inv < p ? 1 : 0;
  }
};
// Per-element probabilities: p points at float64 values laid out like the output.
struct BernoulliTensor {
  static constexpr int kPerBlock = 4;
  using value_type = int64_t;
  const double* p;
  int64_t n;
  EMBER_HOST_DEVICE void operator()(const Philox4& w, int64_t first, int64_t* out) const {
    for (int j = 0; j < 4; ++j) {
      double pj = first + j < n ? p[first + j] : 0.0;
      out[j] = static_cast<double>(w.v[j]) * kTwo32Inv < pj ? 1 : 0;
    }
  }
};

}  // namespace rng
}  // namespace ember
