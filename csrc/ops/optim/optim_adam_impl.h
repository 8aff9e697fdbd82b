// optim_adam_impl.h — fused steps of the Adam family (Adam/AdamW, Adamax, NAdam,
// RAdam) and Lion, compiled once per ISA (optim_isa_build.h, which optim_cpu.cpp,
// optim_avx2.cpp and optim_avx512.cpp include; everything is TU-local).
//
// One pass per element: read param, grad and the moment buffers once, write them
// once (the step is memory-bound, so fusing the ~7 elementwise ops torch runs is the
// whole gain). The float math follows torch's single-tensor code op by op in the
// param's dtype, scalars rounded to it as ATen rounds a Python scalar, and a fused
// multiply-add exactly where ATen's CPU kernels use one (add with alpha, addcmul,
// lerp: fmadd), so with FMA the results match torch's to the last bit or so. The
// ISA build turns off the compiler's own contraction. Layout: contiguous
// tensors; work items (tensor, [b, e)) from for_each_chunk_typed; plain loops that
// -O3 vectorises (-fno-math-errno lets sqrt vectorise).
#pragma once
#include "optim_kernels.h"

namespace ember {
namespace optim_detail {
namespace {

// torch.maximum: NaN wins.
template <class T>
static inline T nan_max(T a, T b) {
  return (a != a || a > b) ? a : b;
}

// exp_avg.lerp_(grad, 1 - beta1); exp_avg_sq.mul_(beta2).addcmul_(grad, grad, 1 - beta2):
// the moment update Adam, NAdam and RAdam share, stored back and returned in mj, vj.
template <class T>
struct Moments {
  T w1, b2, w2;
  Moments(double beta1, double beta2) : w1(T(1 - beta1)), b2(T(beta2)), w2(T(1 - beta2)) {}
  bool small() const { return lerp_small(w1); }
};
template <bool SMALL, class T>
static inline void update_moments(const Moments<T>& c, T gj, T* __restrict m, T* __restrict v, int64_t j, T& mj,
                                  T& vj) {
  mj = lerp<SMALL>(m[j], gj, c.w1);
  vj = fmadd(c.w2 * gj, gj, v[j] * c.b2);
  m[j] = mj;
  v[j] = vj;
}

struct AdamBody {
  const Lists& L;
  const std::vector<double>& step_size;
  const std::vector<double>& bc2_sqrt;
  double lr, beta1, beta2, eps, wd;
  bool amsgrad, maximize, decoupled;

  template <class T>
  void run(int64_t t, int64_t b, int64_t e) const {
    T* p_ = L.param<T>(t);
    const T* g_ = L.grad<T>(t);
    T* m_ = L.state<T>(0, t);
    T* v_ = L.state<T>(1, t);
    T* vmax_ = amsgrad ? L.state<T>(2, t) : nullptr;
    const GradPrep<T> prep(maximize, wd, lr);
    const Moments<T> mom(beta1, beta2);
    const T neg_step = T(-step_size[t]), bc = T(bc2_sqrt[t]), teps = T(eps);
    with_decay(wd, decoupled, [=](auto L2, auto DEC) {
      with_flag(amsgrad, [=](auto AMS) {
        with_flag(mom.small(), [=](auto SMALL) {
          T* __restrict p = p_, * __restrict m = m_, * __restrict v = v_, * __restrict vmax = vmax_;
          const T* __restrict g = g_;
          for (int64_t j = b; j < e; ++j) {
            T pj = p[j], mj, vj;
            const T gj = prep_grad(prep, g[j], pj, L2, DEC);
            update_moments<SMALL>(mom, gj, m, v, j, mj, vj);
            T src = vj;
            if constexpr (AMS) {
              src = nan_max(vmax[j], vj);
              vmax[j] = src;
            }
            const T denom = std::sqrt(src) / bc + teps;
            p[j] = pj + neg_step * mj / denom;  // addcdiv_: self + (value * t1) / t2
          }
        });
      });
    });
  }
};

struct AdamaxBody {
  const Lists& L;
  const std::vector<double>& clr;
  double beta1, beta2, eps, wd;
  bool maximize;

  template <class T>
  void run(int64_t t, int64_t b, int64_t e) const {
    T* __restrict p = L.param<T>(t);
    const T* __restrict g = L.grad<T>(t);
    T* __restrict m = L.state<T>(0, t);
    T* __restrict u = L.state<T>(1, t);
    const GradPrep<T> prep(maximize, wd);
    const T w1 = T(1 - beta1), b2 = T(beta2), teps = T(eps), neg_clr = T(-clr[t]);
    with_flag(wd != 0, [=](auto WD) {
      with_flag(lerp_small(w1), [=](auto SMALL) {
        for (int64_t j = b; j < e; ++j) {
          T pj = p[j];
          const T gj = prep_grad(prep, g[j], pj, WD);
          const T mj = lerp<SMALL>(m[j], gj, w1);
          const T uj = nan_max(u[j] * b2, std::abs(gj) + teps);
          m[j] = mj;
          u[j] = uj;
          p[j] = pj + neg_clr * mj / uj;
        }
      });
    });
  }
};

// The loop NAdam and RAdam share: per element, prepare g (maximize, decoupled or L2
// decay), update and store both moments, then p[j] = fin(pj, gj, mj, vj). fin is a
// lambda of scalars that the compiler inlines: the loop stays one branch-free body.
template <class T, class F>
static inline void moment_loop(const Lists& L, int64_t t, int64_t b, int64_t e, const GradPrep<T>& prep,
                               const Moments<T>& mom, double wd, bool decoupled, const F& fin) {
  T* __restrict p = L.param<T>(t);
  const T* __restrict g = L.grad<T>(t);
  T* __restrict m = L.state<T>(0, t);
  T* __restrict v = L.state<T>(1, t);
  with_decay(wd, decoupled, [=](auto L2, auto DEC) {
    with_flag(mom.small(), [=](auto SMALL) {
      for (int64_t j = b; j < e; ++j) {
        T pj = p[j], mj, vj;
        const T gj = prep_grad(prep, g[j], pj, L2, DEC);
        update_moments<SMALL>(mom, gj, m, v, j, mj, vj);
        p[j] = fin(pj, gj, mj, vj);
      }
    });
  });
}

struct NAdamBody {
  const Lists& L;
  const std::vector<double>&bc2, &c1, &c2;
  double lr, beta1, beta2, eps, wd;
  bool decoupled, maximize;

  template <class T>
  void run(int64_t t, int64_t b, int64_t e) const {
    const T tbc2 = T(bc2[t]), teps = T(eps), k1 = T(c1[t]), k2 = T(c2[t]);
    moment_loop(L, t, b, e, GradPrep<T>(maximize, wd, lr), Moments<T>(beta1, beta2), wd, decoupled,
                [=](T pj, T gj, T mj, T vj) {
                  const T denom = std::sqrt(vj / tbc2) + teps;
                  pj = pj + k1 * gj / denom;
                  return pj + k2 * mj / denom;
                });
  }
};

struct RAdamBody {
  const Lists& L;
  const std::vector<double>&bc1, &bc2, &rect;
  double lr, beta1, beta2, eps, wd;
  bool decoupled, maximize;

  template <class T>
  void run(int64_t t, int64_t b, int64_t e) const {
    const T tbc1 = T(bc1[t]), tlr = T(lr), teps = T(eps);
    const T bc2_sqrt = T(std::pow(bc2[t], 0.5)), trect = T(rect[t] >= 0 ? rect[t] : 0.0);
    with_flag(rect[t] >= 0, [&](auto RECT) {
      moment_loop(L, t, b, e, GradPrep<T>(maximize, wd, lr), Moments<T>(beta1, beta2), wd, decoupled,
                  [=](T pj, T, T mj, T vj) {
                    T upd = mj / tbc1 * tlr;
                    // torch: scalar / tensor is tensor.reciprocal() * scalar.
                    if constexpr (decltype(RECT)::value)
                      upd = upd * ((T(1) / (std::sqrt(vj) + teps)) * bc2_sqrt) * trect;
                    return pj - upd;  // add_(x, alpha=-1): the product -1 * x is exact
                  });
    });
  }
};

// Lion as lucidrains/lion-pytorch writes it in torch ops.
struct LionBody {
  const Lists& L;
  double lr, beta1, beta2, wd;
  bool maximize;

  template <class T>
  void run(int64_t t, int64_t b, int64_t e) const {
    T* __restrict p = L.param<T>(t);
    const T* __restrict g = L.grad<T>(t);
    T* __restrict m = L.state<T>(0, t);
    const T b1 = T(beta1), w1 = T(1 - beta1), b2 = T(beta2), w2 = T(1 - beta2), decay = T(1 - lr * wd),
            neg_lr = T(-lr), sgn = maximize ? T(-1) : T(1);
    for (int64_t j = b; j < e; ++j) {
      const T gj = sgn * g[j];
      const T c = fmadd(w1, gj, m[j] * b1);
      const T s = c > T(0) ? T(1) : (c < T(0) ? T(-1) : T(0));
      p[j] = fmadd(neg_lr, s, p[j] * decay);
      m[j] = fmadd(w2, gj, m[j] * b2);
    }
  }
};

void adam_impl(const Lists& L, const std::vector<double>& step_size, const std::vector<double>& bc2_sqrt, double lr,
               double beta1, double beta2, double eps, double weight_decay, bool amsgrad, bool maximize,
               bool decoupled) {
  for_each_chunk_typed(L, AdamBody{L, step_size, bc2_sqrt, lr, beta1, beta2, eps, weight_decay, amsgrad, maximize,
                                   decoupled});
}

void adamax_impl(const Lists& L, const std::vector<double>& clr, double beta1, double beta2, double eps,
                 double weight_decay, bool maximize) {
  for_each_chunk_typed(L, AdamaxBody{L, clr, beta1, beta2, eps, weight_decay, maximize});
}

void nadam_impl(const Lists& L, const std::vector<double>& bc2, const std::vector<double>& c1,
                const std::vector<double>& c2, double lr, double beta1, double beta2, double eps,
                double weight_decay, bool decoupled, bool maximize) {
  for_each_chunk_typed(L, NAdamBody{L, bc2, c1, c2, lr, beta1, beta2, eps, weight_decay, decoupled, maximize});
}

void radam_impl(const Lists& L, const std::vector<double>& bc1, const std::vector<double>& bc2,
                const std::vector<double>& rect, double lr, double beta1, double beta2, double eps,
                double weight_decay, bool decoupled, bool maximize) {
  for_each_chunk_typed(L, RAdamBody{L, bc1, bc2, rect, lr, beta1, beta2, eps, weight_decay, decoupled, maximize});
}

void lion_impl(const Lists& L, double lr, double beta1, double beta2, double weight_decay, bool maximize) {
  for_each_chunk_typed(L, LionBody{L, lr, beta1, beta2, weight_decay, maximize});
}

}  // namespace
}  // namespace optim_detail
}  // namespace ember
