// lrn_cpu.cpp — local response norm across channels, forward and backward, CPU.
//
// y = x * d^-beta, d = k + alpha/size * sum_{j in [c - size/2, c + (size-1)/2]} x_j^2
// (zero padded, torch's avg-pool formulation). Layout: x contiguous (N, C, S); a
// task is one sample and a tile of kLrnTile adjacent positions, walked over all
// channels, so every inner loop runs over contiguous positions. The window sums
// are taken directly (size terms each), not as a running difference, so no
// cancellation error builds up along the channels. d is saved for backward:
// gx_i = g_i d_i^-beta - 2 alpha beta/size * x_i * sum_{c: i in window(c)} g_c y_c / d_c.
#include <vector>

#include "norm_common.h"
#include "norm_cuda.h"

namespace ember {
namespace {
using namespace norm_detail;

struct Geo {
  int64_t N = 1, C = 1, S = 1, tiles = 1;
};

Geo geometry(const Array& x, int64_t size, const char* op) {
  EMBER_CHECK(x.ndim() >= 3, Value, "[", op, "] Expected 3D or higher dimensionality input (got ", x.ndim(),
              " dimensions)");
  EMBER_CHECK(size > 0, Value, "[", op, "] size must be positive, got ", size);
  Geo g;
  g.N = x.shape()[0];
  g.C = x.shape()[1];
  for (int64_t d = 2; d < x.ndim(); ++d) g.S *= x.shape()[d];
  g.tiles = (g.S + kLrnTile - 1) / kLrnTile;
  return g;
}

int64_t grain(const Geo& g, int64_t per_elem) {
  return std::max<int64_t>(1, 32768 / std::max<int64_t>(1, g.C * kLrnTile * per_elem));
}

}  // namespace

std::tuple<Array, Array> local_response_norm(const Array& x, int64_t size, double alpha, double beta, double k) {
  constexpr const char* op = "local_response_norm";
  check_input(x, op, "input");
  const Geo g = geometry(x, size, op);
  const DType cd = compute_dtype(x.dtype());
  Array xc = x.to(cd).contiguous();
  Array y = Array::empty(x.shape(), cd, x.device()), scale = Array::empty(x.shape(), cd, x.device());
  if (x.device().is_cuda()) {
    cuda_kernels::norm_lrn_forward(op)(y, scale, xc, g.N, g.C, g.S, size, alpha, beta, k);
  } else if (x.numel() > 0) {
    dispatch(cd, [&](auto t) {
      using T = decltype(t);
      const Ops<T>& kk = ops<T>();
      const T* xp = xc.data<T>();
      T *yp = y.data<T>(), *sp = scale.data<T>();
      const int64_t per = std::min<int64_t>(size, g.C);
      parallel_for(0, g.N * g.tiles, grain(g, per), [&](int64_t b, int64_t e) {
        for (int64_t it = b; it < e; ++it) {
          const int64_t n = it / g.tiles, s0 = (it % g.tiles) * kLrnTile;
          const int64_t w = std::min(kLrnTile, g.S - s0), off = n * g.C * g.S + s0;
          kk.lrn_fwd(xp + off, yp + off, sp + off, g.C, g.S, w, size, static_cast<T>(alpha), static_cast<T>(beta),
                     static_cast<T>(k));
        }
      });
    });
  }
  return {cast_back(y, x.dtype()), scale};
}

Array local_response_norm_backward(const Array& grad, const Array& x, const Array& y, const Array& scale,
                                   int64_t size, double alpha, double beta, double k) {
  constexpr const char* op = "local_response_norm_backward";
  (void)k;
  for (auto [a, what] : {std::pair{&grad, "grad"}, std::pair{&x, "input"}, std::pair{&y, "output"},
                         std::pair{&scale, "scale"}}) {
    check_input(*a, op, what);
    check_same_device(op, x, {a});
    EMBER_CHECK(a->shape() == x.shape(), Value, "[", op, "] ", what, " shape ", shape_str(a->shape()),
                " does not match input shape ", shape_str(x.shape()));
  }
  const Geo g = geometry(x, size, op);
  const DType cd = compute_dtype(x.dtype());
  Array gc = grad.to(cd).contiguous(), xc = x.to(cd).contiguous(), yc = y.to(cd).contiguous(),
        sc = scale.to(cd).contiguous();
  Array gx = Array::empty(x.shape(), cd, x.device());
  if (x.device().is_cuda()) {
    cuda_kernels::norm_lrn_backward(op)(gx, gc, xc, yc, sc, g.N, g.C, g.S, size, alpha, beta);
  } else if (x.numel() > 0) {
    dispatch(cd, [&](auto t) {
      using T = decltype(t);
      const Ops<T>& kk = ops<T>();
      const T *gp = gc.data<T>(), *xp = xc.data<T>(), *yp = yc.data<T>(), *sp = sc.data<T>();
      T* op_ = gx.data<T>();
      const int64_t per = std::min<int64_t>(size, g.C) + 2;
      parallel_for(0, g.N * g.tiles, grain(g, per), [&](int64_t b, int64_t e) {
        std::vector<T> scratch(g.C * kLrnTile);
        for (int64_t it = b; it < e; ++it) {
          const int64_t n = it / g.tiles, s0 = (it % g.tiles) * kLrnTile;
          const int64_t w = std::min(kLrnTile, g.S - s0), off = n * g.C * g.S + s0;
          kk.lrn_bwd(gp + off, xp + off, yp + off, sp + off, op_ + off, g.C, g.S, w, size, static_cast<T>(alpha),
                     static_cast<T>(beta), scratch.data());
        }
      });
    });
  }
  return cast_back(gx, promote_types(grad.dtype(), x.dtype()));
}

}  // namespace ember
