// optim_cuda.cu — fused multi-tensor optimizer steps on CUDA (every rule of optim.h).
//
// What: one launch updates many tensors of a parameter group in place (param, its
// state buffers), like PyTorch's multi_tensor_apply. The math per element is the
// CPU kernels' (optim_adam_impl.h, optim_sgd_impl.h) op for op in the param's dtype:
// scalars rounded to T from the same doubles, fma() exactly where the CPU uses
// fmadd (add with alpha, addcmul, lerp) and explicitly rounded mul/add (__fmul_rn...,
// never contracted by nvcc) everywhere else, sqrt and division IEEE-rounded. So CUDA
// and CPU (FMA builds) agree to the last bit or so.
//
// How: the host splits the tensors of one dtype into chunks of kChunk elements and
// packs a table (tensor pointers, sizes, per-tensor scalars, chunk -> tensor) into a
// kernel parameter of < 4 KB (kMaxTensors tensors, kMaxBlocks chunks per launch;
// more launches when a group is larger). One block of 256 threads per chunk; thread
// i handles elements start + i, start + i + 256, ... (coalesced). No device buffer,
// no host sync. Layout: contiguous tensors; float32 and float64 (a mixed group runs
// one launch series per dtype).
#include <cstring>
#include <type_traits>

#include "core/cuda_utils.cuh"
#include "optim_cuda.h"

namespace ember {
namespace optim_cuda {
namespace {

constexpr int kMaxTensors = 24;
constexpr int kMaxBlocks = 320;
constexpr int64_t kChunk = 16384;
constexpr int kBlockThreads = 256;

struct Batch {
  void* p[kMaxTensors];
  const void* g[kMaxTensors];
  void* buf[3][kMaxTensors];
  int64_t numel[kMaxTensors];
  double s[3][kMaxTensors];
  uint8_t flag[kMaxTensors];
  uint8_t tensor_of[kMaxBlocks];
  int32_t chunk_of[kMaxBlocks];
};
static_assert(sizeof(Batch) < 3900, "the batch must fit in a kernel parameter (4 KB with the functor)");

// Never-contracted arithmetic (nvcc would otherwise fuse a*b+c into one fma where
// the CPU rounds twice).
__device__ __forceinline__ float mul(float a, float b) { return __fmul_rn(a, b); }
__device__ __forceinline__ double mul(double a, double b) { return __dmul_rn(a, b); }
__device__ __forceinline__ float add(float a, float b) { return __fadd_rn(a, b); }
__device__ __forceinline__ double add(double a, double b) { return __dadd_rn(a, b); }
__device__ __forceinline__ float sub(float a, float b) { return __fsub_rn(a, b); }
__device__ __forceinline__ double sub(double a, double b) { return __dsub_rn(a, b); }
__device__ __forceinline__ float div(float a, float b) { return __fdiv_rn(a, b); }
__device__ __forceinline__ double div(double a, double b) { return __ddiv_rn(a, b); }
__device__ __forceinline__ float fmadd(float a, float b, float c) { return fmaf(a, b, c); }
__device__ __forceinline__ double fmadd(double a, double b, double c) { return fma(a, b, c); }
__device__ __forceinline__ float dsqrt(float a) { return __fsqrt_rn(a); }
__device__ __forceinline__ double dsqrt(double a) { return __dsqrt_rn(a); }
__device__ __forceinline__ float dabs(float a) { return fabsf(a); }
__device__ __forceinline__ double dabs(double a) { return fabs(a); }

// torch's CPU lerp (see optim_kernels.h); small = |w| < 0.5.
template <class T>
__device__ __forceinline__ T lerp(T self, T end, T w, bool small) {
  return small ? fmadd(w, sub(end, self), self) : fmadd(sub(w, T(1)), sub(end, self), end);
}
template <class T>
bool lerp_small(T w) {
  return w < T(0.5) && w > T(-0.5);
}
// torch.maximum: NaN wins.
template <class T>
__device__ __forceinline__ T nan_max(T a, T b) {
  return (a != a || a > b) ? a : b;
}
template <class T>
__device__ __forceinline__ T sign_of(T x) {
  return x > T(0) ? T(1) : (x < T(0) ? T(-1) : T(0));
}

// One tensor's pointers and scalars as the element functor sees them.
template <class T>
struct Ctx {
  T* p;
  const T* g;
  T* b0;
  T* b1;
  T* b2;
  double s0, s1, s2;
  bool flag;
};

// The start every rule but Lion's and Rprop's shares (optim_kernels.h prep_grad):
// g = -grad when maximizing, decoupled decay of the param, then L2 decay of g.
template <class T>
struct Prep {
  T sgn, twd, decay;
  bool l2, dec;
  Prep() = default;
  Prep(bool maximize, double wd, bool decoupled, double lr)
      : sgn(maximize ? T(-1) : T(1)), twd(T(wd)), decay(T(1 - lr * wd)), l2(wd != 0 && !decoupled),
        dec(wd != 0 && decoupled) {}
  __device__ __forceinline__ T operator()(T grad, T& pj) const {
    T gj = mul(sgn, grad);
    if (dec) pj = mul(pj, decay);
    if (l2) gj = fmadd(twd, pj, gj);
    return gj;
  }
};

// exp_avg.lerp_(grad, 1 - beta1); exp_avg_sq.mul_(beta2).addcmul_(grad, grad, 1 - beta2)
template <class T>
struct Moments {
  T w1, b2, w2;
  bool small;
  Moments() = default;
  Moments(double beta1, double beta2) : w1(T(1 - beta1)), b2(T(beta2)), w2(T(1 - beta2)), small(lerp_small(w1)) {}
  __device__ __forceinline__ void operator()(T gj, T& m, T& v) const {
    m = lerp(m, gj, w1, small);
    v = fmadd(mul(w2, gj), gj, mul(v, b2));
  }
};

template <class T>
struct SgdOp {
  Prep<T> prep;
  T mom, w, neg_lr;
  bool use_mom, nesterov;
  SgdOp(const Hyper& h)
      : prep(h.maximize, h.wd, false, 0.0), mom(T(h.momentum)), w(T(1 - h.dampening)), neg_lr(T(-h.lr)),
        use_mom(h.momentum != 0), nesterov(h.nesterov) {}
  __device__ __forceinline__ void operator()(const Ctx<T>& c, int64_t j) const {
    T pj = c.p[j];
    const T gj = prep(c.g[j], pj);
    T d = gj;
    if (use_mom) {
      const T bj = c.flag ? gj : fmadd(w, gj, mul(c.b0[j], mom));
      c.b0[j] = bj;
      d = nesterov ? fmadd(mom, bj, gj) : bj;
    }
    c.p[j] = fmadd(neg_lr, d, pj);
  }
};

template <class T>
struct AdamOp {
  Prep<T> prep;
  Moments<T> mo;
  T teps;
  bool amsgrad;
  AdamOp(const Hyper& h)
      : prep(h.maximize, h.wd, h.decoupled, h.lr), mo(h.beta1, h.beta2), teps(T(h.eps)), amsgrad(h.amsgrad) {}
  __device__ __forceinline__ void operator()(const Ctx<T>& c, int64_t j) const {
    const T neg_step = T(-c.s0), bc = T(c.s1);
    T pj = c.p[j], mj = c.b0[j], vj = c.b1[j];
    const T gj = prep(c.g[j], pj);
    mo(gj, mj, vj);
    c.b0[j] = mj;
    c.b1[j] = vj;
    T src = vj;
    if (amsgrad) {
      src = nan_max(c.b2[j], vj);
      c.b2[j] = src;
    }
    const T denom = add(div(dsqrt(src), bc), teps);
    c.p[j] = add(pj, div(mul(neg_step, mj), denom));
  }
};

template <class T>
struct AdamaxOp {
  Prep<T> prep;
  T w1, b2, teps;
  bool small;
  AdamaxOp(const Hyper& h)
      : prep(h.maximize, h.wd, false, 0.0), w1(T(1 - h.beta1)), b2(T(h.beta2)), teps(T(h.eps)),
        small(lerp_small(w1)) {}
  __device__ __forceinline__ void operator()(const Ctx<T>& c, int64_t j) const {
    const T neg_clr = T(-c.s0);
    T pj = c.p[j];
    const T gj = prep(c.g[j], pj);
    const T mj = lerp(c.b0[j], gj, w1, small);
    const T uj = nan_max(mul(c.b1[j], b2), add(dabs(gj), teps));
    c.b0[j] = mj;
    c.b1[j] = uj;
    c.p[j] = add(pj, div(mul(neg_clr, mj), uj));
  }
};

template <class T>
struct NAdamOp {
  Prep<T> prep;
  Moments<T> mo;
  T teps;
  NAdamOp(const Hyper& h) : prep(h.maximize, h.wd, h.decoupled, h.lr), mo(h.beta1, h.beta2), teps(T(h.eps)) {}
  __device__ __forceinline__ void operator()(const Ctx<T>& c, int64_t j) const {
    const T tbc2 = T(c.s0), k1 = T(c.s1), k2 = T(c.s2);
    T pj = c.p[j], mj = c.b0[j], vj = c.b1[j];
    const T gj = prep(c.g[j], pj);
    mo(gj, mj, vj);
    c.b0[j] = mj;
    c.b1[j] = vj;
    const T denom = add(dsqrt(div(vj, tbc2)), teps);
    pj = add(pj, div(mul(k1, gj), denom));
    c.p[j] = add(pj, div(mul(k2, mj), denom));
  }
};

template <class T>
struct RAdamOp {
  Prep<T> prep;
  Moments<T> mo;
  T tlr, teps;
  RAdamOp(const Hyper& h)
      : prep(h.maximize, h.wd, h.decoupled, h.lr), mo(h.beta1, h.beta2), tlr(T(h.lr)), teps(T(h.eps)) {}
  __device__ __forceinline__ void operator()(const Ctx<T>& c, int64_t j) const {
    const T tbc1 = T(c.s0), bc2_sqrt = T(c.s1);
    const bool rect = c.s2 >= 0;
    const T trect = T(rect ? c.s2 : 0.0);
    T pj = c.p[j], mj = c.b0[j], vj = c.b1[j];
    const T gj = prep(c.g[j], pj);
    mo(gj, mj, vj);
    c.b0[j] = mj;
    c.b1[j] = vj;
    T upd = mul(div(mj, tbc1), tlr);
    // torch: scalar / tensor is tensor.reciprocal() * scalar.
    if (rect) upd = mul(mul(upd, mul(div(T(1), add(dsqrt(vj), teps)), bc2_sqrt)), trect);
    c.p[j] = sub(pj, upd);
  }
};

template <class T>
struct LionOp {
  T b1, w1, b2, w2, decay, neg_lr, sgn;
  LionOp(const Hyper& h)
      : b1(T(h.beta1)), w1(T(1 - h.beta1)), b2(T(h.beta2)), w2(T(1 - h.beta2)), decay(T(1 - h.lr * h.wd)),
        neg_lr(T(-h.lr)), sgn(h.maximize ? T(-1) : T(1)) {}
  __device__ __forceinline__ void operator()(const Ctx<T>& c, int64_t j) const {
    const T gj = mul(sgn, c.g[j]);
    const T m = c.b0[j];
    const T u = fmadd(w1, gj, mul(m, b1));
    const T s = sign_of(u);
    c.p[j] = fmadd(neg_lr, s, mul(c.p[j], decay));
    c.b0[j] = fmadd(w2, gj, mul(m, b2));
  }
};

template <class T>
struct RmspropOp {
  Prep<T> prep;
  T ta, w, teps, mom, neg_lr;
  bool centered, use_mom, small;
  RmspropOp(const Hyper& h)
      : prep(h.maximize, h.wd, false, 0.0), ta(T(h.alpha)), w(T(1 - h.alpha)), teps(T(h.eps)), mom(T(h.momentum)),
        neg_lr(T(-h.lr)), centered(h.centered), use_mom(h.momentum > 0), small(lerp_small(w)) {}
  __device__ __forceinline__ void operator()(const Ctx<T>& c, int64_t j) const {
    // buffers: b0 square_avg, then grad_avg (centered), then momentum_buffer
    T* ga = c.b1;
    T* buf = centered ? c.b2 : c.b1;
    T pj = c.p[j];
    const T gj = prep(c.g[j], pj);
    const T s = fmadd(mul(w, gj), gj, mul(c.b0[j], ta));
    c.b0[j] = s;
    T avg;
    if (centered) {
      const T a = lerp(ga[j], gj, w, small);
      ga[j] = a;
      avg = dsqrt(fmadd(-a, a, s));
    } else {
      avg = dsqrt(s);
    }
    avg = add(avg, teps);
    if (use_mom) {
      const T bj = add(mul(buf[j], mom), div(gj, avg));
      buf[j] = bj;
      c.p[j] = fmadd(neg_lr, bj, pj);
    } else {
      c.p[j] = add(pj, div(mul(neg_lr, gj), avg));
    }
  }
};

template <class T>
struct AdagradOp {
  Prep<T> prep;
  T teps;
  AdagradOp(const Hyper& h) : prep(h.maximize, h.wd, false, 0.0), teps(T(h.eps)) {}
  __device__ __forceinline__ void operator()(const Ctx<T>& c, int64_t j) const {
    const T neg_clr = T(-c.s0);
    T pj = c.p[j];
    const T gj = prep(c.g[j], pj);
    const T s = fmadd(gj, gj, c.b0[j]);
    c.b0[j] = s;
    c.p[j] = add(pj, div(mul(neg_clr, gj), add(dsqrt(s), teps)));
  }
};

template <class T>
struct AdadeltaOp {
  Prep<T> prep;
  T tr, w, teps, neg_lr;
  AdadeltaOp(const Hyper& h)
      : prep(h.maximize, h.wd, false, 0.0), tr(T(h.alpha)), w(T(1 - h.alpha)), teps(T(h.eps)), neg_lr(T(-h.lr)) {}
  __device__ __forceinline__ void operator()(const Ctx<T>& c, int64_t j) const {
    T pj = c.p[j];
    const T gj = prep(c.g[j], pj);
    const T s = fmadd(mul(w, gj), gj, mul(c.b0[j], tr));
    c.b0[j] = s;
    const T std_ = dsqrt(add(s, teps));
    const T acc = c.b1[j];
    const T delta = mul(div(dsqrt(add(acc, teps)), std_), gj);
    c.b1[j] = fmadd(mul(w, delta), delta, mul(acc, tr));
    c.p[j] = fmadd(neg_lr, delta, pj);
  }
};

template <class T>
struct AsgdOp {
  Prep<T> prep;
  AsgdOp(const Hyper& h) : prep(h.maximize, h.wd, false, 0.0) {}
  __device__ __forceinline__ void operator()(const Ctx<T>& c, int64_t j) const {
    const T decay = T(c.s0), neg_eta = T(c.s1), tmu = T(c.s2);
    T pj = c.p[j];
    const T gj = prep(c.g[j], pj);
    pj = fmadd(neg_eta, gj, mul(pj, decay));  // param.mul_(1 - lambd * eta); param.add_(grad, alpha=-eta)
    c.p[j] = pj;
    const T ax = c.b0[j];
    c.b0[j] = c.s2 != 1.0 ? add(ax, mul(sub(pj, ax), tmu)) : pj;  // ax.add_(param.sub(ax).mul_(mu))
  }
};

template <class T>
struct RpropOp {
  T em, ep, lo, hi, sgn;
  RpropOp(const Hyper& h)
      : em(T(h.etaminus)), ep(T(h.etaplus)), lo(T(h.step_min)), hi(T(h.step_max)), sgn(h.maximize ? T(-1) : T(1)) {}
  __device__ __forceinline__ void operator()(const Ctx<T>& c, int64_t j) const {
    T gj = mul(sgn, c.g[j]);
    const T s = mul(gj, c.b0[j]);
    const T f = s > T(0) ? ep : (s < T(0) ? em : T(1));
    T st = mul(c.b1[j], f);
    st = st < lo ? lo : st;  // clamp_(min, max)
    st = st > hi ? hi : st;
    c.b1[j] = st;
    gj = f == em ? T(0) : gj;
    c.p[j] = sub(c.p[j], mul(sign_of(gj), st));
    c.b0[j] = gj;
  }
};

template <class T, class Op>
__global__ void __launch_bounds__(kBlockThreads) multi_tensor_kernel(Batch b, Op op) {
  const int t = b.tensor_of[blockIdx.x];
  const int64_t n = b.numel[t];
  const int64_t start = static_cast<int64_t>(b.chunk_of[blockIdx.x]) * kChunk;
  const int64_t end = start + kChunk < n ? start + kChunk : n;
  Ctx<T> c;
  c.p = static_cast<T*>(b.p[t]);
  c.g = static_cast<const T*>(b.g[t]);
  c.b0 = static_cast<T*>(b.buf[0][t]);
  c.b1 = static_cast<T*>(b.buf[1][t]);
  c.b2 = static_cast<T*>(b.buf[2][t]);
  c.s0 = b.s[0][t];
  c.s1 = b.s[1][t];
  c.s2 = b.s[2][t];
  c.flag = b.flag[t] != 0;
  for (int64_t j = start + threadIdx.x; j < end; j += kBlockThreads) op(c, j);
}

// Packs the group's tensors of dtype T into batches and launches one block per chunk.
template <class T, class Op>
void run(const Group& G, const Op& op, const char* opname) {
  static_assert(sizeof(Batch) + sizeof(Op) < 4000, "kernel parameters must stay under 4 KB");
  const DType want = std::is_same<T, float>::value ? DType::Float32 : DType::Float64;
  const size_t nbuf = G.buf.size();
  cudaStream_t stream = cuda::current_stream();
  Batch b;
  std::memset(&b, 0, sizeof(b));
  int nt = 0, nblk = 0;
  auto launch = [&] {
    multi_tensor_kernel<T, Op><<<nblk, kBlockThreads, 0, stream>>>(b, op);
    cuda::check_launch(opname);
    nblk = 0;
  };
  for (size_t t = 0; t < G.p.size(); ++t) {
    if (G.dtype[t] != want || G.numel[t] == 0) continue;
    int slot = nt++;
    b.p[slot] = G.p[t];
    b.g[slot] = G.g[t];
    for (int k = 0; k < 3; ++k) {
      b.buf[k][slot] = static_cast<size_t>(k) < nbuf ? G.buf[k][t] : nullptr;
      b.s[k][slot] = G.s[k].empty() ? 0.0 : G.s[k][t];
    }
    b.numel[slot] = G.numel[t];
    b.flag[slot] = G.flag.empty() ? 0 : G.flag[t];
    const int64_t nchunks = (G.numel[t] + kChunk - 1) / kChunk;
    for (int64_t ch = 0; ch < nchunks; ++ch) {
      b.tensor_of[nblk] = static_cast<uint8_t>(slot);
      b.chunk_of[nblk] = static_cast<int32_t>(ch);
      ++nblk;
      const bool last = ch == nchunks - 1;
      if (nblk == kMaxBlocks || (last && nt == kMaxTensors)) {
        launch();
        if (last) {
          nt = 0;
        } else {  // the tensor goes on in the next batch, as slot 0
          b.p[0] = b.p[slot];
          b.g[0] = b.g[slot];
          for (int k = 0; k < 3; ++k) {
            b.buf[k][0] = b.buf[k][slot];
            b.s[k][0] = b.s[k][slot];
          }
          b.numel[0] = b.numel[slot];
          b.flag[0] = b.flag[slot];
          slot = 0;
          nt = 1;
        }
      }
    }
  }
  if (nblk > 0) launch();
}

template <template <class> class Op>
void run_both(const Group& G, const Hyper& h, const char* opname) {
  run<float>(G, Op<float>(h), opname);
  run<double>(G, Op<double>(h), opname);
}

void multi_tensor_step(int algo, const Group& G, const Hyper& h) {
  static const char* const names[kNumAlgos] = {"sgd_step",     "adam_step",    "adamax_step",  "nadam_step",
                                               "radam_step",   "lion_step",    "rmsprop_step", "adagrad_step",
                                               "adadelta_step", "asgd_step",   "rprop_step"};
  EMBER_CHECK(algo >= 0 && algo < kNumAlgos, Value, "[optim] unknown optimizer kernel ", algo);
  const char* opname = names[algo];
  const size_t n = G.p.size();
  EMBER_CHECK(G.g.size() == n && G.numel.size() == n && G.dtype.size() == n && G.buf.size() <= 3, Value, "[",
              opname, "] malformed tensor lists");
  for (const auto& bl : G.buf) EMBER_CHECK(bl.size() == n, Value, "[", opname, "] malformed state lists");
  for (int k = 0; k < 3; ++k)
    EMBER_CHECK(G.s[k].empty() || G.s[k].size() == n, Value, "[", opname, "] malformed per-tensor scalars");
  EMBER_CHECK(G.flag.empty() || G.flag.size() == n, Value, "[", opname, "] malformed flags");
  for (size_t t = 0; t < n; ++t)
    EMBER_CHECK(G.dtype[t] == DType::Float32 || G.dtype[t] == DType::Float64, Type, "[", opname,
                "] expected float32 or float64 tensors, got ", dtype_name(G.dtype[t]));
  if (n == 0) return;
  cuda::DeviceGuard guard(G.device, opname);
  switch (algo) {
    case kSgd: return run_both<SgdOp>(G, h, opname);
    case kAdam: return run_both<AdamOp>(G, h, opname);
    case kAdamax: return run_both<AdamaxOp>(G, h, opname);
    case kNAdam: return run_both<NAdamOp>(G, h, opname);
    case kRAdam: return run_both<RAdamOp>(G, h, opname);
    case kLion: return run_both<LionOp>(G, h, opname);
    case kRmsprop: return run_both<RmspropOp>(G, h, opname);
    case kAdagrad: return run_both<AdagradOp>(G, h, opname);
    case kAdadelta: return run_both<AdadeltaOp>(G, h, opname);
    case kAsgd: return run_both<AsgdOp>(G, h, opname);
    case kRprop: return run_both<RpropOp>(G, h, opname);
    default: return;
  }
}

}  // namespace
}  // namespace optim_cuda

EMBER_CUDA_REGISTER(optim_multi_tensor_step, optim_cuda::multi_tensor_step);

}  // namespace ember
