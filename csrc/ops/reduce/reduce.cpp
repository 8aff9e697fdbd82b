// reduce.cpp — the reduce family's entry points: argument checks, dims and
// keepdim, PyTorch's dtype rules, output allocation (on the input's device) and
// dispatch. CPU kernels live in reduce_*_cpu.cpp / scan_cpu.cpp, CUDA kernels in
// reduce_*_cuda.cu (reduce_cuda.h); both walk the same ReducePlan of the strided input.
#include "reduce.h"

#include <cmath>

#include "reduce_cuda.h"
#include "reduce_kernels.h"
#include "reduce_plan.h"

namespace ember {
namespace {

DType sum_out_dtype(DType t) { return is_floating(t) ? t : DType::Int64; }

// CUDA builds its statistics kernels (var/std, norms, logsumexp, nansum/nanmean) for
// float32/float64 only, to keep the CUDA module small: float16/bfloat16 inputs of those
// ops are widened to float32 (where the kernels compute anyway) and the result rounded
// back, which stores the same values.
bool cuda_half(const Array& a) {
  return a.device().is_cuda() && (a.dtype() == DType::Float16 || a.dtype() == DType::BFloat16);
}

// Casts to the requested dtype first, as torch does for sum(..., dtype=).
Array cast_input(const Array& a, std::optional<DType> dtype) {
  return dtype && *dtype != a.dtype() ? a.to(*dtype) : a;
}

void check_floating(const Array& a, const char* op) {
  EMBER_CHECK(is_floating(a.dtype()), Type, "[", op, "] expected a floating point input, got ",
              dtype_name(a.dtype()), ": convert it with .float() or pass dtype=");
}

Array sum_like(const Array& a0, const Dims& dims, bool keepdim, std::optional<DType> dtype, SumMode mode,
               const char* op) {
  check_reduce_input(a0, op);
  if (mode == SumMode::Mean || mode == SumMode::NanMean) {
    DType t = dtype ? *dtype : a0.dtype();
    EMBER_CHECK(is_floating(t), Type, "[", op, "] could not infer the output dtype: input dtype must be ",
                "floating point, got ", dtype_name(t), " (pass dtype=ember.float32)");
  }
  Array a = cast_input(a0, dtype);
  // CUDA builds prod kernels for int64 and floating inputs only (kernel size): bool and
  // integers multiply in int64 either way, so they are widened first (same result).
  if (a.device().is_cuda() && mode == SumMode::Prod && !is_floating(a.dtype())) a = a.to(DType::Int64);
  if ((mode == SumMode::NanSum || mode == SumMode::NanMean) && cuda_half(a))
    return sum_like(a.to(DType::Float32), dims, keepdim, std::nullopt, mode, op).to(a.dtype());
  ReduceDims rd = resolve_dims(a, dims, keepdim, op);
  Array out = Array::empty(rd.out_shape, sum_out_dtype(a.dtype()), a.device());
  const ReducePlan plan = make_plan(a, rd.reduced, true);
  if (out.device().is_cuda()) cuda_kernels::reduce_sum(op)(a, plan, out, static_cast<int>(mode));
  else sum_kernel_cpu(a, plan, out, mode);
  return out;
}

Array logical(const Array& a, const Dims& dims, bool keepdim, LogicalMode mode, const char* op) {
  check_reduce_input(a, op);
  ReduceDims rd = resolve_dims(a, dims, keepdim, op);
  DType t = mode == LogicalMode::CountNonzero ? DType::Int64
            : a.dtype() == DType::UInt8       ? DType::UInt8
                                              : DType::Bool;
  Array out = Array::empty(rd.out_shape, t, a.device());
  const ReducePlan plan = make_plan(a, rd.reduced, true);
  if (out.device().is_cuda()) cuda_kernels::reduce_logical(op)(a, plan, out, static_cast<int>(mode));
  else logical_kernel_cpu(a, plan, out, mode);
  return out;
}

Array extreme_values(const Array& a, const Dims& dims, bool keepdim, bool is_max, const char* op) {
  check_reduce_input(a, op);
  ReduceDims rd = resolve_dims(a, dims, keepdim, op);
  check_nonempty_reduction(a, rd, op);
  Array out = Array::empty(rd.out_shape, a.dtype(), a.device());
  const ReducePlan plan = make_plan(a, rd.reduced, true);
  if (out.device().is_cuda()) cuda_kernels::reduce_extreme(op)(a, plan, out, Array(), is_max);
  else extreme_kernel_cpu(a, plan, out, Array(), is_max);
  return out;
}

// values and indices along one dim (values undefined for argmax/argmin).
std::pair<Array, Array> extreme_dim(const Array& a, int64_t dim, bool keepdim, bool is_max, bool want_values,
                                    const char* op) {
  check_reduce_input(a, op);
  ReduceDims rd = resolve_dims(a, {dim}, keepdim, op);
  if (a.ndim() == 0) rd.reduced.clear();
  check_nonempty_reduction(a, rd, op);
  Array values = want_values ? Array::empty(rd.out_shape, a.dtype(), a.device()) : Array();
  Array indices = Array::empty(rd.out_shape, DType::Int64, a.device());
  const ReducePlan plan = make_plan(a, rd.reduced, false);
  if (indices.device().is_cuda()) cuda_kernels::reduce_extreme(op)(a, plan, values, indices, is_max);
  else extreme_kernel_cpu(a, plan, values, indices, is_max);
  return {values, indices};
}

Array arg_extreme(const Array& a, std::optional<int64_t> dim, bool keepdim, bool is_max, const char* op) {
  EMBER_CHECK(a.dtype() != DType::Bool, Type, "[", op, "] does not support bool input");
  if (dim) return extreme_dim(a, *dim, keepdim, is_max, false, op).second;
  check_reduce_input(a, op);
  EMBER_CHECK(a.numel() > 0, Runtime, "[", op, "] cannot reduce an empty tensor of shape ", shape_str(a.shape()),
              ": the operation has no identity; specify a dim of non-zero size");
  // The flat index counts in row-major order of the logical shape.
  Array flat = a.reshape({a.numel()});
  Array idx = extreme_dim(flat, 0, false, is_max, false, op).second;
  return keepdim ? idx.reshape(Shape(a.ndim(), 1)) : idx;
}

std::pair<Array, Array> var_impl(const Array& a, const Dims& dims, double correction, bool keepdim,
                                 bool take_sqrt, bool want_mean, const char* op) {
  check_reduce_input(a, op);
  check_floating(a, op);
  if (cuda_half(a)) {
    auto r = var_impl(a.to(DType::Float32), dims, correction, keepdim, take_sqrt, want_mean, op);
    return {r.first.to(a.dtype()), want_mean ? r.second.to(a.dtype()) : Array()};
  }
  ReduceDims rd = resolve_dims(a, dims, keepdim, op);
  Array out = Array::empty(rd.out_shape, a.dtype(), a.device());
  Array mean_out = want_mean ? Array::empty(rd.out_shape, a.dtype(), a.device()) : Array();
  const ReducePlan plan = make_plan(a, rd.reduced, true);
  if (out.device().is_cuda()) cuda_kernels::reduce_var(op)(a, plan, out, mean_out, correction, take_sqrt);
  else var_kernel_cpu(a, plan, out, mean_out, correction, take_sqrt);
  return {out, mean_out};
}

Array scan(const Array& a0, int64_t dim, std::optional<DType> dtype, bool is_prod, const char* op) {
  check_reduce_input(a0, op);
  int64_t d = wrap_dim(dim, a0.ndim(), op);
  DType t = dtype ? *dtype : sum_out_dtype(a0.dtype());
  Array a = a0.to(t).contiguous();
  Array out = Array::empty(a.shape(), t, a.device());
  if (out.device().is_cuda()) cuda_kernels::reduce_scan(op)(a, a.ndim() ? d : 0, out, is_prod);
  else scan_kernel_cpu(a, a.ndim() ? d : 0, out, is_prod);
  return out;
}

}  // namespace

Array sum(const Array& a, const Dims& dims, bool keepdim, std::optional<DType> dtype) {
  return sum_like(a, dims, keepdim, dtype, SumMode::Sum, "sum");
}
Array mean(const Array& a, const Dims& dims, bool keepdim, std::optional<DType> dtype) {
  return sum_like(a, dims, keepdim, dtype, SumMode::Mean, "mean");
}
Array nansum(const Array& a, const Dims& dims, bool keepdim, std::optional<DType> dtype) {
  return sum_like(a, dims, keepdim, dtype, SumMode::NanSum, "nansum");
}
Array nanmean(const Array& a, const Dims& dims, bool keepdim, std::optional<DType> dtype) {
  return sum_like(a, dims, keepdim, dtype, SumMode::NanMean, "nanmean");
}
Array prod(const Array& a, const Dims& dims, bool keepdim, std::optional<DType> dtype) {
  return sum_like(a, dims, keepdim, dtype, SumMode::Prod, "prod");
}

Array amax(const Array& a, const Dims& dims, bool keepdim) { return extreme_values(a, dims, keepdim, true, "amax"); }
Array amin(const Array& a, const Dims& dims, bool keepdim) { return extreme_values(a, dims, keepdim, false, "amin"); }
std::pair<Array, Array> max_dim(const Array& a, int64_t dim, bool keepdim) {
  return extreme_dim(a, dim, keepdim, true, true, "max");
}
std::pair<Array, Array> min_dim(const Array& a, int64_t dim, bool keepdim) {
  return extreme_dim(a, dim, keepdim, false, true, "min");
}
Array argmax(const Array& a, std::optional<int64_t> dim, bool keepdim) {
  return arg_extreme(a, dim, keepdim, true, "argmax");
}
Array argmin(const Array& a, std::optional<int64_t> dim, bool keepdim) {
  return arg_extreme(a, dim, keepdim, false, "argmin");
}

Array var(const Array& a, const Dims& dims, double correction, bool keepdim) {
  return var_impl(a, dims, correction, keepdim, false, false, "var").first;
}
Array std_(const Array& a, const Dims& dims, double correction, bool keepdim) {
  return var_impl(a, dims, correction, keepdim, true, false, "std").first;
}
std::pair<Array, Array> var_mean(const Array& a, const Dims& dims, double correction, bool keepdim) {
  return var_impl(a, dims, correction, keepdim, false, true, "var_mean");
}
std::pair<Array, Array> std_mean(const Array& a, const Dims& dims, double correction, bool keepdim) {
  return var_impl(a, dims, correction, keepdim, true, true, "std_mean");
}

Array vector_norm(const Array& a0, double ord, const Dims& dims, bool keepdim, std::optional<DType> dtype) {
  const char* op = "linalg.vector_norm";
  check_reduce_input(a0, op);
  check_floating(a0, op);
  if (dtype)
    EMBER_CHECK(is_floating(*dtype), Type, "[", op, "] dtype must be floating point, got ", dtype_name(*dtype));
  Array a = cast_input(a0, dtype);
  if (cuda_half(a)) return vector_norm(a.to(DType::Float32), ord, dims, keepdim, std::nullopt).to(a.dtype());
  ReduceDims rd = resolve_dims(a, dims, keepdim, op);
  // No identity for max/min-like norms: empty reductions are an error, like torch.
  if (ord < 0 || std::isinf(ord)) check_nonempty_reduction(a, rd, op);
  Array out = Array::empty(rd.out_shape, a.dtype(), a.device());
  const ReducePlan plan = make_plan(a, rd.reduced, true);
  if (out.device().is_cuda()) cuda_kernels::reduce_norm(op)(a, plan, out, ord);
  else norm_kernel_cpu(a, plan, out, ord);
  return out;
}

Array logsumexp(const Array& a, const Dims& dims, bool keepdim) {
  check_reduce_input(a, "logsumexp");
  // Integer inputs compute in the default float dtype, like torch.
  Array x = is_floating(a.dtype()) ? a : a.to(DType::Float32);
  if (cuda_half(x)) return logsumexp(x.to(DType::Float32), dims, keepdim).to(x.dtype());
  ReduceDims rd = resolve_dims(x, dims, keepdim, "logsumexp");
  Array out = Array::empty(rd.out_shape, x.dtype(), x.device());
  const ReducePlan plan = make_plan(x, rd.reduced, true);
  if (out.device().is_cuda()) cuda_kernels::reduce_logsumexp("logsumexp")(x, plan, out);
  else logsumexp_kernel_cpu(x, plan, out);
  return out;
}

Array all(const Array& a, const Dims& dims, bool keepdim) { return logical(a, dims, keepdim, LogicalMode::All, "all"); }
Array any(const Array& a, const Dims& dims, bool keepdim) { return logical(a, dims, keepdim, LogicalMode::Any, "any"); }
Array count_nonzero(const Array& a, const Dims& dims) {
  return logical(a, dims, false, LogicalMode::CountNonzero, "count_nonzero");
}

Array cumsum(const Array& a, int64_t dim, std::optional<DType> dtype) { return scan(a, dim, dtype, false, "cumsum"); }
Array cumprod(const Array& a, int64_t dim, std::optional<DType> dtype) { return scan(a, dim, dtype, true, "cumprod"); }

}  // namespace ember
