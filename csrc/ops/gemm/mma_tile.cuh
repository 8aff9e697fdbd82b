// mma_tile.cuh — the block-tile GEMM engine shared by gemm (matmul/bmm/linear) and conv
// (implicit GEMM). Include from .cu files only.
//
// What: C[m][n] = sum_k A[m][k] * B[k][n] for one 128 x 128 output tile per block,
// optionally batched (blockIdx.z = batch * splits + split, split-K over `kchunk` slices).
// How:
//  * 256 threads (8 warps). K advances by BK = 64 bytes of elements per stage (32 half,
//    16 float, 8 double); a 3-stage shared-memory ring is filled by cp.async (16-byte,
//    zero-fill outside the matrix) or, when alignment forbids that, by predicated scalar
//    loads; one __syncthreads per k-step.
//  * Compute policies (the warp-level part):
//      Tc16  float16/bfloat16: 8 warps of 64 x 32 (2 x 4), ldmatrix(.trans) fragments and
//            mma.sync.m16n8k16 with float accumulators;
//      Tf32  float32 on tensor cores: same warp tiling, fragments by ldmatrix (K-major
//            tiles) or scalar LDS (MN-major) rounded to TF32 (cvt.rna), mma.sync.m16n8k8;
//      Simt  float32 / float64: 16 x 16 threads, 8 x 8 outputs each, FMA in the type.
//  * The main loop, the loaders' fallback loops and the epilogue loop stay rolled
//    (#pragma unroll 1): the fatbin carries sm_80 + sm_90 + PTX of every instantiation.
//  * Loaders are template parameters: each fills one operand tile of one stage. A tile is
//    either K-major ([128 rows][BK + pad], rows = m for A, n for B) or MN-major
//    ([BK][128 + pad]); the loader decides (kKMajor) and the compute policy reads either.
//    GEMM loads strided rows (StridedLoader); conv loads im2col rows computed on the fly.
//  * The epilogue is a functor epi(batch, split, m, n, acc) called once per in-range
//    output element (bounds-checked here), so bias, alpha/beta and layout live there. The
//    accumulators pass through shared memory first, so epi is called from one rolled loop
//    with consecutive threads on consecutive n (or m when Epi::kMFast): coalesced stores.
// Padding: K-major rows are BK + 16 bytes, MN-major rows 128 + 8 elements; both keep
// ldmatrix and the scalar fragment loads free of bank conflicts.
#pragma once
#include <climits>
#include <cstdint>

#include "cuda_utils.cuh"

namespace ember {
namespace mma {

// ---------------------------------------------------------------- PTX wrappers

__device__ __forceinline__ uint32_t smem_u32(const void* p) {
  return static_cast<uint32_t>(__cvta_generic_to_shared(p));
}

// 16-byte global -> shared copy; when !valid nothing is read and the 16 bytes are zeroed.
__device__ __forceinline__ void cp_async16(void* smem, const void* gmem, bool valid) {
  const int n = valid ? 16 : 0;
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(smem_u32(smem)), "l"(gmem), "r"(n)
               : "memory");
}
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::: "memory"); }
template <int N>
__device__ __forceinline__ void cp_async_wait() {
  asm volatile("cp.async.wait_group %0;\n" ::"n"(N) : "memory");
}

__device__ __forceinline__ void ldmatrix_x4(uint32_t (&r)[4], const void* p) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(smem_u32(p)));
}
__device__ __forceinline__ void ldmatrix_x4_trans(uint32_t (&r)[4], const void* p) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0, %1, %2, %3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(smem_u32(p)));
}

// D = A(16x16, row) * B(16x8, col) + D, float accumulators.
template <class T>
__device__ __forceinline__ void mma_16816(float (&c)[4], const uint32_t (&a)[4], const uint32_t (&b)[2]);
template <>
__device__ __forceinline__ void mma_16816<BFloat16>(float (&c)[4], const uint32_t (&a)[4], const uint32_t (&b)[2]) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
      "{%0, %1, %2, %3};\n"
      : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}
template <>
__device__ __forceinline__ void mma_16816<Half>(float (&c)[4], const uint32_t (&a)[4], const uint32_t (&b)[2]) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
      "{%0, %1, %2, %3};\n"
      : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}
// D = A(16x8, row) * B(8x8, col) + D on TF32 inputs.
__device__ __forceinline__ void mma_1688_tf32(float (&c)[4], const uint32_t (&a)[4], const uint32_t (&b)[2]) {
  asm volatile(
      "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
      "{%0, %1, %2, %3};\n"
      : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}
__device__ __forceinline__ uint32_t to_tf32(float x) {
  uint32_t r;
  asm("cvt.rna.tf32.f32 %0, %1;\n" : "=r"(r) : "f"(x));
  return r;
}

// ---------------------------------------------------------------- fast division

// n / d for a divisor fixed at launch (the im2col index math divides by channel counts,
// kernel widths, strides and image sizes in every k-step). For 0 <= n < 2^31 and
// 2 <= d < 2^31: q = umulhi(n, m) >> s with p = 31 + ceil(log2 d), m = ceil(2^p / d)
// (< 2^32), s = p - 32 (Granlund-Montgomery: the rounding error of m adds less than 1/d
// to n/d, which cannot cross an integer). Other n or d fall back to a 64-bit division.
// 64-bit division kept out of line: each inlined copy is dozens of instructions, and the
// callers below only take it for dividends or divisors of 2^31 and more.
__device__ __noinline__ inline int64_t slow_div(int64_t n, int64_t d) { return n / d; }

struct FastDiv {
  int64_t d = 1;
  uint32_t m = 0;
  int s = -1;  // -1: no fast path (d == 1 or d >= 2^31)

  FastDiv() = default;
  explicit FastDiv(int64_t div) : d(div < 1 ? 1 : div) {
    if (d < 2 || d > INT32_MAX) return;
    int l = 0;
    while ((int64_t(1) << l) < d) ++l;  // ceil(log2 d), 1..31
    const int p = 31 + l;
    m = static_cast<uint32_t>(((uint64_t(1) << p) + static_cast<uint64_t>(d) - 1) / static_cast<uint64_t>(d));
    s = p - 32;
  }
  __device__ __forceinline__ int64_t div(int64_t n) const {
    if (s >= 0 && n >= 0 && n <= INT32_MAX) return static_cast<int64_t>(__umulhi(static_cast<uint32_t>(n), m) >> s);
    return d == 1 ? n : slow_div(n, d);
  }
};

// ---------------------------------------------------------------- tile geometry

template <class T>
struct Tile {
  static constexpr int BM = 128, BN = 128, THREADS = 256, STAGES = 3;
  static constexpr int VEC = 16 / static_cast<int>(sizeof(T));  // elements per 16-byte chunk
  static constexpr int BK = 64 / static_cast<int>(sizeof(T));   // k per stage
  static constexpr int LDK = BK + VEC;                          // K-major row (+16 bytes)
  static constexpr int LDMN = 128 + 8;                          // MN-major row (+8 elements)
  static constexpr int CHUNKS = 2;  // 16-byte chunks per thread per operand tile (512 / 256)
  template <bool KMajor>
  static constexpr int elems() {
    return KMajor ? 128 * LDK : BK * LDMN;
  }
  // Chunk c (0..511) of a tile: tile row r (0..127), k within the stage kk, element offset.
  // K-major: VEC consecutive k of row r. MN-major: VEC consecutive rows at kk.
  template <bool KMajor>
  static __device__ __forceinline__ void chunk(int c, int& r, int& kk, int& off) {
    if (KMajor) {
      r = c / (BK / VEC);
      kk = (c % (BK / VEC)) * VEC;
      off = r * LDK + kk;
    } else {
      kk = c / (128 / VEC);
      r = (c % (128 / VEC)) * VEC;
      off = kk * LDMN + r;
    }
  }
};

// Accumulator type of a storage type.
template <class T> struct AccOf { using type = float; };
template <> struct AccOf<double> { using type = double; };

// ---------------------------------------------------------------- strided loader

// Operand element (r, k), r < R (m of A or n of B), k < K, at
//   ptr[batch * bstride + r * ld + k]  (K-major: unit k stride), or
//   ptr[batch * bstride + k * ld + r]  (MN-major: unit r stride).
// vec: 16-byte cp.async path; the host sets it only when ptr is 16-byte aligned and ld,
// bstride and the contiguous extent (K for K-major, R for MN-major) are multiples of VEC,
// so each chunk lies wholly inside or wholly outside the matrix.
template <class T, bool KMajor>
struct StridedLoader {
  static constexpr bool kKMajor = KMajor;
  using Tl = Tile<T>;
  const T* ptr;
  int64_t R, ld, bstride;
  bool vec;
  // per-block state
  const T* base_;
  int64_t r0_;

  __device__ __forceinline__ void init(int64_t r0, int64_t batch) {
    base_ = ptr + batch * bstride;
    r0_ = r0;
  }
  __device__ __forceinline__ void load(T* tile, int64_t k0, int64_t kend) const {
#pragma unroll
    for (int i = 0; i < Tl::CHUNKS; ++i) {
      int r, kk, off;
      Tl::template chunk<KMajor>(static_cast<int>(threadIdx.x) + i * Tl::THREADS, r, kk, off);
      const int64_t row = r0_ + r, k = k0 + kk;
      if (vec) {
        const bool ok = row < R && k < kend;
        const T* src = ok ? (KMajor ? base_ + row * ld + k : base_ + k * ld + row) : base_;
        cp_async16(tile + off, src, ok);
      } else {  // fallback: element by element (rolled to keep the code small)
#pragma unroll 1
        for (int j = 0; j < Tl::VEC; ++j) {
          const int64_t rr = KMajor ? row : row + j, kj = KMajor ? k + j : k;
          T v{};
          if (rr < R && kj < kend) v = KMajor ? base_[rr * ld + kj] : base_[kj * ld + rr];
          tile[off + j] = v;
        }
      }
    }
  }
};

// ---------------------------------------------------------------- compute policies

// float16 / bfloat16 on mma.sync.m16n8k16. Warp w owns rows (w/4)*64 .. +64 and columns
// (w%4)*32 .. +32 of the block tile: 4 x 4 m16n8 accumulator tiles.
template <class T, bool AK, bool BKm>
struct Tc16 {
  using Tl = Tile<T>;
  using Acc = float;
  static constexpr int kMinBlocks = 2;  // <= 128 registers: two blocks per SM
  float acc[4][4][4];

  __device__ __forceinline__ void zero() {
#pragma unroll
    for (int i = 0; i < 4; ++i)
#pragma unroll
      for (int j = 0; j < 4; ++j)
#pragma unroll
        for (int e = 0; e < 4; ++e) acc[i][j][e] = 0.f;
  }

  __device__ __forceinline__ void step(const T* As, const T* Bs) {
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    const int wm = (warp >> 2) * 64, wn = (warp & 3) * 32;
#pragma unroll
    for (int ks = 0; ks < Tl::BK; ks += 16) {
      uint32_t a[4][4], b[4][2];
#pragma unroll
      for (int mi = 0; mi < 4; ++mi) {
        if (AK)  // [m][k]: matrices (m0-7,k0-7) (m8-15,k0-7) (m0-7,k8-15) (m8-15,k8-15)
          ldmatrix_x4(a[mi], As + (wm + mi * 16 + (lane & 15)) * Tl::LDK + ks + (lane >> 4) * 8);
        else  // [k][m], transposed: same four matrices
          ldmatrix_x4_trans(a[mi],
                            As + (ks + (lane & 7) + (lane >> 4) * 8) * Tl::LDMN + wm + mi * 16 + ((lane >> 3) & 1) * 8);
      }
#pragma unroll
      for (int p = 0; p < 2; ++p) {
        uint32_t r[4];
        if (BKm)  // [n][k]: (n0-7,k0-7) (n0-7,k8-15) (n8-15,k0-7) (n8-15,k8-15)
          ldmatrix_x4(r, Bs + (wn + p * 16 + (lane & 7) + (lane >> 4) * 8) * Tl::LDK + ks + ((lane >> 3) & 1) * 8);
        else  // [k][n], transposed: same four matrices
          ldmatrix_x4_trans(r, Bs + (ks + (lane & 7) + ((lane >> 3) & 1) * 8) * Tl::LDMN + wn + p * 16 + (lane >> 4) * 8);
        b[2 * p][0] = r[0];
        b[2 * p][1] = r[1];
        b[2 * p + 1][0] = r[2];
        b[2 * p + 1][1] = r[3];
      }
#pragma unroll
      for (int mi = 0; mi < 4; ++mi)
#pragma unroll
        for (int nj = 0; nj < 4; ++nj) mma_16816<T>(acc[mi][nj], a[mi], b[nj]);
    }
  }

  // f(row, column, value) in tile coordinates for each accumulator: element e of tile
  // (mi, nj) is row g + 8*(e/2), column 2*t + e%2.
  template <class F>
  __device__ __forceinline__ void for_each(const F& f) const {
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    const int wm = (warp >> 2) * 64, wn = (warp & 3) * 32;
    const int g = lane >> 2, t = lane & 3;
#pragma unroll
    for (int mi = 0; mi < 4; ++mi)
#pragma unroll
      for (int nj = 0; nj < 4; ++nj)
#pragma unroll
        for (int e = 0; e < 4; ++e) f(wm + mi * 16 + g + (e >> 1) * 8, wn + nj * 8 + t * 2 + (e & 1), acc[mi][nj][e]);
  }
};

// float32 on TF32 tensor cores (mma.sync.m16n8k8), same warp tiling as Tc16. Fragments
// (g = lane/4, t = lane%4): a0 (g, t) a1 (g+8, t) a2 (g, t+4) a3 (g+8, t+4); b0 (k=t, n=g)
// b1 (k=t+4, n=g): ldmatrix from K-major tiles (each 32-bit float is a b16 pair), scalar
// loads from MN-major ones (conflict-free with the paddings above).
template <bool AK, bool BKm>
struct Tf32 {
  using Tl = Tile<float>;
  using Acc = float;
  static constexpr int kMinBlocks = 2;
  float acc[4][4][4];

  __device__ __forceinline__ void zero() {
#pragma unroll
    for (int i = 0; i < 4; ++i)
#pragma unroll
      for (int j = 0; j < 4; ++j)
#pragma unroll
        for (int e = 0; e < 4; ++e) acc[i][j][e] = 0.f;
  }

  static __device__ __forceinline__ float at(const float* s, bool kmajor, int r, int k) {
    return kmajor ? s[r * Tl::LDK + k] : s[k * Tl::LDMN + r];
  }

  __device__ __forceinline__ void step(const float* As, const float* Bs) {
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    const int wm = (warp >> 2) * 64, wn = (warp & 3) * 32;
    const int g = lane >> 2, t = lane & 3;
#pragma unroll
    for (int ks = 0; ks < Tl::BK; ks += 8) {
      uint32_t a[4][4], b[4][2];
#pragma unroll
      for (int mi = 0; mi < 4; ++mi) {
        if (AK) {
          // An 8 x 8 b16 ldmatrix tile is 8 rows x 4 floats; lane gets row g, float t:
          // matrices (m0-7, k0-3) (m8-15, k0-3) (m0-7, k4-7) (m8-15, k4-7) = a0..a3.
          uint32_t r[4];
          ldmatrix_x4(r, As + (wm + mi * 16 + (lane & 15)) * Tl::LDK + ks + (lane >> 4) * 4);
#pragma unroll
          for (int q = 0; q < 4; ++q) a[mi][q] = to_tf32(__uint_as_float(r[q]));
        } else {
          const int r = wm + mi * 16 + g;
          a[mi][0] = to_tf32(at(As, false, r, ks + t));
          a[mi][1] = to_tf32(at(As, false, r + 8, ks + t));
          a[mi][2] = to_tf32(at(As, false, r, ks + t + 4));
          a[mi][3] = to_tf32(at(As, false, r + 8, ks + t + 4));
        }
      }
      if (BKm) {
#pragma unroll
        for (int p = 0; p < 2; ++p) {
          // (n0-7, k0-3) (n0-7, k4-7) (n8-15, k0-3) (n8-15, k4-7) = b0, b1 of tiles 2p, 2p+1
          uint32_t r[4];
          ldmatrix_x4(r, Bs + (wn + p * 16 + (lane & 7) + (lane >> 4) * 8) * Tl::LDK + ks + ((lane >> 3) & 1) * 4);
          b[2 * p][0] = to_tf32(__uint_as_float(r[0]));
          b[2 * p][1] = to_tf32(__uint_as_float(r[1]));
          b[2 * p + 1][0] = to_tf32(__uint_as_float(r[2]));
          b[2 * p + 1][1] = to_tf32(__uint_as_float(r[3]));
        }
      } else {
#pragma unroll
        for (int nj = 0; nj < 4; ++nj) {
          const int n = wn + nj * 8 + g;
          b[nj][0] = to_tf32(at(Bs, false, n, ks + t));
          b[nj][1] = to_tf32(at(Bs, false, n, ks + t + 4));
        }
      }
#pragma unroll
      for (int mi = 0; mi < 4; ++mi)
#pragma unroll
        for (int nj = 0; nj < 4; ++nj) mma_1688_tf32(acc[mi][nj], a[mi], b[nj]);
    }
  }

  template <class F>
  __device__ __forceinline__ void for_each(const F& f) const {
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    const int wm = (warp >> 2) * 64, wn = (warp & 3) * 32;
    const int g = lane >> 2, t = lane & 3;
#pragma unroll
    for (int mi = 0; mi < 4; ++mi)
#pragma unroll
      for (int nj = 0; nj < 4; ++nj)
#pragma unroll
        for (int e = 0; e < 4; ++e) f(wm + mi * 16 + g + (e >> 1) * 8, wn + nj * 8 + t * 2 + (e & 1), acc[mi][nj][e]);
  }
};

// 4 consecutive elements from shared memory (16-byte aligned for float, 32 for double).
__device__ __forceinline__ void lds4(const float* p, float* v) {
  const float4 q = *reinterpret_cast<const float4*>(p);
  v[0] = q.x;
  v[1] = q.y;
  v[2] = q.z;
  v[3] = q.w;
}
__device__ __forceinline__ void lds4(const double* p, double* v) {
  const double2 q0 = *reinterpret_cast<const double2*>(p);
  const double2 q1 = *reinterpret_cast<const double2*>(p + 2);
  v[0] = q0.x;
  v[1] = q0.y;
  v[2] = q1.x;
  v[3] = q1.y;
}

// float32 / float64 FMA: thread (ty, tx) = (tid/16, tid%16) owns 8 rows x 8 columns.
// From an MN-major tile it reads two 4-vectors (rows 4*ty.. and 64+4*ty..); from a
// K-major tile it reads rows ty + 16*i (a stride that spreads over the banks).
template <class T, bool AK, bool BKm>
struct Simt {
  using Tl = Tile<T>;
  using Acc = T;
  static constexpr int kMinBlocks = 1;  // 64 accumulators per thread
  T acc[8][8];

  static __device__ __forceinline__ int row_of(bool kmajor, int id, int i) {
    return kmajor ? id + 16 * i : (i < 4 ? id * 4 + i : 64 + id * 4 + (i - 4));
  }

  __device__ __forceinline__ void zero() {
#pragma unroll
    for (int i = 0; i < 8; ++i)
#pragma unroll
      for (int j = 0; j < 8; ++j) acc[i][j] = T(0);
  }

  __device__ __forceinline__ void step(const T* As, const T* Bs) {
    const int ty = threadIdx.x >> 4, tx = threadIdx.x & 15;
#pragma unroll 4
    for (int k = 0; k < Tl::BK; ++k) {
      T a[8], b[8];
      if (AK) {
#pragma unroll
        for (int i = 0; i < 8; ++i) a[i] = As[(ty + 16 * i) * Tl::LDK + k];
      } else {
        lds4(As + k * Tl::LDMN + ty * 4, a);
        lds4(As + k * Tl::LDMN + 64 + ty * 4, a + 4);
      }
      if (BKm) {
#pragma unroll
        for (int j = 0; j < 8; ++j) b[j] = Bs[(tx + 16 * j) * Tl::LDK + k];
      } else {
        lds4(Bs + k * Tl::LDMN + tx * 4, b);
        lds4(Bs + k * Tl::LDMN + 64 + tx * 4, b + 4);
      }
#pragma unroll
      for (int i = 0; i < 8; ++i)
#pragma unroll
        for (int j = 0; j < 8; ++j) acc[i][j] = fma(a[i], b[j], acc[i][j]);
    }
  }

  template <class F>
  __device__ __forceinline__ void for_each(const F& f) const {
    const int ty = threadIdx.x >> 4, tx = threadIdx.x & 15;
#pragma unroll
    for (int i = 0; i < 8; ++i)
#pragma unroll
      for (int j = 0; j < 8; ++j) f(row_of(AK, ty, i), row_of(BKm, tx, j), acc[i][j]);
  }
};

// ---------------------------------------------------------------- the block loop

// Grid: x = M tiles, y = N tiles, z = batches * splits (batch = batch0 + z / splits).
// Split s reduces k in [s * kchunk, min(K, (s + 1) * kchunk)); kchunk is a multiple of BK.
template <class T, class Comp, class LA, class LB, class Epi>
__global__ void __launch_bounds__(256, Comp::kMinBlocks) tile_gemm_kernel(LA la, LB lb, Epi epi, int64_t M, int64_t N, int64_t K,
                                                        int64_t batch0, int splits, int64_t kchunk) {
  using Tl = Tile<T>;
  constexpr int A_EL = Tl::template elems<LA::kKMajor>();
  constexpr int B_EL = Tl::template elems<LB::kKMajor>();
  extern __shared__ __align__(128) unsigned char smem_raw[];
  T* sA = reinterpret_cast<T*>(smem_raw);
  T* sB = sA + Tl::STAGES * A_EL;

  const int64_t m0 = static_cast<int64_t>(blockIdx.x) * Tl::BM;
  const int64_t n0 = static_cast<int64_t>(blockIdx.y) * Tl::BN;
  const int64_t batch = batch0 + blockIdx.z / splits;
  const int split = static_cast<int>(blockIdx.z % splits);
  const int64_t kbeg = static_cast<int64_t>(split) * kchunk;
  const int64_t kend = kbeg + kchunk < K ? kbeg + kchunk : K;
  const int64_t ntiles = kend > kbeg ? (kend - kbeg + Tl::BK - 1) / Tl::BK : 0;

  la.init(m0, batch);
  lb.init(n0, batch);
  Comp comp;
  comp.zero();

  // Iteration it loads k-tile it (one commit group per iteration, empty past the end) and
  // computes k-tile kt = it - (STAGES-1); the first STAGES-1 iterations are the prologue.
  // One loop, so each loader's code appears once (they are large; the loop stays rolled).
#pragma unroll 1
  for (int64_t it = 0; it < ntiles + Tl::STAGES - 1; ++it) {
    const int64_t kt = it - (Tl::STAGES - 1);
    if (kt >= 0) {
      // Group kt is complete (only the newest STAGES-2 may be in flight); the barrier also
      // tells every thread that stage (kt-1) % STAGES, which this iteration refills, is no
      // longer being read.
      cp_async_wait<Tl::STAGES - 2>();
      __syncthreads();
    }
    if (it < ntiles) {
      const int s = static_cast<int>(it % Tl::STAGES);
      la.load(sA + s * A_EL, kbeg + it * Tl::BK, kend);
      lb.load(sB + s * B_EL, kbeg + it * Tl::BK, kend);
    }
    cp_async_commit();
    if (kt >= 0) {
      const int s = static_cast<int>(kt % Tl::STAGES);
      comp.step(sA + s * A_EL, sB + s * B_EL);
    }
  }
  // Epilogue through shared memory (the stage buffers, now free): SR rows of the tile at a
  // time, then one rolled loop hands each in-range element to epi, m or n fastest as the
  // epilogue's output layout prefers (coalesced stores, one copy of the epilogue's code).
  using Acc = typename Comp::Acc;
  constexpr int SR = sizeof(Acc) == 4 ? 64 : 32, LDS = 129;  // odd row: no bank conflicts
  static_assert(static_cast<size_t>(SR) * LDS * sizeof(Acc) <=
                    static_cast<size_t>(Tl::STAGES) * (A_EL + B_EL) * sizeof(T),
                "epilogue staging must fit in the pipeline's shared memory");
  cp_async_wait<0>();
  __syncthreads();  // every warp is done reading the stages
  Acc* stage = reinterpret_cast<Acc*>(smem_raw);
#pragma unroll 1
  for (int r0 = 0; r0 < Tl::BM; r0 += SR) {
    comp.for_each([&](int r, int c, Acc v) {
      const int rr = r - r0;
      if (rr >= 0 && rr < SR) stage[rr * LDS + c] = v;
    });
    __syncthreads();
#pragma unroll 1
    for (int idx = threadIdx.x; idx < SR * Tl::BN; idx += Tl::THREADS) {
      const int r = Epi::kMFast ? idx % SR : idx / Tl::BN;
      const int c = Epi::kMFast ? idx / SR : idx % Tl::BN;
      const int64_t m = m0 + r0 + r, n = n0 + c;
      if (m < M && n < N) epi(batch, split, m, n, stage[r * LDS + c]);
    }
    __syncthreads();  // the next rows overwrite the stage
  }
}

template <class T, bool AK, bool BKm>
constexpr size_t tile_smem_bytes() {
  return static_cast<size_t>(Tile<T>::STAGES) *
         (Tile<T>::template elems<AK>() + Tile<T>::template elems<BKm>()) * sizeof(T);
}

// Launches the tile GEMM over `batch` batches (in chunks that fit gridDim.z), M x N
// outputs, K reduced in `splits` slices of kchunk (a multiple of BK; splits = 1 and
// kchunk >= K for no split).
template <class T, class Comp, class LA, class LB, class Epi>
void launch_tile_gemm(const LA& la, const LB& lb, const Epi& epi, int64_t M, int64_t N, int64_t K, int64_t batch,
                      int splits, int64_t kchunk, const char* op) {
  if (M <= 0 || N <= 0 || batch <= 0) return;
  using Tl = Tile<T>;
  auto kern = tile_gemm_kernel<T, Comp, LA, LB, Epi>;
  const size_t smem = tile_smem_bytes<T, LA::kKMajor, LB::kKMajor>();
  EMBER_CUDA_CHECK(cudaFuncSetAttribute(kern, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(smem)),
                   op);
  const int64_t gx = (M + Tl::BM - 1) / Tl::BM, gy = (N + Tl::BN - 1) / Tl::BN;
  EMBER_CHECK(gx <= INT_MAX && gy <= 65535 && splits >= 1 && splits <= 65535, Value, "[", op,
              "] matrix too large for the CUDA GEMM grid: ", M, " x ", N);
  if (kchunk <= 0) {  // no split: one slice covering K
    splits = 1;
    kchunk = K > 0 ? (K + Tl::BK - 1) / Tl::BK * Tl::BK : Tl::BK;
  }
  const int64_t per = 65535 / splits;
  for (int64_t b0 = 0; b0 < batch; b0 += per) {
    const int64_t nb = batch - b0 < per ? batch - b0 : per;
    dim3 grid(static_cast<unsigned>(gx), static_cast<unsigned>(gy), static_cast<unsigned>(nb * splits));
    kern<<<grid, Tl::THREADS, smem, cuda::current_stream()>>>(la, lb, epi, M, N, K, b0, splits, kchunk);
    cuda::check_launch(op);
  }
}

// Multiprocessor count of the current device (cached per device).
inline int sm_count() {
  static int cache[64] = {};
  int dev = 0;
  if (cudaGetDevice(&dev) != cudaSuccess || dev < 0 || dev >= 64) return 132;
  if (cache[dev] == 0) {
    int n = 0;
    if (cudaDeviceGetAttribute(&n, cudaDevAttrMultiProcessorCount, dev) != cudaSuccess || n <= 0) n = 132;
    cache[dev] = n;
  }
  return cache[dev];
}

// Split-K: the number of K slices for `tiles` output tiles (all batches) of a K-long
// reduction, so that about two waves of blocks run; each slice keeps >= 4 k-steps.
// Returns the slice count and sets kchunk (a multiple of bk) so no slice is empty.
inline int choose_splits(int64_t tiles, int64_t K, int bk, int64_t& kchunk) {
  const int64_t ktiles = (K + bk - 1) / bk;
  const int64_t target = 2 * static_cast<int64_t>(sm_count());
  int64_t s = 1;
  if (tiles > 0 && tiles * 2 <= target) {
    s = (target + tiles - 1) / tiles;
    if (s > ktiles / 4) s = ktiles / 4;
    if (s > 32) s = 32;
    if (s < 1) s = 1;
  }
  const int64_t per = (ktiles + s - 1) / s;  // k-steps per slice
  kchunk = (per > 0 ? per : 1) * bk;
  const int64_t splits = K > 0 ? (K + kchunk - 1) / kchunk : 1;
  return static_cast<int>(splits < 1 ? 1 : splits);
}

// Sums the split-K partials ws[split][batch][m][n] (written by an epilogue in split mode)
// and hands each total to the final epilogue: epi(batch, 0, m, n, total).
template <class Acc, class Epi>
__global__ void splitk_reduce_kernel(const Acc* ws, int splits, int64_t batch, int64_t M, int64_t N, Epi epi) {
  const int64_t total = batch * M * N;
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
#pragma unroll 1
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += step) {
    Acc s = Acc(0);
#pragma unroll 1
    for (int p = 0; p < splits; ++p) s += ws[p * total + i];
    const int64_t n = i % N, bm = i / N;
    epi(bm / M, 0, bm % M, n, s);
  }
}
template <class Acc, class Epi>
void launch_splitk_reduce(const Acc* ws, int splits, int64_t batch, int64_t M, int64_t N, const Epi& epi,
                          const char* op) {
  const int64_t total = batch * M * N;
  if (total <= 0) return;
  splitk_reduce_kernel<Acc, Epi><<<cuda::grid_for(total), cuda::kThreads, 0, cuda::current_stream()>>>(
      ws, splits, batch, M, N, epi);
  cuda::check_launch(op);
}

// The compute policy for a storage type: tensor cores for 16-bit types, TF32 or FMA for
// float (by flag), FMA for double.
enum class Kind { Tc16, Tf32, Simt };
template <class T, Kind KD, bool AK, bool BKm>
struct PolicyOf {
  using type = Simt<T, AK, BKm>;
};
template <bool AK, bool BKm>
struct PolicyOf<Half, Kind::Tc16, AK, BKm> {
  using type = Tc16<Half, AK, BKm>;
};
template <bool AK, bool BKm>
struct PolicyOf<BFloat16, Kind::Tc16, AK, BKm> {
  using type = Tc16<BFloat16, AK, BKm>;
};
template <bool AK, bool BKm>
struct PolicyOf<float, Kind::Tf32, AK, BKm> {
  using type = Tf32<AK, BKm>;
};
template <class T, Kind KD, bool AK, bool BKm>
using Policy = typename PolicyOf<T, KD, AK, BKm>::type;


}  // namespace mma
}  // namespace ember
