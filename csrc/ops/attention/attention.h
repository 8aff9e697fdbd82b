// attention.h — fused scaled dot-product attention (flash-attention style), CPU,
// float32/float64 (float16/bfloat16 inputs are computed in float32).
//
// Layout: q (B, Hq, L, E), k (B, Hk, S, E), v (B, Hk, S, Ev); any strides on the
// first three dims, the last dim must be unit-stride (else it is copied). Hq must
// be a multiple of Hk (grouped-query attention: q head h reads kv head h / (Hq/Hk)).
// mask: undefined, or 4-D with each dim 1 or equal to (B, Hq, L, S); bool (true =
// take part) or of q's dtype (added to the scores). is_causal keeps key j for
// query i when j <= i (torch's top-left alignment).
#pragma once
#include <cstdint>
#include <tuple>

#include "core/array.h"

namespace ember {

struct SdpaForward {
  Array out;             // (B, Hq, L, Ev), contiguous
  Array lse;             // (B, Hq, L): log-sum-exp of each score row; +inf for a fully masked row
  uint64_t seed = 0;     // Philox stream of the dropout mask (when dropout_p > 0)
  uint64_t offset = 0;
};

SdpaForward sdpa_forward(const Array& q, const Array& k, const Array& v, const Array& mask, bool is_causal,
                         double scale, double dropout_p);

// Gradients (dq, dk, dv, dmask) of the forward above, recomputing the score blocks
// from lse (FlashAttention-2's backward); the dropout mask is regenerated from
// (seed, offset). dmask, the gradient of an additive mask as a full (B, Hq, L, S)
// array (the caller sums it over broadcast dims), is made only when mask_grad.
std::tuple<Array, Array, Array, Array> sdpa_backward(const Array& grad_out, const Array& q, const Array& k, const Array& v,
                                              const Array& mask, const Array& out, const Array& lse, bool is_causal,
                                              double scale, double dropout_p, uint64_t seed, uint64_t offset,
                                                     bool mask_grad);

namespace attention_detail {
// Query rows x key columns of one score tile: multiples of the GEMM micro-tiles
// (6x16 AVX2, 12x32 AVX-512), small enough that a tile stays in L2.
constexpr int64_t kBlockQ = 192;
constexpr int64_t kBlockK = 256;

// Everything one kernel call needs; strides are in elements.
template <class T>
struct Params {
  const T *q, *k, *v;
  int64_t B, Hq, Hk, L, S, E, Ev;
  int64_t q_sb, q_sh, q_sl, k_sb, k_sh, k_sl, v_sb, v_sh, v_sl;
  int mask_kind;  // 0 none, 1 bool, 2 additive
  const uint8_t* mask_b;
  const T* mask_f;
  int64_t m_sb, m_sh, m_sl, m_ss;  // 0 on broadcast dims
  bool causal;
  T scale;
  double dropout_p;
  uint64_t seed, offset;
  T* out;  // (B, Hq, L, Ev) contiguous
  T* lse;  // (B, Hq, L)
  // backward only
  const T* dout;  // (B, Hq, L, Ev) contiguous
  T *dq, *dk, *dv;  // contiguous (B, Hq, L, E), (B, Hk, S, E), (B, Hk, S, Ev)
  T* dmask;         // (B, Hq, L, S) zero-initialised, or null
};

// Per-ISA kernels. fwd runs work items [b, e) of (B*Hq) x query tiles; bwd runs
// items [b, e) of B*Hk (one item owns a kv head and every q head of its group).
struct Kernels {
  void (*fwd_f32)(const Params<float>& p, int64_t b, int64_t e);
  void (*fwd_f64)(const Params<double>& p, int64_t b, int64_t e);
  void (*bwd_f32)(const Params<float>& p, int64_t b, int64_t e);
  void (*bwd_f64)(const Params<double>& p, int64_t b, int64_t e);
};
const Kernels& kernels_scalar();
const Kernels& kernels_avx2();
const Kernels& kernels_avx512();
}  // namespace attention_detail

}  // namespace ember
