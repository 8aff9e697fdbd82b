// vec_math.h — float32 exp/exp2/log/tanh/sigmoid (and float64 exp/sigmoid) written branch-free so the
// compiler vectorises a loop over them at whatever ISA the including file is
// built for (SSE2 baseline, AVX2+FMA, AVX-512). Cephes/SLEEF-style range
// reduction + minimax polynomials; max error ~1 ulp (exp, log), ~2 ulp (tanh,
// sigmoid) over the whole range, with IEEE results at 0, +-inf, NaN and in the
// subnormal range.
//
// Every function is static (internal linkage): each ISA's file gets its own copy,
// so the linker never hands an AVX-512 body to the AVX2 or baseline path.
#pragma once
#include <cstdint>
#include <limits>

namespace vm {

static inline float bits_to_f(int32_t b) { return __builtin_bit_cast(float, b); }
static inline int32_t f_to_bits(float f) { return __builtin_bit_cast(int32_t, f); }

// Branch-free select. Plain `c ? a : b` lets GCC turn the select into a branch
// around the polynomial, which it may then not if-convert (FP ops may trap under
// the default -ftrapping-math), and the loop stays scalar; an integer blend does not.
static inline float sel(bool c, float a, float b) {
  int32_t m = -static_cast<int32_t>(c);
  return bits_to_f((f_to_bits(a) & m) | (f_to_bits(b) & ~m));
}

// 2^n for n in [-252, 254] as two normal-range factors (covers subnormal results).
static inline float ldexp_split(float p, int32_t n) {
  int32_t n1 = n >> 1, n2 = n - n1;
  // Shift as unsigned: a NaN input makes n INT_MIN, and << of a negative int is UB
  // (UBSan reports it); the bits, and so the NaN result, are the same.
  return p * bits_to_f(static_cast<int32_t>((static_cast<uint32_t>(n1) + 127) << 23)) *
         bits_to_f(static_cast<int32_t>((static_cast<uint32_t>(n2) + 127) << 23));
}

// e^x, x in (-104, 88.7228] reduced as x = n ln2 + r, |r| <= ln2/2.
static inline float exp(float x) {
  const float hi = 88.72283935546875f, lo = -103.97208404541015625f;
  float xc = x > hi ? hi : x;
  xc = xc < lo ? lo : xc;
  // Round-to-nearest through the 1.5*2^23 shift: exact, and vectorises without SSE4.1.
  float n = (xc * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  float r = xc - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500E-4f;
  p = p * r + 1.3981999507E-3f;
  p = p * r + 8.3334519073E-3f;
  p = p * r + 4.1665795894E-2f;
  p = p * r + 1.6666665459E-1f;
  p = p * r + 5.0000001201E-1f;
  p = p * (r * r) + r + 1.0f;
  float y = ldexp_split(p, static_cast<int32_t>(n));
  y = sel(x > hi, std::numeric_limits<float>::infinity(), y);
  y = sel(x < lo, 0.0f, y);
  return y;  // NaN flows through xc, n and p
}

// 2^x: n = round(x), 2^r = e^(r ln2) with |r| <= 1/2.
static inline float exp2(float x) {
  const float hi = 128.0f, lo = -150.0f;
  float xc = x > hi ? hi : x;
  xc = xc < lo ? lo : xc;
  float n = (xc + 12582912.0f) - 12582912.0f;
  float r = (xc - n) * 0.693147180559945309f;
  float p = 1.9875691500E-4f;
  p = p * r + 1.3981999507E-3f;
  p = p * r + 8.3334519073E-3f;
  p = p * r + 4.1665795894E-2f;
  p = p * r + 1.6666665459E-1f;
  p = p * r + 5.0000001201E-1f;
  p = p * (r * r) + r + 1.0f;
  float y = ldexp_split(p, static_cast<int32_t>(n));
  y = sel(x >= hi, std::numeric_limits<float>::infinity(), y);
  y = sel(x < lo, 0.0f, y);
  return y;
}

// ln x: x = 2^e m with m in [sqrt(1/2), sqrt(2)), ln(m) by a degree-9 polynomial in m-1.
static inline float log(float x) {
  // Subnormals: scale into the normal range first.
  bool sub = x < 1.17549435e-38f;
  float xs = sel(sub, x * 8388608.0f, x);
  int32_t bits = f_to_bits(xs);
  int32_t e = ((bits >> 23) & 0xff) - 126;
  float m = bits_to_f((bits & 0x007fffff) | 0x3f000000);  // [0.5, 1)
  bool small = m < 0.707106781186547524f;
  e = small ? e - 1 : e;
  m = sel(small, m + m - 1.0f, m - 1.0f);
  float fe = static_cast<float>(e) - sel(sub, 23.0f, 0.0f);
  float z = m * m;
  float p = 7.0376836292E-2f;
  p = p * m - 1.1514610310E-1f;
  p = p * m + 1.1676998740E-1f;
  p = p * m - 1.2420140846E-1f;
  p = p * m + 1.4249322787E-1f;
  p = p * m - 1.6668057665E-1f;
  p = p * m + 2.0000714765E-1f;
  p = p * m - 2.4999993993E-1f;
  p = p * m + 3.3333331174E-1f;
  float y = p * m * z;
  y = y + fe * -2.12194440e-4f;
  y = y - 0.5f * z;
  float r = m + y;
  r = r + fe * 0.693359375f;
  r = sel(x == std::numeric_limits<float>::infinity(), x, r);
  r = sel(x == 0.0f, -std::numeric_limits<float>::infinity(), r);
  r = sel(x < 0.0f || x != x, std::numeric_limits<float>::quiet_NaN(), r);
  return r;
}

// tanh: odd polynomial for |x| < 0.625, else 1 - 2/(e^{2|x|} + 1) with x's sign.
static inline float tanh(float x) {
  float ax = bits_to_f(f_to_bits(x) & 0x7fffffff);
  float z = x * x;
  float p = -5.70498872745E-3f;
  p = p * z + 2.06390887954E-2f;
  p = p * z - 5.37397155531E-2f;
  p = p * z + 1.33314422036E-1f;
  p = p * z - 3.33332819422E-1f;
  float small = p * z * x + x;
  float e = exp(2.0f * ax);
  float big = 1.0f - 2.0f / (e + 1.0f);
  big = sel(x < 0.0f, -big, big);
  return sel(ax < 0.625f, small, big);  // NaN: ax < 0.625 false, big is NaN
}

// 1 / (1 + e^-x): e^-x overflows to inf for x < -88.7, giving the correct 0.
static inline float sigmoid(float x) { return 1.0f / (1.0f + exp(-x)); }

// ---- float64
static inline double bits_to_d(int64_t b) { return __builtin_bit_cast(double, b); }
static inline int64_t d_to_bits(double d) { return __builtin_bit_cast(int64_t, d); }
static inline double sel(bool c, double a, double b) {
  int64_t m = -static_cast<int64_t>(c);
  return bits_to_d((d_to_bits(a) & m) | (d_to_bits(b) & ~m));
}

// e^x in double, x in [-745.14, 709.78]: x = n ln2 + r (Cody-Waite with fdlibm's split
// of ln2), |r| <= ln2/2, e^r by its Taylor series to r^13 (truncation < 5e-18), then
// 2^n in two factors. n comes out of the rounding shift's bits, and the halving uses a
// logical shift of a non-negative value, so AVX2 (no 64-bit arithmetic shift or
// double->int64 conversion) still vectorises the whole function.
static inline double exp(double x) {
  const double hi = 709.782712893383973096, lo = -745.1332191019412076235;
  const double shift = 6755399441055744.0;  // 1.5 * 2^52
  double xc = x > hi ? hi : x;
  xc = xc < lo ? lo : xc;
  double t = xc * 1.44269504088896338700 + shift;
  double n = t - shift;
  // Integer steps on n wrap as unsigned: for a NaN x they see garbage bits, and signed
  // overflow is UB (UBSan reports it); the NaN still flows through p to the result.
  int64_t ni = static_cast<int64_t>(static_cast<uint64_t>(d_to_bits(t)) - static_cast<uint64_t>(d_to_bits(shift)));
  double r = xc - n * 6.93147180369123816490e-01;
  r = r - n * 1.90821492927058770002e-10;
  double p = 1.0 / 6227020800.0;
  p = p * r + 1.0 / 479001600.0;
  p = p * r + 1.0 / 39916800.0;
  p = p * r + 1.0 / 3628800.0;
  p = p * r + 1.0 / 362880.0;
  p = p * r + 1.0 / 40320.0;
  p = p * r + 1.0 / 5040.0;
  p = p * r + 1.0 / 720.0;
  p = p * r + 1.0 / 120.0;
  p = p * r + 1.0 / 24.0;
  p = p * r + 1.0 / 6.0;
  p = p * r + 0.5;
  p = p * (r * r) + r + 1.0;
  int64_t n1 = static_cast<int64_t>((static_cast<uint64_t>(ni) + 1100) >> 1) - 550;
  uint64_t n2 = static_cast<uint64_t>(ni) - static_cast<uint64_t>(n1);
  double y = p * bits_to_d(static_cast<int64_t>((static_cast<uint64_t>(n1) + 1023) << 52)) *
             bits_to_d(static_cast<int64_t>((n2 + 1023) << 52));
  y = sel(x > hi, std::numeric_limits<double>::infinity(), y);
  y = sel(x < lo, 0.0, y);
  return y;  // NaN flows through xc, n and p
}

static inline double sigmoid(double x) { return 1.0 / (1.0 + exp(-x)); }

// ln x for positive normal finite x (the domain Box-Muller needs; no special cases).
// x = 2^e m, m in [sqrt(1/2), sqrt(2)); ln m = 2 atanh(s), s = (m-1)/(m+1), |s| <= 0.1716,
// by its series to s^23 (truncation < 1e-17). The exponent is read as a double through
// the 2^52 trick, since AVX2 has no int64 -> double conversion.
static inline double log_pos(double x) {
  const int64_t bits = d_to_bits(x);
  double e = bits_to_d(static_cast<int64_t>(static_cast<uint64_t>(bits) >> 52) | 0x4330000000000000LL) -
             4503599627370496.0 - 1023.0;
  double m = bits_to_d((bits & 0x000fffffffffffffLL) | 0x3ff0000000000000LL);  // [1, 2)
  const bool big = m > 1.41421356237309504880;
  m = sel(big, m * 0.5, m);
  e = sel(big, e + 1.0, e);
  const double s = (m - 1.0) / (m + 1.0), z = s * s;
  double p = 1.0 / 23;
  p = p * z + 1.0 / 21;
  p = p * z + 1.0 / 19;
  p = p * z + 1.0 / 17;
  p = p * z + 1.0 / 15;
  p = p * z + 1.0 / 13;
  p = p * z + 1.0 / 11;
  p = p * z + 1.0 / 9;
  p = p * z + 1.0 / 7;
  p = p * z + 1.0 / 5;
  p = p * z + 1.0 / 3;
  return e * 6.93147180369123816490e-01 + (2.0 * s + 2.0 * s * z * p + e * 1.90821492927058770002e-10);
}

// sin and cos of 2 pi u for u in [0, 1]: u = q/4 + f exactly (|f| <= 1/8), so the angle
// 2 pi f lies in [-pi/4, pi/4] where the Taylor series to degree 17/18 is below 1e-19;
// the quarter turn q rotates the pair.
static inline void sincos_turn(double u, double& sn, double& cs) {
  const double shift = 6755399441055744.0;
  const double t = u * 4.0 + shift;
  const int64_t q = d_to_bits(t) - d_to_bits(shift);
  const double a = (u - (t - shift) * 0.25) * 6.283185307179586476925;
  const double z = a * a;
  double ps = -1.0 / 121645100408832000.0;  // -1/19!
  ps = ps * z + 1.0 / 355687428096000.0;
  ps = ps * z - 1.0 / 1307674368000.0;
  ps = ps * z + 1.0 / 6227020800.0;
  ps = ps * z - 1.0 / 39916800.0;
  ps = ps * z + 1.0 / 362880.0;
  ps = ps * z - 1.0 / 5040.0;
  ps = ps * z + 1.0 / 120.0;
  ps = ps * z - 1.0 / 6.0;
  const double s = a + a * z * ps;
  double pc = 1.0 / 6402373705728000.0;  // 1/18!
  pc = pc * z - 1.0 / 20922789888000.0;
  pc = pc * z + 1.0 / 87178291200.0;
  pc = pc * z - 1.0 / 479001600.0;
  pc = pc * z + 1.0 / 3628800.0;
  pc = pc * z - 1.0 / 40320.0;
  pc = pc * z + 1.0 / 720.0;
  pc = pc * z - 1.0 / 24.0;
  pc = pc * z + 0.5;
  const double c = 1.0 - z * pc;
  const bool swap = (q & 1) != 0;
  const double c1 = sel(swap, s, c), s1 = sel(swap, c, s);
  cs = sel(((q + 1) & 2) != 0, -c1, c1);
  sn = sel((q & 2) != 0, -s1, s1);
}

}  // namespace vm
