// reduce_kernels.h — CPU kernel launchers of the reduce family (private to
// csrc/ops/reduce). reduce.cpp checks arguments, resolves dims, allocates the
// contiguous outputs and calls these; each walks `in` through the plan.
#pragma once
#include "core/array.h"
#include "reduce_plan.h"

namespace ember {

enum class SumMode { Sum, Mean, NanSum, NanMean, Prod };
// out dtype: int64 for bool/integer inputs, else the input dtype.
void sum_kernel_cpu(const Array& in, const ReducePlan& p, const Array& out, SumMode mode);

enum class LogicalMode { All, Any, CountNonzero };
void logical_kernel_cpu(const Array& in, const ReducePlan& p, const Array& out, LogicalMode mode);

// values (input dtype) and, when defined, int64 indices (plan over a single dim).
void extreme_kernel_cpu(const Array& in, const ReducePlan& p, const Array& values, const Array& indices,
                        bool is_max);

// var (or std when take_sqrt) into `out`; the mean into `mean_out` when defined.
void var_kernel_cpu(const Array& in, const ReducePlan& p, const Array& out, const Array& mean_out,
                    double correction, bool take_sqrt);
void norm_kernel_cpu(const Array& in, const ReducePlan& p, const Array& out, double ord);
void logsumexp_kernel_cpu(const Array& in, const ReducePlan& p, const Array& out);

// Inclusive scan along `dim` of in into out (same shape, contiguous; out dtype).
void scan_kernel_cpu(const Array& in, int64_t dim, const Array& out, bool is_prod);

}  // namespace ember
