// conv_gemm_cpu.cpp — convolution as GEMM on ember's GEMM (the large-channel path).
//
// Per image and group (contiguous NCHW, K = C/groups * KH * KW taps, P = Ho * Wo):
//   forward          y[O_g, P]  = w[O_g, K] @ col[K, P]            (+ bias written first, beta = 1)
//   weight gradient  gw[O_g, K] += gy[O_g, P] @ col[K, P]^T
//   input gradient   gcol[K, P] = w[O_g, K]^T @ gy[O_g, P], then col2im adds gcol into gx
// col is never built for the first two: col(k, p) = xpad[tap[k] + pix[p]] with
// tap = (c, kh, kw) -> c*Hp*Wp + kh*dh*Wp + kw*dw and pix = (oh, ow) -> oh*sh*Wp + ow*sw
// over a zero-padded copy of the image (skipped when there is no padding), so the
// GEMM gathers its B panels straight from the image (gemm::sgemm_gather_b). Output
// pixels of one image row are contiguous in xpad for stride 1, so most panels pack as
// row copies. The input gradient keeps an explicit column buffer (col2im needs it);
// conv.cpp sends stride-1 input gradients through the forward instead.
//
// Threads: whole images per thread (each with its own scratch; the GEMM inside then
// runs serially), or, for a batch that does not divide well across the threads,
// images one after another with the GEMM parallel inside. Weight gradients sum
// per-thread partials at the end.
#include <algorithm>
#include <atomic>
#include <cstring>
#include <vector>

#include "core/parallel.h"
#include "ops/conv/conv_kernels.h"
#include "ops/conv/conv_window.h"
#include "ops/gemm/gemm.h"

namespace ember {
namespace conv_detail {
namespace {

void gemm_gather(int64_t M, int64_t N, int64_t K, const float* A, int64_t rsa, int64_t csa,
                 const float* B, const int64_t* brow, const int64_t* bcol, float beta, float* C,
                 int64_t ldc) {
  gemm::sgemm_gather_b(M, N, K, 1.0f, A, rsa, csa, B, brow, bcol, beta, C, ldc);
}
void gemm_gather(int64_t M, int64_t N, int64_t K, const double* A, int64_t rsa, int64_t csa,
                 const double* B, const int64_t* brow, const int64_t* bcol, double beta, double* C,
                 int64_t ldc) {
  gemm::dgemm_gather_b(M, N, K, 1.0, A, rsa, csa, B, brow, bcol, beta, C, ldc);
}
void gemm_plain(int64_t M, int64_t N, int64_t K, const float* A, int64_t rsa, int64_t csa,
                const float* B, int64_t rsb, int64_t csb, float* C, int64_t ldc) {
  gemm::sgemm(M, N, K, 1.0f, A, rsa, csa, B, rsb, csb, 0.0f, C, ldc, 1);
}
void gemm_plain(int64_t M, int64_t N, int64_t K, const double* A, int64_t rsa, int64_t csa,
                const double* B, int64_t rsb, int64_t csb, double* C, int64_t ldc) {
  gemm::dgemm(M, N, K, 1.0, A, rsa, csa, B, rsb, csb, 0.0, C, ldc, 1);
}

// Whole images per thread when the batch splits evenly enough; otherwise the caller
// loops over images and the GEMM parallelises each product.
bool batch_parallel(int64_t n) {
  if (in_parallel_region()) return false;
  const int64_t nt = get_num_threads();
  return nt > 1 && n >= nt && (n % nt == 0 || n >= 4 * nt);
}

// The im2col offsets over a Hp x Wp window (see the header comment).
void im2col_offsets(const Geom& g, std::vector<int64_t>& tap, std::vector<int64_t>& pix) {
  const int64_t Hp = g.Hp(), Wp = g.Wp();
  tap.resize(static_cast<size_t>(g.taps()));
  pix.resize(static_cast<size_t>(g.Ho * g.Wo));
  int64_t k = 0;
  for (int64_t c = 0; c < g.Cg(); ++c)
    for (int64_t kh = 0; kh < g.KH; ++kh)
      for (int64_t kw = 0; kw < g.KW; ++kw) tap[k++] = c * Hp * Wp + kh * g.dh * Wp + kw * g.dw;
  int64_t p = 0;
  for (int64_t oh = 0; oh < g.Ho; ++oh)
    for (int64_t ow = 0; ow < g.Wo; ++ow) pix[p++] = oh * g.sh * Wp + ow * g.sw;
}

// Sum of n values with independent partial sums (vectorisable, and more accurate than
// one running sum).
template <class T>
T row_sum(const T* p, int64_t n) {
  T acc[16] = {};
  int64_t i = 0;
  for (; i + 16 <= n; i += 16)
    for (int j = 0; j < 16; ++j) acc[j] += p[i + j];
  T s = 0;
  for (; i < n; ++i) s += p[i];
  for (int j = 0; j < 16; ++j) s += acc[j];
  return s;
}

template <class F>
void for_each_image(int64_t n, const F& fn) {
  if (batch_parallel(n)) {
    parallel_for(0, n, 1, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) fn(i);
    });
  } else {
    for (int64_t i = 0; i < n; ++i) fn(i);
  }
}

}  // namespace

template <class T>
void forward_gemm(const Geom& g, const T* x, const T* w, const T* b, T* y) {
  const int64_t Og = g.Og(), K = g.taps(), P = g.Ho * g.Wo;
  const int64_t plane = g.Hp() * g.Wp(), xs = g.C * g.H * g.W;
  std::vector<int64_t> tap, pix;
  im2col_offsets(g, tap, pix);
  for_each_image(g.N, [&](int64_t n) {
    const T* img = x + n * xs;
    if (g.padded()) {
      T* buf = conv_scratch<T>(0, g.C * plane);
      copy_window(g, img, g.C, buf);
      img = buf;
    }
    for (int64_t gi = 0; gi < g.groups; ++gi) {
      T* c = y + (n * g.O + gi * Og) * P;
      T beta = 0;
      if (b) {
        for (int64_t o = 0; o < Og; ++o) std::fill(c + o * P, c + (o + 1) * P, b[gi * Og + o]);
        beta = 1;
      }
      gemm_gather(Og, P, K, w + gi * Og * K, K, 1, img + gi * g.Cg() * plane, tap.data(), pix.data(), beta, c,
                  P);
    }
  });
}

template <class T>
void backward_input_gemm(const Geom& g, const T* gy, const T* w, const T* b, T* gx) {
  const int64_t Og = g.Og(), Cg = g.Cg(), K = g.taps(), P = g.Ho * g.Wo;
  const int64_t Wp = g.Wp(), plane = g.Hp() * Wp, xs = g.C * g.H * g.W;
  std::vector<int64_t> tap, pix;
  im2col_offsets(g, tap, pix);
  for_each_image(g.N, [&](int64_t n) {
    T* acc = g.padded() ? conv_scratch<T>(0, g.C * plane) : gx + n * xs;
    std::fill(acc, acc + g.C * plane, T(0));
    T* col = conv_scratch<T>(1, K * P);
    for (int64_t gi = 0; gi < g.groups; ++gi) {
      // col[K, P] = w_g^T @ gy_g: A(k, o) = w[o*K + k].
      gemm_plain(K, P, Og, w + gi * Og * K, 1, K, gy + (n * g.O + gi * Og) * P, P, 1, col, P);
      T* dst = acc + gi * Cg * plane;
      for (int64_t k = 0; k < K; ++k) {
        const T* src = col + k * P;
        T* d = dst + tap[k];
        for (int64_t oh = 0; oh < g.Ho; ++oh) {
          T* dr = d + oh * g.sh * Wp;
          const T* sr = src + oh * g.Wo;
          if (g.sw == 1) {
            for (int64_t ow = 0; ow < g.Wo; ++ow) dr[ow] += sr[ow];
          } else {
            for (int64_t ow = 0; ow < g.Wo; ++ow) dr[ow * g.sw] += sr[ow];
          }
        }
      }
    }
    if (g.padded()) {
      crop_window(g, acc, g.C, b, gx + n * xs);
    } else if (b) {
      for (int64_t c = 0; c < g.C; ++c) {
        T* d = acc + c * plane;
        for (int64_t i = 0; i < plane; ++i) d[i] += b[c];
      }
    }
  });
}

template <class T>
void backward_weight_gemm(const Geom& g, const T* gy, const T* x, T* gw, T* gb) {
  const int64_t Og = g.Og(), K = g.taps(), P = g.Ho * g.Wo;
  const int64_t plane = g.Hp() * g.Wp(), xs = g.C * g.H * g.W;
  const int64_t wsize = g.O * K, slot_size = wsize + g.O;
  std::vector<int64_t> tap, pix;
  im2col_offsets(g, tap, pix);
  // Adds image n's products into acc (O*K weights, then O biases when gb).
  auto image = [&](int64_t n, T* acc, T beta) {
    const T* img = x + n * xs;
    if (g.padded()) {
      T* buf = conv_scratch<T>(0, g.C * plane);
      copy_window(g, img, g.C, buf);
      img = buf;
    }
    for (int64_t gi = 0; gi < g.groups; ++gi) {
      // gw_g[Og, K] (+)= gy_g[Og, P] @ col^T: B(p, k) = img[pix[p] + tap[k]].
      gemm_gather(Og, K, P, gy + (n * g.O + gi * Og) * P, P, 1, img + gi * g.Cg() * plane, pix.data(),
                  tap.data(), beta, acc + gi * Og * K, K);
    }
    if (gb) {
      for (int64_t o = 0; o < g.O; ++o) acc[wsize + o] += row_sum(gy + (n * g.O + o) * P, P);
    }
  };
  if (batch_parallel(g.N)) {
    const int64_t nt = get_num_threads();
    std::vector<T> part(static_cast<size_t>(nt * slot_size), T(0));
    std::atomic<int64_t> next{0};
    parallel_for(0, g.N, 1, [&](int64_t b, int64_t e) {
      T* acc = part.data() + next.fetch_add(1) * slot_size;
      for (int64_t n = b; n < e; ++n) image(n, acc, T(1));
    });
    const int64_t used = next.load();
    std::fill(gw, gw + wsize, T(0));
    if (gb) std::fill(gb, gb + g.O, T(0));
    for (int64_t s = 0; s < used; ++s) {
      const T* acc = part.data() + s * slot_size;
      for (int64_t i = 0; i < wsize; ++i) gw[i] += acc[i];
      if (gb)
        for (int64_t o = 0; o < g.O; ++o) gb[o] += acc[wsize + o];
    }
  } else {
    // One accumulator: the weights in gw directly, the biases beside them.
    std::vector<T> acc(gb ? static_cast<size_t>(slot_size) : 0, T(0));
    if (g.N == 0) std::fill(gw, gw + wsize, T(0));
    for (int64_t n = 0; n < g.N; ++n) {
      if (gb) {
        image(n, acc.data(), n == 0 ? T(0) : T(1));
      } else {
        // image() writes weights at acc[0:wsize): point it at gw.
        image(n, gw, n == 0 ? T(0) : T(1));
      }
    }
    if (gb) {
      std::copy(acc.begin(), acc.begin() + wsize, gw);
      std::copy(acc.begin() + wsize, acc.end(), gb);
    }
  }
}

template void forward_gemm<float>(const Geom&, const float*, const float*, const float*, float*);
template void forward_gemm<double>(const Geom&, const double*, const double*, const double*, double*);
template void backward_input_gemm<float>(const Geom&, const float*, const float*, const float*, float*);
template void backward_input_gemm<double>(const Geom&, const double*, const double*, const double*, double*);
template void backward_weight_gemm<float>(const Geom&, const float*, const float*, float*, float*);
template void backward_weight_gemm<double>(const Geom&, const double*, const double*, double*, double*);

}  // namespace conv_detail
}  // namespace ember
