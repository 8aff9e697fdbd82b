// reduce_minmax_cuda.cu — amax/amin and max/min/argmax/argmin (values and int64
// indices) on CUDA, for every dtype.
//
// One accumulator (value, flat reduce index) serves both: amax simply ignores the
// index. NaN wins over numbers; ties and several NaNs keep the smallest index, so the
// result does not depend on how threads split the range (first occurrence, like the
// CPU). Schedules come from reduce_cuda_engine.cuh; is_max is a runtime flag to keep
// the number of kernel instances down.
#include "reduce_cuda.h"
#include "reduce_cuda_engine.cuh"

namespace ember {
namespace reduce_cuda {
namespace {

template <class C> struct ArgAcc {
  C v;
  long long i;  // -1: empty
};

template <class T>
struct ExtremeOp {
  static constexpr bool kVec = IsFloatLike<T>::value;  // amax/max of floats stream
  using in_t = T;
  using C = typename DevCvt<T>::C;
  using acc_t = ArgAcc<C>;
  T* values;       // may be null (argmax/argmin)
  int64_t* index;  // may be null (amax/amin)
  bool is_max;

  // True when x should replace a (x strictly better, or x NaN and a not).
  __device__ __forceinline__ bool better(C x, C a) const {
    if constexpr (IsFloatLike<T>::value) return (is_max ? x > a : x < a) || (x != x && a == a);
    else return is_max ? x > a : x < a;
  }
  __device__ acc_t init() const { return acc_t{C(0), -1}; }
  // Within one thread indices only grow, so a strict comparison keeps the first.
  __device__ void fold(acc_t& a, const T& x, int64_t r) const {
    const C v = DevCvt<T>::load(x);
    if (a.i < 0 || better(v, a.v)) {
      a.v = v;
      a.i = r;
    }
  }
  __device__ acc_t combine(acc_t a, const acc_t& b) const {
    if (b.i < 0) return a;
    if (a.i < 0) return b;
    if (better(b.v, a.v)) return b;
    if (better(a.v, b.v)) return a;
    return b.i < a.i ? b : a;  // equal (or both NaN): first index
  }
  __device__ void finish(int64_t o, const acc_t& a) const {
    if (values) values[o] = DevCvt<T>::store(a.v);
    if (index) index[o] = static_cast<int64_t>(a.i);
  }
};

void extreme_cuda(const Array& in, const ReducePlan& p, const Array& values, const Array& indices, bool is_max) {
  const char* name = is_max ? "max" : "min";
  check_on(values, in.device(), name);
  check_on(indices, in.device(), name);
  cuda::DeviceGuard g(in.device().index, name);
  if (values.defined())
    EMBER_CHECK(values.dtype() == in.dtype(), Type, "[", name, "] values must have the input's dtype");
  if (indices.defined())
    EMBER_CHECK(indices.dtype() == DType::Int64, Type, "[", name, "] indices must be int64");
  EMBER_REDUCE_DISPATCH_ALL(in.dtype(), name, [&] {
    using T = scalar_t;
    ExtremeOp<T> op{values.defined() ? values.data<T>() : nullptr,
                    indices.defined() ? indices.data<int64_t>() : nullptr, is_max};
    launch(op, in.data<T>(), p, in.device(), name);
  });
}

}  // namespace
}  // namespace reduce_cuda
}  // namespace ember

EMBER_CUDA_REGISTER(reduce_extreme, ember::reduce_cuda::extreme_cuda);
