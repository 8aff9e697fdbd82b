// rnn_cuda.h — the CUDA pieces of the fused recurrent layers (rnn_cuda.cu). The
// time loop stays on the host (rnn.cpp, layer_forward_cuda / layer_backward_cuda):
// the GEMMs (input projection for all steps, recurrent projection per step, weight
// gradients) go through mm_out, and these kernels do the rest: one fused pointwise
// pass per time step (the formulas of rnn_pointwise.h, forward and backward), the
// bias rows of the gate buffer, the bias gradients (column sums) and one add.
//
// CellArgs mirrors rnn_detail::Pointwise: raw device pointers to the first row of
// the step (rows [0, n), gates of width H side by side in PyTorch's order), dtype
// float32 or float64. Pointers a mode does not use stay null. Host-only C++ here.
#pragma once
#include <cstdint>

#include "core/array.h"
#include "core/cuda_kernel.h"

namespace ember {
namespace rnn_cuda {

struct CellArgs {
  int mode = 0;  // RnnMode: 0 tanh, 1 relu, 2 LSTM, 3 GRU
  DType dtype = DType::Float32;
  int device = 0;
  int64_t n = 0, H = 0;
  // forward
  void* g = nullptr;         // gate pre-activations in, activations out (n x G*H)
  const void* gh = nullptr;  // GRU: h_{t-1} W_hh^T (n x 3H)
  const void* bhh = nullptr; // GRU: b_hh (3H) or null
  const void* hprev = nullptr;  // GRU: h_{t-1} (n x H)
  void* ghn = nullptr;       // GRU: saved gh_n + b_hn (n x H)
  void* cbuf = nullptr;      // LSTM: c_{t-1} in, c_t out (n x H)
  void* cprev = nullptr;     // LSTM: saved c_{t-1}
  void* c = nullptr;         // LSTM: saved c_t
  void* r = nullptr;         // LSTM: o * tanh(c_t) (y rows or the projection's input)
  void* y = nullptr;         // RNN/GRU: output rows
  void* hbuf = nullptr;      // running h (may be null for LSTM with projection)
  // backward (g, cprev, c, ghn, hprev: the saved activations above, read only)
  const void* dy = nullptr;    // RNN/GRU: grad of the step's outputs
  const void* dr_a = nullptr;  // LSTM: grad of r, first part
  const void* dr_b = nullptr;  // LSTM: second part, or null
  void* dcbuf = nullptr;       // LSTM: dc_t in, dc_{t-1} out
  void* dhbuf = nullptr;       // RNN: dh_t in (read); GRU: dh in, dh * z out
  void* dg = nullptr;          // gate grads (n x G*H); GRU: of the input part
  void* dgh = nullptr;         // GRU: gate grads of the recurrent part (n x 3H)
};

}  // namespace rnn_cuda
}  // namespace ember

EMBER_CUDA_KERNEL(rnn_cell_forward, void, (const ember::rnn_cuda::CellArgs& a));
EMBER_CUDA_KERNEL(rnn_cell_backward, void, (const ember::rnn_cuda::CellArgs& a));
// G (N x GH, contiguous) = b_ih + b_hh per row (b_hh left out when !add_bhh); null
// biases count as zero.
EMBER_CUDA_KERNEL(rnn_bias_rows, void, (const ember::Array& G, const ember::Array* b_ih, const ember::Array* b_hh,
                                        bool add_bhh));
// out (M) = column sums of in (N x M, contiguous).
EMBER_CUDA_KERNEL(rnn_column_sum, void, (const ember::Array& out, const ember::Array& in));
// out = a + b, all contiguous of one shape and dtype.
EMBER_CUDA_KERNEL(rnn_add, void, (const ember::Array& out, const ember::Array& a, const ember::Array& b));
