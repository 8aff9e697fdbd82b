// factory.cpp — arange, linspace, logspace and eye. Each fills a contiguous
// CPU buffer in parallel (element i computed from i alone, so chunks are
// independent) and moves it to the target device when that is not the CPU.
// linspace uses torch's symmetric formula (from start for the first half, from
// end for the second) so both endpoints are exact. arange's length follows torch's
// RangeFactories rule per dtype, computed without wrapping (int64 in 128 bits).
#include <cmath>

#include "core/checked.h"
#include "core/parallel.h"
#include "factory.h"

namespace ember {
namespace {

template <class F>
Array fill_with(const Shape& shape, DType dtype, Device device, const char* op, const F& value_at) {
  Array out = Array::empty(shape, dtype, Device{}, op);
  const int64_t n = out.numel();
  EMBER_DISPATCH_ALL(dtype, op, [&] {
    scalar_t* p = out.data<scalar_t>();
    parallel_for(0, n, 32768, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) p[i] = value_at(i, scalar_t{});
    });
  });
  return device.is_cpu() ? out : out.to(device);
}

// torch's arange length rule (RangeFactories.cpp), checks in torch's order.
void check_range(double start, double end, double step) {
  EMBER_CHECK(step != 0, Runtime, "[arange] step must be nonzero");
  EMBER_CHECK(std::isfinite(start) && std::isfinite(end), Runtime, "[arange] unsupported range: ", start, " -> ", end);
  EMBER_CHECK((step > 0 && end >= start) || (step < 0 && end <= start), Runtime,
              "[arange] upper bound and lower bound inconsistent with step sign: start ", start, ", end ", end,
              ", step ", step);
}

// ceil(span / step) for non-integer dtypes: computed in double as torch does.
int64_t double_length(double start, double end, double step) {
  const double size_d = std::ceil((end - start) / step);
  // 2^63 itself does not fit in int64: the bound is strict.
  EMBER_CHECK(size_d >= 0 && size_d < 9223372036854775808.0, Runtime, "[arange] invalid size ", size_d,
              " for range ", start, " -> ", end, " with step ", step, ", possible overflow?");
  return static_cast<int64_t>(size_d);
}

// Double -> int64 as torch's Scalar::to<int64_t>, but refusing values out of range instead of UB.
int64_t to_int64(double v, const char* what) {
  EMBER_CHECK(v >= -9223372036854775808.0 && v < 9223372036854775808.0, Runtime, "[arange] ", what, " ", v,
              " does not fit in int64");
  return static_cast<int64_t>(v);
}
}  // namespace

Array arange_int64(int64_t s0, int64_t e0, int64_t st, DType dtype, Device device) {
  check_range(static_cast<double>(s0), static_cast<double>(e0), static_cast<double>(st));
  EMBER_CHECK((st > 0 && e0 >= s0) || (st < 0 && e0 <= s0), Runtime,
              "[arange] upper bound and lower bound inconsistent with step sign: start ", s0, ", end ", e0, ", step ",
              st);
  // torch: (end - start + step - sgn) / step in int64; here in 128 bits so it never wraps.
  const __int128 sgn = st > 0 ? 1 : -1;
  const __int128 size = (static_cast<__int128>(e0) - s0 + st - sgn) / st;
  EMBER_CHECK(size >= 0 && size <= INT64_MAX, Runtime, "[arange] invalid size for range ", s0, " -> ", e0,
              " with step ", st, ", possible overflow?");
  // start + i * step stays within [start, end] for i < size: no overflow.
  return fill_with({static_cast<int64_t>(size)}, dtype, device, "arange", [&](int64_t i, auto t) {
    return Cvt<decltype(t)>::template store<int64_t>(s0 + i * st);
  });
}

Array arange(double start, double end, double step, DType dtype, Device device) {
  if (dtype == DType::Int64) {
    // torch checks the sign on the given values, then casts start, end and step to
    // int64; the length follows from the cast values.
    check_range(start, end, step);
    EMBER_CHECK(std::isfinite(step), Value, "[arange] unsupported step ", step);
    const int64_t st = to_int64(step, "step");
    EMBER_CHECK(st != 0, Value, "[arange] step must be nonzero (step ", step, " truncates to 0 for dtype int64)");
    return arange_int64(to_int64(start, "start"), to_int64(end, "end"), st, dtype, device);
  }
  check_range(start, end, step);
  const int64_t size = double_length(start, end, step);
  if (is_integral(dtype) || dtype == DType::Bool) {
    // Other integer dtypes: torch takes the length from the double arguments and
    // the values from start + i * step computed on the truncated int64 arguments.
    const int64_t s0 = to_int64(start, "start"), st = to_int64(step, "step");
    EMBER_CHECK(st != 0, Value, "[arange] step must be nonzero (step ", step, " truncates to 0 for dtype ",
                dtype_name(dtype), ")");
    return fill_with({size}, dtype, device, "arange", [&](int64_t i, auto t) {
      return Cvt<decltype(t)>::template store<int64_t>(static_cast<int64_t>(static_cast<uint64_t>(s0) +
                                                                            static_cast<uint64_t>(i) * st));
    });
  }
  return fill_with({size}, dtype, device, "arange", [&](int64_t i, auto t) {
    return Cvt<decltype(t)>::template store<double>(start + static_cast<double>(i) * step);
  });
}

Array linspace(double start, double end, int64_t steps, DType dtype, Device device) {
  EMBER_CHECK(steps >= 0, Runtime, "[linspace] number of steps must be non-negative, got ", steps);
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
  EMBER_CHECK(steps >= 0, Runtime, "[logspace] number of steps must be non-negative, got ", steps);
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
  EMBER_CHECK(n >= 0 && m >= 0, Runtime, "[eye] n and m must be non-negative, got ", n, " and ", m);
  checked_numel({n, m}, "eye");
  return fill_with({n, m}, dtype, device, "eye", [&](int64_t i, auto t) {
    return Cvt<decltype(t)>::template store<int>(i / m == i % m ? 1 : 0);
  });
}

}  // namespace ember
