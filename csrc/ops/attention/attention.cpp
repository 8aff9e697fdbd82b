// attention.cpp — argument checks, layout and dispatch of the fused attention
// kernels (attention_kernels.h). Inputs keep their strides on (B, H, L) as long as
// the last dim is unit-stride, so the (N, L, H, E) -> (N, H, L, E) permute of
// multi-head attention needs no copy; outputs and gradients are contiguous.
// float16/bfloat16 are computed in float32 and cast back. CUDA tensors run the
// same checks and layout, then the CUDA kernels (attention_cuda.h) instead of the
// CPU work items.
#include "attention.h"

#include <cmath>

#include "core/checked.h"
#include "core/cpu_features.h"
#include "core/parallel.h"
#include "attention_cuda.h"
#include "ops/random/random.h"

namespace ember {
namespace {
using attention_detail::Kernels;
using attention_detail::Params;

const Kernels& pick() {
  switch (simd_level()) {
    case SimdLevel::AVX512: return attention_detail::kernels_avx512();
    case SimdLevel::AVX2: return attention_detail::kernels_avx2();
    default: return attention_detail::kernels_scalar();
  }
}

void check_device(const Array& a, Device dev, const char* op) {
  EMBER_CHECK(a.device() == dev, Runtime, "[", op, "] expected all tensors on the same device, got ", dev.str(),
              " and ", a.device().str());
}

void check_tensor(const Array& a, const char* op, const char* what) {
  EMBER_CHECK(a.defined(), Value, "[", op, "] ", what, " is undefined");
  EMBER_CHECK(is_floating(a.dtype()), Type, "[", op, "] expected a floating point ", what, ", got ",
              dtype_name(a.dtype()));
  EMBER_CHECK(a.ndim() == 4, Value, "[", op, "] expected ", what, " of 4 dims (B, H, L, E), got shape ",
              shape_str(a.shape()));
}

DType compute_dtype(DType d) { return d == DType::Float64 ? DType::Float64 : DType::Float32; }

// In compute dtype with a unit-stride last dim (a view when already so).
Array prepared(const Array& a, DType cd) {
  Array r = a.to(cd);
  if (r.shape()[3] > 1 && r.strides()[3] != 1) r = r.contiguous();
  return r;
}

struct Geometry {
  int64_t B, Hq, Hk, L, S, E, Ev;
};

Geometry check_qkv(const Array& q, const Array& k, const Array& v, const char* op) {
  check_tensor(q, op, "query");
  check_tensor(k, op, "key");
  check_tensor(v, op, "value");
  check_device(k, q.device(), op);
  check_device(v, q.device(), op);
  EMBER_CHECK(q.dtype() == k.dtype() && q.dtype() == v.dtype(), Runtime, "[", op,
              "] expected query, key and value of one dtype, got ", dtype_name(q.dtype()), ", ",
              dtype_name(k.dtype()), " and ", dtype_name(v.dtype()));
  const Shape &qs = q.shape(), &ks = k.shape(), &vs = v.shape();
  Geometry g{qs[0], qs[1], ks[1], qs[2], ks[2], qs[3], vs[3]};
  EMBER_CHECK(ks[0] == g.B && vs[0] == g.B, Runtime, "[", op, "] expected key and value of batch ", g.B,
              " like the query, got shapes ", shape_str(ks), " and ", shape_str(vs));
  EMBER_CHECK(vs[1] == g.Hk, Runtime, "[", op, "] expected key and value of one head count, got shapes ",
              shape_str(ks), " and ", shape_str(vs));
  EMBER_CHECK(g.Hk > 0 ? g.Hq % g.Hk == 0 : g.Hq == 0, Runtime, "[", op, "] query heads (", g.Hq,
              ") must be a multiple of key/value heads (", g.Hk, ")");
  EMBER_CHECK(ks[3] == g.E, Runtime, "[", op, "] expected key of head dim ", g.E, " like the query, got shape ",
              shape_str(ks));
  EMBER_CHECK(vs[2] == g.S, Runtime, "[", op, "] expected value of sequence length ", g.S,
              " like the key, got shape ", shape_str(vs));
  return g;
}

// Fills the mask fields of p; `m` is converted to compute dtype when additive.
template <class T>
void set_mask(Params<T>& p, Array& m, const Geometry& g, DType cd, Device dev, const char* op) {
  p.mask_kind = 0;
  p.mask_b = nullptr;
  p.mask_f = nullptr;
  p.m_sb = p.m_sh = p.m_sl = p.m_ss = 0;
  if (!m.defined()) return;
  check_device(m, dev, op);
  EMBER_CHECK(m.ndim() == 4, Value, "[", op, "] expected attn_mask of 4 dims, got shape ", shape_str(m.shape()));
  const int64_t want[4] = {g.B, g.Hq, g.L, g.S};
  for (int d = 0; d < 4; ++d)
    EMBER_CHECK(m.shape()[d] == 1 || m.shape()[d] == want[d], Runtime, "[", op, "] attn_mask of shape ",
                shape_str(m.shape()), " does not broadcast to (", g.B, ", ", g.Hq, ", ", g.L, ", ", g.S, ")");
  if (m.dtype() == DType::Bool) {
    p.mask_kind = 1;
    p.mask_b = m.data<uint8_t>();
  } else {
    EMBER_CHECK(is_floating(m.dtype()), Type, "[", op, "] expected a bool or floating point attn_mask, got ",
                dtype_name(m.dtype()));
    m = m.to(cd);
    p.mask_kind = 2;
    p.mask_f = m.data<T>();
  }
  const int64_t st[4] = {m.strides()[0], m.strides()[1], m.strides()[2], m.strides()[3]};
  p.m_sb = m.shape()[0] == 1 ? 0 : st[0];
  p.m_sh = m.shape()[1] == 1 ? 0 : st[1];
  p.m_sl = m.shape()[2] == 1 ? 0 : st[2];
  p.m_ss = m.shape()[3] == 1 ? 0 : st[3];
}

template <class T>
Params<T> make_params(const Array& q, const Array& k, const Array& v, const Geometry& g, bool causal, double scale,
                      double dropout_p) {
  Params<T> p{};
  p.q = q.data<T>();
  p.k = k.data<T>();
  p.v = v.data<T>();
  p.B = g.B, p.Hq = g.Hq, p.Hk = g.Hk, p.L = g.L, p.S = g.S, p.E = g.E, p.Ev = g.Ev;
  p.q_sb = q.strides()[0], p.q_sh = q.strides()[1], p.q_sl = q.strides()[2];
  p.k_sb = k.strides()[0], p.k_sh = k.strides()[1], p.k_sl = k.strides()[2];
  p.v_sb = v.strides()[0], p.v_sh = v.strides()[1], p.v_sl = v.strides()[2];
  p.causal = causal;
  p.scale = static_cast<T>(scale);
  p.dropout_p = dropout_p;
  return p;
}

// The tensor-core forward (attention_fwd_tc_cuda.cu) takes CUDA float16/bfloat16
// q, k, v with E == Ev in {32, 64, 128}, unit-stride last dims, the other strides
// multiples of 8 elements and 16-byte aligned data (its 16-byte tile loads).
bool tensor_core_ok(const Array& q, const Array& k, const Array& v, const Geometry& g) {
  if (!q.device().is_cuda() || (q.dtype() != DType::Float16 && q.dtype() != DType::BFloat16)) return false;
  if (g.E != g.Ev || (g.E != 32 && g.E != 64 && g.E != 128)) return false;
  for (const Array* a : {&q, &k, &v}) {
    if (a->strides()[3] != 1 || reinterpret_cast<uintptr_t>(a->data_ptr()) % 16 != 0) return false;
    for (int d = 0; d < 3; ++d)
      if (a->shape()[d] > 1 && a->strides()[d] % 8 != 0) return false;
  }
  return true;
}

void check_scalars(double scale, double dropout_p, const char* op) {
  EMBER_CHECK(std::isfinite(scale), Value, "[", op, "] expected a finite scale, got ", scale);
  EMBER_CHECK(dropout_p >= 0.0 && dropout_p <= 1.0, Value, "[", op, "] dropout_p must be in [0, 1], got ",
              dropout_p);
}

}  // namespace

SdpaForward sdpa_forward(const Array& q_in, const Array& k_in, const Array& v_in, const Array& mask_in,
                         bool is_causal, double scale, double dropout_p) {
  const char* op = "scaled_dot_product_attention";
  const Geometry g = check_qkv(q_in, k_in, v_in, op);
  check_scalars(scale, dropout_p, op);
  const DType cd = compute_dtype(q_in.dtype());
  // float16/bfloat16 on CUDA read q, k, v as they are (tensor cores) when the layout allows
  const bool tc = tensor_core_ok(q_in, k_in, v_in, g);
  Array q = tc ? q_in : prepared(q_in, cd), k = tc ? k_in : prepared(k_in, cd), v = tc ? v_in : prepared(v_in, cd);
  Array m = mask_in;
  const Shape out_shape{g.B, g.Hq, g.L, g.Ev};
  checked_nbytes(out_shape, itemsize(cd), op);
  SdpaForward r;
  r.out = Array::empty(out_shape, cd, q_in.device());
  r.lse = Array::empty({g.B, g.Hq, g.L}, cd, q_in.device());
  const int64_t total = checked_numel({g.B, g.Hq, g.L, g.S}, op);
  if (dropout_p > 0.0) {
    auto [seed, first] = default_generator()->reserve(static_cast<uint64_t>(total / 4 + 1));
    r.seed = seed;
    r.offset = first;
  }
  if (r.out.numel() == 0 && r.lse.numel() == 0) return r;
  const int64_t nqt = (g.L + attention_detail::kBlockQ - 1) / attention_detail::kBlockQ;
  const int64_t items = checked_mul(checked_mul(g.B, g.Hq, op), nqt, op);
  auto run = [&](auto tag) {
    using T = decltype(tag);
    Params<T> p = make_params<T>(q, k, v, g, is_causal, scale, dropout_p);
    set_mask(p, m, g, cd, q_in.device(), op);
    p.seed = r.seed;
    p.offset = r.offset;
    p.out = r.out.data<T>();
    p.lse = r.lse.data<T>();
    if (q_in.device().is_cuda()) {
      if constexpr (std::is_same_v<T, float>) {
        if (tc) {
          cuda_kernels::attention_fwd_tc(op)(p, q.data_ptr(), k.data_ptr(), v.data_ptr(),
                                             q.dtype() == DType::BFloat16, q_in.device().index);
          return;
        }
      }
      if constexpr (std::is_same_v<T, float>) cuda_kernels::attention_fwd_f32(op)(p, q_in.device().index);
      else cuda_kernels::attention_fwd_f64(op)(p, q_in.device().index);
      return;
    }
    const Kernels& kern = pick();
    auto fn = [&](int64_t b, int64_t e) {
      if constexpr (std::is_same_v<T, float>) kern.fwd_f32(p, b, e);
      else kern.fwd_f64(p, b, e);
    };
    // A work item is a 64-row tile against all keys: one per chunk unless tiny.
    const int64_t grain = std::max<int64_t>(1, 65536 / std::max<int64_t>(1, checked_mul(g.S, g.E + g.Ev, op)));
    parallel_for(0, items, grain, fn);
  };
  if (cd == DType::Float32) run(float{});
  else run(double{});
  if (cd != q_in.dtype()) {
    r.out = r.out.to(q_in.dtype());
  }
  return r;
}

std::tuple<Array, Array, Array, Array> sdpa_backward(const Array& grad_out, const Array& q_in, const Array& k_in,
                                              const Array& v_in, const Array& mask_in, const Array& out_in,
                                              const Array& lse_in, bool is_causal, double scale, double dropout_p,
                                              uint64_t seed, uint64_t offset, bool mask_grad) {
  const char* op = "scaled_dot_product_attention_backward";
  const Geometry g = check_qkv(q_in, k_in, v_in, op);
  check_scalars(scale, dropout_p, op);
  check_tensor(grad_out, op, "grad");
  check_tensor(out_in, op, "output");
  check_device(grad_out, q_in.device(), op);
  check_device(out_in, q_in.device(), op);
  const Shape out_shape{g.B, g.Hq, g.L, g.Ev};
  EMBER_CHECK(grad_out.shape() == out_shape && out_in.shape() == out_shape, Value, "[", op,
              "] expected grad and output of shape ", shape_str(out_shape), ", got ", shape_str(grad_out.shape()),
              " and ", shape_str(out_in.shape()));
  EMBER_CHECK(lse_in.defined() && lse_in.shape() == Shape({g.B, g.Hq, g.L}), Value, "[", op,
              "] expected logsumexp of shape (", g.B, ", ", g.Hq, ", ", g.L, ")");
  check_device(lse_in, q_in.device(), op);
  const DType cd = compute_dtype(q_in.dtype());
  Array q = prepared(q_in, cd), k = prepared(k_in, cd), v = prepared(v_in, cd), m = mask_in;
  Array go = grad_out.to(cd).contiguous(), o = out_in.to(cd).contiguous(), lse = lse_in.to(cd).contiguous();
  Array dq = Array::zeros({g.B, g.Hq, g.L, g.E}, cd, q_in.device());
  Array dk = Array::empty({g.B, g.Hk, g.S, g.E}, cd, q_in.device());
  Array dv = Array::empty({g.B, g.Hk, g.S, g.Ev}, cd, q_in.device());
  Array dmask;
  if (mask_grad) {
    EMBER_CHECK(mask_in.defined() && is_floating(mask_in.dtype()), Value, "[", op,
                "] a mask gradient needs an additive (floating point) mask");
    dmask = Array::zeros({g.B, g.Hq, g.L, g.S}, cd, q_in.device());
  }
  const int64_t items = checked_mul(g.B, g.Hk, op);
  if (items > 0 && (dk.numel() > 0 || dv.numel() > 0 || dq.numel() > 0)) {
    auto run = [&](auto tag) {
      using T = decltype(tag);
      Params<T> p = make_params<T>(q, k, v, g, is_causal, scale, dropout_p);
      set_mask(p, m, g, cd, q_in.device(), op);
      p.seed = seed;
      p.offset = offset;
      p.out = o.data<T>();
      p.lse = lse.data<T>();
      p.dout = go.data<T>();
      p.dq = dq.data<T>();
      p.dk = dk.data<T>();
      p.dv = dv.data<T>();
      p.dmask = dmask.defined() ? dmask.data<T>() : nullptr;
      if (q_in.device().is_cuda()) {
        if constexpr (std::is_same_v<T, float>) cuda_kernels::attention_bwd_f32(op)(p, q_in.device().index);
        else cuda_kernels::attention_bwd_f64(op)(p, q_in.device().index);
        return;
      }
      const Kernels& kern = pick();
      auto fn = [&](int64_t b, int64_t e) {
        if constexpr (std::is_same_v<T, float>) kern.bwd_f32(p, b, e);
        else kern.bwd_f64(p, b, e);
      };
      parallel_for(0, items, 1, fn);
    };
    if (cd == DType::Float32) run(float{});
    else run(double{});
  }
  if (cd != q_in.dtype()) {
    const DType d = q_in.dtype();
    return {dq.to(d), dk.to(d), dv.to(d), dmask.defined() ? dmask.to(d) : dmask};
  }
  return {dq, dk, dv, dmask};
}

}  // namespace ember
