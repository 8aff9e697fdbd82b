// factory.cpp — arange, linspace, logspace and eye. Each fills a contiguous
// CPU buffer in parallel (element i computed from i alone, so chunks are
// independent) and moves it to the target device when that is not the CPU.
// linspace uses torch's symmetric formula (from start for the first half, from
// end for the second) so both endpoints are exact.
#include <cmath>

#include "core/parallel.h"
#include "factory.h"

namespace ember {
namespace {

template <class F>
Array fill_with(const Shape& shape, DType dtype, Device device, const char* op, const F& value_at) {
  Array out = Array::empty(shape, dtype);
  const int64_t n = out.numel();
  EMBER_DISPATCH_ALL(dtype, op, [&] {
    scalar_t* p = out.data<scalar_t>();
    parallel_for(0, n, 32768, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) p[i] = value_at(i, scalar_t{});
    });
  });
  return device.is_cpu() ? out : out.to(device);
}

}  // namespace

Array arange(double start, double end, double step, DType dtype, Device device) {
  EMBER_CHECK(step != 0, Value, "[arange] step must be nonzero");
  EMBER_CHECK(std::isfinite(start) && std::isfinite(end), Value, "[arange] unsupported range: ", start, " -> ", end);
  EMBER_CHECK((step > 0 && end >= start) || (step < 0 && end <= start), Value,
              "[arange] upper bound and larger bound inconsistent with step sign: start ", start, ", end ", end,
              ", step ", step);
  if (is_integral(dtype) || dtype == DType::Bool) {
    // torch casts start, end and step to the integer type first (size included).
    const int64_t s0 = static_cast<int64_t>(start), e0 = static_cast<int64_t>(end), st = static_cast<int64_t>(step);
    EMBER_CHECK(st != 0, Value, "[arange] step ", step, " truncates to 0 for dtype ", dtype_name(dtype));
    const double size_i = std::ceil(static_cast<double>(e0 - s0) / static_cast<double>(st));
    const int64_t size = size_i > 0 ? static_cast<int64_t>(size_i) : 0;
    return fill_with({size}, dtype, device, "arange", [&](int64_t i, auto t) {
      return Cvt<decltype(t)>::template store<int64_t>(s0 + i * st);
    });
  }
  const double size_d = std::ceil((end - start) / step);
  EMBER_CHECK(size_d >= 0 && size_d < 9.0e18, Value, "[arange] invalid size ", size_d);
  const int64_t size = static_cast<int64_t>(size_d);
  return fill_with({size}, dtype, device, "arange", [&](int64_t i, auto t) {
    return Cvt<decltype(t)>::template store<double>(start + static_cast<double>(i) * step);
  });
}

Array linspace(double start, double end, int64_t steps, DType dtype, Device device) {
  EMBER_CHECK(steps >= 0, Value, "[linspace] number of steps must be non-negative, got ", steps);
  const double step = steps > 1 ? (end - start) / static_cast<double>(steps - 1) : 0.0;
  const int64_t half = steps / 2;
  return fill_with({steps}, dtype, device, "linspace", [&](int64_t i, auto t) {
    double v = i < half ? start + step * static_cast<double>(i) : end - step * static_cast<double>(steps - i - 1);
    if (steps == 1) v = start;
    using T = decltype(t);
    if constexpr (std::is_integral<T>::value && !std::is_same<T, bool>::value) return static_cast<T>(v);
    else return Cvt<T>::template store<double>(v);
  });
}

Array logspace(double start, double end, int64_t steps, double base, DType dtype, Device device) {
  EMBER_CHECK(steps >= 0, Value, "[logspace] number of steps must be non-negative, got ", steps);
  const double step = steps > 1 ? (end - start) / static_cast<double>(steps - 1) : 0.0;
  const int64_t half = steps / 2;
  return fill_with({steps}, dtype, device, "logspace", [&](int64_t i, auto t) {
    double e = i < half ? start + step * static_cast<double>(i) : end - step * static_cast<double>(steps - i - 1);
    if (steps == 1) e = start;
    using T = decltype(t);
    double v = std::pow(base, e);
    if constexpr (std::is_integral<T>::value && !std::is_same<T, bool>::value) return static_cast<T>(v);
    else return Cvt<T>::template store<double>(v);
  });
}

Array eye(int64_t n, int64_t m, DType dtype, Device device) {
  if (m < 0) m = n;
  EMBER_CHECK(n >= 0 && m >= 0, Value, "[eye] n and m must be non-negative, got ", n, " and ", m);
  return fill_with({n, m}, dtype, device, "eye", [&](int64_t i, auto t) {
    return Cvt<decltype(t)>::template store<int>(i / m == i % m ? 1 : 0);
  });
}

}  // namespace ember
