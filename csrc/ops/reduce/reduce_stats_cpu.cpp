// reduce_stats_cpu.cpp — var/std (+ mean), vector norms and logsumexp on the CPU
// (floating inputs; everything accumulates in float64).
//
// var: each contiguous or strided run is reduced two-pass (run mean, then the sum
// of squared deviations) and runs merge with Chan's parallel formula; column
// schedules use Welford's update. Both stay accurate when |mean| >> std.
// logsumexp: an online (max, sum of exp(x - max)) pair that rescales when the max
// grows, so one pass is stable; +-inf and NaN follow PyTorch.
#include <cmath>
#include <limits>

#include "reduce_engine.h"
#include "reduce_kernels.h"

namespace ember {
namespace {

struct VarAcc { double n, mean, m2; };

inline void chan_merge(VarAcc& a, const VarAcc& b) {
  if (b.n == 0) return;
  if (a.n == 0) { a = b; return; }
  double n = a.n + b.n, d = b.mean - a.mean;
  a.mean += d * (b.n / n);
  a.m2 += b.m2 + d * d * (a.n * b.n / n);
  a.n = n;
}

template <class T>
struct VarOp : FoldOp<VarOp<T>, T, VarAcc> {
  T* out;
  T* mean_out;
  double correction;
  bool take_sqrt;
  VarAcc init() const { return {0, 0, 0}; }
  void fold(VarAcc& a, const T& x, int64_t) const {
    double v = ld<double>(x);
    a.n += 1;
    double d = v - a.mean;
    a.mean += d / a.n;
    a.m2 += d * (v - a.mean);
  }
  void run(VarAcc& a, const T* p, int64_t s, int64_t n, int64_t) const {
    double sum = 0;
    for (int64_t i = 0; i < n; ++i) sum += ld<double>(p[i * s]);
    double mu = sum / n, m2 = 0;
    for (int64_t i = 0; i < n; ++i) {
      double d = ld<double>(p[i * s]) - mu;
      m2 += d * d;
    }
    chan_merge(a, VarAcc{static_cast<double>(n), mu, m2});
  }
  void combine(VarAcc& a, const VarAcc& b) const { chan_merge(a, b); }
  void finish(int64_t o, const VarAcc& a) const {
    double v = a.m2 / std::max(0.0, a.n - correction);
    if (take_sqrt) v = std::sqrt(v);
    out[o] = Cvt<T>::template store<double>(v);
    if (mean_out) mean_out[o] = Cvt<T>::template store<double>(a.n > 0 ? a.mean : std::nan(""));
  }
};

enum class NormKind { Zero, One, Two, Inf, NegInf, General };

template <class T>
struct NormOp : FoldOp<NormOp<T>, T, double> {
  T* out;
  NormKind kind;
  double ord;
  double init() const {
    return kind == NormKind::NegInf ? std::numeric_limits<double>::infinity() : 0.0;
  }
  void fold(double& a, const T& x, int64_t) const {
    double v = std::fabs(ld<double>(x));
    switch (kind) {
      case NormKind::Zero: a += (v != 0); break;
      case NormKind::One: a += v; break;
      case NormKind::Two: a += v * v; break;
      case NormKind::Inf: if (v > a || v != v) a = v; break;
      case NormKind::NegInf: if (v < a || v != v) a = v; break;
      default: a += std::pow(v, ord); break;
    }
  }
  void combine(double& a, const double& b) const {
    if (kind == NormKind::Inf) { if (b > a || b != b) a = b; }
    else if (kind == NormKind::NegInf) { if (b < a || b != b) a = b; }
    else a += b;
  }
  void finish(int64_t o, const double& a) const {
    double r = a;
    if (kind == NormKind::Two) r = std::sqrt(a);
    else if (kind == NormKind::General) r = std::pow(a, 1.0 / ord);
    out[o] = Cvt<T>::template store<double>(r);
  }
};

struct LseAcc { double m, s; };

template <class T>
struct LogSumExpOp : FoldOp<LogSumExpOp<T>, T, LseAcc> {
  T* out;
  LseAcc init() const { return {-std::numeric_limits<double>::infinity(), 0.0}; }
  void fold(LseAcc& a, const T& x, int64_t) const {
    double v = ld<double>(x);
    if (v > a.m) {
      if (a.s == a.s)
        a.s = (a.m == -std::numeric_limits<double>::infinity() ? 0.0 : a.s * std::exp(a.m - v)) + 1.0;
      a.m = v;
    } else if (v == v) {
      if (v != -std::numeric_limits<double>::infinity()) a.s += v == a.m ? 1.0 : std::exp(v - a.m);
    } else {
      a.s = v;  // NaN sticks in s
    }
  }
  void combine(LseAcc& a, const LseAcc& b) const {
    if (b.s != b.s || a.s != a.s) { a.s = std::nan(""); return; }
    if (b.m == -std::numeric_limits<double>::infinity()) return;
    if (a.m == -std::numeric_limits<double>::infinity()) { a = b; return; }
    if (b.m == a.m) { a.s += b.s; return; }
    if (b.m > a.m) { a.s = a.s * std::exp(a.m - b.m) + b.s; a.m = b.m; }
    else a.s += b.s * std::exp(b.m - a.m);
  }
  void finish(int64_t o, const LseAcc& a) const {
    double r;
    if (a.s != a.s) r = a.s;
    else if (std::isinf(a.m)) r = a.m;
    else r = a.m + std::log(a.s);
    out[o] = Cvt<T>::template store<double>(r);
  }
};

}  // namespace

void var_kernel_cpu(const Array& in, const ReducePlan& p, const Array& out, const Array& mean_out,
                    double correction, bool take_sqrt) {
  EMBER_DISPATCH_ALL_FLOAT(in.dtype(), (take_sqrt ? "std" : "var"), [&] {
    using T = scalar_t;
    VarOp<T> op;
    op.out = out.data<T>();
    op.mean_out = mean_out.defined() ? mean_out.data<T>() : nullptr;
    op.correction = correction;
    op.take_sqrt = take_sqrt;
    reduce_kernel(p, op, in.data<T>());
  });
}

void norm_kernel_cpu(const Array& in, const ReducePlan& p, const Array& out, double ord) {
  EMBER_DISPATCH_ALL_FLOAT(in.dtype(), "linalg.vector_norm", [&] {
    using T = scalar_t;
    NormOp<T> op;
    op.out = out.data<T>();
    op.ord = ord;
    if (ord == 0) op.kind = NormKind::Zero;
    else if (ord == 1) op.kind = NormKind::One;
    else if (ord == 2) op.kind = NormKind::Two;
    else if (std::isinf(ord)) op.kind = ord > 0 ? NormKind::Inf : NormKind::NegInf;
    else op.kind = NormKind::General;
    reduce_kernel(p, op, in.data<T>());
  });
}

void logsumexp_kernel_cpu(const Array& in, const ReducePlan& p, const Array& out) {
  EMBER_DISPATCH_ALL_FLOAT(in.dtype(), "logsumexp", [&] {
    using T = scalar_t;
    LogSumExpOp<T> op;
    op.out = out.data<T>();
    reduce_kernel(p, op, in.data<T>());
  });
}

}  // namespace ember
