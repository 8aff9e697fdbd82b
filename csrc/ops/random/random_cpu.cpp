// random_cpu.cpp — CPU kernels of the random ops.
//
// fill: parallel over Philox blocks; block b yields the samples of elements
// [b*P, b*P + P) (random_transforms.h), so the split over threads never changes
// a value. randperm: Fisher-Yates, sequential, with swap partner
// j = mul_shift(draw_i, i + 1). multinomial: per row, binary search of the
// cumulative weights (with replacement) or the top num_samples of
// p / Exp(1) keys (without replacement: the exponential-race form of
// weighted sampling without replacement, as PyTorch does).
#include <algorithm>
#include <atomic>
#include <cmath>
#include <numeric>
#include <type_traits>
#include <vector>

#include "box_muller.h"
#include "core/parallel.h"
#include "random_backend.h"

namespace ember {
namespace rng {
namespace {

constexpr int64_t kGrainBlocks = 4096;

template <class T, class F>
void run(const Array& out, const F& f, uint64_t seed, uint64_t offset) {
  using V = typename F::value_type;
  constexpr int P = F::kPerBlock;
  T* d = out.data<T>();
  const int64_t n = out.numel();
  const int64_t nb = (n + P - 1) / P;
  parallel_for(0, nb, kGrainBlocks, [&](int64_t b0, int64_t b1) {
    V vals[P];
    for (int64_t b = b0; b < b1; ++b) {
      f(philox_block(seed, offset + static_cast<uint64_t>(b)), b * P, vals);
      const int64_t base = b * P;
      const int m = static_cast<int>(std::min<int64_t>(P, n - base));
      for (int j = 0; j < m; ++j) d[base + j] = Cvt<T>::template store<V>(vals[j]);
    }
  });
}

// Normal / log-normal at float precision: the same (u1, u2) pairs as Normal<float>
// (random_transforms.h) take the same double-precision Box-Muller math, but a chunk
// at a time through the vectorised box_muller kernel instead of libm per pair; the
// affine step and the rounding to T stay here, as in the transform.
template <class T>
void run_normal_float(const Array& out, double mean, double std, bool log_normal, uint64_t seed, uint64_t offset) {
  T* d = out.data<T>();
  const int64_t n = out.numel();
  const int64_t nb = (n + 3) / 4;
  const BoxMullerFn bm = box_muller_kernel();
  parallel_for(0, nb, kGrainBlocks, [&](int64_t b0, int64_t b1) {
    constexpr int64_t kChunk = 256;  // blocks: 512 pairs, 16 KiB of scratch
    double u1[2 * kChunk], u2[2 * kChunk], z0[2 * kChunk], z1[2 * kChunk];
    for (int64_t c0 = b0; c0 < b1; c0 += kChunk) {
      const int64_t cn = std::min<int64_t>(kChunk, b1 - c0);
      for (int64_t b = 0; b < cn; ++b) {
        const Philox4 w = philox_block(seed, offset + static_cast<uint64_t>(c0 + b));
        for (int p = 0; p < 2; ++p) {
          u1[2 * b + p] = static_cast<double>((w.v[2 * p] >> 8) + 1) * static_cast<double>(kTwo24Inv);
          u2[2 * b + p] = static_cast<double>(u24(w.v[2 * p + 1]));
        }
      }
      bm(u1, u2, 2 * cn, z0, z1);
      for (int64_t b = 0; b < cn; ++b) {
        float vals[4];
        for (int p = 0; p < 2; ++p) {
          const double a0 = mul_add_rn(std, z0[2 * b + p], mean), a1 = mul_add_rn(std, z1[2 * b + p], mean);
          vals[2 * p] = static_cast<float>(log_normal ? std::exp(a0) : a0);
          vals[2 * p + 1] = static_cast<float>(log_normal ? std::exp(a1) : a1);
        }
        const int64_t base = (c0 + b) * 4;
        const int m = static_cast<int>(std::min<int64_t>(4, n - base));
        for (int j = 0; j < m; ++j) d[base + j] = Cvt<T>::template store<float>(vals[j]);
      }
    }
  });
}

}  // namespace

void fill_cpu(const Array& out, Dist d, const DistParams& p, uint64_t seed, uint64_t offset) {
  switch (d) {
    case Dist::Uniform:
      return EMBER_DISPATCH_ALL_FLOAT(out.dtype(), "uniform_", [&] {
        if constexpr (std::is_same_v<scalar_t, double>) run<double>(out, Uniform<double>{p.a, p.b}, seed, offset);
        else run<scalar_t>(out, Uniform<float>{static_cast<float>(p.a), static_cast<float>(p.b)}, seed, offset);
      });
    case Dist::Normal:
    case Dist::LogNormal: {
      const bool ln = d == Dist::LogNormal;
      return EMBER_DISPATCH_ALL_FLOAT(out.dtype(), "normal_", [&] {
        if constexpr (std::is_same_v<scalar_t, double>) run<double>(out, Normal<double>{p.a, p.b, ln}, seed, offset);
        else run_normal_float<scalar_t>(out, p.a, p.b, ln, seed, offset);
      });
    }
    case Dist::Exponential:
      return EMBER_DISPATCH_ALL_FLOAT(out.dtype(), "exponential_", [&] { run<scalar_t>(out, Exponential{p.a}, seed, offset); });
    case Dist::Cauchy:
      return EMBER_DISPATCH_ALL_FLOAT(out.dtype(), "cauchy_", [&] { run<scalar_t>(out, Cauchy{p.a, p.b}, seed, offset); });
    case Dist::Geometric:
      return EMBER_DISPATCH_ALL(out.dtype(), "geometric_", [&] { run<scalar_t>(out, Geometric{p.a}, seed, offset); });
    case Dist::RandInt:
      return EMBER_DISPATCH_ALL(out.dtype(), "random_", [&] { run<scalar_t>(out, RandInt{p.low, p.range}, seed, offset); });
    case Dist::Bernoulli:
      return EMBER_DISPATCH_ALL(out.dtype(), "bernoulli_", [&] { run<scalar_t>(out, Bernoulli{p.a}, seed, offset); });
  }
}

void bernoulli_tensor_cpu(const Array& out, const Array& p, uint64_t seed, uint64_t offset) {
  BernoulliTensor f{p.data<double>(), p.numel()};
  EMBER_DISPATCH_ALL(out.dtype(), "bernoulli", [&] { run<scalar_t>(out, f, seed, offset); });
}

bool probs_in_unit_interval_cpu(const Array& p) {
  const double* d = p.data<double>();
  std::atomic<bool> ok{true};
  parallel_for(0, p.numel(), 65536, [&](int64_t b, int64_t e) {
    bool good = true;
    for (int64_t i = b; i < e; ++i) good &= (d[i] >= 0.0 && d[i] <= 1.0);  // NaN compares false
    if (!good) ok.store(false, std::memory_order_relaxed);
  });
  return ok.load();
}

void randperm_cpu(int64_t* out, int64_t n, uint64_t seed, uint64_t offset) {
  parallel_for(0, n, 1 << 16, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) out[i] = i;
  });
  // Element i's 64-bit draw is slot i % 2 of block offset + i / 2.
  Philox4 w{};
  for (int64_t i = n - 1; i >= 1; --i) {
    if (i == n - 1 || (i & 1) == 1) w = philox_block(seed, offset + static_cast<uint64_t>(i / 2));
    const int s = static_cast<int>(i & 1);
    uint64_t j = mul_shift(u64(w.v[2 * s], w.v[2 * s + 1]), static_cast<uint64_t>(i) + 1);
    std::swap(out[i], out[j]);
  }
}

void multinomial_check_cpu(const Array& probs, int64_t num_samples, bool replacement) {
  const int64_t rows = probs.shape()[0], k = probs.shape()[1];
  const double* p = probs.data<double>();
  // 0: fine, 1: negative/inf/NaN, 2: zero sum. Too few non-zero categories without
  // replacement is not an error (torch 2.13): the zero-weight ones are drawn last.
  (void)num_samples;
  (void)replacement;
  std::atomic<int> bad{0};
  parallel_for(0, rows, std::max<int64_t>(1, 65536 / k), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const double* row = p + r * k;
      double sum = 0;
      for (int64_t j = 0; j < k; ++j) {
        if (!(row[j] >= 0.0) || std::isinf(row[j])) {
          bad.store(1);
          return;
        }
        sum += row[j];
      }
      if (!(sum > 0.0)) bad.store(2);
    }
  });
  switch (bad.load()) {
    case 1: EMBER_FAIL(Runtime, "[multinomial] probability tensor contains either inf, nan or element < 0");
    case 2: EMBER_FAIL(Runtime, "[multinomial] invalid multinomial distribution (sum of probabilities <= 0)");
    default: break;
  }
}

void multinomial_cpu(const Array& out, const Array& probs, int64_t num_samples, bool replacement,
                     uint64_t seed, uint64_t offset) {
  const int64_t rows = probs.shape()[0], k = probs.shape()[1];
  const double* p = probs.data<double>();
  int64_t* o = out.data<int64_t>();
  // Draw number e (row-major over the rows' draws) is slot e % 2 of block offset + e / 2.
  auto draw = [&](int64_t e) {
    Philox4 w = philox_block(seed, offset + static_cast<uint64_t>(e / 2));
    const int s = static_cast<int>(e & 1);
    return u53(w.v[2 * s], w.v[2 * s + 1]);
  };
  const int64_t work = replacement ? num_samples + k : k;
  parallel_for(0, rows, std::max<int64_t>(1, 16384 / work), [&](int64_t r0, int64_t r1) {
    std::vector<double> buf(k);
    std::vector<int64_t> idx;
    for (int64_t r = r0; r < r1; ++r) {
      const double* row = p + r * k;
      int64_t* orow = o + r * num_samples;
      if (replacement) {
        double acc = 0;
        int64_t last = 0;  // the last category of non-zero weight
        for (int64_t j = 0; j < k; ++j) {
          acc += row[j];
          buf[j] = acc;
          if (row[j] > 0.0) last = j;
        }
        for (int64_t s = 0; s < num_samples; ++s) {
          double target = draw(r * num_samples + s) * acc;
          int64_t j = std::upper_bound(buf.begin(), buf.end(), target) - buf.begin();
          orow[s] = std::min(j, last);  // target can round up to the total
        }
      } else {
        // Key p_j / E_j with E_j ~ Exp(1); the largest num_samples keys win.
        for (int64_t j = 0; j < k; ++j) {
          double e = -std::log1p(-draw(r * k + j));
          buf[j] = row[j] > 0.0 ? row[j] / e : -1.0;
        }
        idx.resize(k);
        std::iota(idx.begin(), idx.end(), int64_t(0));
        std::partial_sort(idx.begin(), idx.begin() + num_samples, idx.end(), [&](int64_t a, int64_t b) {
          return buf[a] > buf[b] || (buf[a] == buf[b] && a < b);
        });
        for (int64_t s = 0; s < num_samples; ++s) orow[s] = idx[s];
      }
    }
  });
}

}  // namespace rng
}  // namespace ember
