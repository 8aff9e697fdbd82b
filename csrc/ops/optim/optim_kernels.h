// optim_kernels.h — internals shared by optim.cpp (checks) and the CPU kernels:
// the checked, flattened view of one group's tensor lists, the multi-tensor loop
// that spreads (tensor, range) pieces over the thread pool, the per-ISA kernel
// table, and torch's rounding helpers (fmadd, lerp).
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "core/array.h"
#include "core/checked.h"
#include "core/parallel.h"

namespace ember {
namespace optim_detail {

// Raw pointers of one group, tensor i of every list at index i. buf[k][i] is the
// k-th state buffer of tensor i (same dtype and numel as the param).
struct Lists {
  std::vector<int64_t> numel;
  std::vector<DType> dtype;
  std::vector<void*> p;
  std::vector<const void*> g;
  std::vector<std::vector<void*>> buf;
  size_t size() const { return p.size(); }

  // Tensor t's data as the element type the typed loop runs in.
  template <class T>
  T* param(int64_t t) const { return static_cast<T*>(p[t]); }
  template <class T>
  const T* grad(int64_t t) const { return static_cast<const T*>(g[t]); }
  template <class T>
  T* state(size_t k, int64_t t) const { return static_cast<T*>(buf[k][t]); }
};

// The tensors of a group are laid end to end in one index space of total elements;
// parallel_for splits that space into one contiguous range per thread, so a mix of
// tiny and huge tensors balances by elements, not by tensor. Each thread walks its
// range tensor by tensor: a tensor cut by a range boundary is shared by two threads.
// Work items of kChunk elements are the unit parallel_for splits. Below
// kSerialElems elements in all the step runs on the calling thread (waking the pool
// costs more than it saves).
constexpr int64_t kChunk = 1 << 14;
constexpr int64_t kSerialElems = 1 << 16;

// Calls fn(t, begin, end) on pieces covering every tensor once, across the pool.
template <class F>
void for_each_chunk(const Lists& L, const F& fn) {
  const size_t n = L.size();
  std::vector<int64_t> off(n + 1, 0);
  for (size_t t = 0; t < n; ++t) off[t + 1] = checked_add(off[t], L.numel[t], "optim");
  const int64_t total = off[n];
  auto walk = [&](int64_t gb, int64_t ge) {
    size_t t = std::upper_bound(off.begin(), off.end(), gb) - off.begin() - 1;
    for (; gb < ge && t < n; ++t) {
      const int64_t b = gb - off[t], e = std::min(off[t + 1], ge) - off[t];
      if (e > b) fn(static_cast<int64_t>(t), b, e);
      gb = off[t] + e;
    }
  };
  if (total <= kSerialElems) {
    walk(0, total);
    return;
  }
  const int64_t items = (total + kChunk - 1) / kChunk;
  parallel_for(0, items, 1, [&](int64_t lo, int64_t hi) { walk(lo * kChunk, std::min(total, hi * kChunk)); });
}

// Runs body.template run<T>(t, b, e) with T = the tensor's dtype (float or double).
template <class Body>
void for_each_chunk_typed(const Lists& L, const Body& body) {
  for_each_chunk(L, [&](int64_t t, int64_t b, int64_t e) {
    if (L.dtype[t] == DType::Float32) body.template run<float>(t, b, e);
    else body.template run<double>(t, b, e);
  });
}

// Value of a 0-d float32/float64 state tensor, as torch's .item() gives it.
double read_scalar(const Array& a);
void write_scalar(const Array& a, double v);
// step += 1 in the tensor's own dtype (torch's step_t += 1); returns the new value.
double increment_step(const Array& a);

// a * b + c rounded once where the build has FMA, as ATen's vec::fmadd (torch's CPU
// add(alpha=), addcmul and lerp kernels use it); a * b + c otherwise.
template <class T>
static inline T fmadd(T a, T b, T c) {
#ifdef __FMA__
  return std::fma(a, b, c);
#else
  return a * b + c;
#endif
}

// torch's CPU lerp (ATen/native/Lerp.h, vectorised form), exact at both ends; SMALL
// is |w| < 0.5, fixed per call so the loop has no branch (see lerp_small).
template <bool SMALL, class T>
static inline T lerp(T self, T end, T w) {
  if constexpr (SMALL) return fmadd(w, end - self, self);
  else return fmadd(w - T(1), end - self, end);
}
template <class T>
static inline bool lerp_small(T w) {
  return w < T(0.5) && w > T(-0.5);
}

// f(std::true_type{}) or f(std::false_type{}): turns a hyper-parameter switch into a
// compile-time one, so each loop is branch-free (GCC will not vectorise a loop with a
// conditional fma or a conditional store next to a sqrt).
template <class F>
static inline void with_flag(bool b, const F& f) {
  if (b) f(std::true_type{});
  else f(std::false_type{});
}

// Selects the weight-decay form at compile time: f(L2, DEC) with L2 = coupled decay
// (grad += wd * param), DEC = decoupled decay (param *= 1 - lr * wd), at most one true.
template <class F>
static inline void with_decay(double wd, bool decoupled, const F& f) {
  with_flag(wd != 0 && !decoupled, [&](auto L2) { with_flag(wd != 0 && decoupled, [&](auto DEC) { f(L2, DEC); }); });
}

// The per-element start every step but Lion's and Rprop's shares, in torch's order:
// g = -grad when maximizing, then decoupled decay of the param, then L2 decay of g.
template <class T>
struct GradPrep {
  T sgn, twd, decay;
  GradPrep(bool maximize, double wd, double lr = 0)
      : sgn(maximize ? T(-1) : T(1)), twd(T(wd)), decay(T(1 - lr * wd)) {}
};
// Returns the prepared gradient; pj (the param's value) takes the decoupled decay. L2
// and DEC are with_flag / with_decay tags (a captured flag is no constant expression).
template <class T, class L2, class DEC = std::false_type>
static inline T prep_grad(const GradPrep<T>& c, T grad, T& pj, L2, DEC = {}) {
  T gj = c.sgn * grad;
  if constexpr (DEC::value) pj = pj * c.decay;        // param.mul_(1 - lr * wd)
  if constexpr (L2::value) gj = fmadd(c.twd, pj, gj);  // grad.add(param, alpha=wd)
  return gj;
}

// The kernels, one table per ISA build (optim_cpu.cpp: baseline, optim_avx2.cpp,
// optim_avx512.cpp compile the same optim_*_impl.h). Per-tensor scalars that depend
// on the step arrive precomputed in double, one per tensor.
struct Kernels {
  void (*sgd)(const Lists& L, const std::vector<bool>& fresh, double lr, double momentum, double dampening,
              double weight_decay, bool nesterov, bool maximize);
  void (*adam)(const Lists& L, const std::vector<double>& step_size, const std::vector<double>& bc2_sqrt,
               double lr, double beta1, double beta2, double eps, double weight_decay, bool amsgrad, bool maximize,
               bool decoupled);
  void (*adamax)(const Lists& L, const std::vector<double>& clr, double beta1, double beta2, double eps,
                 double weight_decay, bool maximize);
  // c1, c2: the two addcdiv coefficients of each tensor.
  void (*nadam)(const Lists& L, const std::vector<double>& bc2, const std::vector<double>& c1,
                const std::vector<double>& c2, double lr, double beta1, double beta2, double eps,
                double weight_decay, bool decoupled, bool maximize);
  // rect < 0 marks a tensor whose step is not rectified (rho_t <= 5).
  void (*radam)(const Lists& L, const std::vector<double>& bc1, const std::vector<double>& bc2,
                const std::vector<double>& rect, double lr, double beta1, double beta2, double eps,
                double weight_decay, bool decoupled, bool maximize);
  void (*lion)(const Lists& L, double lr, double beta1, double beta2, double weight_decay, bool maximize);
  void (*rmsprop)(const Lists& L, double lr, double alpha, double eps, double weight_decay, double momentum,
                  bool centered, bool maximize);
  void (*adagrad)(const Lists& L, const std::vector<double>& clr, double weight_decay, double eps, bool maximize);
  void (*adadelta)(const Lists& L, double lr, double rho, double eps, double weight_decay, bool maximize);
  // eta, mu: each tensor's values before this step's update of them.
  void (*asgd)(const Lists& L, const std::vector<double>& eta, const std::vector<double>& mu, double lambd,
               double weight_decay, bool maximize);
  void (*rprop)(const Lists& L, double etaminus, double etaplus, double step_size_min, double step_size_max,
                bool maximize);
};
const Kernels& kernels_scalar();
const Kernels& kernels_avx2();
const Kernels& kernels_avx512();
// The build for the SIMD level in use (simd_level()).
const Kernels& kernels();

}  // namespace optim_detail
}  // namespace ember
