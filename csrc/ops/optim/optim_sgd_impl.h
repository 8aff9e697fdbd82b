// optim_sgd_impl.h — fused steps of SGD, RMSprop, Adagrad, Adadelta, ASGD and Rprop,
// compiled once per ISA (optim_isa_build.h; everything is TU-local). Same conventions
// as optim_adam_impl.h: one pass per element, torch's single-tensor order of
// operations in the param's dtype, fmadd where ATen's kernels fuse (add with alpha,
// addcmul, lerp).
#pragma once
#include "optim_kernels.h"

namespace ember {
namespace optim_detail {
namespace {

template <class T>
static inline T sign_of(T x) {
  return x > T(0) ? T(1) : (x < T(0) ? T(-1) : T(0));
}

struct SgdBody {
  const Lists& L;
  const std::vector<bool>& fresh;
  double lr, momentum, dampening, wd;
  bool nesterov, maximize;

  template <class T>
  void run(int64_t t, int64_t b, int64_t e) const {
    T* __restrict p = L.param<T>(t);
    const T* __restrict g = L.grad<T>(t);
    T* __restrict buf = momentum != 0 ? L.state<T>(0, t) : nullptr;
    const GradPrep<T> prep(maximize, wd);
    const T mom = T(momentum), w = T(1 - dampening), neg_lr = T(-lr);
    with_flag(wd != 0, [=](auto WD) {
      with_flag(momentum != 0, [=](auto MOM) {
        with_flag(momentum != 0 && fresh[t], [=](auto INIT) {
          with_flag(nesterov, [=](auto NEST) {
            for (int64_t j = b; j < e; ++j) {
              T pj = p[j];
              const T gj = prep_grad(prep, g[j], pj, WD);
              T d = gj;
              if constexpr (MOM) {
                // buf = grad on the first step, else buf.mul_(momentum).add_(g, alpha=1-dampening)
                const T bj = INIT ? gj : fmadd(w, gj, buf[j] * mom);
                buf[j] = bj;
                d = NEST ? fmadd(mom, bj, gj) : bj;
              }
              p[j] = fmadd(neg_lr, d, pj);
            }
          });
        });
      });
    });
  }
};

struct RmspropBody {
  const Lists& L;
  double lr, alpha, eps, wd, momentum;
  bool centered, maximize;

  template <class T>
  void run(int64_t t, int64_t b, int64_t e) const {
    T* p_ = L.param<T>(t);
    const T* g_ = L.grad<T>(t);
    T* sq_ = L.state<T>(0, t);
    size_t k = 1;
    T* ga_ = centered ? L.state<T>(k++, t) : nullptr;
    T* buf_ = momentum > 0 ? L.state<T>(k++, t) : nullptr;
    const GradPrep<T> prep(maximize, wd);
    const T ta = T(alpha), w = T(1 - alpha), teps = T(eps), mom = T(momentum), neg_lr = T(-lr);
    with_flag(wd != 0, [=](auto WD) {
      with_flag(centered, [=](auto CENTERED) {
        with_flag(momentum > 0, [=](auto MOM) {
          with_flag(lerp_small(w), [=](auto SMALL) {
            T* __restrict p = p_, * __restrict sq = sq_, * __restrict ga = ga_, * __restrict buf = buf_;
            const T* __restrict g = g_;
            for (int64_t j = b; j < e; ++j) {
              T pj = p[j];
              const T gj = prep_grad(prep, g[j], pj, WD);
              const T s = fmadd(w * gj, gj, sq[j] * ta);
              sq[j] = s;
              T avg;
              if constexpr (CENTERED) {
                const T a = lerp<SMALL>(ga[j], gj, w);
                ga[j] = a;
                avg = std::sqrt(fmadd(-a, a, s));  // square_avg.addcmul(grad_avg, grad_avg, value=-1)
              } else {
                avg = std::sqrt(s);
              }
              avg = avg + teps;
              if constexpr (MOM) {
                const T bj = buf[j] * mom + gj / avg;  // buf.mul_(momentum).addcdiv_(grad, avg)
                buf[j] = bj;
                p[j] = fmadd(neg_lr, bj, pj);
              } else {
                p[j] = pj + neg_lr * gj / avg;
              }
            }
          });
        });
      });
    });
  }
};

struct AdagradBody {
  const Lists& L;
  const std::vector<double>& clr;
  double wd, eps;
  bool maximize;

  template <class T>
  void run(int64_t t, int64_t b, int64_t e) const {
    T* __restrict p = L.param<T>(t);
    const T* __restrict g = L.grad<T>(t);
    T* __restrict sum = L.state<T>(0, t);
    const GradPrep<T> prep(maximize, wd);
    const T teps = T(eps), neg_clr = T(-clr[t]);
    with_flag(wd != 0, [=](auto WD) {
      for (int64_t j = b; j < e; ++j) {
        T pj = p[j];
        const T gj = prep_grad(prep, g[j], pj, WD);
        const T s = fmadd(gj, gj, sum[j]);
        sum[j] = s;
        p[j] = pj + neg_clr * gj / (std::sqrt(s) + teps);
      }
    });
  }
};

struct AdadeltaBody {
  const Lists& L;
  double lr, rho, eps, wd;
  bool maximize;

  template <class T>
  void run(int64_t t, int64_t b, int64_t e) const {
    T* __restrict p = L.param<T>(t);
    const T* __restrict g = L.grad<T>(t);
    T* __restrict sq = L.state<T>(0, t);
    T* __restrict acc = L.state<T>(1, t);
    const GradPrep<T> prep(maximize, wd);
    const T tr = T(rho), w = T(1 - rho), teps = T(eps), neg_lr = T(-lr);
    with_flag(wd != 0, [=](auto WD) {
      for (int64_t j = b; j < e; ++j) {
        T pj = p[j];
        const T gj = prep_grad(prep, g[j], pj, WD);
        const T s = fmadd(w * gj, gj, sq[j] * tr);
        sq[j] = s;
        const T std_ = std::sqrt(s + teps);
        const T delta = std::sqrt(acc[j] + teps) / std_ * gj;
        acc[j] = fmadd(w * delta, delta, acc[j] * tr);
        p[j] = fmadd(neg_lr, delta, pj);
      }
    });
  }
};

struct AsgdBody {
  const Lists& L;
  const std::vector<double>&eta, &mu;
  double lambd, wd;
  bool maximize;

  template <class T>
  void run(int64_t t, int64_t b, int64_t e) const {
    T* __restrict p = L.param<T>(t);
    const T* __restrict g = L.grad<T>(t);
    T* __restrict ax = L.state<T>(0, t);
    const GradPrep<T> prep(maximize, wd);
    const T decay = T(1 - lambd * eta[t]), neg_eta = T(-eta[t]), tmu = T(mu[t]);
    with_flag(wd != 0, [=](auto WD) {
      with_flag(mu[t] != 1, [=](auto AVERAGE) {
        for (int64_t j = b; j < e; ++j) {
          T pj = p[j];
          const T gj = prep_grad(prep, g[j], pj, WD);
          pj = fmadd(neg_eta, gj, pj * decay);  // param.mul_(1 - lambd * eta); param.add_(grad, alpha=-eta)
          p[j] = pj;
          if constexpr (AVERAGE) ax[j] = ax[j] + (pj - ax[j]) * tmu;  // ax.add_(param.sub(ax).mul_(mu))
          else ax[j] = pj;
        }
      });
    });
  }
};

struct RpropBody {
  const Lists& L;
  double etaminus, etaplus, lo, hi;
  bool maximize;

  template <class T>
  void run(int64_t t, int64_t b, int64_t e) const {
    T* __restrict p = L.param<T>(t);
    const T* __restrict g = L.grad<T>(t);
    T* __restrict prev = L.state<T>(0, t);
    T* __restrict ss = L.state<T>(1, t);
    const T em = T(etaminus), ep = T(etaplus), tlo = T(lo), thi = T(hi), sgn = maximize ? T(-1) : T(1);
    for (int64_t j = b; j < e; ++j) {
      T gj = sgn * g[j];
      const T s = gj * prev[j];
      const T f = s > T(0) ? ep : (s < T(0) ? em : T(1));
      T st = ss[j] * f;
      st = st < tlo ? tlo : st;  // clamp_(min, max): max with min first, then min with max
      st = st > thi ? thi : st;
      ss[j] = st;
      gj = f == em ? T(0) : gj;
      p[j] = p[j] - sign_of(gj) * st;  // addcmul_(sign, step_size, value=-1); the product is exact
      prev[j] = gj;
    }
  }
};

void sgd_impl(const Lists& L, const std::vector<bool>& fresh, double lr, double momentum, double dampening,
              double weight_decay, bool nesterov, bool maximize) {
  for_each_chunk_typed(L, SgdBody{L, fresh, lr, momentum, dampening, weight_decay, nesterov, maximize});
}

void rmsprop_impl(const Lists& L, double lr, double alpha, double eps, double weight_decay, double momentum,
                  bool centered, bool maximize) {
  for_each_chunk_typed(L, RmspropBody{L, lr, alpha, eps, weight_decay, momentum, centered, maximize});
}

void adagrad_impl(const Lists& L, const std::vector<double>& clr, double weight_decay, double eps, bool maximize) {
  for_each_chunk_typed(L, AdagradBody{L, clr, weight_decay, eps, maximize});
}

void adadelta_impl(const Lists& L, double lr, double rho, double eps, double weight_decay, bool maximize) {
  for_each_chunk_typed(L, AdadeltaBody{L, lr, rho, eps, weight_decay, maximize});
}

void asgd_impl(const Lists& L, const std::vector<double>& eta, const std::vector<double>& mu, double lambd,
               double weight_decay, bool maximize) {
  for_each_chunk_typed(L, AsgdBody{L, eta, mu, lambd, weight_decay, maximize});
}

void rprop_impl(const Lists& L, double etaminus, double etaplus, double step_size_min, double step_size_max,
                bool maximize) {
  for_each_chunk_typed(L, RpropBody{L, etaminus, etaplus, step_size_min, step_size_max, maximize});
}

}  // namespace
}  // namespace optim_detail
}  // namespace ember
