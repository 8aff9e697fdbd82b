// rnn_cuda.cu — CUDA kernels of the fused recurrent layers (see rnn_cuda.h; the time
// loop and the GEMMs run from rnn.cpp).
//
// Pointwise step kernels: one thread per (row b, unit j) of the step, grid-stride
// over n*H, j fastest so a warp reads 32 consecutive units of each gate block
// (coalesced); the thread reads that unit's G gates and state and writes the new
// activations, state and saved values: the formulas of rnn_pointwise.h (torch's),
// forward and backward (backward from the saved activations, sigmoid' = s(1-s),
// tanh' = 1 - t^2). Bias rows and add: flat grid-stride loops. Column sums (bias
// gradients): blocks of 32 x 8 threads, each block 32 columns; the 8 row phases
// stride down the rows (coalesced across the 32 columns) and meet in shared memory.
// float32 and float64, contiguous rows.
#include <type_traits>

#include "core/cuda_utils.cuh"
#include "rnn_cuda.h"

namespace ember {
namespace rnn_cuda {
namespace {

__device__ __forceinline__ float sig(float v) { return 1.0f / (1.0f + expf(-v)); }
__device__ __forceinline__ double sig(double v) { return 1.0 / (1.0 + exp(-v)); }
__device__ __forceinline__ float th(float v) { return tanhf(v); }
__device__ __forceinline__ double th(double v) { return tanh(v); }

#define RNN_GRID_LOOP(e, n)                                                                   \
  for (int64_t e = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < (n); \
       e += static_cast<int64_t>(gridDim.x) * blockDim.x)

template <class T>
__global__ void rnn_fwd_kernel(T* g, T* y, T* hbuf, bool relu, int64_t total) {
  RNN_GRID_LOOP(e, total) {
    const T x = g[e];
    const T v = relu ? (x > T(0) ? x : T(0)) : th(x);
    g[e] = v;
    y[e] = v;
    hbuf[e] = v;
  }
}

template <class T>
__global__ void rnn_bwd_kernel(const T* h, const T* dy, const T* dhbuf, T* dg, bool relu, int64_t total) {
  RNN_GRID_LOOP(e, total) {
    const T d = dy[e] + dhbuf[e];
    dg[e] = relu ? (h[e] > T(0) ? d : T(0)) : d * (T(1) - h[e] * h[e]);
  }
}

template <class T>
__global__ void lstm_fwd_kernel(T* g, T* cbuf, T* cprev, T* c, T* r, T* hbuf, int64_t H, int64_t total) {
  RNN_GRID_LOOP(e, total) {
    const int64_t b = e / H, j = e - b * H;
    T* gi = g + b * 4 * H;
    const T i = sig(gi[j]), f = sig(gi[H + j]), gv = th(gi[2 * H + j]), o = sig(gi[3 * H + j]);
    const T c0 = cbuf[e];
    const T c1 = f * c0 + i * gv;
    gi[j] = i;
    gi[H + j] = f;
    gi[2 * H + j] = gv;
    gi[3 * H + j] = o;
    cprev[e] = c0;
    c[e] = c1;
    cbuf[e] = c1;
    const T rv = o * th(c1);
    r[e] = rv;
    if (hbuf) hbuf[e] = rv;
  }
}

template <class T>
__global__ void lstm_bwd_kernel(const T* g, const T* cprev, const T* c, const T* dr_a, const T* dr_b, T* dcbuf,
                                T* dg, int64_t H, int64_t total) {
  RNN_GRID_LOOP(e, total) {
    const int64_t b = e / H, j = e - b * H;
    const T* gi = g + b * 4 * H;
    T* di = dg + b * 4 * H;
    const T dr = dr_a[e] + (dr_b ? dr_b[e] : T(0));
    const T i = gi[j], f = gi[H + j], gv = gi[2 * H + j], o = gi[3 * H + j];
    const T tc = th(c[e]);
    const T dct = dcbuf[e] + dr * o * (T(1) - tc * tc);
    di[3 * H + j] = dr * tc * o * (T(1) - o);
    di[j] = dct * gv * i * (T(1) - i);
    di[H + j] = dct * cprev[e] * f * (T(1) - f);
    di[2 * H + j] = dct * i * (T(1) - gv * gv);
    dcbuf[e] = dct * f;
  }
}

template <class T>
__global__ void gru_fwd_kernel(T* gi, const T* gh, const T* bhh, const T* hprev, T* ghn, T* y, T* hbuf, int64_t H,
                               int64_t total) {
  RNN_GRID_LOOP(e, total) {
    const int64_t b = e / H, j = e - b * H;
    T* ir = gi + b * 3 * H;
    const T* hr = gh + b * 3 * H;
    const T br = bhh ? bhh[j] : T(0), bz = bhh ? bhh[H + j] : T(0), bn = bhh ? bhh[2 * H + j] : T(0);
    const T r = sig(ir[j] + hr[j] + br);
    const T z = sig(ir[H + j] + hr[H + j] + bz);
    const T hnv = hr[2 * H + j] + bn;
    const T nv = th(ir[2 * H + j] + r * hnv);
    const T h = (T(1) - z) * nv + z * hprev[e];
    ir[j] = r;
    ir[H + j] = z;
    ir[2 * H + j] = nv;
    ghn[e] = hnv;
    y[e] = h;
    hbuf[e] = h;
  }
}

template <class T>
__global__ void gru_bwd_kernel(const T* g, const T* ghn, const T* hprev, const T* dy, T* dhbuf, T* dgi, T* dgh,
                               int64_t H, int64_t total) {
  RNN_GRID_LOOP(e, total) {
    const int64_t b = e / H, j = e - b * H;
    const T* gr = g + b * 3 * H;
    T* dir = dgi + b * 3 * H;
    T* dhr = dgh + b * 3 * H;
    const T d = dy[e] + dhbuf[e];
    const T r = gr[j], z = gr[H + j], nv = gr[2 * H + j];
    const T dn = d * (T(1) - z) * (T(1) - nv * nv);
    const T dz = d * (hprev[e] - nv) * z * (T(1) - z);
    const T dr = dn * ghn[e] * r * (T(1) - r);
    dir[j] = dr;
    dir[H + j] = dz;
    dir[2 * H + j] = dn;
    dhr[j] = dr;
    dhr[H + j] = dz;
    dhr[2 * H + j] = dn * r;
    dhbuf[e] = d * z;
  }
}

template <class T>
__global__ void bias_rows_kernel(T* G, const T* bih, const T* bhh, int64_t GH, int64_t total) {
  RNN_GRID_LOOP(e, total) {
    const int64_t k = e % GH;
    T v = bih ? bih[k] : T(0);
    if (bhh) v += bhh[k];
    G[e] = v;
  }
}

template <class T>
__global__ void add_kernel(T* out, const T* a, const T* b, int64_t total) {
  RNN_GRID_LOOP(e, total) out[e] = a[e] + b[e];
}

constexpr int kColX = 32, kColY = 8;

template <class T>
__global__ void __launch_bounds__(kColX* kColY) column_sum_kernel(T* out, const T* in, int64_t N, int64_t M) {
  __shared__ T part[kColY][kColX + 1];
  const int64_t col = static_cast<int64_t>(blockIdx.x) * kColX + threadIdx.x;
  T s = T(0);
  if (col < M)
    for (int64_t r = threadIdx.y; r < N; r += kColY) s += in[r * M + col];
  part[threadIdx.y][threadIdx.x] = s;
  __syncthreads();
  if (threadIdx.y == 0 && col < M) {
    T t = T(0);
#pragma unroll
    for (int y = 0; y < kColY; ++y) t += part[y][threadIdx.x];
    out[col] = t;
  }
}

template <class T>
inline T* P(void* p) { return static_cast<T*>(p); }
template <class T>
inline const T* C(const void* p) { return static_cast<const T*>(p); }

void check_dtype(DType d, const char* op) {
  EMBER_CHECK(d == DType::Float32 || d == DType::Float64, Type, "[", op, "] expected float32 or float64, got ",
              dtype_name(d));
}

const char* mode_name(int mode) {
  switch (mode) {
    case 0: return "rnn_tanh";
    case 1: return "rnn_relu";
    case 2: return "lstm";
    case 3: return "gru";
    default: return "rnn";
  }
}

template <class T>
void cell_forward_t(const CellArgs& a, const char* op) {
  const int64_t total = a.n * a.H;
  if (total == 0) return;
  cudaStream_t st = cuda::current_stream();
  const unsigned grid = cuda::grid_for(total);
  switch (a.mode) {
    case 0:
    case 1:
      rnn_fwd_kernel<T><<<grid, cuda::kThreads, 0, st>>>(P<T>(a.g), P<T>(a.y), P<T>(a.hbuf), a.mode == 1, total);
      break;
    case 2:
      lstm_fwd_kernel<T><<<grid, cuda::kThreads, 0, st>>>(P<T>(a.g), P<T>(a.cbuf), P<T>(a.cprev), P<T>(a.c),
                                                          P<T>(a.r), P<T>(a.hbuf), a.H, total);
      break;
    case 3:
      gru_fwd_kernel<T><<<grid, cuda::kThreads, 0, st>>>(P<T>(a.g), C<T>(a.gh), C<T>(a.bhh), C<T>(a.hprev),
                                                         P<T>(a.ghn), P<T>(a.y), P<T>(a.hbuf), a.H, total);
      break;
    default: EMBER_CHECK(false, Value, "[rnn] unknown mode ", a.mode);
  }
  cuda::check_launch(op);
}

template <class T>
void cell_backward_t(const CellArgs& a, const char* op) {
  const int64_t total = a.n * a.H;
  if (total == 0) return;
  cudaStream_t st = cuda::current_stream();
  const unsigned grid = cuda::grid_for(total);
  switch (a.mode) {
    case 0:
    case 1:
      rnn_bwd_kernel<T><<<grid, cuda::kThreads, 0, st>>>(P<T>(a.g), C<T>(a.dy), P<T>(a.dhbuf), P<T>(a.dg),
                                                         a.mode == 1, total);
      break;
    case 2:
      lstm_bwd_kernel<T><<<grid, cuda::kThreads, 0, st>>>(P<T>(a.g), P<T>(a.cprev), P<T>(a.c), C<T>(a.dr_a),
                                                          C<T>(a.dr_b), P<T>(a.dcbuf), P<T>(a.dg), a.H, total);
      break;
    case 3:
      gru_bwd_kernel<T><<<grid, cuda::kThreads, 0, st>>>(P<T>(a.g), P<T>(a.ghn), C<T>(a.hprev), C<T>(a.dy),
                                                         P<T>(a.dhbuf), P<T>(a.dg), P<T>(a.dgh), a.H, total);
      break;
    default: EMBER_CHECK(false, Value, "[rnn] unknown mode ", a.mode);
  }
  cuda::check_launch(op);
}

void cell_forward(const CellArgs& a) {
  const char* op = mode_name(a.mode);
  check_dtype(a.dtype, op);
  cuda::DeviceGuard guard(a.device, op);
  if (a.dtype == DType::Float32) cell_forward_t<float>(a, op);
  else cell_forward_t<double>(a, op);
}

void cell_backward(const CellArgs& a) {
  const char* op = mode_name(a.mode);
  check_dtype(a.dtype, op);
  cuda::DeviceGuard guard(a.device, op);
  if (a.dtype == DType::Float32) cell_backward_t<float>(a, op);
  else cell_backward_t<double>(a, op);
}

void bias_rows(const Array& G, const Array* b_ih, const Array* b_hh, bool add_bhh) {
  const char* op = "rnn";
  check_dtype(G.dtype(), op);
  EMBER_CHECK(G.ndim() == 2 && G.is_contiguous(), Value, "[", op, "] expected a contiguous 2-D gate buffer");
  const int64_t GH = G.shape()[1], total = G.numel();
  for (const Array* b : {b_ih, b_hh})
    EMBER_CHECK(!b || (b->dtype() == G.dtype() && b->numel() == GH && b->is_contiguous() &&
                       b->device() == G.device()),
                Value, "[", op, "] bad bias");
  if (total == 0) return;
  cuda::DeviceGuard guard(G.device().index, op);
  const unsigned grid = cuda::grid_for(total);
  auto run = [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    bias_rows_kernel<T><<<grid, cuda::kThreads, 0, cuda::current_stream()>>>(
        G.data<T>(), b_ih ? b_ih->data<T>() : nullptr, (add_bhh && b_hh) ? b_hh->data<T>() : nullptr, GH, total);
  };
  if (G.dtype() == DType::Float32) run(static_cast<float*>(nullptr));
  else run(static_cast<double*>(nullptr));
  cuda::check_launch(op);
}

void column_sum(const Array& out, const Array& in) {
  const char* op = "rnn";
  check_dtype(in.dtype(), op);
  EMBER_CHECK(in.ndim() == 2 && in.is_contiguous() && out.is_contiguous() && out.numel() == in.shape()[1] &&
                  out.dtype() == in.dtype() && out.device() == in.device(),
              Value, "[", op, "] bad column sum operands");
  const int64_t N = in.shape()[0], M = in.shape()[1];
  if (M == 0) return;
  cuda::DeviceGuard guard(in.device().index, op);
  const int64_t blocks = (M + kColX - 1) / kColX;
  EMBER_CHECK(blocks < (int64_t(1) << 31), Value, "[", op, "] too many columns: ", M);
  auto run = [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    column_sum_kernel<T><<<static_cast<unsigned>(blocks), dim3(kColX, kColY), 0, cuda::current_stream()>>>(
        out.data<T>(), in.data<T>(), N, M);
  };
  if (in.dtype() == DType::Float32) run(static_cast<float*>(nullptr));
  else run(static_cast<double*>(nullptr));
  cuda::check_launch(op);
}

void add(const Array& out, const Array& a, const Array& b) {
  const char* op = "rnn";
  check_dtype(out.dtype(), op);
  EMBER_CHECK(out.is_contiguous() && a.is_contiguous() && b.is_contiguous() && a.numel() == out.numel() &&
                  b.numel() == out.numel() && a.dtype() == out.dtype() && b.dtype() == out.dtype() &&
                  a.device() == out.device() && b.device() == out.device(),
              Value, "[", op, "] bad add operands");
  const int64_t total = out.numel();
  if (total == 0) return;
  cuda::DeviceGuard guard(out.device().index, op);
  const unsigned grid = cuda::grid_for(total);
  auto run = [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    add_kernel<T><<<grid, cuda::kThreads, 0, cuda::current_stream()>>>(out.data<T>(), a.data<T>(), b.data<T>(),
                                                                       total);
  };
  if (out.dtype() == DType::Float32) run(static_cast<float*>(nullptr));
  else run(static_cast<double*>(nullptr));
  cuda::check_launch(op);
}

}  // namespace
}  // namespace rnn_cuda

EMBER_CUDA_REGISTER(rnn_cell_forward, rnn_cuda::cell_forward);
EMBER_CUDA_REGISTER(rnn_cell_backward, rnn_cuda::cell_backward);
EMBER_CUDA_REGISTER(rnn_bias_rows, rnn_cuda::bias_rows);
EMBER_CUDA_REGISTER(rnn_column_sum, rnn_cuda::column_sum);
EMBER_CUDA_REGISTER(rnn_add, rnn_cuda::add);

}  // namespace ember
