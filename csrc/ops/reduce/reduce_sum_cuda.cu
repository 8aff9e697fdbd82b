// reduce_sum_cuda.cu — sum, mean, nansum, nanmean, prod, all, any, count_nonzero on CUDA.
//
// Schedules (row / col / split + finalize) come from reduce_cuda_engine.cuh; this file
// only defines the accumulators. Floating sums accumulate in the compute type (float
// for float32/float16/bfloat16, double for float64) through a tree of partial sums;
// bool/integer sums and products accumulate in uint64 so overflow wraps like int64,
// with int64 output (PyTorch's rule). Prod kernels exist for int64 and floating inputs,
// nansum/nanmean kernels for float32/float64 (reduce.cpp widens the others first).
// Logical reductions read the raw bits (four instances for all dtypes) and write bool,
// uint8 or int64 depending on out's dtype.
#include "reduce_cuda.h"
#include "reduce_cuda_engine.cuh"
#include "reduce_kernels.h"

namespace ember {
namespace reduce_cuda {
namespace {

template <class T, bool F = IsFloatLike<T>::value> struct SumTypes;
template <class T> struct SumTypes<T, true> {
  using acc = typename DevCvt<T>::C;
  using out = T;
};
template <class T> struct SumTypes<T, false> {
  using acc = unsigned long long;
  using out = int64_t;
};

template <class T>
__device__ __forceinline__ typename SumTypes<T>::acc load_acc(const T& x) {
  if constexpr (IsFloatLike<T>::value) return DevCvt<T>::load(x);
  else return static_cast<unsigned long long>(static_cast<long long>(x));  // two's complement wrap
}

template <class T>
struct SumOp {
  static constexpr bool kVec = true;  // the bandwidth-critical reduction
  using in_t = T;
  using acc_t = typename SumTypes<T>::acc;
  using O = typename SumTypes<T>::out;
  O* out;
  double scale;  // 1 for sum, 1/N for mean
  __device__ acc_t init() const { return acc_t(0); }
  __device__ void fold(acc_t& a, const T& x, int64_t) const { a += load_acc(x); }
  __device__ acc_t combine(acc_t a, const acc_t& b) const { return a + b; }
  __device__ void finish(int64_t o, const acc_t& a) const {
    if constexpr (IsFloatLike<T>::value) {
      if (scale == 1.0) out[o] = DevCvt<T>::store(a);
      else out[o] = DevCvt<T>::store(static_cast<double>(a) * scale);
    } else {
      out[o] = static_cast<int64_t>(static_cast<long long>(a));
    }
  }
};

template <class T>
struct ProdOp {
  static constexpr bool kVec = false;
  using in_t = T;
  using acc_t = typename SumTypes<T>::acc;
  using O = typename SumTypes<T>::out;
  O* out;
  __device__ acc_t init() const { return acc_t(1); }
  __device__ void fold(acc_t& a, const T& x, int64_t) const { a *= load_acc(x); }
  __device__ acc_t combine(acc_t a, const acc_t& b) const { return a * b; }
  __device__ void finish(int64_t o, const acc_t& a) const {
    if constexpr (IsFloatLike<T>::value) out[o] = DevCvt<T>::store(a);
    else out[o] = static_cast<int64_t>(static_cast<long long>(a));
  }
};

template <class C> struct NanAcc { C s; long long c; };

// nansum / nanmean (floating inputs): NaNs count as absent.
template <class T>
struct NanSumOp {
  static constexpr bool kVec = false;
  using in_t = T;
  using C = typename DevCvt<T>::C;
  using acc_t = NanAcc<C>;
  T* out;
  bool mean;
  __device__ acc_t init() const { return acc_t{C(0), 0}; }
  __device__ void fold(acc_t& a, const T& x, int64_t) const {
    const C v = DevCvt<T>::load(x);
    if (v == v) {
      a.s += v;
      a.c += 1;
    }
  }
  __device__ acc_t combine(acc_t a, const acc_t& b) const { return acc_t{a.s + b.s, a.c + b.c}; }
  __device__ void finish(int64_t o, const acc_t& a) const {
    // 0/0 -> NaN for an all-NaN (or empty) nanmean, like torch.
    const double r = mean ? static_cast<double>(a.s) / static_cast<double>(a.c) : static_cast<double>(a.s);
    out[o] = DevCvt<T>::store(r);
  }
};

// all / any / count_nonzero on the raw bits of the element (U: an unsigned integer of
// the element's size): nonzero when (bits & mask) != 0, with mask clearing the sign bit
// of floating types (-0.0 is zero, NaN is nonzero) — four instances serve all dtypes.
template <class U>
struct LogicalOp {
  static constexpr bool kVec = false;
  using in_t = U;
  using acc_t = long long;
  void* out;
  U mask;
  int mode;    // LogicalMode
  int out_dt;  // 0 bool, 1 uint8, 2 int64
  __device__ acc_t init() const { return mode == static_cast<int>(LogicalMode::All) ? 1 : 0; }
  __device__ void fold(acc_t& a, const U& x, int64_t) const {
    const bool nz = (x & mask) != 0;
    if (mode == static_cast<int>(LogicalMode::All)) a = a && nz;
    else if (mode == static_cast<int>(LogicalMode::Any)) a = a || nz;
    else a += nz ? 1 : 0;
  }
  __device__ acc_t combine(acc_t a, const acc_t& b) const {
    if (mode == static_cast<int>(LogicalMode::All)) return (a && b) ? 1 : 0;
    if (mode == static_cast<int>(LogicalMode::Any)) return (a || b) ? 1 : 0;
    return a + b;
  }
  __device__ void finish(int64_t o, const acc_t& a) const {
    if (out_dt == 0) static_cast<bool*>(out)[o] = a != 0;
    else if (out_dt == 1) static_cast<uint8_t*>(out)[o] = static_cast<uint8_t>(a != 0);
    else static_cast<int64_t*>(out)[o] = static_cast<int64_t>(a);
  }
};

const char* sum_name(int mode) {
  switch (static_cast<SumMode>(mode)) {
    case SumMode::Mean: return "mean";
    case SumMode::NanSum: return "nansum";
    case SumMode::NanMean: return "nanmean";
    case SumMode::Prod: return "prod";
    default: return "sum";
  }
}

template <class T>
void run_sum(const Array& in, const ReducePlan& p, const Array& out, SumMode m, const char* name) {
  using O = typename SumTypes<T>::out;
  EMBER_CHECK(out.dtype() == dtype_of<O>::value, Type, "[", name, "] CUDA kernel expects a ",
              dtype_name(dtype_of<O>::value), " output, got ", dtype_name(out.dtype()));
  if (m == SumMode::Prod) {
    // reduce.cpp widens bool/integer inputs of prod to int64 (fewer kernel instances).
    if constexpr (IsFloatLike<T>::value || std::is_same<T, int64_t>::value) {
      ProdOp<T> op{out.data<O>()};
      launch(op, in.data<T>(), p, in.device(), name);
    } else {
      EMBER_FAIL(Type, "[", name, "] CUDA prod expects an int64 or floating input, got ", dtype_name(in.dtype()));
    }
    return;
  }
  if (m == SumMode::NanSum || m == SumMode::NanMean) {
    // float16/bfloat16 are widened to float32 by reduce.cpp; integers have no NaN.
    if constexpr (std::is_same<T, float>::value || std::is_same<T, double>::value) {
      NanSumOp<T> op{out.data<T>(), m == SumMode::NanMean};
      launch(op, in.data<T>(), p, in.device(), name);
      return;
    } else if constexpr (IsFloatLike<T>::value) {
      EMBER_FAIL(Type, "[", name, "] CUDA kernel expects a float32/float64 input, got ", dtype_name(in.dtype()));
    }
  }
  const double scale = m == SumMode::Mean ? 1.0 / static_cast<double>(p.n_red) : 1.0;
  SumOp<T> op{out.data<O>(), scale};
  launch(op, in.data<T>(), p, in.device(), name);
}

void sum_cuda(const Array& in, const ReducePlan& p, const Array& out, int mode) {
  const char* name = sum_name(mode);
  check_on(out, in.device(), name);
  cuda::DeviceGuard g(out.device().index, name);
  const SumMode m = static_cast<SumMode>(mode);
  EMBER_REDUCE_DISPATCH_ALL(in.dtype(), name, [&] { run_sum<scalar_t>(in, p, out, m, name); });
}

const char* logical_name(int mode) {
  switch (static_cast<LogicalMode>(mode)) {
    case LogicalMode::All: return "all";
    case LogicalMode::Any: return "any";
    default: return "count_nonzero";
  }
}

void logical_cuda(const Array& in, const ReducePlan& p, const Array& out, int mode) {
  const char* name = logical_name(mode);
  check_on(out, in.device(), name);
  cuda::DeviceGuard g(out.device().index, name);
  int out_dt = 2;
  if (out.dtype() == DType::Bool) out_dt = 0;
  else if (out.dtype() == DType::UInt8) out_dt = 1;
  else EMBER_CHECK(out.dtype() == DType::Int64, Type, "[", name, "] unexpected output dtype ",
                   dtype_name(out.dtype()));
  const bool fl = is_floating(in.dtype());
  auto go = [&](auto tag, unsigned long long float_mask) {
    using U = decltype(tag);
    const U mask = fl ? static_cast<U>(float_mask) : static_cast<U>(~0ull);
    LogicalOp<U> op{out.data_ptr(), mask, mode, out_dt};
    launch(op, static_cast<const U*>(in.data_ptr()), p, in.device(), name);
  };
  switch (itemsize(in.dtype())) {
    case 1: go(uint8_t(), 0xffull); break;
    case 2: go(uint16_t(), 0x7fffull); break;
    case 4: go(uint32_t(), 0x7fffffffull); break;
    default: go(uint64_t(), 0x7fffffffffffffffull); break;
  }
}

}  // namespace
}  // namespace reduce_cuda
}  // namespace ember

EMBER_CUDA_REGISTER(reduce_sum, ember::reduce_cuda::sum_cuda);
EMBER_CUDA_REGISTER(reduce_logical, ember::reduce_cuda::logical_cuda);
