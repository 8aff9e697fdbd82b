// rnn.cpp — argument checks, output/workspace allocation and dtype dispatch of the
// fused recurrent layers (time loops in rnn_cpu.cpp, pointwise passes in
// rnn_pointwise.h). Inputs are made contiguous (no-ops in the usual case); CUDA
// tensors get "[op] no CUDA kernel yet".
#include "rnn.h"

#include "core/checked.h"

namespace ember {
namespace {
using namespace rnn_detail;

const char* op_name(int mode) {
  switch (mode) {
    case 0: return "rnn_tanh";
    case 1: return "rnn_relu";
    case 2: return "lstm";
    case 3: return "gru";
    default: return "rnn";
  }
}

int64_t gates(RnnMode m) { return m == RnnMode::Lstm ? 4 : m == RnnMode::Gru ? 3 : 1; }

RnnMode check_mode(int mode) {
  EMBER_CHECK(mode >= 0 && mode <= 3, Value, "[rnn] expected mode 0 (RNN_TANH), 1 (RNN_RELU), 2 (LSTM) or 3 (GRU), got ",
              mode);
  return static_cast<RnnMode>(mode);
}

// A defined CPU float32/float64 array of `ndim` dims and dtype `dt` (when given).
void check_arr(const Array& a, const char* op, const char* what, int64_t ndim, const DType* dt) {
  EMBER_CHECK(a.defined(), Value, "[", op, "] ", what, " is undefined");
  EMBER_CHECK(!a.device().is_cuda(), Runtime, "[", op, "] no CUDA kernel yet (", what, " on ", a.device().str(), ")");
  EMBER_CHECK(a.dtype() == DType::Float32 || a.dtype() == DType::Float64, Type, "[", op,
              "] expected a float32 or float64 ", what, ", got ", dtype_name(a.dtype()));
  if (dt)
    EMBER_CHECK(a.dtype() == *dt, Type, "[", op, "] expected ", what, " of dtype ", dtype_name(*dt), " like the input, got ",
                dtype_name(a.dtype()));
  EMBER_CHECK(a.ndim() == ndim, Value, "[", op, "] expected ", what, " of ", ndim, " dims, got shape ",
              shape_str(a.shape()));
}

void check_shape(const Array& a, const Shape& want, const char* op, const char* what) {
  EMBER_CHECK(a.shape() == want, Value, "[", op, "] expected ", what, " of shape ", shape_str(want), ", got ",
              shape_str(a.shape()));
}

struct Dims {
  RnnMode mode;
  int64_t N, B, I, H, Hout, G;
};

// Checks the input, weights and batch sizes shared by forward and backward.
Dims check_common(int mode, const Array& x, const Array& w_ih, const Array& w_hh, const OptArray& b_ih,
                  const OptArray& b_hh, const OptArray& w_hr, const std::vector<int64_t>& bs, const char* op) {
  Dims d;
  d.mode = check_mode(mode);
  d.G = gates(d.mode);
  check_arr(x, op, "input", 2, nullptr);
  const DType dt = x.dtype();
  check_arr(w_ih, op, "weight_ih", 2, &dt);
  check_arr(w_hh, op, "weight_hh", 2, &dt);
  d.N = x.shape()[0];
  d.I = x.shape()[1];
  EMBER_CHECK(w_ih.shape()[0] % d.G == 0 && w_ih.shape()[0] > 0, Value, "[", op, "] expected weight_ih of ", d.G,
              "*hidden_size rows, got shape ", shape_str(w_ih.shape()));
  d.H = w_ih.shape()[0] / d.G;
  EMBER_CHECK(w_ih.shape()[1] == d.I, Value, "[", op, "] input has ", d.I, " features but weight_ih has shape ",
              shape_str(w_ih.shape()), " (expected input_size ", w_ih.shape()[1], ")");
  d.Hout = d.H;
  if (w_hr) {
    EMBER_CHECK(d.mode == RnnMode::Lstm, Value, "[", op, "] weight_hr (proj_size) is only supported for LSTM");
    check_arr(*w_hr, op, "weight_hr", 2, &dt);
    EMBER_CHECK(w_hr->shape()[1] == d.H && w_hr->shape()[0] > 0 && w_hr->shape()[0] < d.H, Value, "[", op,
                "] expected weight_hr of shape (proj_size, ", d.H, ") with 0 < proj_size < ", d.H, ", got ",
                shape_str(w_hr->shape()));
    d.Hout = w_hr->shape()[0];
  }
  check_shape(w_hh, {d.G * d.H, d.Hout}, op, "weight_hh");
  if (b_ih) {
    check_arr(*b_ih, op, "bias_ih", 1, &dt);
    check_shape(*b_ih, {d.G * d.H}, op, "bias_ih");
  }
  if (b_hh) {
    check_arr(*b_hh, op, "bias_hh", 1, &dt);
    check_shape(*b_hh, {d.G * d.H}, op, "bias_hh");
  }
  EMBER_CHECK(!bs.empty(), Value, "[", op, "] expected at least one time step, got empty batch_sizes");
  int64_t total = 0;
  for (size_t t = 0; t < bs.size(); ++t) {
    EMBER_CHECK(bs[t] > 0, Value, "[", op, "] expected positive batch_sizes, got ", bs[t], " at step ", t);
    EMBER_CHECK(t == 0 || bs[t] <= bs[t - 1], Value, "[", op, "] expected non-increasing batch_sizes, got ", bs[t - 1],
                " then ", bs[t], " at step ", t);
    total = checked_add(total, bs[t], op);
  }
  EMBER_CHECK(total == d.N, Value, "[", op, "] batch_sizes sum to ", total, " but the input has ", d.N, " rows");
  d.B = bs[0];
  return d;
}

template <class T>
const T* opt_ptr(const OptArray& a) {
  return a ? a->data<T>() : nullptr;
}

template <class T>
LayerArgs<T> layer_args(const Dims& d, const std::vector<int64_t>& bs, bool reverse, const Array& x, const Array& w_ih,
                        const Array& w_hh, const OptArray& b_ih, const OptArray& b_hh, const OptArray& w_hr) {
  return LayerArgs<T>{d.mode, d.N, d.B, d.I, d.H, d.Hout, d.G, &bs, reverse, x.data<T>(), w_ih.data<T>(),
                      w_hh.data<T>(), opt_ptr<T>(b_ih), opt_ptr<T>(b_hh), opt_ptr<T>(w_hr)};
}

OptArray contig(const OptArray& a) { return a ? OptArray(a->contiguous()) : OptArray(); }

// Saved activations: gates (N, G*H), h_{t-1} (N, Hout); LSTM c_{t-1}, c_t (N, H) and
// with a projection r (N, H); GRU gh_n + b_hn (N, H).
std::vector<Shape> ws_shapes(const Dims& d, bool proj) {
  std::vector<Shape> s{{d.N, checked_mul(d.G, d.H, "rnn")}, {d.N, d.Hout}};
  if (d.mode == RnnMode::Lstm) {
    s.push_back({d.N, d.H});
    s.push_back({d.N, d.H});
    if (proj) s.push_back({d.N, d.H});
  } else if (d.mode == RnnMode::Gru) {
    s.push_back({d.N, d.H});
  }
  return s;
}

}  // namespace

std::tuple<Array, Array, OptArray, std::vector<Array>> rnn_layer_forward(
    int mode, const Array& x_, const Array& h0_, const OptArray& c0_, const Array& w_ih_, const Array& w_hh_,
    const OptArray& b_ih_, const OptArray& b_hh_, const OptArray& w_hr_, const std::vector<int64_t>& bs,
    bool reverse) {
  const char* op = op_name(mode);
  const Dims d = check_common(mode, x_, w_ih_, w_hh_, b_ih_, b_hh_, w_hr_, bs, op);
  const DType dt = x_.dtype();
  check_arr(h0_, op, "hx", 2, &dt);
  check_shape(h0_, {d.B, d.Hout}, op, "hidden state h0");
  const bool lstm = d.mode == RnnMode::Lstm;
  if (lstm) {
    EMBER_CHECK(c0_.has_value(), Value, "[", op, "] expected a cell state c0");
    check_arr(*c0_, op, "cx", 2, &dt);
    check_shape(*c0_, {d.B, d.H}, op, "cell state c0");
  }
  Array x = x_.contiguous(), h0 = h0_.contiguous(), w_ih = w_ih_.contiguous(), w_hh = w_hh_.contiguous();
  OptArray c0 = lstm ? contig(c0_) : OptArray(), b_ih = contig(b_ih_), b_hh = contig(b_hh_), w_hr = contig(w_hr_);
  const Device dev = x.device();
  Array y = Array::empty({d.N, d.Hout}, dt, dev);
  Array hn = Array::empty({d.B, d.Hout}, dt, dev);
  OptArray cn = lstm ? OptArray(Array::empty({d.B, d.H}, dt, dev)) : OptArray();
  std::vector<Array> ws;
  for (const Shape& s : ws_shapes(d, w_hr.has_value())) {
    checked_nbytes(s, itemsize(dt), op);
    ws.push_back(Array::empty(s, dt, dev));
  }
  auto run = [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    LayerArgs<T> a = layer_args<T>(d, bs, reverse, x, w_ih, w_hh, b_ih, b_hh, w_hr);
    std::vector<T*> wp;
    for (Array& w : ws) wp.push_back(w.data<T>());
    layer_forward_cpu<T>(a, h0.data<T>(), lstm ? c0->data<T>() : nullptr, y.data<T>(), hn.data<T>(),
                         lstm ? cn->data<T>() : nullptr, wp);
  };
  if (dt == DType::Float32) run(static_cast<float*>(nullptr));
  else run(static_cast<double*>(nullptr));
  return {y, hn, cn, ws};
}

std::vector<OptArray> rnn_layer_backward(int mode, const Array& dy_, const Array& dhn_, const OptArray& dcn_,
                                         const Array& x_, const Array& w_ih_, const Array& w_hh_, bool has_bias,
                                         const OptArray& w_hr_, const std::vector<int64_t>& bs, bool reverse,
                                         const std::vector<Array>& saved, bool need_dx) {
  const char* op = op_name(mode);
  const Dims d = check_common(mode, x_, w_ih_, w_hh_, OptArray(), OptArray(), w_hr_, bs, op);
  const DType dt = x_.dtype();
  const bool lstm = d.mode == RnnMode::Lstm;
  check_arr(dy_, op, "grad of output", 2, &dt);
  check_shape(dy_, {d.N, d.Hout}, op, "grad of output");
  check_arr(dhn_, op, "grad of h_n", 2, &dt);
  check_shape(dhn_, {d.B, d.Hout}, op, "grad of h_n");
  if (lstm) {
    EMBER_CHECK(dcn_.has_value(), Value, "[", op, "] expected the grad of c_n");
    check_arr(*dcn_, op, "grad of c_n", 2, &dt);
    check_shape(*dcn_, {d.B, d.H}, op, "grad of c_n");
  }
  const std::vector<Shape> wss = ws_shapes(d, w_hr_.has_value());
  EMBER_CHECK(saved.size() == wss.size(), Value, "[", op, "] expected ", wss.size(), " saved activations, got ",
              saved.size());
  std::vector<Array> ws;
  for (size_t i = 0; i < saved.size(); ++i) {
    check_arr(saved[i], op, "saved activation", 2, &dt);
    check_shape(saved[i], wss[i], op, "saved activation");
    ws.push_back(saved[i].contiguous());
  }
  Array dy = dy_.contiguous(), dhn = dhn_.contiguous(), x = x_.contiguous(), w_ih = w_ih_.contiguous(),
        w_hh = w_hh_.contiguous();
  OptArray dcn = lstm ? contig(dcn_) : OptArray(), w_hr = contig(w_hr_);
  const Device dev = x.device();
  OptArray dx = need_dx ? OptArray(Array::empty({d.N, d.I}, dt, dev)) : OptArray();
  Array dh0 = Array::empty({d.B, d.Hout}, dt, dev);
  OptArray dc0 = lstm ? OptArray(Array::empty({d.B, d.H}, dt, dev)) : OptArray();
  Array dw_ih = Array::empty(w_ih.shape(), dt, dev), dw_hh = Array::empty(w_hh.shape(), dt, dev);
  OptArray db_ih = has_bias ? OptArray(Array::empty({d.G * d.H}, dt, dev)) : OptArray();
  OptArray db_hh = has_bias ? OptArray(Array::empty({d.G * d.H}, dt, dev)) : OptArray();
  OptArray dw_hr = w_hr ? OptArray(Array::empty(w_hr->shape(), dt, dev)) : OptArray();
  auto run = [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    LayerArgs<T> a = layer_args<T>(d, bs, reverse, x, w_ih, w_hh, OptArray(), OptArray(), w_hr);
    std::vector<const T*> wp;
    for (Array& w : ws) wp.push_back(w.data<T>());
    auto p = [](OptArray& o) { return o ? o->data<T>() : static_cast<T*>(nullptr); };
    layer_backward_cpu<T>(a, dy.data<T>(), dhn.data<T>(), lstm ? dcn->data<T>() : nullptr, wp, p(dx), dh0.data<T>(),
                          p(dc0), dw_ih.data<T>(), dw_hh.data<T>(), p(db_ih), p(db_hh), p(dw_hr));
  };
  if (dt == DType::Float32) run(static_cast<float*>(nullptr));
  else run(static_cast<double*>(nullptr));
  return {dx, OptArray(dh0), dc0, OptArray(dw_ih), OptArray(dw_hh), db_ih, db_hh, dw_hr};
}

}  // namespace ember
