// gemm_cpu.cpp — the GEMM driver: blocking, packing, threading, scalar fallback.
//
// BLIS-style loop nest, per thread:
//   for jc in N step NC            (B block KC x NC, lives in L2/L3)
//     for pc in K step KC          pack B[pc:, jc:] into NR-wide micro-panels
//       for ic in M step MC        pack A[ic:, pc:] into MR-high micro-panels (L2)
//         for jr in NC step NR     one B micro-panel stays in L1 ...
//           for ir in MC step MR   ... while A micro-panels stream past it
//             micro-kernel (MR x NR register tile)
// Packing reads A and B through arbitrary strides, so transposed and broadcast
// operands cost nothing extra beyond the copy every product pays anyway. A
// row-major A (unit column stride) is not packed at all: the kernels read its rows
// in place, which removed the costliest copy (a 6- or 12-way gather). Tiles that
// are partial, or whose C has a non-unit column stride, run the full kernel into a
// scratch tile that is then merged into C. A C with unit row stride (column-major)
// is handled as the transposed problem C^T = B^T A^T, so the kernel still writes
// contiguous rows.
//
// sgemm_gather_b's B is an offset gather (an im2col matrix read from the image): only
// its packing differs (pack_b_gather); blocking, kernels and threading are shared.
//
// Threading: C is cut into one rectangle per thread (N first, since each thread
// then packs a private slice of B that stays in its own L2), and each thread runs
// the serial loop nest on its rectangle with its own thread_local pack buffers. No
// barriers are needed; what each thread duplicates (packing A when A is not
// row-major) is a few percent at most. Batched calls split the batch across threads instead when the products are
// small.
#include "ops/gemm/gemm.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

#if defined(__SSE2__)
#include <emmintrin.h>
#include <xmmintrin.h>
#endif

#include "core/cpu_features.h"
#include "core/parallel.h"
#include "ops/gemm/gemm_kernels.h"

namespace ember {
namespace gemm {
namespace {

using detail::MicroKernel;

// ---------------------------------------------------------------- scalar kernel

// Portable fallback when no AVX2: a 4x8 tile kept in a local array, which -O3 turns
// into SSE2 code. Same contract as the SIMD kernels (gemm_kernels.h).
template <class T, int MR, int NR>
void kernel_scalar(int64_t kc, const T* A, int64_t lda, const T* B, T* C, int64_t ldc,
                   T alpha, T beta) {
  T acc[MR][NR] = {};
  const int64_t ars = lda ? lda : 1, acs = lda ? 1 : MR;
  for (int64_t k = 0; k < kc; ++k) {
    for (int i = 0; i < MR; ++i) {
      const T a = A[i * ars + k * acs];
      for (int j = 0; j < NR; ++j) acc[i][j] += a * B[j];
    }
    B += NR;
  }
  for (int i = 0; i < MR; ++i) {
    T* cr = C + i * ldc;
    if (beta == T(0)) {
      for (int j = 0; j < NR; ++j) cr[j] = alpha * acc[i][j];
    } else {
      for (int j = 0; j < NR; ++j) cr[j] = alpha * acc[i][j] + beta * cr[j];
    }
  }
}

// ---------------------------------------------------------------- configuration

template <class T>
struct Config {
  int mr, nr;
  int64_t mc, kc, nc;  // mc a multiple of mr, nc a multiple of nr
  MicroKernel<T> kernel;
};

// Blocking: the B micro-panel (KC x NR) should sit in L1 and the A block (MC x KC)
// in L2 (Zen 3: 32 KiB / 512 KiB per core; Zen 4: 32 KiB / 1 MiB).
Config<float> config_for(float) {
  switch (simd_level()) {
    case SimdLevel::AVX512:
      return {12, 32, 144, 256, 4096, detail::sgemm_kernel_12x32_avx512};
    case SimdLevel::AVX2:
      return {6, 16, 144, 256, 4096, detail::sgemm_kernel_6x16_avx2};
    default:
      return {4, 8, 128, 256, 4096, kernel_scalar<float, 4, 8>};
  }
}

Config<double> config_for(double) {
  switch (simd_level()) {
    case SimdLevel::AVX512:
      return {12, 16, 96, 192, 4096, detail::dgemm_kernel_12x16_avx512};
    case SimdLevel::AVX2:
      return {6, 8, 72, 256, 4096, detail::dgemm_kernel_6x8_avx2};
    default:
      return {4, 8, 64, 256, 4096, kernel_scalar<double, 4, 8>};
  }
}

// ---------------------------------------------------------------- buffers

// Per-thread, grow-only, 64-byte aligned scratch (pool threads live for the whole
// process, so packing buffers are allocated once).
struct AlignedBuffer {
  void* ptr = nullptr;
  size_t bytes = 0;
  ~AlignedBuffer() { std::free(ptr); }
  void* get(size_t need) {
    if (need > bytes) {
      std::free(ptr);
      size_t rounded = (need + 4095) & ~size_t(4095);
      ptr = std::aligned_alloc(64, rounded);
      if (!ptr) {
        bytes = 0;
        throw std::bad_alloc();
      }
      bytes = rounded;
    }
    return ptr;
  }
};

thread_local AlignedBuffer t_pack_a, t_pack_b;

// ---------------------------------------------------------------- packing

// A[0:mc, 0:kc] (strides rsa, csa) -> micro-panels of MR rows: dst[p][k*MR + i].
// Rows past mc are zero so edge tiles can run the full kernel.
template <class T, int MR>
void pack_a(int64_t mc, int64_t kc, const T* A, int64_t rsa, int64_t csa, T* dst) {
  for (int64_t i0 = 0; i0 < mc; i0 += MR, dst += MR * kc) {
    const int64_t rows = std::min<int64_t>(MR, mc - i0);
    const T* a = A + i0 * rsa;
    if (rows == MR && rsa == 1) {
      // Column-major A (A^T in memory): each k step is MR contiguous values.
      for (int64_t k = 0; k < kc; ++k) std::memcpy(dst + k * MR, a + k * csa, MR * sizeof(T));
    } else if (rows == MR && csa == 1) {
      // Row-major A: MR row streams, read sequentially, interleaved.
      const T* r[MR];
      for (int i = 0; i < MR; ++i) r[i] = a + i * rsa;
      for (int64_t k = 0; k < kc; ++k)
        for (int i = 0; i < MR; ++i) dst[k * MR + i] = r[i][k];
    } else {
      for (int64_t k = 0; k < kc; ++k) {
        int i = 0;
        for (; i < rows; ++i) dst[k * MR + i] = a[i * rsa + k * csa];
        for (; i < MR; ++i) dst[k * MR + i] = T(0);
      }
    }
  }
}

// dst[k*NR + j] = c[j][k] for k below the returned multiple of the block size:
// SSE 4x4 (float) / 2x2 (double) transposes, half the instructions of the scalar
// gather. SSE2 is part of x86-64, so this needs no dispatch.
template <class T, int NR>
int64_t transpose_cols(int64_t kc, const T* const* c, T* dst) {
#if defined(__SSE2__)
  if constexpr (sizeof(T) == 4 && NR % 4 == 0) {
    const int64_t kend = kc / 4 * 4;
    for (int64_t k = 0; k < kend; k += 4) {
      for (int j = 0; j < NR; j += 4) {
        __m128 r0 = _mm_loadu_ps(reinterpret_cast<const float*>(c[j]) + k);
        __m128 r1 = _mm_loadu_ps(reinterpret_cast<const float*>(c[j + 1]) + k);
        __m128 r2 = _mm_loadu_ps(reinterpret_cast<const float*>(c[j + 2]) + k);
        __m128 r3 = _mm_loadu_ps(reinterpret_cast<const float*>(c[j + 3]) + k);
        _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
        float* d = reinterpret_cast<float*>(dst) + k * NR + j;
        _mm_storeu_ps(d, r0);
        _mm_storeu_ps(d + NR, r1);
        _mm_storeu_ps(d + 2 * NR, r2);
        _mm_storeu_ps(d + 3 * NR, r3);
      }
    }
    return kend;
  } else if constexpr (sizeof(T) == 8 && NR % 2 == 0) {
    const int64_t kend = kc / 2 * 2;
    for (int64_t k = 0; k < kend; k += 2) {
      for (int j = 0; j < NR; j += 2) {
        __m128d r0 = _mm_loadu_pd(reinterpret_cast<const double*>(c[j]) + k);
        __m128d r1 = _mm_loadu_pd(reinterpret_cast<const double*>(c[j + 1]) + k);
        double* d = reinterpret_cast<double*>(dst) + k * NR + j;
        _mm_storeu_pd(d, _mm_unpacklo_pd(r0, r1));
        _mm_storeu_pd(d + NR, _mm_unpackhi_pd(r0, r1));
      }
    }
    return kend;
  }
#endif
  (void)c;
  (void)dst;
  (void)kc;
  return 0;
}

// B[0:kc, 0:nc] (strides rsb, csb) -> micro-panels of NR columns: dst[p][k*NR + j].
// Columns past nc are zero.
template <class T, int NR>
void pack_b(int64_t kc, int64_t nc, const T* B, int64_t rsb, int64_t csb, T* dst) {
  for (int64_t j0 = 0; j0 < nc; j0 += NR, dst += NR * kc) {
    const int64_t cols = std::min<int64_t>(NR, nc - j0);
    const T* b = B + j0 * csb;
    if (cols == NR && csb == 1) {
      for (int64_t k = 0; k < kc; ++k) std::memcpy(dst + k * NR, b + k * rsb, NR * sizeof(T));
    } else if (cols == NR && rsb == 1) {
      // Column-major B (B^T in memory): NR column streams, each read sequentially,
      // transposed in small register blocks.
      const T* c[NR];
      for (int j = 0; j < NR; ++j) c[j] = b + j * csb;
      const int64_t k4 = transpose_cols<T, NR>(kc, c, dst);
      for (int64_t k = k4; k < kc; ++k)
        for (int j = 0; j < NR; ++j) dst[k * NR + j] = c[j][k];
    } else {
      for (int64_t k = 0; k < kc; ++k) {
        int j = 0;
        for (; j < cols; ++j) dst[k * NR + j] = b[k * rsb + j * csb];
        for (; j < NR; ++j) dst[k * NR + j] = T(0);
      }
    }
  }
}

// dst[j] = src[j * s] for j < NR. Stride 2 (the im2col of a stride-2 convolution)
// keeps the even lanes of pairs of SSE loads; the last group goes scalar so nothing
// past src[(NR - 1) * 2] is read.
template <class T, int NR>
inline void gather_strided(const T* src, int64_t s, T* dst) {
  int j = 0;
#if defined(__SSE2__)
  if constexpr (sizeof(T) == 4 && NR % 4 == 0) {
    if (s == 2) {
      const float* f = reinterpret_cast<const float*>(src);
      float* d = reinterpret_cast<float*>(dst);
      for (; j + 4 < NR; j += 4) {
        const __m128 a = _mm_loadu_ps(f + 2 * j), b = _mm_loadu_ps(f + 2 * j + 4);
        _mm_storeu_ps(d + j, _mm_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0)));
      }
    }
  }
#endif
  for (; j < NR; ++j) dst[j] = src[j * s];
}

// B(k, j) = B[brow[k] + bcol[j]] (an im2col matrix read from the image) -> the same
// micro-panels as pack_b. A panel whose NR columns are contiguous (output pixels of
// one image row, stride 1) copies rows, evenly spaced columns (stride > 1) copy with
// that stride; a panel whose rows run contiguous (the transposed im2col of a weight
// gradient) transposes each run; the rest gather.
template <class T, int NR>
void pack_b_gather(int64_t kc, int64_t nc, const T* B, const int64_t* brow,
                   const int64_t* bcol, T* dst) {
  for (int64_t j0 = 0; j0 < nc; j0 += NR, dst += NR * kc) {
    const int64_t cols = std::min<int64_t>(NR, nc - j0);
    const int64_t* co = bcol + j0;
    if (cols < NR) {
      for (int64_t k = 0; k < kc; ++k) {
        const T* src = B + brow[k];
        int j = 0;
        for (; j < cols; ++j) dst[k * NR + j] = src[co[j]];
        for (; j < NR; ++j) dst[k * NR + j] = T(0);
      }
      continue;
    }
    bool col_contiguous = true;
    for (int j = 1; j < NR; ++j) col_contiguous &= co[j] == co[0] + j;
    if (col_contiguous) {
      const T* src = B + co[0];
      for (int64_t k = 0; k < kc; ++k) std::memcpy(dst + k * NR, src + brow[k], NR * sizeof(T));
      continue;
    }
    // Evenly spaced columns: output pixels of one row of a strided convolution.
    const int64_t cs = co[1] - co[0];
    bool col_strided = cs > 1;
    for (int j = 2; j < NR; ++j) col_strided &= co[j] == co[0] + j * cs;
    if (col_strided) {
      const T* src = B + co[0];
      for (int64_t k = 0; k < kc; ++k) gather_strided<T, NR>(src + brow[k], cs, dst + k * NR);
      continue;
    }
    int64_t off[NR];
    for (int j = 0; j < NR; ++j) off[j] = co[j];
    for (int64_t k = 0; k < kc;) {
      int64_t run = 1;
      while (k + run < kc && brow[k + run] == brow[k] + run) ++run;
      T* d = dst + k * NR;
      if (run >= 4) {
        const T* c[NR];
        for (int j = 0; j < NR; ++j) c[j] = B + brow[k] + off[j];
        const int64_t done = transpose_cols<T, NR>(run, c, d);
        for (int64_t r = done; r < run; ++r)
          for (int j = 0; j < NR; ++j) d[r * NR + j] = c[j][r];
      } else {
        for (int64_t r = 0; r < run; ++r) {
          const T* src = B + brow[k] + r;
          for (int j = 0; j < NR; ++j) d[r * NR + j] = src[off[j]];
        }
      }
      k += run;
    }
  }
}

template <class T>
void pack_a_dispatch(int mr, int64_t mc, int64_t kc, const T* A, int64_t rsa, int64_t csa,
                     T* dst) {
  switch (mr) {
    case 4: return pack_a<T, 4>(mc, kc, A, rsa, csa, dst);
    case 6: return pack_a<T, 6>(mc, kc, A, rsa, csa, dst);
    case 12: return pack_a<T, 12>(mc, kc, A, rsa, csa, dst);
  }
  std::abort();  // unreachable: every Config uses one of the sizes above
}

template <class T>
void pack_b_dispatch(int nr, int64_t kc, int64_t nc, const T* B, int64_t rsb, int64_t csb,
                     T* dst) {
  switch (nr) {
    case 8: return pack_b<T, 8>(kc, nc, B, rsb, csb, dst);
    case 16: return pack_b<T, 16>(kc, nc, B, rsb, csb, dst);
    case 32: return pack_b<T, 32>(kc, nc, B, rsb, csb, dst);
  }
  std::abort();
}

template <class T>
void pack_b_gather_dispatch(int nr, int64_t kc, int64_t nc, const T* B, const int64_t* brow,
                            const int64_t* bcol, T* dst) {
  switch (nr) {
    case 8: return pack_b_gather<T, 8>(kc, nc, B, brow, bcol, dst);
    case 16: return pack_b_gather<T, 16>(kc, nc, B, brow, bcol, dst);
    case 32: return pack_b_gather<T, 32>(kc, nc, B, brow, bcol, dst);
  }
  std::abort();
}

// ---------------------------------------------------------------- problem

template <class T>
struct Problem {
  int64_t M, N, K;
  T alpha;
  const T* A;
  int64_t rsa, csa;
  const T* B;
  int64_t rsb, csb;
  T beta;
  T* C;
  int64_t rsc, csc;
  // Set for a gathered B (sgemm_gather_b): B(k, j) = B[brow[k] + bcol[j]], rsb = csb = 0.
  const int64_t* brow = nullptr;
  const int64_t* bcol = nullptr;
};

// The kernels write contiguous C rows; a column-major C becomes C^T = B^T A^T.
template <class T>
void canonicalize(Problem<T>& p) {
  if (p.csc != 1 && p.rsc == 1 && !p.brow) {
    std::swap(p.M, p.N);
    std::swap(p.A, p.B);
    int64_t rsa = p.rsa, csa = p.csa;
    p.rsa = p.csb;
    p.csa = p.rsb;
    p.rsb = csa;
    p.csb = rsa;
    std::swap(p.rsc, p.csc);
  }
}

// C = beta * C (zeros when beta == 0, without reading C).
template <class T>
void scale_c(const Problem<T>& p) {
  for (int64_t i = 0; i < p.M; ++i) {
    T* c = p.C + i * p.rsc;
    if (p.beta == T(0)) {
      for (int64_t j = 0; j < p.N; ++j) c[j * p.csc] = T(0);
    } else if (p.beta != T(1)) {
      for (int64_t j = 0; j < p.N; ++j) c[j * p.csc] *= p.beta;
    }
  }
}

// Splits n into `parts` nearly equal blocks whose boundaries are multiples of `unit`
// where possible; returns the start of block `idx`.
int64_t split_point(int64_t n, int64_t parts, int64_t idx, int64_t unit) {
  if (idx <= 0) return 0;
  if (idx >= parts) return n;
  int64_t units = (n + unit - 1) / unit;
  return std::min(n, units * idx / parts * unit);
}

// Balanced block size: the fewest blocks of at most `cap`, made equal and rounded
// up to `unit`, so a K of 300 runs as 2 x 152 rather than 256 + 44.
int64_t balanced_block(int64_t n, int64_t cap, int64_t unit) {
  if (n <= cap) return n;
  int64_t blocks = (n + cap - 1) / cap;
  int64_t b = (n + blocks - 1) / blocks;
  b = (b + unit - 1) / unit * unit;
  return std::min(b, cap);
}

// The serial loop nest on a canonical problem (csc == 1 is the fast case).
template <class T>
void gemm_serial(const Problem<T>& p, const Config<T>& cfg) {
  const int64_t M = p.M, N = p.N, K = p.K;
  if (M <= 0 || N <= 0) return;
  if (K <= 0 || p.alpha == T(0)) {
    scale_c(p);
    return;
  }
  const int MR = cfg.mr, NR = cfg.nr;
  const int64_t KC = balanced_block(K, cfg.kc, 8);
  const int64_t MC = balanced_block(M, cfg.mc, MR);
  const int64_t NC = balanced_block(N, cfg.nc, NR);
  const int64_t mc_pad = (std::min(MC, M) + MR - 1) / MR * MR;
  const int64_t nc_pad = (std::min(NC, N) + NR - 1) / NR * NR;
  T* Ap = static_cast<T*>(t_pack_a.get(sizeof(T) * mc_pad * KC));
  T* Bp = static_cast<T*>(t_pack_b.get(sizeof(T) * nc_pad * KC));
  alignas(64) T tile[12 * 32];  // largest MR x NR
  const bool c_rows_contiguous = p.csc == 1;

  // A row-major A is read in place by the kernel instead of being packed, except
  // for a partial last row block (the kernel reads full MR rows).
  const bool a_in_place = p.csa == 1 && p.rsa != 0;

  for (int64_t jc = 0; jc < N; jc += NC) {
    const int64_t nc = std::min(NC, N - jc);
    for (int64_t pc = 0; pc < K; pc += KC) {
      const int64_t kc = std::min(KC, K - pc);
      const T beta = pc == 0 ? p.beta : T(1);
      if (p.brow)
        pack_b_gather_dispatch<T>(NR, kc, nc, p.B, p.brow + pc, p.bcol + jc, Bp);
      else
        pack_b_dispatch<T>(NR, kc, nc, p.B + pc * p.rsb + jc * p.csb, p.rsb, p.csb, Bp);
      for (int64_t ic = 0; ic < M; ic += MC) {
        const int64_t mc = std::min(MC, M - ic);
        const T* a_blk = p.A + ic * p.rsa + pc * p.csa;
        const int64_t mc_full = mc / MR * MR;
        if (!a_in_place) {
          pack_a_dispatch<T>(MR, mc, kc, a_blk, p.rsa, p.csa, Ap);
        } else if (mc_full < mc) {
          // Only the partial block; it lands where the packed layout would put it.
          pack_a_dispatch<T>(MR, mc - mc_full, kc, a_blk + mc_full * p.rsa, p.rsa, p.csa,
                             Ap + mc_full * kc);
        }
        for (int64_t jr = 0; jr < nc; jr += NR) {
          const int64_t nr = std::min<int64_t>(NR, nc - jr);
          const T* bp = Bp + jr * kc;
          for (int64_t ir = 0; ir < mc; ir += MR) {
            const int64_t mr = std::min<int64_t>(MR, mc - ir);
            const bool in_place = a_in_place && mr == MR;
            const T* ap = in_place ? a_blk + ir * p.rsa : Ap + ir * kc;
            const int64_t lda = in_place ? p.rsa : 0;
            T* c = p.C + (ic + ir) * p.rsc + (jc + jr) * p.csc;
            if (mr == MR && nr == NR && c_rows_contiguous) {
              cfg.kernel(kc, ap, lda, bp, c, p.rsc, p.alpha, beta);
            } else {
              cfg.kernel(kc, ap, lda, bp, tile, NR, p.alpha, T(0));
              for (int64_t i = 0; i < mr; ++i) {
                T* cr = c + i * p.rsc;
                const T* tr = tile + i * NR;
                if (beta == T(0)) {
                  for (int64_t j = 0; j < nr; ++j) cr[j * p.csc] = tr[j];
                } else {
                  for (int64_t j = 0; j < nr; ++j) cr[j * p.csc] = tr[j] + beta * cr[j * p.csc];
                }
              }
            }
          }
        }
      }
    }
  }
}

// Below this many multiply-adds a product runs on the calling thread: a pool
// round trip costs a few microseconds.
constexpr double kParallelMinWork = 48.0 * 48.0 * 48.0;
// Work per thread below which fewer threads are used.
constexpr double kMinWorkPerThread = 32.0 * 32.0 * 32.0;

template <class T>
void gemm_sub(const Problem<T>& p, const Config<T>& cfg, int64_t m0, int64_t m1, int64_t n0,
              int64_t n1) {
  Problem<T> s = p;
  s.M = m1 - m0;
  s.N = n1 - n0;
  s.A = p.A + m0 * p.rsa;
  s.B = p.B + n0 * p.csb;
  s.C = p.C + m0 * p.rsc + n0 * p.csc;
  if (p.bcol) s.bcol = p.bcol + n0;
  gemm_serial(s, cfg);
}

template <class T>
void gemm_impl(Problem<T> p) {
  if (p.M <= 0 || p.N <= 0) return;
  canonicalize(p);
  const Config<T> cfg = config_for(T());
  const double work = double(p.M) * double(p.N) * double(std::max<int64_t>(p.K, 1));
  int nt = in_parallel_region() ? 1 : get_num_threads();
  if (p.K > 0 && p.alpha != T(0))
    nt = static_cast<int>(std::min<double>(nt, std::max(1.0, work / kMinWorkPerThread)));
  else
    nt = 1;
  if (nt <= 1 || work < kParallelMinWork) {
    gemm_serial(p, cfg);
    return;
  }
  // Pick the tm x tn thread grid that wastes least on tile padding; ties go to
  // more N parts (smaller private B slices).
  int best_tm = 1, best_tn = nt;
  double best_cost = -1;
  for (int tm = 1; tm <= nt; ++tm) {
    if (nt % tm) continue;
    const int tn = nt / tm;
    const int64_t mt = (p.M + tm - 1) / tm, ntile = (p.N + tn - 1) / tn;
    if ((tm > 1 && mt < cfg.mr) || (tn > 1 && ntile < cfg.nr)) continue;
    const double padded = double((mt + cfg.mr - 1) / cfg.mr * cfg.mr) *
                          double((ntile + cfg.nr - 1) / cfg.nr * cfg.nr);
    // Packing traffic per thread as a light tie-breaker.
    const double cost = padded * double(p.K) + 0.02 * double(p.K) * double(mt + ntile) * 64;
    if (best_cost < 0 || cost < best_cost) {
      best_cost = cost;
      best_tm = tm;
      best_tn = tn;
    }
  }
  if (best_cost < 0) {
    gemm_serial(p, cfg);
    return;
  }
  const int tm = best_tm, tn = best_tn;
  parallel_for(0, int64_t(tm) * tn, 1, [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) {
      const int64_t ti = t / tn, tj = t % tn;
      const int64_t m0 = split_point(p.M, tm, ti, cfg.mr), m1 = split_point(p.M, tm, ti + 1, cfg.mr);
      const int64_t n0 = split_point(p.N, tn, tj, cfg.nr), n1 = split_point(p.N, tn, tj + 1, cfg.nr);
      if (m1 > m0 && n1 > n0) gemm_sub(p, cfg, m0, m1, n0, n1);
    }
  });
}

template <class T>
void gemm_batched_impl(int64_t batch, const Problem<T>& p0, int64_t bsa, int64_t bsb,
                       int64_t bsc) {
  if (batch <= 0 || p0.M <= 0 || p0.N <= 0) return;
  auto item = [&](int64_t b) {
    Problem<T> p = p0;
    p.A += b * bsa;
    p.B += b * bsb;
    p.C += b * bsc;
    return p;
  };
  if (batch == 1) return gemm_impl(item(0));
  const double work = double(p0.M) * double(p0.N) * double(std::max<int64_t>(p0.K, 1));
  const int nt = in_parallel_region() ? 1 : get_num_threads();
  // Whole products per thread avoid any splitting overhead and keep each thread's
  // operands in its own caches; only worth giving up when the batch divides badly
  // and each product is big enough to split well on its own.
  const bool over_batches =
      nt > 1 && batch >= nt &&
      (work < 256.0 * 256.0 * 256.0 || batch % nt == 0 || batch >= 4 * nt);
  if (over_batches && work * double(batch) >= kParallelMinWork) {
    const Config<T> cfg = config_for(T());
    parallel_for(0, batch, 1, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        Problem<T> p = item(i);
        canonicalize(p);
        gemm_serial(p, cfg);
      }
    });
  } else {
    for (int64_t i = 0; i < batch; ++i) gemm_impl(item(i));
  }
}

}  // namespace

void sgemm(int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t rsa,
           int64_t csa, const float* B, int64_t rsb, int64_t csb, float beta, float* C,
           int64_t rsc, int64_t csc) {
  gemm_impl<float>({M, N, K, alpha, A, rsa, csa, B, rsb, csb, beta, C, rsc, csc});
}

void dgemm(int64_t M, int64_t N, int64_t K, double alpha, const double* A, int64_t rsa,
           int64_t csa, const double* B, int64_t rsb, int64_t csb, double beta, double* C,
           int64_t rsc, int64_t csc) {
  gemm_impl<double>({M, N, K, alpha, A, rsa, csa, B, rsb, csb, beta, C, rsc, csc});
}

void sgemm_batched(int64_t batch, int64_t M, int64_t N, int64_t K, float alpha,
                   const float* A, int64_t bsa, int64_t rsa, int64_t csa, const float* B,
                   int64_t bsb, int64_t rsb, int64_t csb, float beta, float* C, int64_t bsc,
                   int64_t rsc, int64_t csc) {
  gemm_batched_impl<float>(batch, {M, N, K, alpha, A, rsa, csa, B, rsb, csb, beta, C, rsc, csc},
                           bsa, bsb, bsc);
}

void dgemm_batched(int64_t batch, int64_t M, int64_t N, int64_t K, double alpha,
                   const double* A, int64_t bsa, int64_t rsa, int64_t csa, const double* B,
                   int64_t bsb, int64_t rsb, int64_t csb, double beta, double* C,
                   int64_t bsc, int64_t rsc, int64_t csc) {
  gemm_batched_impl<double>(batch,
                            {M, N, K, alpha, A, rsa, csa, B, rsb, csb, beta, C, rsc, csc},
                            bsa, bsb, bsc);
}

void sgemm_gather_b(int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t rsa,
                    int64_t csa, const float* B, const int64_t* brow, const int64_t* bcol,
                    float beta, float* C, int64_t ldc) {
  Problem<float> p{M, N, K, alpha, A, rsa, csa, B, 0, 0, beta, C, ldc, 1};
  p.brow = brow;
  p.bcol = bcol;
  gemm_impl<float>(p);
}

void dgemm_gather_b(int64_t M, int64_t N, int64_t K, double alpha, const double* A, int64_t rsa,
                    int64_t csa, const double* B, const int64_t* brow, const int64_t* bcol,
                    double beta, double* C, int64_t ldc) {
  Problem<double> p{M, N, K, alpha, A, rsa, csa, B, 0, 0, beta, C, ldc, 1};
  p.brow = brow;
  p.bcol = bcol;
  gemm_impl<double>(p);
}

}  // namespace gemm
}  // namespace ember
