// random.h — ember's random number generation: the Philox generator state and
// the sampling ops (in-place fills and the few ops that make new arrays).
//
// A Generator is (seed, offset): the Philox key and the next unused counter
// block. Each op reserves the blocks it needs up front (see
// random_transforms.h), so a draw is a pure function of (seed, offset, element
// index): the same on any thread count and on the CPU and CUDA backends. Every
// op takes a Generator*; nullptr means the process-wide default generator.
#pragma once
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>

#include "core/array.h"

namespace ember {

class Generator {
 public:
  explicit Generator(uint64_t seed) : seed_(seed) {}
  void manual_seed(uint64_t seed);  // also resets the offset
  uint64_t seed();                  // reseeds from a non-deterministic source; returns the seed
  uint64_t initial_seed() const;
  uint64_t offset() const;
  // Returns (seed, first block) and advances the offset by nblocks.
  std::pair<uint64_t, uint64_t> reserve(uint64_t nblocks);
  // 16 bytes as a uint8 CPU array: seed then offset, both little-endian.
  Array get_state() const;
  void set_state(const Array& state);

 private:
  mutable std::mutex mu_;
  uint64_t seed_;
  uint64_t offset_ = 0;
};

// The process-wide generator, seeded from a non-deterministic source at startup.
const std::shared_ptr<Generator>& default_generator();
// A fresh 64-bit seed from std::random_device mixed with the clock.
uint64_t nondeterministic_seed();

// ---- in-place fills (any layout: non-contiguous outputs are filled through a copy) ----
void uniform_(const Array& self, double from, double to, Generator* gen = nullptr);
void normal_(const Array& self, double mean, double std, Generator* gen = nullptr);
void log_normal_(const Array& self, double mean, double std, Generator* gen = nullptr);
void exponential_(const Array& self, double lambd, Generator* gen = nullptr);
void cauchy_(const Array& self, double median, double sigma, Generator* gen = nullptr);
void geometric_(const Array& self, double p, Generator* gen = nullptr);
// Integers in [from, to); without `to`, PyTorch's random_(): [0, 2^mantissa] for
// floats, [0, max] for integers. With to = nullopt and from given: [0, from) is
// the caller's random_(to) form, so pass from = 0, to = value.
// `op` names the caller in errors (randint fills through random_).
void random_(const Array& self, std::optional<int64_t> from, std::optional<int64_t> to, Generator* gen = nullptr,
             const char* op = "random_");
void bernoulli_(const Array& self, double p, Generator* gen = nullptr);
// p broadcast to self's shape; every p in [0, 1].
void bernoulli_(const Array& self, const Array& p, Generator* gen = nullptr);

// ---- ops that make arrays ----
// Samples with probabilities `p` (output of p's dtype, shape and device).
Array bernoulli(const Array& p, Generator* gen = nullptr);
// A random permutation of 0..n-1 (Fisher-Yates driven by Philox).
Array randperm(int64_t n, DType dtype, Device device, Generator* gen = nullptr);
// Indices sampled from the rows of `probs` (1-D or 2-D, unnormalised weights):
// int64 of shape (num_samples,) or (rows, num_samples).
Array multinomial(const Array& probs, int64_t num_samples, bool replacement, Generator* gen = nullptr);

}  // namespace ember
