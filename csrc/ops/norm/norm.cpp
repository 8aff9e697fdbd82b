// norm.cpp — SIMD table selection and the argument helpers of the normalisation
// family (norm_common.h). The ops themselves live in one file each.
#include "core/cpu_features.h"
#include "norm_common.h"

namespace ember {
namespace norm_detail {

const Kernels& kernels() {
  switch (simd_level()) {
    case SimdLevel::AVX512: return kernels_avx512();
    case SimdLevel::AVX2: return kernels_avx2();
    default: return kernels_scalar();
  }
}

void check_input(const Array& x, const char* op, const char* what) {
  EMBER_CHECK(x.defined(), Value, "[", op, "] ", what, " is undefined");
  EMBER_CHECK(!x.device().is_cuda(), Runtime, "[", op, "] no CUDA kernel yet (", what, " on ", x.device().str(), ")");
  EMBER_CHECK(is_floating(x.dtype()), Type, "[", op, "] expected a floating point ", what, ", got ",
              dtype_name(x.dtype()));
}

Array param(const OptArray& p, int64_t n, DType cd, const char* op, const char* what) {
  if (!p || !p->defined()) return Array();
  check_input(*p, op, what);
  EMBER_CHECK(p->numel() == n, Runtime, "[", op, "] ", what, " should contain ", n, " elements not ", p->numel(),
              " (got shape ", shape_str(p->shape()), ")");
  return p->to(cd).contiguous().reshape({n});
}

void update_running(const Array& r, const std::vector<double>& v, double momentum) {
  const int64_t n = static_cast<int64_t>(v.size());
  Array cur = r.to(DType::Float64).contiguous();
  Array out = Array::empty({n}, DType::Float64);
  const double* c = cur.data<double>();
  double* o = out.data<double>();
  for (int64_t i = 0; i < n; ++i) o[i] = (1.0 - momentum) * c[i] + momentum * v[i];
  r.copy_(out.reshape(r.shape()));
}

}  // namespace norm_detail
}  // namespace ember
