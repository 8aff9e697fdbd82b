// optim_adam_impl.h — fused steps of the Adam family (Adam/AdamW, Adamax, NAdam,
// RAdam) and Lion, compiled once per ISA (optim_cpu.cpp, optim_avx2.cpp,
// optim_avx512.cpp include it; everything is TU-local).
//
// One pass per element: read param, grad and the moment buffers once, write them
// once (the step is memory-bound, so fusing the ~7 elementwise ops torch runs is the
// whole gain). The float math follows torch's single-tensor code op by op in the
// param's dtype, scalars rounded to it as ATen rounds a Python scalar, and a fused
// multiply-add exactly where ATen's CPU kernels use one (add with alpha, addcmul,
// lerp: fmadd), so with FMA the results match torch's to the last bit or so. The
// including file turns off the compiler's own contraction. Layout: contiguous
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

struct AdamBody {
  const Lists& L;
  const std::vector<double>& step_size;
  const std::vector<double>& bc2_sqrt;
  double lr, beta1, beta2, eps, wd;
  bool amsgrad, maximize, decoupled;

  template <class T>
  void run(int64_t t, int64_t b, int64_t e) const {
    T* p_ = static_cast<T*>(L.p[t]);
    const T* g_ = static_cast<const T*>(L.g[t]);
    T* m_ = static_cast<T*>(L.buf[0][t]);
    T* v_ = static_cast<T*>(L.buf[1][t]);
    T* vmax_ = amsgrad ? static_cast<T*>(L.buf[2][t]) : nullptr;
    const T w1 = T(1 - beta1), b2 = T(beta2), w2 = T(1 - beta2), twd = T(wd), decay = T(1 - lr * wd);
    const T neg_step = T(-step_size[t]), bc = T(bc2_sqrt[t]), teps = T(eps), sgn = maximize ? T(-1) : T(1);
    with_flag(wd != 0 && !decoupled, [=](auto L2) {
      with_flag(wd != 0 && decoupled, [=](auto DEC) {
        with_flag(amsgrad, [=](auto AMS) {
          with_flag(lerp_small(w1), [=](auto SMALL) {
            T* __restrict p = p_, * __restrict m = m_, * __restrict v = v_, * __restrict vmax = vmax_;
            const T* __restrict g = g_;
            for (int64_t j = b; j < e; ++j) {
              T gj = sgn * g[j];
              T pj = p[j];
              if constexpr (DEC) pj = pj * decay;        // param.mul_(1 - lr * wd)
              if constexpr (L2) gj = fmadd(twd, pj, gj);  // grad.add(param, alpha=wd)
              const T mj = lerp<SMALL>(m[j], gj, w1);     // exp_avg.lerp_(grad, 1 - beta1)
              const T vj = fmadd(w2 * gj, gj, v[j] * b2);  // exp_avg_sq.mul_(beta2).addcmul_(g, g, 1 - beta2)
              m[j] = mj;
              v[j] = vj;
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
    T* __restrict p = static_cast<T*>(L.p[t]);
    const T* __restrict g = static_cast<const T*>(L.g[t]);
    T* __restrict m = static_cast<T*>(L.buf[0][t]);
    T* __restrict u = static_cast<T*>(L.buf[1][t]);
    const T w1 = T(1 - beta1), b2 = T(beta2), twd = T(wd), teps = T(eps), neg_clr = T(-clr[t]);
    const T sgn = maximize ? T(-1) : T(1);
    with_flag(wd != 0, [=](auto WD) {
      with_flag(lerp_small(w1), [=](auto SMALL) {
        for (int64_t j = b; j < e; ++j) {
          T gj = sgn * g[j];
          const T pj = p[j];
          if constexpr (WD) gj = fmadd(twd, pj, gj);
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

struct NAdamBody {
  const Lists& L;
  const std::vector<double>&bc2, &c1, &c2;
  double lr, beta1, beta2, eps, wd;
  bool decoupled, maximize;

  template <class T>
  void run(int64_t t, int64_t b, int64_t e) const {
    T* __restrict p = static_cast<T*>(L.p[t]);
    const T* __restrict g = static_cast<const T*>(L.g[t]);
    T* __restrict m = static_cast<T*>(L.buf[0][t]);
    T* __restrict v = static_cast<T*>(L.buf[1][t]);
    const T w1 = T(1 - beta1), b2 = T(beta2), w2 = T(1 - beta2), twd = T(wd), decay = T(1 - lr * wd);
    const T tbc2 = T(bc2[t]), teps = T(eps), k1 = T(c1[t]), k2 = T(c2[t]), sgn = maximize ? T(-1) : T(1);
    with_flag(wd != 0 && !decoupled, [=](auto L2) {
      with_flag(wd != 0 && decoupled, [=](auto DEC) {
        with_flag(lerp_small(w1), [=](auto SMALL) {
          for (int64_t j = b; j < e; ++j) {
            T gj = sgn * g[j];
            T pj = p[j];
            if constexpr (DEC) pj = pj * decay;
            if constexpr (L2) gj = fmadd(twd, pj, gj);
            const T mj = lerp<SMALL>(m[j], gj, w1);
            const T vj = fmadd(w2 * gj, gj, v[j] * b2);
            m[j] = mj;
            v[j] = vj;
            const T denom = std::sqrt(vj / tbc2) + teps;
            pj = pj + k1 * gj / denom;
            p[j] = pj + k2 * mj / denom;
          }
        });
      });
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
    T* __restrict p = static_cast<T*>(L.p[t]);
    const T* __restrict g = static_cast<const T*>(L.g[t]);
    T* __restrict m = static_cast<T*>(L.buf[0][t]);
    T* __restrict v = static_cast<T*>(L.buf[1][t]);
    const T w1 = T(1 - beta1), b2 = T(beta2), w2 = T(1 - beta2), twd = T(wd), decay = T(1 - lr * wd);
    const T tbc1 = T(bc1[t]), tlr = T(lr), teps = T(eps), sgn = maximize ? T(-1) : T(1);
    const T bc2_sqrt = T(std::pow(bc2[t], 0.5)), trect = T(rect[t] >= 0 ? rect[t] : 0.0);
    with_flag(wd != 0 && !decoupled, [=](auto L2) {
      with_flag(wd != 0 && decoupled, [=](auto DEC) {
        with_flag(rect[t] >= 0, [=](auto RECT) {
          with_flag(lerp_small(w1), [=](auto SMALL) {
            for (int64_t j = b; j < e; ++j) {
              T gj = sgn * g[j];
              T pj = p[j];
              if constexpr (DEC) pj = pj * decay;
              if constexpr (L2) gj = fmadd(twd, pj, gj);
              const T mj = lerp<SMALL>(m[j], gj, w1);
              const T vj = fmadd(w2 * gj, gj, v[j] * b2);
              m[j] = mj;
              v[j] = vj;
              T upd = mj / tbc1 * tlr;
              // torch: scalar / tensor is tensor.reciprocal() * scalar.
              if constexpr (RECT) upd = upd * ((T(1) / (std::sqrt(vj) + teps)) * bc2_sqrt) * trect;
              p[j] = pj - upd;  // add_(x, alpha=-1): the product -1 * x is exact
            }
          });
        });
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
    T* __restrict p = static_cast<T*>(L.p[t]);
    const T* __restrict g = static_cast<const T*>(L.g[t]);
    T* __restrict m = static_cast<T*>(L.buf[0][t]);
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
