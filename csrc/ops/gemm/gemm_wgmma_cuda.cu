// gemm_wgmma_cuda.cu — Hopper (sm_90a) GEMM for float16 / bfloat16: TMA + wgmma.
//
// What: C[b] = alpha * A[b] @ B[b] + beta * C[b] (+ bias[n]) with float32 accumulation,
// output in the input dtype, same GemmCudaDesc semantics as gemm_cuda.cu (batch stride 0
// broadcasts). Called by gemm_cuda.cu's dispatcher through the kernel table; returns
// false (mma.sync path) for anything it does not take. Build ONLY for
// -gencode=arch=compute_90a,code=sm_90a: for any other target the kernel bodies are empty
// and a probe kernel tells the host so at run time (then the mma path is used).
//
// How (one 128 x 256 output tile per block, K in steps of 64, 384 threads):
//  * Warpgroup 0 is the producer: after setmaxnreg.dec one thread issues the TMA copies
//    (cp.async.bulk.tensor.3d, dims {inner, rows, batch}) of each k-step into a 4-stage
//    ring, completing on that stage's "full" mbarrier (expect_tx = bytes of the boxes
//    issued). Warpgroups 1 and 2 are consumers (setmaxnreg.inc 232): consumer w owns
//    output rows 64w .. 64w+63 and all 256 columns, i.e. one
//    wgmma.mma_async.m64n256k16.f32.{bf16,f16} per 16 k (4 per stage, 128 float
//    accumulators per thread). Per stage: wait "full", wgmma.fence, 4 wgmma, commit_group,
//    wait_group 0, then lane 0 of each consumer warp arrives on the stage's "empty"
//    mbarrier (count 8), which the producer waits on before refilling it.
//  * Why TMA rather than cp.async: TMA writes exactly the 128-byte-swizzled layout that
//    the wgmma descriptors' 128B swizzle mode reads (both are the hardware's
//    Swizzle<3,4,3>), zero-fills out-of-bounds rows/columns/k (ragged M, N, K need no
//    predicates in the main loop) and frees the consumers from address math; the tensor
//    maps are built on the host with cuTensorMapEncodeTiled fetched through
//    cudaGetDriverEntryPointByVersion (no link against libcuda).
// Shared-memory layout (stage s at a 1024-byte aligned base; all sub-tiles 1024-aligned):
//  * K-major operand (unit k stride: row-major A, B given as B^T row-major, e.g. the
//    linear weight): one TMA box {64 k, R rows}, row r at r * 128 bytes, its eight 16-byte
//    chunks XOR-swizzled by (r % 8). Descriptor: start = tile + row0 * 128 + kk * 32
//    (kk = 16-k step inside the 64), LBO = 16 (unused for swizzled K-major), SBO = 1024
//    (next 8 rows), swizzle mode 1 (128B). transpose bit 0.
//  * MN-major operand (unit m/n stride: row-major B, transposed A): R / 64 boxes of
//    {64 rows, 64 k} (8 KB each, side by side), k-row at k * 128 bytes. Descriptor:
//    start = tile + (row0 / 64) * 8192 + kk * 2048, LBO = 8192 (next 64 m/n), SBO = 1024
//    (next 8 k), swizzle mode 1; transpose bit 1. Boxes that lie wholly past M / N are
//    not loaded (their stale contents only reach output rows/columns that are not stored).
//  * A tile 128 x 64 (16 KB) then B tile 256 x 64 (32 KB): 48 KB a stage, 4 stages.
// Epilogue: once both consumers are past their last wgmma, the accumulators go through the
// idle stages (float, rows padded to 264) and each thread writes 8 consecutive columns:
// alpha / beta / bias in float as GemmEpi does, predicated on M and N, one 16-byte load /
// store when C is row-major with 16-byte aligned rows (scalar otherwise).
#include <cuda.h>  // CUtensorMap and its enums (types only: the encoder comes from the runtime)

#include <climits>
#include <cstdint>
#include <mutex>

#include "cuda_utils.cuh"
#include "ops/gemm/gemm_cuda.h"
#include "ops/gemm/gemm_wgmma_cuda.h"

#if defined(__CUDA_ARCH__) && defined(__CUDA_ARCH_FEAT_SM90_ALL)
#define EMBER_WGMMA_DEVICE 1
#else
#define EMBER_WGMMA_DEVICE 0
#endif

namespace ember {
namespace {

constexpr int kBM = 128, kBN = 256, kBK = 64, kStages = 4, kThreads = 384;
constexpr uint32_t kATileBytes = kBM * kBK * 2;  // 16 KB
constexpr uint32_t kBTileBytes = kBN * kBK * 2;  // 32 KB
constexpr uint32_t kStageBytes = kATileBytes + kBTileBytes;
constexpr uint32_t kBoxBytes = 64 * 64 * 2;  // one MN-major box: 64 rows x 64 k
static_assert(kATileBytes == 2 * kBoxBytes && kBTileBytes == 4 * kBoxBytes, "MN-major tiles are whole boxes");
constexpr int kSmemBytes = kStages * static_cast<int>(kStageBytes) + 1024;  // + slack to align to 1024

template <class T>
struct WgEpi {
  T* c;
  int64_t bsc, rsc, csc;
  float alpha, beta;
  const T* bias;  // nullable
  int64_t bias_stride;
  int64_t M, N;
  bool vec8;  // csc == 1 and every (row, 8-multiple col) address is 16-byte aligned: 16-byte access
};

// Epilogue staging: the block tile's 128 x 256 float accumulators in the (then idle)
// pipeline stages, rows padded to 264 floats (fragment stores free of bank conflicts).
constexpr int kLDS = kBN + 8;
static_assert(static_cast<int64_t>(kBM) * kLDS * 4 <= static_cast<int64_t>(kStages) * kStageBytes,
              "epilogue staging must fit in the pipeline's shared memory");

#if EMBER_WGMMA_DEVICE

__device__ __forceinline__ uint32_t smem_u32(const void* p) {
  return static_cast<uint32_t>(__cvta_generic_to_shared(p));
}

// ---- mbarrier (shared::cta addresses)
__device__ __forceinline__ void mbar_init(uint32_t bar, uint32_t count) {
  asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;\n" ::"r"(bar), "r"(count) : "memory");
}
__device__ __forceinline__ void mbar_arrive_expect_tx(uint32_t bar, uint32_t bytes) {
  asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;\n" ::"r"(bar), "r"(bytes) : "memory");
}
__device__ __forceinline__ void mbar_arrive(uint32_t bar) {
  asm volatile("mbarrier.arrive.shared::cta.b64 _, [%0];\n" ::"r"(bar) : "memory");
}
// Returns once the phase of parity `parity` has completed (acquire).
__device__ __forceinline__ void mbar_wait(uint32_t bar, uint32_t parity) {
  uint32_t done = 0;
  do {
    asm volatile(
        "{\n"
        ".reg .pred p;\n"
        "mbarrier.try_wait.parity.shared::cta.b64 p, [%1], %2;\n"
        "selp.u32 %0, 1, 0, p;\n"
        "}\n"
        : "=r"(done)
        : "r"(bar), "r"(parity)
        : "memory");
  } while (!done);
}

// ---- TMA: box at coordinates (c0 innermost, c1, c2) of `map` into shared dst; completes
// `bytes of the box` on mbarrier bar.
__device__ __forceinline__ void tma_load_3d(uint32_t dst, const CUtensorMap* map, uint32_t bar, int c0, int c1,
                                            int c2) {
  asm volatile(
      "cp.async.bulk.tensor.3d.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1, {%3, %4, %5}], "
      "[%2];\n" ::"r"(dst),
      "l"(reinterpret_cast<uint64_t>(map)), "r"(bar), "r"(c0), "r"(c1), "r"(c2)
      : "memory");
}

// ---- wgmma
__device__ __forceinline__ void wg_fence() { asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory"); }
__device__ __forceinline__ void wg_commit() { asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory"); }
__device__ __forceinline__ void wg_wait0() { asm volatile("wgmma.wait_group.sync.aligned 0;\n" ::: "memory"); }
// Keeps the compiler from moving accumulator reads/writes across the asynchronous
// wgmma region (it cannot see that wgmma writes them after the asm statement).
__device__ __forceinline__ void fence_acc(float (&d)[128]) {
#pragma unroll
  for (int i = 0; i < 128; ++i) asm volatile("" : "+f"(d[i])::"memory");
}

// Shared-memory matrix descriptor, 128-byte swizzle (mode 1 in bits 62-63), base offset 0
// (every pattern starts on a 1024-byte boundary).
__device__ __forceinline__ uint64_t make_desc(uint32_t saddr, uint32_t lbo, uint32_t sbo) {
  uint64_t d = static_cast<uint64_t>((saddr & 0x3FFFFu) >> 4);
  d |= static_cast<uint64_t>((lbo >> 4) & 0x3FFFu) << 16;
  d |= static_cast<uint64_t>((sbo >> 4) & 0x3FFFu) << 32;
  d |= static_cast<uint64_t>(1) << 62;
  return d;
}

#define EMBER_WG_D8(i)                                                                                     \
  "+f"(d[i + 0]), "+f"(d[i + 1]), "+f"(d[i + 2]), "+f"(d[i + 3]), "+f"(d[i + 4]), "+f"(d[i + 5]), \
      "+f"(d[i + 6]), "+f"(d[i + 7])
#define EMBER_WG_D128                                                                                           \
  EMBER_WG_D8(0), EMBER_WG_D8(8), EMBER_WG_D8(16), EMBER_WG_D8(24), EMBER_WG_D8(32), EMBER_WG_D8(40),          \
      EMBER_WG_D8(48), EMBER_WG_D8(56), EMBER_WG_D8(64), EMBER_WG_D8(72), EMBER_WG_D8(80), EMBER_WG_D8(88), \
      EMBER_WG_D8(96), EMBER_WG_D8(104), EMBER_WG_D8(112), EMBER_WG_D8(120)
#define EMBER_WG_REGS                                                                                  \
  "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, " \
  "%22, %23, %24, %25, %26, %27, %28, %29, %30, %31, %32, %33, %34, %35, %36, %37, %38, %39, %40, %41, "  \
  "%42, %43, %44, %45, %46, %47, %48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, "  \
  "%62, %63, %64, %65, %66, %67, %68, %69, %70, %71, %72, %73, %74, %75, %76, %77, %78, %79, %80, %81, "  \
  "%82, %83, %84, %85, %86, %87, %88, %89, %90, %91, %92, %93, %94, %95, %96, %97, %98, %99, %100, "      \
  "%101, %102, %103, %104, %105, %106, %107, %108, %109, %110, %111, %112, %113, %114, %115, %116, "       \
  "%117, %118, %119, %120, %121, %122, %123, %124, %125, %126, %127}"

// D(64 x 256, f32) += A(64 x 16) * B(16 x 256), both from shared memory; TA / TB: the
// transpose immediates (0 = K-major, 1 = MN-major). Operands 128 / 129 are the
// descriptors, 130 the scale-d flag (1: accumulate).
template <class T, int TA, int TB>
struct Wgmma;
template <int TA, int TB>
struct Wgmma<BFloat16, TA, TB> {
  static __device__ __forceinline__ void run(float (&d)[128], uint64_t da, uint64_t db) {
    asm volatile(
        "{\n"
        ".reg .pred p;\n"
        "setp.ne.b32 p, %130, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n256k16.f32.bf16.bf16 " EMBER_WG_REGS
        ", %128, %129, p, 1, 1, %131, %132;\n"
        "}\n"
        : EMBER_WG_D128
        : "l"(da), "l"(db), "r"(1), "n"(TA), "n"(TB));
  }
};
template <int TA, int TB>
struct Wgmma<Half, TA, TB> {
  static __device__ __forceinline__ void run(float (&d)[128], uint64_t da, uint64_t db) {
    asm volatile(
        "{\n"
        ".reg .pred p;\n"
        "setp.ne.b32 p, %130, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n256k16.f32.f16.f16 " EMBER_WG_REGS
        ", %128, %129, p, 1, 1, %131, %132;\n"
        "}\n"
        : EMBER_WG_D128
        : "l"(da), "l"(db), "r"(1), "n"(TA), "n"(TB));
  }
};

// One operand tile of one stage: R rows (m of A / n of B) from r0 (< rows), 64 k from k0.
// K-major: one box {64 k, R rows}. MN-major: R / 64 boxes {64 rows, 64 k}, those wholly
// past `rows` skipped. tile_bytes: what the stage's mbarrier must expect for it (every
// issued box counts in full: TMA zero-fills a box's out-of-bounds part and still writes
// the whole box).
template <bool KMajor, int R>
__device__ __forceinline__ uint32_t tile_bytes(int r0, int64_t rows) {
  if constexpr (KMajor) {
    return static_cast<uint32_t>(R) * kBK * 2;
  } else {
    uint32_t bytes = 0;
#pragma unroll
    for (int q = 0; q < R / 64; ++q)
      if (static_cast<int64_t>(r0) + 64 * q < rows) bytes += kBoxBytes;
    return bytes;
  }
}
template <bool KMajor, int R>
__device__ __forceinline__ void load_tile(uint32_t dst, const CUtensorMap* map, uint32_t bar, int r0, int k0,
                                          int bcoord, int64_t rows) {
  if constexpr (KMajor) {
    tma_load_3d(dst, map, bar, k0, r0, bcoord);
  } else {
#pragma unroll
    for (int q = 0; q < R / 64; ++q)
      if (static_cast<int64_t>(r0) + 64 * q < rows)
        tma_load_3d(dst + q * kBoxBytes, map, bar, r0 + 64 * q, k0, bcoord);
  }
}

// Descriptor of the 16-k slice kk of a tile, starting at tile row `row0` (a multiple of 64).
template <bool KMajor>
__device__ __forceinline__ uint64_t tile_desc(uint32_t tile, int row0, int kk) {
  if constexpr (KMajor)
    return make_desc(tile + static_cast<uint32_t>(row0) * 128u + static_cast<uint32_t>(kk) * 32u, 16u, 1024u);
  else
    return make_desc(tile + static_cast<uint32_t>(row0 / 64) * kBoxBytes + static_cast<uint32_t>(kk) * 2048u,
                     kBoxBytes, 1024u);
}

// Eight outputs (row, col .. col + 7), col < N, from v: c = alpha * v + beta * c (+ bias),
// in float, the order GemmEpi (gemm_cuda.cu) uses.
template <class T>
__device__ __forceinline__ void epi_store8(const WgEpi<T>& e, T* cb, int64_t row, int64_t col, const float (&v)[8]) {
  T* p = cb + row * e.rsc + col * e.csc;
  if (e.vec8 && col + 8 <= e.N) {
    float r[8];
    uint4 old = make_uint4(0u, 0u, 0u, 0u);
    if (e.beta != 0.f) old = *reinterpret_cast<const uint4*>(p);
    const uint32_t ow[4] = {old.x, old.y, old.z, old.w};
    uint32_t out[4];
#pragma unroll
    for (int i = 0; i < 8; ++i) {
      r[i] = e.alpha * v[i];
      if (e.beta != 0.f) r[i] += e.beta * DevCvt<T>::load(T{static_cast<uint16_t>(ow[i / 2] >> (16 * (i % 2)))});
      if (e.bias) r[i] += DevCvt<T>::load(e.bias[(col + i) * e.bias_stride]);
    }
#pragma unroll
    for (int i = 0; i < 4; ++i)
      out[i] = static_cast<uint32_t>(DevCvt<T>::store(r[2 * i]).x) |
               (static_cast<uint32_t>(DevCvt<T>::store(r[2 * i + 1]).x) << 16);
    *reinterpret_cast<uint4*>(p) = make_uint4(out[0], out[1], out[2], out[3]);
    return;
  }
#pragma unroll
  for (int i = 0; i < 8; ++i) {
    if (col + i < e.N) {
      T* q = p + i * e.csc;
      float r = e.alpha * v[i];
      if (e.beta != 0.f) r += e.beta * DevCvt<T>::load(*q);
      if (e.bias) r += DevCvt<T>::load(e.bias[(col + i) * e.bias_stride]);
      *q = DevCvt<T>::store(r);
    }
  }
}

#endif  // EMBER_WGMMA_DEVICE

// Grid: x = M tiles (128), y = N tiles (256), z = batches batch0 ...; a_batched /
// b_batched: 0 when that operand is broadcast over the batch (tensor map batch dim 1).
template <class T, bool AK, bool BK>
__global__ void __launch_bounds__(kThreads, 1)
    wgmma_gemm_kernel(const __grid_constant__ CUtensorMap tmA, const __grid_constant__ CUtensorMap tmB,
                      const WgEpi<T> epi, int K, int64_t batch0, int a_batched, int b_batched) {
#if EMBER_WGMMA_DEVICE
  __shared__ __align__(8) uint64_t full_bar[kStages];
  __shared__ __align__(8) uint64_t empty_bar[kStages];
  extern __shared__ __align__(1024) unsigned char smem_raw[];
  const uint32_t base = (smem_u32(smem_raw) + 1023u) & ~1023u;  // stage 0, 1024-byte aligned

  const int tid = static_cast<int>(threadIdx.x);
  const int wg = tid / 128;
  const int ktiles = (K + kBK - 1) / kBK;
  const int m0 = static_cast<int>(blockIdx.x) * kBM;
  const int n0 = static_cast<int>(blockIdx.y) * kBN;
  const int64_t batch = batch0 + blockIdx.z;

  if (tid == 0) {
#pragma unroll
    for (int s = 0; s < kStages; ++s) {
      mbar_init(smem_u32(&full_bar[s]), 1);   // the producer's arrive.expect_tx (+ the TMA bytes)
      mbar_init(smem_u32(&empty_bar[s]), 8);  // lane 0 of each of the 8 consumer warps
    }
    asm volatile("fence.mbarrier_init.release.cluster;\n" ::: "memory");
    asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory");
  }
  __syncthreads();

  if (wg == 0) {
    // ------------------------------------------------------------ producer
    asm volatile("setmaxnreg.dec.sync.aligned.u32 40;\n" ::: "memory");
    if (tid == 0) {
      asm volatile("prefetch.tensormap [%0];\n" ::"l"(reinterpret_cast<uint64_t>(&tmA)) : "memory");
      asm volatile("prefetch.tensormap [%0];\n" ::"l"(reinterpret_cast<uint64_t>(&tmB)) : "memory");
      const int ca = a_batched ? static_cast<int>(batch) : 0;
      const int cb = b_batched ? static_cast<int>(batch) : 0;
#pragma unroll 1
      for (int kt = 0; kt < ktiles; ++kt) {
        const int s = kt % kStages;
        // Round r = kt / kStages refills stage s: wait until the consumers released round
        // r - 1 (phase r - 1 of empty[s] completed). Round 0 finds every stage free.
        if (kt >= kStages) mbar_wait(smem_u32(&empty_bar[s]), static_cast<uint32_t>((kt / kStages - 1) & 1));
        const uint32_t sa = base + static_cast<uint32_t>(s) * kStageBytes, sb = sa + kATileBytes;
        const uint32_t fb = smem_u32(&full_bar[s]);
        // The arrival with the expected bytes comes before the copies that complete them.
        mbar_arrive_expect_tx(fb, tile_bytes<AK, kBM>(m0, epi.M) + tile_bytes<BK, kBN>(n0, epi.N));
        load_tile<AK, kBM>(sa, &tmA, fb, m0, kt * kBK, ca, epi.M);
        load_tile<BK, kBN>(sb, &tmB, fb, n0, kt * kBK, cb, epi.N);
      }
    }
  } else {
    // ------------------------------------------------------------ consumers
    asm volatile("setmaxnreg.inc.sync.aligned.u32 232;\n" ::: "memory");
    const int cw = wg - 1;  // rows 64 * cw .. of the block tile
    const int lane = tid & 31;
    float acc[128];
#pragma unroll
    for (int i = 0; i < 128; ++i) acc[i] = 0.f;

#pragma unroll 1
    for (int kt = 0; kt < ktiles; ++kt) {
      const int s = kt % kStages;
      mbar_wait(smem_u32(&full_bar[s]), static_cast<uint32_t>((kt / kStages) & 1));
      __syncwarp();  // converged again before the .sync.aligned wgmma instructions
      const uint32_t sa = base + static_cast<uint32_t>(s) * kStageBytes, sb = sa + kATileBytes;
      fence_acc(acc);
      wg_fence();
#pragma unroll
      for (int kk = 0; kk < kBK / 16; ++kk)
        Wgmma<T, AK ? 0 : 1, BK ? 0 : 1>::run(acc, tile_desc<AK>(sa, 64 * cw, kk), tile_desc<BK>(sb, 0, kk));
      wg_commit();
      wg_wait0();
      fence_acc(acc);
      if (lane == 0) mbar_arrive(smem_u32(&empty_bar[s]));  // this warp no longer reads stage s
    }

    // ------------------------------------------------------------ epilogue
    // Both consumer warpgroups are past their last wgmma (named barrier 1, 256 threads), so
    // the stages are free: each warpgroup stages its 64 x 256 floats there (accumulator
    // element (16 warp + g + 8 h, 8 j + 2 t + e) = acc[4 j + 2 h + e], g = lane / 4,
    // t = lane % 4), syncs its own 128 threads (named barrier 2 + cw), then writes its rows
    // out 8 columns per thread, consecutive threads on consecutive columns.
    asm volatile("bar.sync 1, 256;\n" ::: "memory");
    float* stage = reinterpret_cast<float*>(smem_raw + (base - smem_u32(smem_raw))) + cw * 64 * kLDS;
    const int warp = (tid / 32) & 3, g = lane >> 2, t = lane & 3;
#pragma unroll
    for (int j = 0; j < kBN / 8; ++j)
#pragma unroll
      for (int h = 0; h < 2; ++h)
        *reinterpret_cast<float2*>(stage + (16 * warp + g + 8 * h) * kLDS + 8 * j + 2 * t) =
            make_float2(acc[4 * j + 2 * h], acc[4 * j + 2 * h + 1]);
    asm volatile("bar.sync %0, 128;\n" ::"r"(2 + cw) : "memory");
    T* cb = epi.c + batch * epi.bsc;
    const int wtid = tid - 128 * wg;  // 0 .. 127 inside this warpgroup
#pragma unroll 1
    for (int idx = wtid; idx < 64 * (kBN / 8); idx += 128) {
      const int r = idx / (kBN / 8), ch = idx % (kBN / 8);
      const int64_t row = static_cast<int64_t>(m0) + 64 * cw + r, col = static_cast<int64_t>(n0) + 8 * ch;
      if (row >= epi.M || col >= epi.N) continue;
      const float4 lo = *reinterpret_cast<const float4*>(stage + r * kLDS + 8 * ch);
      const float4 hi = *reinterpret_cast<const float4*>(stage + r * kLDS + 8 * ch + 4);
      const float v[8] = {lo.x, lo.y, lo.z, lo.w, hi.x, hi.y, hi.z, hi.w};
      epi_store8(epi, cb, row, col, v);
    }
  }
#endif  // EMBER_WGMMA_DEVICE
}

// Writes 1 when this file was compiled for sm_90a (the kernels above have bodies), else 0.
__global__ void wgmma_probe_kernel(int* flag) {
#if EMBER_WGMMA_DEVICE
  *flag = 1;
#else
  *flag = 0;
#endif
}

// ---------------------------------------------------------------- host

using EncodeTiledFn = CUresult (*)(CUtensorMap*, CUtensorMapDataType, cuuint32_t, void*, const cuuint64_t*,
                                   const cuuint64_t*, const cuuint32_t*, const cuuint32_t*, CUtensorMapInterleave,
                                   CUtensorMapSwizzle, CUtensorMapL2promotion, CUtensorMapFloatOOBfill);

EncodeTiledFn encode_fn() {
  static const EncodeTiledFn fn = []() -> EncodeTiledFn {
    void* p = nullptr;
    cudaDriverEntryPointQueryResult q = cudaDriverEntryPointSymbolNotFound;
    if (cudaGetDriverEntryPointByVersion("cuTensorMapEncodeTiled", &p, 12000, cudaEnableDefault, &q) != cudaSuccess ||
        q != cudaDriverEntryPointSuccess || !p) {
      (void)cudaGetLastError();
      return nullptr;
    }
    return reinterpret_cast<EncodeTiledFn>(p);
  }();
  return fn;
}

template <class T, bool AK, bool BK>
const char* check_kernel_image() {
  cudaFuncAttributes attr{};
  if (cudaFuncGetAttributes(&attr, wgmma_gemm_kernel<T, AK, BK>) != cudaSuccess) {
    (void)cudaGetLastError();
    return "no sm_90a image of the wgmma GEMM kernels for this GPU in this build";
  }
  if (cudaFuncSetAttribute(wgmma_gemm_kernel<T, AK, BK>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                           kSmemBytes) != cudaSuccess) {
    (void)cudaGetLastError();
    return "could not raise the wgmma GEMM kernel's shared-memory limit";
  }
  return nullptr;
}

// Why device `dev` (current) cannot run the wgmma path, or nullptr when it can. Runs once
// per device; the probe kernel's result is copied to the host (a one-time synchronisation
// of the current stream, the first time a float16/bfloat16 matmul reaches this file).
const char* probe_device(const Device& device, const char* op) {
  const int dev = device.index;
  int major = 0, minor = 0, optin = 0;
  if (cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, dev) != cudaSuccess ||
      cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, dev) != cudaSuccess ||
      cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, dev) != cudaSuccess) {
    (void)cudaGetLastError();
    return "could not read the device's compute capability";
  }
  if (major != 9 || minor != 0) return "the GPU's compute capability is not 9.0 (the wgmma kernels are sm_90a)";
  if (optin < kSmemBytes) return "the GPU allows too little shared memory per block";
  if (!encode_fn()) return "cuTensorMapEncodeTiled is not available from the CUDA driver";
  const char* why = nullptr;
  if (!why) why = check_kernel_image<BFloat16, true, true>();
  if (!why) why = check_kernel_image<BFloat16, true, false>();
  if (!why) why = check_kernel_image<BFloat16, false, true>();
  if (!why) why = check_kernel_image<BFloat16, false, false>();
  if (!why) why = check_kernel_image<Half, true, true>();
  if (!why) why = check_kernel_image<Half, true, false>();
  if (!why) why = check_kernel_image<Half, false, true>();
  if (!why) why = check_kernel_image<Half, false, false>();
  if (why) return why;
  Array flag = Array::empty({1}, DType::Int32, device, op);
  cudaStream_t st = cuda::current_stream();
  int host = -1;
  wgmma_probe_kernel<<<1, 1, 0, st>>>(flag.data<int>());
  if (cudaGetLastError() != cudaSuccess ||
      cudaMemcpyAsync(&host, flag.data<int>(), sizeof(int), cudaMemcpyDeviceToHost, st) != cudaSuccess ||
      cudaStreamSynchronize(st) != cudaSuccess) {
    (void)cudaGetLastError();
    return "the wgmma probe kernel did not run (no sm_90a image?)";
  }
  if (host != 1) return "the wgmma kernels were not compiled for sm_90a (-gencode=arch=compute_90a,code=sm_90a)";
  return nullptr;
}

const char* device_unusable(const Device& device, const char* op) {
  constexpr int kMaxDev = 64;
  static std::mutex mu;
  static bool known[kMaxDev] = {};
  static const char* reason[kMaxDev] = {};
  const int dev = device.index;
  if (dev < 0 || dev >= kMaxDev) return "device index out of range for the wgmma path";
  std::lock_guard<std::mutex> lock(mu);
  if (!known[dev]) {
    reason[dev] = probe_device(device, op);
    known[dev] = true;
  }
  return reason[dev];
}

// One operand as TMA sees it: `inner` elements along the unit-stride dim, `rows` along
// the other (row stride `ld` elements), `nb` batches (batch stride `bs`, nb == 1 when it
// is broadcast or there is one batch).
struct OperandMap {
  bool kmajor;
  int64_t inner, rows, ld, nb, bs;
};

// Operand (R rows = m of A / n of B, reduction K) with row stride rs and k stride ks;
// false when neither dim has a unit stride usable by TMA.
bool operand_map(int64_t R, int64_t K, int64_t rs, int64_t ks, int64_t bs, int64_t batch, OperandMap& o) {
  constexpr int64_t kVec = 8;  // 16 bytes of 16-bit elements
  auto ok_ld = [&](int64_t ld, int64_t nrows) { return nrows == 1 || (ld > 0 && ld % kVec == 0); };
  auto round_up = [&](int64_t v) { return (v + kVec - 1) / kVec * kVec; };
  if ((ks == 1 || K == 1) && ok_ld(rs, R)) {  // K-major: inner k, rows R
    o.kmajor = true;
    o.inner = K;
    o.rows = R;
    o.ld = R == 1 ? round_up(K) : rs;
  } else if ((rs == 1 || R == 1) && ok_ld(ks, K)) {  // MN-major: inner R, rows k
    o.kmajor = false;
    o.inner = R;
    o.rows = K;
    o.ld = K == 1 ? round_up(R) : ks;
  } else {
    return false;
  }
  if (batch > 1 && bs != 0) {
    if (bs < 0 || bs % kVec != 0) return false;
    o.nb = batch;
    o.bs = bs;
  } else {
    o.nb = 1;
    o.bs = o.ld * o.rows;  // unused (one batch); a stride the encoder accepts
  }
  return true;
}

template <class T>
bool encode_map(CUtensorMap* map, const T* ptr, const OperandMap& o, int box_rows_kmajor) {
  constexpr int64_t kMaxStride = int64_t(1) << 40;
  if (o.ld * 2 >= kMaxStride || o.bs * 2 >= kMaxStride) return false;
  const CUtensorMapDataType dt =
      std::is_same<T, Half>::value ? CU_TENSOR_MAP_DATA_TYPE_FLOAT16 : CU_TENSOR_MAP_DATA_TYPE_BFLOAT16;
  const cuuint64_t dims[3] = {static_cast<cuuint64_t>(o.inner), static_cast<cuuint64_t>(o.rows),
                              static_cast<cuuint64_t>(o.nb)};
  const cuuint64_t strides[2] = {static_cast<cuuint64_t>(o.ld * 2), static_cast<cuuint64_t>(o.bs * 2)};
  // K-major: {64 k, all rows of the tile}; MN-major: {64 rows, 64 k}.
  const cuuint32_t box[3] = {64u, o.kmajor ? static_cast<cuuint32_t>(box_rows_kmajor) : 64u, 1u};
  const cuuint32_t estr[3] = {1u, 1u, 1u};
  return encode_fn()(map, dt, 3, const_cast<T*>(ptr), dims, strides, box, estr, CU_TENSOR_MAP_INTERLEAVE_NONE,
                     CU_TENSOR_MAP_SWIZZLE_128B, CU_TENSOR_MAP_L2_PROMOTION_L2_256B,
                     CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE) == CUDA_SUCCESS;
}

template <class T, bool AK, bool BK>
void launch(const CUtensorMap& ma, const CUtensorMap& mb, const WgEpi<T>& epi, const GemmCudaDesc& d, bool a_b,
            bool b_b, int64_t gx, int64_t gy, const char* op) {
  for (int64_t b0 = 0; b0 < d.batch; b0 += 65535) {
    const int64_t nb = d.batch - b0 < 65535 ? d.batch - b0 : 65535;
    dim3 grid(static_cast<unsigned>(gx), static_cast<unsigned>(gy), static_cast<unsigned>(nb));
    wgmma_gemm_kernel<T, AK, BK><<<grid, kThreads, kSmemBytes, cuda::current_stream()>>>(
        ma, mb, epi, static_cast<int>(d.K), b0, a_b ? 1 : 0, b_b ? 1 : 0);
    cuda::check_launch(op);
  }
}

template <class T>
bool run_typed(const Array& c, const Array& a, const Array& b, const Array* bias, const GemmCudaDesc& d,
               const char** why, const char* op) {
  constexpr int64_t kLim = INT_MAX - 512;  // TMA coordinates and tile origins are int32
  if (d.K < 1) return *why = "K == 0", false;
  if (d.M > kLim || d.N > kLim || d.K > kLim || d.batch > kLim) return *why = "a dim exceeds 2^31", false;
  OperandMap oa{}, ob{};
  if (!operand_map(d.M, d.K, d.rsa, d.csa, d.bsa, d.batch, oa))
    return *why = "A has no unit stride with 16-byte aligned rows", false;
  if (!operand_map(d.N, d.K, d.csb, d.rsb, d.bsb, d.batch, ob))
    return *why = "B has no unit stride with 16-byte aligned rows", false;
  const T* pa = a.data<T>();
  const T* pb = b.data<T>();
  if (!aligned_to(pa, 16) || !aligned_to(pb, 16)) return *why = "an operand is not 16-byte aligned", false;
  const int64_t gx = (d.M + kBM - 1) / kBM, gy = (d.N + kBN - 1) / kBN;
  if (gy > 65535) return *why = "N too large for the grid", false;
  if (const char* u = device_unusable(c.device(), op)) return *why = u, false;

  CUtensorMap ma, mb;
  if (!encode_map<T>(&ma, pa, oa, kBM) || !encode_map<T>(&mb, pb, ob, kBN))
    return *why = "cuTensorMapEncodeTiled rejected an operand layout", false;

  WgEpi<T> epi{};
  epi.c = c.data<T>();
  epi.bsc = d.bsc;
  epi.rsc = d.rsc;
  epi.csc = d.csc;
  epi.alpha = static_cast<float>(d.alpha);
  epi.beta = static_cast<float>(d.beta);
  epi.bias = bias ? bias->data<T>() : nullptr;
  epi.bias_stride = d.bias_stride;
  epi.M = d.M;
  epi.N = d.N;
  epi.vec8 = d.csc == 1 && d.rsc % 8 == 0 && (d.batch == 1 || d.bsc % 8 == 0) && aligned_to(epi.c, 16);

  const bool a_b = oa.nb > 1, b_b = ob.nb > 1;
  if (oa.kmajor && ob.kmajor)
    launch<T, true, true>(ma, mb, epi, d, a_b, b_b, gx, gy, op);
  else if (oa.kmajor)
    launch<T, true, false>(ma, mb, epi, d, a_b, b_b, gx, gy, op);
  else if (ob.kmajor)
    launch<T, false, true>(ma, mb, epi, d, a_b, b_b, gx, gy, op);
  else
    launch<T, false, false>(ma, mb, epi, d, a_b, b_b, gx, gy, op);
  *why = nullptr;
  return true;
}

bool gemm_wgmma_cuda(const Array& c, const Array& a, const Array& b, const Array* bias, const GemmCudaDesc& d,
                     const char** why) {
  const char* op = "matmul";
  const char* dummy = nullptr;
  if (!why) why = &dummy;
  EMBER_CHECK(c.device().is_cuda() && a.device() == c.device() && b.device() == c.device() &&
                  (!bias || bias->device() == c.device()),
              Runtime, "[", op, "] expected all tensors on the same device, got ", a.device().str(), " and ",
              b.device().str());
  if (a.dtype() != c.dtype() || b.dtype() != c.dtype() || (bias && bias->dtype() != c.dtype()))
    return *why = "operands of different dtypes", false;
  if (d.M <= 0 || d.N <= 0 || d.batch <= 0) return *why = "empty output", false;
  cuda::DeviceGuard g(c.device().index, op);
  switch (c.dtype()) {
    case DType::BFloat16: return run_typed<BFloat16>(c, a, b, bias, d, why, op);
    case DType::Float16: return run_typed<Half>(c, a, b, bias, d, why, op);
    default: return *why = "dtype is not float16/bfloat16", false;
  }
}

}  // namespace
}  // namespace ember

namespace ember {
EMBER_CUDA_REGISTER(gemm_wgmma, gemm_wgmma_cuda);
}
