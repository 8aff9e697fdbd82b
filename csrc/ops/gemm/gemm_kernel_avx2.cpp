// gemm_kernel_avx2.cpp — AVX2 + FMA register micro-kernels for sgemm / dgemm.
//
// Computes one MR x NR tile C = alpha * A @ B + beta * C from packed micro-panels
// (layout contract in gemm_kernels.h): float32 6x16 and float64 6x8, i.e. 6 rows of
// two ymm vectors. Per k step the kernel loads the two B vectors once, broadcasts
// each of the 6 A values and issues 12 FMAs into 12 accumulators; with 2 B vectors
// and 1 broadcast that is 15 of the 16 ymm registers, and 12 independent FMA chains
// cover the FMA latency (4 cycles x 2 pipes on Zen 3). The accumulators are named
// variables, not an array: GCC 12 spills an accumulator array to the stack every
// k step, which halves the speed.
#include <immintrin.h>

#include "gemm_kernels.h"

namespace ember {
namespace gemm {
namespace detail {
namespace {

struct VF {  // float32 lanes
  using T = float;
  using R = __m256;
  static constexpr int W = 8;
  static R zero() { return _mm256_setzero_ps(); }
  static R load(const T* p) { return _mm256_load_ps(p); }
  static R loadu(const T* p) { return _mm256_loadu_ps(p); }
  static void storeu(T* p, R v) { _mm256_storeu_ps(p, v); }
  static R bcast(const T* p) { return _mm256_broadcast_ss(p); }
  static R set1(T v) { return _mm256_set1_ps(v); }
  static R fma(R a, R b, R c) { return _mm256_fmadd_ps(a, b, c); }
  static R mul(R a, R b) { return _mm256_mul_ps(a, b); }
};

struct VD {  // float64 lanes
  using T = double;
  using R = __m256d;
  static constexpr int W = 4;
  static R zero() { return _mm256_setzero_pd(); }
  static R load(const T* p) { return _mm256_load_pd(p); }
  static R loadu(const T* p) { return _mm256_loadu_pd(p); }
  static void storeu(T* p, R v) { _mm256_storeu_pd(p, v); }
  static R bcast(const T* p) { return _mm256_broadcast_sd(p); }
  static R set1(T v) { return _mm256_set1_pd(v); }
  static R fma(R a, R b, R c) { return _mm256_fmadd_pd(a, b, c); }
  static R mul(R a, R b) { return _mm256_mul_pd(a, b); }
};

#define EMB_ROW_FMA(i)                  \
  a = V::bcast(AROW(i));                \
  c##i##_0 = V::fma(a, b0, c##i##_0);   \
  c##i##_1 = V::fma(a, b1, c##i##_1);

// beta == 0 stores without reading C (it may hold NaN or garbage).
#define EMB_ROW_STORE(i)                                                   \
  {                                                                        \
    T* cr = C + (i) * ldc;                                                 \
    if (beta_zero) {                                                       \
      V::storeu(cr, V::mul(va, c##i##_0));                                 \
      V::storeu(cr + W, V::mul(va, c##i##_1));                             \
    } else {                                                               \
      V::storeu(cr, V::fma(vb, V::loadu(cr), V::mul(va, c##i##_0)));       \
      V::storeu(cr + W, V::fma(vb, V::loadu(cr + W), V::mul(va, c##i##_1))); \
    }                                                                      \
  }

template <class V>
inline void kernel_6x2v(int64_t kc, const typename V::T* A, int64_t lda,
                        const typename V::T* B,
                        typename V::T* C, int64_t ldc, typename V::T alpha,
                        typename V::T beta) {
  using T = typename V::T;
  using R = typename V::R;
  constexpr int W = V::W;
  constexpr int MR = 6, NR = 2 * W;
  // Touch the C tile early so its lines arrive while the k loop runs.
  for (int i = 0; i < MR; ++i) {
    _mm_prefetch(reinterpret_cast<const char*>(C + i * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(C + i * ldc + NR - 1), _MM_HINT_T0);
  }
  R c0_0 = V::zero(), c0_1 = V::zero(), c1_0 = V::zero(), c1_1 = V::zero();
  R c2_0 = V::zero(), c2_1 = V::zero(), c3_0 = V::zero(), c3_1 = V::zero();
  R c4_0 = V::zero(), c4_1 = V::zero(), c5_0 = V::zero(), c5_1 = V::zero();
  if (lda == 0) {
    // Packed A: MR consecutive values per k step.
#define AROW(i) (A + (i))
#pragma GCC unroll 4
    for (int64_t k = 0; k < kc; ++k) {
      R b0 = V::load(B), b1 = V::load(B + W), a;
      EMB_ROW_FMA(0) EMB_ROW_FMA(1) EMB_ROW_FMA(2)
      EMB_ROW_FMA(3) EMB_ROW_FMA(4) EMB_ROW_FMA(5)
      A += MR;
      B += NR;
    }
#undef AROW
  } else {
    // Row-major A read in place (saves packing it): row i starts at A + i*lda.
    const T* ar[MR];
    for (int i = 0; i < MR; ++i) ar[i] = A + i * lda;
#define AROW(i) (ar[i] + k)
#pragma GCC unroll 4
    for (int64_t k = 0; k < kc; ++k) {
      R b0 = V::load(B), b1 = V::load(B + W), a;
      EMB_ROW_FMA(0) EMB_ROW_FMA(1) EMB_ROW_FMA(2)
      EMB_ROW_FMA(3) EMB_ROW_FMA(4) EMB_ROW_FMA(5)
      B += NR;
    }
#undef AROW
  }
  const bool beta_zero = beta == T(0);
  const R va = V::set1(alpha), vb = V::set1(beta);
  EMB_ROW_STORE(0) EMB_ROW_STORE(1) EMB_ROW_STORE(2)
  EMB_ROW_STORE(3) EMB_ROW_STORE(4) EMB_ROW_STORE(5)
}

#undef EMB_ROW_FMA
#undef EMB_ROW_STORE

}  // namespace

void sgemm_kernel_6x16_avx2(int64_t kc, const float* A, int64_t lda, const float* B, float* C,
                            int64_t ldc, float alpha, float beta) {
  kernel_6x2v<VF>(kc, A, lda, B, C, ldc, alpha, beta);
}

void dgemm_kernel_6x8_avx2(int64_t kc, const double* A, int64_t lda, const double* B, double* C,
                           int64_t ldc, double alpha, double beta) {
  kernel_6x2v<VD>(kc, A, lda, B, C, ldc, alpha, beta);
}

}  // namespace detail
}  // namespace gemm
}  // namespace ember
