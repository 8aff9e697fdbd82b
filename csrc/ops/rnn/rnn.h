// rnn.h — fused recurrent layers (RNN_TANH, RNN_RELU, LSTM with optional projection,
// GRU) on the CPU, float32/float64: one call runs one layer in one direction over a
// whole (packed) sequence, forward or backward, with the time loop in C++. float16 /
// bfloat16 CPU arrays run the float32 loops, outputs and saved activations rounded
// back once (core/lowp_compute.h).
//
// Sequence layout (the same for padded and packed input): x is (N, I), row-major, the
// rows of time step t are [off_t, off_t + bs_t) where bs = batch_sizes (non-increasing,
// bs_0 = B, sum = N) and off_t = bs_0 + ... + bs_{t-1}: a PackedSequence's data, or a
// padded (T, B, I) tensor seen as (T*B, I) with bs_t = B. Row b of every step belongs
// to sequence b, so sequence b runs while b < bs_t and its final state is its state at
// its own last step. Gate order is PyTorch's: LSTM (i, f, g, o), GRU (r, z, n).
#pragma once
#include <cstdint>
#include <optional>
#include <tuple>
#include <vector>

#include "core/array.h"

namespace ember {

using OptArray = std::optional<Array>;

enum class RnnMode : int { Tanh = 0, Relu = 1, Lstm = 2, Gru = 3 };

// Forward of one layer and direction (reverse: time runs from the last step down).
// Weights as in torch: w_ih (G*H, I), w_hh (G*H, Hout), b_* (G*H,), w_hr (P, H) for an
// LSTM with projection (Hout = P, else Hout = H); h0 (B, Hout), c0 (B, H) for LSTM.
// Returns y (N, Hout), h_n (B, Hout), c_n (B, H; LSTM only) and the activations saved
// for the backward (opaque to callers: pass them back unchanged).
std::tuple<Array, Array, OptArray, std::vector<Array>> rnn_layer_forward(
    int mode, const Array& x, const Array& h0, const OptArray& c0, const Array& w_ih, const Array& w_hh,
    const OptArray& b_ih, const OptArray& b_hh, const OptArray& w_hr, const std::vector<int64_t>& batch_sizes,
    bool reverse);

// Backward of rnn_layer_forward given the gradients of y, h_n and c_n (LSTM). Returns
// {dx (unless need_dx is false), dh0, dc0, dw_ih, dw_hh, db_ih, db_hh, dw_hr}, absent
// entries empty.
std::vector<OptArray> rnn_layer_backward(int mode, const Array& dy, const Array& dhn, const OptArray& dcn,
                                         const Array& x, const Array& w_ih, const Array& w_hh, bool has_bias,
                                         const OptArray& w_hr, const std::vector<int64_t>& batch_sizes,
                                         bool reverse, const std::vector<Array>& saved, bool need_dx);

namespace rnn_detail {
// Pointwise step kernels over the rows [b0, b1) of one time step (rows of width H per
// gate; see rnn_pointwise.h for each formula). Built once per ISA.
template <class T>
struct Pointwise {
  // g: pre-activations in, h out; also written to y and hbuf.
  void (*rnn_fwd)(T* g, T* y, T* hbuf, bool relu, int64_t H, int64_t b0, int64_t b1);
  // dg = (dy + dhbuf) * act'(h), h the saved output.
  void (*rnn_bwd)(const T* h, const T* dy, const T* dhbuf, T* dg, bool relu, int64_t H, int64_t b0, int64_t b1);
  // g (4H wide): pre-activations in, (i, f, g, o) activations out; cbuf: c_{t-1} in, c_t
  // out; cprev/c: saved copies; r = o * tanh(c_t) (y rows, or the projection's input);
  // hbuf (may be null) receives r too.
  void (*lstm_fwd)(T* g, T* cbuf, T* cprev, T* c, T* r, T* hbuf, int64_t H, int64_t b0, int64_t b1);
  // dr = dr_a (+ dr_b when not null) is the gradient of r; dcbuf: dc_t in, dc_{t-1} out.
  void (*lstm_bwd)(const T* g, const T* cprev, const T* c, const T* dr_a, const T* dr_b, T* dcbuf, T* dg,
                   int64_t H, int64_t b0, int64_t b1);
  // gi (3H): x-projection + b_ih in, (r, z, n) out; gh = h_{t-1} W_hh^T; bhh may be null;
  // ghn = gh_n + b_hn saved; h_t to y and hbuf.
  void (*gru_fwd)(T* gi, const T* gh, const T* bhh, const T* hprev, T* ghn, T* y, T* hbuf, int64_t H,
                  int64_t b0, int64_t b1);
  // dh = dy + dhbuf; writes dgi, dgh (3H each) and dhbuf = dh * z (the direct term of dh_{t-1}).
  void (*gru_bwd)(const T* g, const T* ghn, const T* hprev, const T* dy, T* dhbuf, T* dgi, T* dgh, int64_t H,
                  int64_t b0, int64_t b1);
};
struct Kernels {
  Pointwise<float> f32;
  Pointwise<double> f64;
};
const Kernels& kernels_scalar();
const Kernels& kernels_avx2();
const Kernels& kernels_avx512();

// The time loops (rnn_cpu.cpp); arguments already checked, arrays contiguous.
template <class T>
struct LayerArgs {
  RnnMode mode;
  int64_t N, B, I, H, Hout, G;  // G: gates (1, 4 or 3)
  const std::vector<int64_t>* bs;
  bool reverse;
  const T *x, *w_ih, *w_hh, *b_ih, *b_hh, *w_hr;  // biases / w_hr may be null
};
template <class T>
void layer_forward_cpu(const LayerArgs<T>& a, const T* h0, const T* c0, T* y, T* hn, T* cn, std::vector<T*>& ws);
template <class T>
void layer_backward_cpu(const LayerArgs<T>& a, const T* dy, const T* dhn, const T* dcn, const std::vector<const T*>& ws,
                        T* dx, T* dh0, T* dc0, T* dw_ih, T* dw_hh, T* db_ih, T* db_hh, T* dw_hr);
}  // namespace rnn_detail

}  // namespace ember
