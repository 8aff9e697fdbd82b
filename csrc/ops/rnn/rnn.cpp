// rnn.cpp — argument checks, output/workspace allocation and dtype dispatch of the
// fused recurrent layers (time loops in rnn_cpu.cpp, pointwise passes in
// rnn_pointwise.h). Inputs are made contiguous (no-ops in the usual case).
//
// CUDA tensors run the same checks and allocation, then the same time loop on the
// host (layer_forward_cuda / layer_backward_cuda below): every GEMM through mm_out
// (the CUDA GEMM of ops/linalg), the pointwise step, bias rows, bias gradients and
// one add through the kernels of rnn_cuda.h, all queued on the current stream (no
// synchronisation inside the loop).
#include "rnn.h"

#include "core/checked.h"
#include "core/lowp_compute.h"
#include "ops/linalg/matmul.h"
#include "rnn_cuda.h"

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

// A defined float32/float64 array of `ndim` dims and dtype `dt` (when given); on the
// CPU float16/bfloat16 too (run in float32 through core/lowp_compute.h).
void check_arr(const Array& a, const char* op, const char* what, int64_t ndim, const DType* dt) {
  EMBER_CHECK(a.defined(), Value, "[", op, "] ", what, " is undefined");
  EMBER_CHECK(a.dtype() == DType::Float32 || a.dtype() == DType::Float64 || lowp::on_cpu(a), Type, "[", op,
              "] expected a float32 or float64 (or on the CPU float16 / bfloat16) ", what, ", got ",
              dtype_name(a.dtype()), " on ", a.device().str());
  if (dt)
    EMBER_CHECK(a.dtype() == *dt, Type, "[", op, "] expected ", what, " of dtype ", dtype_name(*dt), " like the input, got ",
                dtype_name(a.dtype()));
  EMBER_CHECK(a.ndim() == ndim, Value, "[", op, "] expected ", what, " of ", ndim, " dims, got shape ",
              shape_str(a.shape()));
}

void check_dev(const Array& a, Device dev, const char* op) {
  EMBER_CHECK(a.device() == dev, Runtime, "[", op, "] expected all tensors on the same device, got ", dev.str(),
              " and ", a.device().str());
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
  const Device dev = x.device();
  for (const Array* a : {&w_ih, &w_hh, b_ih ? &*b_ih : nullptr, b_hh ? &*b_hh : nullptr, w_hr ? &*w_hr : nullptr})
    if (a && a->defined()) check_dev(*a, dev, op);
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

// ---------------------------------------------------------------- CUDA time loops
// The CPU loops of rnn_cpu.cpp step for step, on device Arrays: GEMMs by mm_out on
// views (rows of a step are a narrow() of the (N, .) buffers, W^T a transpose()
// view), the rest by the rnn_cuda.h kernels.

// out = a @ b + beta * out; skips empty products (K == 0 leaves beta * out).
void mm(const Array& out, const Array& a, const Array& b, double beta) {
  if (out.numel() == 0) return;
  if (a.shape()[1] == 0) {
    if (beta == 0.0) out.zero_();
    return;
  }
  mm_out(out, a, b, 1.0, beta);
}

Array rows_of(const Array& a, int64_t start, int64_t n) { return a.narrow(0, start, n); }

rnn_cuda::CellArgs cell_args(const Dims& d, DType dt, Device dev, int64_t n) {
  rnn_cuda::CellArgs c;
  c.mode = static_cast<int>(d.mode);
  c.dtype = dt;
  c.device = dev.index;
  c.n = n;
  c.H = d.H;
  return c;
}

void layer_forward_cuda(const Dims& d, const std::vector<int64_t>& bs, bool reverse, const Array& x, const Array& h0,
                        const OptArray& c0, const Array& w_ih, const Array& w_hh, const OptArray& b_ih,
                        const OptArray& b_hh, const OptArray& w_hr, const Array& y, const Array& hn,
                        const OptArray& cn, std::vector<Array>& ws, const char* op) {
  const DType dt = x.dtype();
  const Device dev = x.device();
  const bool lstm = d.mode == RnnMode::Lstm, gru = d.mode == RnnMode::Gru;
  const bool proj = lstm && w_hr.has_value();
  const int64_t GH = d.G * d.H, T_ = static_cast<int64_t>(bs.size());
  const Array& G = ws[0];
  const Array& Hp = ws[1];
  // 1. G = X W_ih^T + b_ih (+ b_hh, except for GRU)
  cuda_kernels::rnn_bias_rows(op)(G, b_ih ? &*b_ih : nullptr, b_hh ? &*b_hh : nullptr, !gru);
  mm(G, x, w_ih.transpose(0, 1), 1.0);
  // running state
  Array hbuf = h0.clone();
  Array cbuf = lstm ? c0->clone() : Array();
  Array gh = gru ? Array::empty({d.B, GH}, dt, dev) : Array();
  const Array whhT = w_hh.transpose(0, 1);
  int64_t o = 0;
  std::vector<int64_t> off(bs.size());
  for (size_t t = 0; t < bs.size(); ++t) {
    off[t] = o;
    o += bs[t];
  }
  for (int64_t s = 0; s < T_; ++s) {
    const int64_t t = reverse ? T_ - 1 - s : s;
    const int64_t n = bs[t], ot = off[t];
    Array hp = rows_of(Hp, ot, n);
    hp.copy_(rows_of(hbuf, 0, n));
    Array g = rows_of(G, ot, n);
    Array yt = rows_of(y, ot, n);
    rnn_cuda::CellArgs c = cell_args(d, dt, dev, n);
    c.g = g.data_ptr();
    switch (d.mode) {
      case RnnMode::Tanh:
      case RnnMode::Relu:
        mm(g, hp, whhT, 1.0);
        c.y = yt.data_ptr();
        c.hbuf = hbuf.data_ptr();
        cuda_kernels::rnn_cell_forward(op)(c);
        break;
      case RnnMode::Lstm: {
        mm(g, hp, whhT, 1.0);
        Array r = proj ? rows_of(ws[4], ot, n) : yt;
        c.cbuf = cbuf.data_ptr();
        c.cprev = rows_of(ws[2], ot, n).data_ptr();
        c.c = rows_of(ws[3], ot, n).data_ptr();
        c.r = r.data_ptr();
        c.hbuf = proj ? nullptr : hbuf.data_ptr();
        cuda_kernels::rnn_cell_forward(op)(c);
        if (proj) {
          mm(yt, r, w_hr->transpose(0, 1), 0.0);
          rows_of(hbuf, 0, n).copy_(yt);
        }
        break;
      }
      case RnnMode::Gru: {
        Array ghs = rows_of(gh, 0, n);
        mm(ghs, hp, whhT, 0.0);
        c.gh = ghs.data_ptr();
        c.bhh = b_hh ? b_hh->data_ptr() : nullptr;
        c.hprev = hp.data_ptr();
        c.ghn = rows_of(ws[2], ot, n).data_ptr();
        c.y = yt.data_ptr();
        c.hbuf = hbuf.data_ptr();
        cuda_kernels::rnn_cell_forward(op)(c);
        break;
      }
    }
  }
  hn.copy_(hbuf);
  if (lstm) cn->copy_(cbuf);
}

void layer_backward_cuda(const Dims& d, const std::vector<int64_t>& bs, bool reverse, const Array& dy,
                         const Array& dhn, const OptArray& dcn, const Array& x, const Array& w_ih, const Array& w_hh,
                         const OptArray& w_hr, const std::vector<Array>& ws, const OptArray& dx, const Array& dh0,
                         const OptArray& dc0, const Array& dw_ih, const Array& dw_hh, const OptArray& db_ih,
                         const OptArray& db_hh, const OptArray& dw_hr, const char* op) {
  const DType dt = x.dtype();
  const Device dev = x.device();
  const bool lstm = d.mode == RnnMode::Lstm, gru = d.mode == RnnMode::Gru;
  const bool proj = lstm && w_hr.has_value();
  const int64_t GH = d.G * d.H, T_ = static_cast<int64_t>(bs.size());
  const Array& G = ws[0];
  const Array& Hp = ws[1];
  Array dGi = Array::empty({d.N, GH}, dt, dev);
  Array dGh = gru ? Array::empty({d.N, GH}, dt, dev) : Array();
  Array dhbuf = dhn.clone();
  Array dcbuf = lstm ? dcn->clone() : Array();
  Array dH = proj ? Array::empty({d.N, d.Hout}, dt, dev) : Array();
  Array dr = proj ? Array::empty({d.B, d.H}, dt, dev) : Array();
  std::vector<int64_t> off(bs.size());
  int64_t o = 0;
  for (size_t t = 0; t < bs.size(); ++t) {
    off[t] = o;
    o += bs[t];
  }
  for (int64_t s = 0; s < T_; ++s) {
    const int64_t t = reverse ? s : T_ - 1 - s;
    const int64_t n = bs[t], ot = off[t];
    Array g = rows_of(G, ot, n);
    Array dyt = rows_of(dy, ot, n);
    Array dg = rows_of(dGi, ot, n);
    Array dhs = rows_of(dhbuf, 0, n);
    rnn_cuda::CellArgs c = cell_args(d, dt, dev, n);
    c.g = g.data_ptr();
    c.dg = dg.data_ptr();
    switch (d.mode) {
      case RnnMode::Tanh:
      case RnnMode::Relu:
        c.dy = dyt.data_ptr();
        c.dhbuf = dhbuf.data_ptr();
        cuda_kernels::rnn_cell_backward(op)(c);
        mm(dhs, dg, w_hh, 0.0);
        break;
      case RnnMode::Lstm: {
        c.cprev = rows_of(ws[2], ot, n).data_ptr();
        c.c = rows_of(ws[3], ot, n).data_ptr();
        if (proj) {
          Array dht = rows_of(dH, ot, n);
          cuda_kernels::rnn_add(op)(dht, dyt, dhs);
          Array drs = rows_of(dr, 0, n);
          mm(drs, dht, *w_hr, 0.0);
          c.dr_a = drs.data_ptr();
          c.dr_b = nullptr;
        } else {
          c.dr_a = dyt.data_ptr();
          c.dr_b = dhbuf.data_ptr();
        }
        c.dcbuf = dcbuf.data_ptr();
        cuda_kernels::rnn_cell_backward(op)(c);
        mm(dhs, dg, w_hh, 0.0);
        break;
      }
      case RnnMode::Gru: {
        Array dgh = rows_of(dGh, ot, n);
        c.ghn = rows_of(ws[2], ot, n).data_ptr();
        c.hprev = rows_of(Hp, ot, n).data_ptr();
        c.dy = dyt.data_ptr();
        c.dhbuf = dhbuf.data_ptr();
        c.dgh = dgh.data_ptr();
        cuda_kernels::rnn_cell_backward(op)(c);
        mm(dhs, dgh, w_hh, 1.0);
        break;
      }
    }
  }
  dh0.copy_(dhbuf);
  if (dc0 && lstm) dc0->copy_(dcbuf);
  const Array& dGx = dGi;
  const Array& dGr = gru ? dGh : dGi;
  if (dx) mm(*dx, dGx, w_ih, 0.0);
  mm(dw_ih, dGx.transpose(0, 1), x, 0.0);
  mm(dw_hh, dGr.transpose(0, 1), Hp, 0.0);
  if (db_ih) cuda_kernels::rnn_column_sum(op)(*db_ih, dGx);
  if (db_hh) cuda_kernels::rnn_column_sum(op)(*db_hh, dGr);
  if (proj && dw_hr) mm(*dw_hr, dH.transpose(0, 1), ws[4], 0.0);
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
  check_dev(h0_, x_.device(), op);
  check_shape(h0_, {d.B, d.Hout}, op, "hidden state h0");
  const bool lstm = d.mode == RnnMode::Lstm;
  if (lstm) {
    EMBER_CHECK(c0_.has_value(), Value, "[", op, "] expected a cell state c0");
    check_arr(*c0_, op, "cx", 2, &dt);
    check_dev(*c0_, x_.device(), op);
    check_shape(*c0_, {d.B, d.H}, op, "cell state c0");
  }
  // float16 / bfloat16 (all arrays share x's dtype, checked above): the float32 loops,
  // outputs and saved activations rounded back to x's dtype.
  if (lowp::on_cpu(x_))
    return lowp::in_float32(dt, rnn_layer_forward, mode, x_, h0_, c0_, w_ih_, w_hh_, b_ih_, b_hh_, w_hr_, bs,
                            reverse);
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
  if (dev.is_cuda()) {
    layer_forward_cuda(d, bs, reverse, x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, y, hn, cn, ws, op);
    return {y, hn, cn, ws};
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
  check_dev(dy_, x_.device(), op);
  check_shape(dy_, {d.N, d.Hout}, op, "grad of output");
  check_arr(dhn_, op, "grad of h_n", 2, &dt);
  check_dev(dhn_, x_.device(), op);
  check_shape(dhn_, {d.B, d.Hout}, op, "grad of h_n");
  if (lstm) {
    EMBER_CHECK(dcn_.has_value(), Value, "[", op, "] expected the grad of c_n");
    check_arr(*dcn_, op, "grad of c_n", 2, &dt);
    check_dev(*dcn_, x_.device(), op);
    check_shape(*dcn_, {d.B, d.H}, op, "grad of c_n");
  }
  const std::vector<Shape> wss = ws_shapes(d, w_hr_.has_value());
  EMBER_CHECK(saved.size() == wss.size(), Value, "[", op, "] expected ", wss.size(), " saved activations, got ",
              saved.size());
  std::vector<Array> ws;
  for (size_t i = 0; i < saved.size(); ++i) {
    check_arr(saved[i], op, "saved activation", 2, &dt);
    check_dev(saved[i], x_.device(), op);
    check_shape(saved[i], wss[i], op, "saved activation");
    ws.push_back(saved[i].contiguous());
  }
  if (lowp::on_cpu(x_))
    return lowp::in_float32(dt, rnn_layer_backward, mode, dy_, dhn_, dcn_, x_, w_ih_, w_hh_, has_bias, w_hr_, bs,
                            reverse, saved, need_dx);
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
  if (dev.is_cuda()) {
    layer_backward_cuda(d, bs, reverse, dy, dhn, dcn, x, w_ih, w_hh, w_hr, ws, dx, dh0, dc0, dw_ih, dw_hh, db_ih,
                        db_hh, dw_hr, op);
    return {dx, OptArray(dh0), dc0, OptArray(dw_ih), OptArray(dw_hh), db_ih, db_hh, dw_hr};
  }
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
