// gemm_cuda.cu — CUDA GEMM for matmul / mm / bmm / addmm / linear.
//
// What: C[b] = alpha * A[b] @ B[b] + beta * C[b] (+ bias[j]) with element strides per
// operand (batch stride 0 broadcasts), see gemm_cuda.h.
// How: the 128 x 128 block tile of mma_tile.cuh with StridedLoader operands. Each operand
// is read K-major (unit k stride: row-major A, transposed B) or MN-major (unit m/n
// stride), whichever its strides give; 16-byte cp.async when pointer, leading dim, batch
// stride and contiguous extent are multiples of 16 bytes, predicated scalar loads
// otherwise. float16/bfloat16: mma.sync m16n8k16; float32: TF32 mma (allow_tf32) or FMA;
// float64: FMA. When the output has too few tiles to fill the GPU and K is long, K is
// split across blocks (float / double partials in a workspace, then a reduce kernel that
// applies the epilogue). Integer dtypes: a 16 x 16 shared-memory tiled kernel.
// Hopper: float16/bfloat16 calls may go to the wgmma path instead (gemm_wgmma_cuda.cu,
// chosen by EMBER_CUDA_GEMM, see wgmma_dispatch below).
#include <cstdlib>
#include <cstring>
#include <exception>

#include "ops/gemm/gemm_cuda.h"
#include "ops/gemm/gemm_wgmma_cuda.h"
#include "ops/gemm/mma_tile.cuh"

namespace ember {
namespace {

using mma::AccOf;
using mma::Kind;
using mma::StridedLoader;
using mma::Tile;

// Final store: c = alpha * acc + beta * c_old (+ bias[n]); in split mode (ws != null)
// the raw partial goes to ws[split][batch][m][n] instead.
template <class T>
struct GemmEpi {
  using Acc = typename AccOf<T>::type;
  static constexpr bool kMFast = false;  // row-major C: consecutive n
  T* c;
  int64_t bsc, rsc, csc;
  Acc alpha, beta;
  const T* bias;
  int64_t bias_stride;
  Acc* ws;
  int64_t batch, M, N;
  __device__ __forceinline__ void operator()(int64_t b, int split, int64_t m, int64_t n, Acc v) const {
    if (ws) {
      ws[((static_cast<int64_t>(split) * batch + b) * M + m) * N + n] = v;
      return;
    }
    T* p = c + b * bsc + m * rsc + n * csc;
    Acc r = alpha * v;
    if (beta != Acc(0)) r += beta * static_cast<Acc>(DevCvt<T>::load(*p));
    if (bias) r += static_cast<Acc>(DevCvt<T>::load(bias[n * bias_stride]));
    *p = DevCvt<T>::template store<Acc>(r);
  }
};

// Operand layout from its strides: rows R (m of A / n of B), reduction K, row stride rs,
// k stride ks.
struct Layout {
  bool kmajor;
  int64_t ld;
};
Layout operand_layout(int64_t R, int64_t K, int64_t rs, int64_t ks, const char* op, const char* what) {
  if (ks == 1 && !(rs == 1 && K == 1)) return {true, rs};
  if (rs == 1) return {false, ks};
  if (R == 1) return {false, ks};  // one row: only k moves
  if (K == 1) return {true, rs};   // one k: only the row moves
  EMBER_CHECK(false, Runtime, "[", op, "] internal: CUDA GEMM operand ", what,
              " needs a unit stride in one of its matrix dims, got strides (", rs, ", ", ks, ")");
  return {true, rs};
}

template <class T, bool KM>
StridedLoader<T, KM> make_loader(const T* p, int64_t R, int64_t K, int64_t ld, int64_t bs, int64_t batch) {
  constexpr int V = Tile<T>::VEC;
  StridedLoader<T, KM> l{};
  l.ptr = p;
  l.R = R;
  l.ld = ld;
  l.bstride = bs;
  const bool ld_ok = (ld % V == 0) || (KM ? R == 1 : K == 1);
  const bool bs_ok = (bs % V == 0) || batch == 1;
  const bool ext_ok = KM ? (K % V == 0) : (R % V == 0);
  l.vec = aligned_to(p, 16) && ld_ok && bs_ok && ext_ok;
  return l;
}

template <class T, Kind KD, bool AK, bool BKm>
void launch_layout(const T* a, const T* b, const GemmCudaDesc& d, const Layout& la, const Layout& lb,
                   const GemmEpi<T>& epi, int splits, int64_t kchunk, const char* op) {
  auto A = make_loader<T, AK>(a, d.M, d.K, la.ld, d.bsa, d.batch);
  auto B = make_loader<T, BKm>(b, d.N, d.K, lb.ld, d.bsb, d.batch);
  mma::launch_tile_gemm<T, mma::Policy<T, KD, AK, BKm>>(A, B, epi, d.M, d.N, d.K, d.batch, splits, kchunk, op);
}

template <class T, Kind KD>
void gemm_float(const Array& c, const Array& a, const Array& b, const Array* bias, const GemmCudaDesc& d,
                const char* op) {
  using Acc = typename AccOf<T>::type;
  const Layout la = operand_layout(d.M, d.K, d.rsa, d.csa, op, "A");
  const Layout lb = operand_layout(d.N, d.K, d.csb, d.rsb, op, "B");
  GemmEpi<T> epi{};
  epi.c = c.data<T>();
  epi.bsc = d.bsc;
  epi.rsc = d.rsc;
  epi.csc = d.csc;
  epi.alpha = static_cast<Acc>(d.alpha);
  epi.beta = static_cast<Acc>(d.beta);
  epi.bias = bias ? bias->data<T>() : nullptr;
  epi.bias_stride = d.bias_stride;
  epi.ws = nullptr;
  epi.batch = d.batch;
  epi.M = d.M;
  epi.N = d.N;

  const int64_t tiles = ((d.M + 127) / 128) * ((d.N + 127) / 128) * d.batch;
  int64_t kchunk = 0;
  const int splits = mma::choose_splits(tiles, d.K, Tile<T>::BK, kchunk);
  Array ws;
  GemmEpi<T> part = epi;
  if (splits > 1) {
    ws = Array::empty({splits, d.batch, d.M, d.N}, sizeof(Acc) == 8 ? DType::Float64 : DType::Float32, c.device(),
                      op);
    part.ws = ws.data<Acc>();
  }
  const T* pa = a.data<T>();
  const T* pb = b.data<T>();
  if (la.kmajor && lb.kmajor)
    launch_layout<T, KD, true, true>(pa, pb, d, la, lb, part, splits, kchunk, op);
  else if (la.kmajor)
    launch_layout<T, KD, true, false>(pa, pb, d, la, lb, part, splits, kchunk, op);
  else if (lb.kmajor)
    launch_layout<T, KD, false, true>(pa, pb, d, la, lb, part, splits, kchunk, op);
  else
    launch_layout<T, KD, false, false>(pa, pb, d, la, lb, part, splits, kchunk, op);
  if (splits > 1) mma::launch_splitk_reduce<Acc>(ws.data<Acc>(), splits, d.batch, d.M, d.N, epi, op);
}

// ---------------------------------------------------------------- integers

// One 16 x 16 output tile per block; A and B tiles staged through shared memory.
// Accumulates in T (wrapping like the CPU loop). blockIdx.z walks batches.
template <class T>
__global__ void int_gemm_kernel(const T* A, const T* B, T* C, GemmCudaDesc d, int64_t batch0) {
  __shared__ T As[16][17];
  __shared__ T Bs[16][17];
  const int tx = threadIdx.x & 15, ty = threadIdx.x >> 4;
  const int64_t bi = batch0 + blockIdx.z;
  const int64_t m = static_cast<int64_t>(blockIdx.y) * 16 + ty;
  const int64_t n = static_cast<int64_t>(blockIdx.x) * 16 + tx;
  const T* a = A + bi * d.bsa;
  const T* b = B + bi * d.bsb;
  T acc = 0;
  for (int64_t k0 = 0; k0 < d.K; k0 += 16) {
    const int64_t ka = k0 + tx, kb = k0 + ty;
    As[ty][tx] = (m < d.M && ka < d.K) ? a[m * d.rsa + ka * d.csa] : T(0);
    Bs[ty][tx] = (kb < d.K && n < d.N) ? b[kb * d.rsb + n * d.csb] : T(0);
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < 16; ++kk) acc += As[ty][kk] * Bs[kk][tx];
    __syncthreads();
  }
  if (m < d.M && n < d.N) C[bi * d.bsc + m * d.rsc + n * d.csc] = acc;
}

template <class T>
void gemm_int(const Array& c, const Array& a, const Array& b, const GemmCudaDesc& d, const char* op) {
  EMBER_CHECK(d.alpha == 1.0 && d.beta == 0.0, Type, "[", op, "] alpha/beta need a floating point operand, got ",
              dtype_name(c.dtype()));
  const int64_t gx = (d.N + 15) / 16, gy = (d.M + 15) / 16;
  EMBER_CHECK(gx <= INT_MAX && gy <= 65535, Value, "[", op, "] integer matmul too large for CUDA: ", d.M, " x ",
              d.N);
  for (int64_t b0 = 0; b0 < d.batch; b0 += 65535) {
    const int64_t nb = d.batch - b0 < 65535 ? d.batch - b0 : 65535;
    dim3 grid(static_cast<unsigned>(gx), static_cast<unsigned>(gy), static_cast<unsigned>(nb));
    int_gemm_kernel<T><<<grid, 256, 0, cuda::current_stream()>>>(a.data<T>(), b.data<T>(), c.data<T>(), d, b0);
    cuda::check_launch(op);
  }
}

// ---------------------------------------------------------------- Hopper wgmma path

// EMBER_CUDA_GEMM (read on every call): "mma" always takes the mma.sync path above;
// "wgmma" takes the wgmma path whenever the call qualifies (layout, alignment, an sm_90
// GPU with the sm_90a kernels in the build) and falls back silently otherwise;
// "wgmma_strict" (tests) does the same but raises when a call does not qualify;
// "auto": wgmma where it qualifies and the mma path would not split K (the wgmma kernel
// has no split-K). Until the wgmma kernel has passed its tests on a GPU, unset means
// "mma": a first-run bug there must not take every float16/bfloat16 matmul down with it.
enum class GemmPath { Auto, Mma, Wgmma, WgmmaStrict };
GemmPath gemm_path() {
  const char* s = std::getenv("EMBER_CUDA_GEMM");
  if (!s || !*s) return GemmPath::Mma;
  if (std::strcmp(s, "auto") == 0) return GemmPath::Auto;
  if (std::strcmp(s, "mma") == 0) return GemmPath::Mma;
  if (std::strcmp(s, "wgmma") == 0) return GemmPath::Wgmma;
  if (std::strcmp(s, "wgmma_strict") == 0) return GemmPath::WgmmaStrict;
  EMBER_CHECK(false, Value, "[matmul] EMBER_CUDA_GEMM must be auto, mma, wgmma or wgmma_strict, got '", s, "'");
  return GemmPath::Auto;
}

// The wgmma kernel through the kernel table (null when gemm_wgmma_cuda.cu is not in this
// build: then every call takes the mma path).
cuda_kernels::gemm_wgmma_fn wgmma_kernel() {
  static const cuda_kernels::gemm_wgmma_fn fn = []() -> cuda_kernels::gemm_wgmma_fn {
    try {
      return reinterpret_cast<cuda_kernels::gemm_wgmma_fn>(cuda::find_kernel("gemm_wgmma", "matmul"));
    } catch (const std::exception&) {
      return nullptr;
    }
  }();
  return fn;
}

// True when the wgmma path ran the call (float16 / bfloat16 only).
bool wgmma_dispatch(const Array& c, const Array& a, const Array& b, const Array* bias, const GemmCudaDesc& d,
                    const char* op) {
  const GemmPath path = gemm_path();
  if (path == GemmPath::Mma) return false;
  if (path == GemmPath::Auto) {
    int64_t kchunk = 0;
    const int64_t tiles = ((d.M + 127) / 128) * ((d.N + 127) / 128) * d.batch;
    if (mma::choose_splits(tiles, d.K, Tile<Half>::BK, kchunk) > 1) return false;
  }
  const char* why = "gemm_wgmma_cuda.cu is not in this build";
  const auto fn = wgmma_kernel();
  if (fn && fn(c, a, b, bias, d, &why)) return true;
  EMBER_CHECK(path != GemmPath::WgmmaStrict, Runtime, "[", op,
              "] EMBER_CUDA_GEMM=wgmma_strict: the wgmma path did not take this call: ", why);
  return false;
}

void gemm_strided_cuda(const Array& c, const Array& a, const Array& b, const Array* bias, const GemmCudaDesc& d) {
  const char* op = "matmul";
  EMBER_CHECK(c.device().is_cuda() && a.device() == c.device() && b.device() == c.device() &&
                  (!bias || bias->device() == c.device()),
              Runtime, "[", op, "] expected all tensors on the same device, got ", a.device().str(), " and ",
              b.device().str());
  EMBER_CHECK(a.dtype() == c.dtype() && b.dtype() == c.dtype() && (!bias || bias->dtype() == c.dtype()), Runtime,
              "[", op, "] expected operands of one dtype");
  cuda::DeviceGuard g(c.device().index, op);
  if (d.M <= 0 || d.N <= 0 || d.batch <= 0) return;
  switch (c.dtype()) {
    case DType::Float16:
      if (!wgmma_dispatch(c, a, b, bias, d, op)) gemm_float<Half, Kind::Tc16>(c, a, b, bias, d, op);
      break;
    case DType::BFloat16:
      if (!wgmma_dispatch(c, a, b, bias, d, op)) gemm_float<BFloat16, Kind::Tc16>(c, a, b, bias, d, op);
      break;
    case DType::Float32:
      if (d.allow_tf32)
        gemm_float<float, Kind::Tf32>(c, a, b, bias, d, op);
      else
        gemm_float<float, Kind::Simt>(c, a, b, bias, d, op);
      break;
    case DType::Float64: gemm_float<double, Kind::Simt>(c, a, b, bias, d, op); break;
    case DType::Int32: gemm_int<int32_t>(c, a, b, d, op); break;
    case DType::Int64: gemm_int<int64_t>(c, a, b, d, op); break;
    case DType::UInt8: gemm_int<uint8_t>(c, a, b, d, op); break;
    default:
      EMBER_CHECK(false, Type, "[", op, "] dtype ", dtype_name(c.dtype()), " is not supported on CUDA");
  }
}

}  // namespace
}  // namespace ember

namespace ember {
EMBER_CUDA_REGISTER(gemm_strided, gemm_strided_cuda);
}
