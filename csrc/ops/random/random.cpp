// random.cpp — generator state, argument checks and device dispatch of the
// random ops. A fill reserves ceil(numel / samples-per-block) Philox blocks and
// hands (seed, first block) to the backend; a non-contiguous output is filled
// through a contiguous buffer so its values equal a contiguous fill's.
#include "random.h"

#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "core/cuda_api.h"
#include "random_backend.h"

namespace ember {

// ---------------------------------------------------------------- generator

void Generator::manual_seed(uint64_t seed) {
  std::lock_guard<std::mutex> lock(mu_);
  seed_ = seed;
  offset_ = 0;
}

uint64_t Generator::seed() {
  uint64_t s = nondeterministic_seed();
  manual_seed(s);
  return s;
}

uint64_t Generator::initial_seed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return seed_;
}

uint64_t Generator::offset() const {
  std::lock_guard<std::mutex> lock(mu_);
  return offset_;
}

std::pair<uint64_t, uint64_t> Generator::reserve(uint64_t nblocks) {
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t first = offset_;
  offset_ += nblocks;
  return {seed_, first};
}

Array Generator::get_state() const {
  Array s = Array::empty({16}, DType::UInt8);
  std::lock_guard<std::mutex> lock(mu_);
  uint8_t* d = s.data<uint8_t>();
  for (int i = 0; i < 8; ++i) {
    d[i] = static_cast<uint8_t>(seed_ >> (8 * i));
    d[8 + i] = static_cast<uint8_t>(offset_ >> (8 * i));
  }
  return s;
}

void Generator::set_state(const Array& state) {
  EMBER_CHECK(state.defined() && state.dtype() == DType::UInt8 && state.numel() == 16, Type,
              "[set_rng_state] expected a uint8 tensor of 16 bytes (seed, offset) as made by get_rng_state, got ",
              state.defined() ? dtype_name(state.dtype()) : "undefined", " of shape ",
              state.defined() ? shape_str(state.shape()) : "()");
  Array c = state.to(cpu_device()).contiguous();
  const uint8_t* d = c.data<uint8_t>();
  uint64_t seed = 0, offset = 0;
  for (int i = 0; i < 8; ++i) {
    seed |= static_cast<uint64_t>(d[i]) << (8 * i);
    offset |= static_cast<uint64_t>(d[8 + i]) << (8 * i);
  }
  std::lock_guard<std::mutex> lock(mu_);
  seed_ = seed;
  offset_ = offset;
}

uint64_t nondeterministic_seed() {
  std::random_device rd;
  uint64_t s = (static_cast<uint64_t>(rd()) << 32) ^ rd();
  // random_device may be deterministic on some platforms: mix in the clock.
  s ^= static_cast<uint64_t>(std::chrono::high_resolution_clock::now().time_since_epoch().count()) *
       0x9E3779B97F4A7C15ull;
  return s;
}

const std::shared_ptr<Generator>& default_generator() {
  static const std::shared_ptr<Generator> g = std::make_shared<Generator>(nondeterministic_seed());
  return g;
}

// ---------------------------------------------------------------- helpers

namespace {

Generator& gen_or_default(Generator* g) { return g ? *g : *default_generator(); }

void check_defined(const Array& a, const char* op) {
  EMBER_CHECK(a.defined(), Value, "[", op, "] undefined tensor");
}

void check_floating(const Array& a, const char* op) {
  check_defined(a, op);
  EMBER_CHECK(is_floating(a.dtype()), Type, "[", op, "] expected a floating point tensor, got ", dtype_name(a.dtype()));
}

// Fills self with distribution d through a contiguous buffer when needed.
void fill(const Array& self, rng::Dist d, const rng::DistParams& p, Generator* gen) {
  if (self.numel() == 0) {
    self.bump_version();
    return;
  }
  Array out = self.is_contiguous() ? self : Array::empty(self.shape(), self.dtype(), self.device());
  int64_t per = rng::per_block(d, self.dtype());
  uint64_t nblocks = static_cast<uint64_t>((self.numel() + per - 1) / per);
  auto [seed, first] = gen_or_default(gen).reserve(nblocks);
  if (out.device().is_cuda()) cuda_kernels::random_fill("random")(out, d, p, seed, first);
  else rng::fill_cpu(out, d, p, seed, first);
  if (out.storage() != self.storage()) Array(self).copy_(out);
  else self.bump_version();
}

// The integers a dtype holds exactly: [lo, hi].
void exact_int_range(DType t, int64_t& lo, int64_t& hi) {
  switch (t) {
    case DType::Bool: lo = 0; hi = 1; return;
    case DType::UInt8: lo = 0; hi = 255; return;
    case DType::Int32: lo = std::numeric_limits<int32_t>::min(); hi = std::numeric_limits<int32_t>::max(); return;
    case DType::Int64: lo = std::numeric_limits<int64_t>::min(); hi = std::numeric_limits<int64_t>::max(); return;
    case DType::Float16: hi = int64_t(1) << 11; break;
    case DType::BFloat16: hi = int64_t(1) << 8; break;
    case DType::Float32: hi = int64_t(1) << 24; break;
    default: hi = int64_t(1) << 53; break;
  }
  lo = -hi;
}

}  // namespace

// ---------------------------------------------------------------- fills

void uniform_(const Array& self, double from, double to, Generator* gen) {
  check_floating(self, "uniform_");
  EMBER_CHECK(std::isfinite(from) && std::isfinite(to), Value, "[uniform_] expects finite from and to, got from=",
              from, " to=", to);
  EMBER_CHECK(from <= to, Value, "[uniform_] expects to return a [from, to) range, but found from=", from,
              " > to=", to);
  rng::DistParams p;
  p.a = from;
  p.b = to;
  fill(self, rng::Dist::Uniform, p, gen);
}

void normal_(const Array& self, double mean, double std, Generator* gen) {
  check_floating(self, "normal_");
  EMBER_CHECK(std >= 0.0, Value, "[normal_] expects std >= 0.0, but found std=", std);
  rng::DistParams p;
  p.a = mean;
  p.b = std;
  fill(self, rng::Dist::Normal, p, gen);
}

void log_normal_(const Array& self, double mean, double std, Generator* gen) {
  check_floating(self, "log_normal_");
  EMBER_CHECK(std > 0.0, Value, "[log_normal_] expects std > 0.0, but found std=", std);
  rng::DistParams p;
  p.a = mean;
  p.b = std;
  fill(self, rng::Dist::LogNormal, p, gen);
}

void exponential_(const Array& self, double lambd, Generator* gen) {
  check_floating(self, "exponential_");
  EMBER_CHECK(lambd > 0.0, Value, "[exponential_] expects lambda > 0.0, but found lambda=", lambd);
  rng::DistParams p;
  p.a = lambd;
  fill(self, rng::Dist::Exponential, p, gen);
}

void cauchy_(const Array& self, double median, double sigma, Generator* gen) {
  check_floating(self, "cauchy_");
  EMBER_CHECK(sigma > 0.0, Value, "[cauchy_] expects sigma > 0.0, but found sigma=", sigma);
  rng::DistParams p;
  p.a = median;
  p.b = sigma;
  fill(self, rng::Dist::Cauchy, p, gen);
}

void geometric_(const Array& self, double prob, Generator* gen) {
  check_defined(self, "geometric_");
  EMBER_CHECK(self.dtype() != DType::Bool, Type, "[geometric_] not implemented for bool tensors");
  EMBER_CHECK(prob > 0.0 && prob < 1.0, Value, "[geometric_] expects p to be in (0, 1), but got p=", prob);
  rng::DistParams p;
  p.a = prob;
  fill(self, rng::Dist::Geometric, p, gen);
}

void random_(const Array& self, std::optional<int64_t> from, std::optional<int64_t> to, Generator* gen,
             const char* op) {
  check_defined(self, op);
  int64_t lo, hi;
  exact_int_range(self.dtype(), lo, hi);
  rng::DistParams p;
  if (!from && !to) {  // PyTorch's default: [0, 2^mantissa] for floats, [0, max] for integers
    p.low = 0;
    p.range = static_cast<uint64_t>(hi) + 1;
  } else {
    int64_t f = from.value_or(0);
    EMBER_CHECK(f >= lo && f <= hi, Value, "[", op, "] from=", f, " is out of bounds for dtype ",
                dtype_name(self.dtype()), " (expected a value in [", lo, ", ", hi, "])");
    if (to) {
      int64_t t = *to;
      EMBER_CHECK(f < t, Value, "[", op, "] expects 'from' to be less than 'to', but got from=", f, " >= to=", t);
      EMBER_CHECK(t - 1 <= hi, Value, "[", op, "] to - 1=", t - 1, " is out of bounds for dtype ",
                  dtype_name(self.dtype()), " (expected a value in [", lo, ", ", hi, "])");
      p.range = static_cast<uint64_t>(t) - static_cast<uint64_t>(f);
    } else {
      p.range = static_cast<uint64_t>(hi) - static_cast<uint64_t>(f) + 1;  // wraps to 0 (= 2^64) on the full int64 range
    }
    p.low = f;
  }
  fill(self, rng::Dist::RandInt, p, gen);
}

void bernoulli_(const Array& self, double prob, Generator* gen) {
  check_defined(self, "bernoulli_");
  EMBER_CHECK(prob >= 0.0 && prob <= 1.0, Value, "[bernoulli_] expects p to be in [0, 1], but got p=", prob);
  rng::DistParams p;
  p.a = prob;
  fill(self, rng::Dist::Bernoulli, p, gen);
}

namespace {
void bernoulli_tensor(const Array& self, const Array& prob, Generator* gen, const char* op) {
  check_defined(self, op);
  check_defined(prob, op);
  EMBER_CHECK(is_floating(prob.dtype()), Type, "[", op, "] expected floating point probabilities, got ",
              dtype_name(prob.dtype()));
  EMBER_CHECK(prob.device() == self.device(), Value, "[", op, "] expected p on ", self.device().str(),
              " like self, got p on ", prob.device().str());
  Shape bs = broadcast_shapes(self.shape(), prob.shape(), op);
  EMBER_CHECK(bs == self.shape(), Value, "[", op, "] p of shape ", shape_str(prob.shape()),
              " cannot be broadcast to self of shape ", shape_str(self.shape()));
  if (self.numel() == 0) {
    self.bump_version();
    return;
  }
  Array p64 = prob.expand(self.shape()).to(DType::Float64).contiguous();
  bool ok = self.device().is_cuda() ? cuda_kernels::random_probs_in_unit_interval("bernoulli")(p64) : rng::probs_in_unit_interval_cpu(p64);
  EMBER_CHECK(ok, Value, "[", op, "] expected all probabilities in [0, 1] (no NaN)");
  Array out = self.is_contiguous() ? self : Array::empty(self.shape(), self.dtype(), self.device());
  uint64_t nblocks = static_cast<uint64_t>((self.numel() + 3) / 4);
  auto [seed, first] = gen_or_default(gen).reserve(nblocks);
  if (out.device().is_cuda()) cuda_kernels::random_bernoulli_tensor("bernoulli")(out, p64, seed, first);
  else rng::bernoulli_tensor_cpu(out, p64, seed, first);
  if (out.storage() != self.storage()) Array(self).copy_(out);
  else self.bump_version();
}
}  // namespace

void bernoulli_(const Array& self, const Array& prob, Generator* gen) { bernoulli_tensor(self, prob, gen, "bernoulli_"); }

Array bernoulli(const Array& prob, Generator* gen) {
  check_defined(prob, "bernoulli");
  Array out = Array::empty(prob.shape(), prob.dtype(), prob.device());
  bernoulli_tensor(out, prob, gen, "bernoulli");
  return out;
}

// ---------------------------------------------------------------- new arrays

Array randperm(int64_t n, DType dtype, Device device, Generator* gen) {
  EMBER_CHECK(n >= 0, Value, "[randperm] n must be non-negative, got ", n);
  int64_t lo, hi;
  exact_int_range(dtype, lo, hi);
  EMBER_CHECK(dtype != DType::Bool, Type, "[randperm] not implemented for bool");
  EMBER_CHECK(n == 0 || n - 1 <= hi, Value, "[randperm] n=", n, " is too large for dtype ", dtype_name(dtype));
  if (device.is_cuda()) cuda::check_device(device.index, "randperm");
  Array perm = Array::empty({n}, DType::Int64, Device{}, "randperm");
  auto [seed, first] = gen_or_default(gen).reserve(static_cast<uint64_t>((n + 1) / 2));
  // Fisher-Yates is sequential: it runs on the CPU for every device (the
  // result, a function of (seed, first) only, is the same either way).
  rng::randperm_cpu(perm.data<int64_t>(), n, seed, first);
  return perm.to(dtype).to(device);
}

Array multinomial(const Array& probs, int64_t num_samples, bool replacement, Generator* gen) {
  check_defined(probs, "multinomial");
  EMBER_CHECK(probs.ndim() == 1 || probs.ndim() == 2, Runtime, "[multinomial] prob_dist must be 1 or 2 dim, got shape ",
              shape_str(probs.shape()));
  EMBER_CHECK(is_floating(probs.dtype()), Runtime, "[multinomial] expected floating point probabilities, got ",
              dtype_name(probs.dtype()));
  EMBER_CHECK(num_samples > 0, Runtime, "[multinomial] cannot sample n_sample <= 0 samples, got ", num_samples);
  int64_t k = probs.shape().back();
  EMBER_CHECK(k > 0, Runtime, "[multinomial] prob_dist of shape ", shape_str(probs.shape()), " has no categories");
  EMBER_CHECK(replacement || num_samples <= k, Runtime, "[multinomial] cannot sample n_sample=", num_samples,
              " > prob_dist.size(-1)=", k, " samples without replacement");
  int64_t rows = probs.ndim() == 2 ? probs.shape()[0] : 1;
  // The sampling is a per-row search/selection: it runs on the CPU for every
  // device; the indices are a function of (seed, first) only.
  Array p64 = probs.to(cpu_device()).to(DType::Float64).contiguous().reshape({rows, k});
  rng::multinomial_check_cpu(p64, num_samples, replacement);
  Array out = Array::empty({rows, num_samples}, DType::Int64, Device{}, "multinomial");
  int64_t draws = rows * (replacement ? num_samples : k);
  auto [seed, first] = gen_or_default(gen).reserve(static_cast<uint64_t>((draws + 1) / 2));
  rng::multinomial_cpu(out, p64, num_samples, replacement, seed, first);
  if (probs.ndim() == 1) out = out.reshape({num_samples});
  return out.to(probs.device());
}

}  // namespace ember
