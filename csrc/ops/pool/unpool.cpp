// unpool.cpp — scatter / gather of whole planes by flat per-plane indices: the
// backward of max pooling (scatter-add of the grad to the saved argmax), max_unpool
// (scatter-assign; its backward is the gather) and their double backwards.
// Layout: src/idx (P, K) and out (P, L) as contiguous planes; threads split planes,
// so scatters need no atomics. Indices are checked while they are used: a bad one
// raises "[op] found an invalid max index" (the output is fresh, nothing leaks),
// except in accumulate mode, where an index outside the plane can only come from a
// max-pool window with no input element (its output is -inf) and is skipped.
#include <cstring>

#include "core/lowp_compute.h"
#include "core/parallel.h"
#include "pool.h"
#include "pool_check.h"
#include "pool_cuda.h"

namespace ember {
namespace {
using namespace pool_detail;

std::string plane_str(const Shape& s, int64_t sd) {
  std::string r;
  for (size_t i = s.size() - sd; i < s.size(); ++i) r += (r.empty() ? "" : "x") + std::to_string(s[i]);
  return r;
}

void check_index(const Array& idx, const char* op) {
  EMBER_CHECK(idx.defined(), Value, "[", op, "] indices are undefined");
  EMBER_CHECK(idx.dtype() == DType::Int64, Type, "[", op, "] expected indices of dtype int64, got ",
              dtype_name(idx.dtype()));
}

void check_leading(const Shape& a, const Shape& b, int64_t sd, const char* op, const char* what) {
  bool ok = a.size() == b.size() && static_cast<int64_t>(a.size()) >= sd;
  for (size_t i = 0; ok && i + sd < a.size(); ++i) ok = a[i] == b[i];
  EMBER_CHECK(ok, Runtime, "[", op, "] expected ", what, " to share the leading dims of shape ", shape_str(a),
              " (all but the last ", sd, "), got shape ", shape_str(b));
}

}  // namespace

Array pool_scatter(const Array& src, const Array& idx, const Shape& out_shape, int64_t spatial_dims, bool accumulate,
                   const char* op) {
  const int64_t sd = spatial_dims;
  check_float_input(src, op, "input");
  check_index(idx, op);
  check_same_device(src, idx, op);
  if (lowp::on_cpu(src))
    return lowp::in_float32(src.dtype(), pool_scatter, src, idx, out_shape, spatial_dims, accumulate, op);
  EMBER_CHECK(idx.shape() == src.shape(), Runtime, "[", op,
              "] expected indices of the same shape as the input ", shape_str(src.shape()), ", got indices of shape ",
              shape_str(idx.shape()));
  check_leading(src.shape(), out_shape, sd, op, "the output");
  for (int64_t s : out_shape) EMBER_CHECK(s >= 0, Runtime, "[", op, "] invalid output shape ", shape_str(out_shape));
  const int64_t P = planes(out_shape, sd);
  const int64_t L = P ? shape_numel(out_shape) / P : 0;
  const int64_t K = P ? src.numel() / P : 0;
  Array sc = src.contiguous(), ic = idx.contiguous();
  Array out = Array::empty(out_shape, src.dtype(), src.device());
  if (out.numel() == 0) {
    EMBER_CHECK(K == 0 || P == 0, Runtime, "[", op, "] found an invalid max index (output volumes are of size ",
                plane_str(out_shape, sd), ")");
    return out;
  }
  if (out.device().is_cuda()) {
    // Invalid indices are skipped there, not reported (see pool_cuda.h).
    cuda_kernels::pool_scatter_planes(op)(out, sc, ic, P, L, K, accumulate);
    return out;
  }
  const int64_t* ip = ic.data<int64_t>();
  EMBER_DISPATCH_FLOAT(src.dtype(), op, [&] {
    const scalar_t* sp = sc.data<scalar_t>();
    scalar_t* op_ = out.data<scalar_t>();
    parallel_for(0, P, plane_grain(L + K), [&](int64_t b, int64_t e) {
      for (int64_t p = b; p < e; ++p) {
        scalar_t* o = op_ + p * L;
        const scalar_t* s = sp + p * K;
        const int64_t* i = ip + p * K;
        std::memset(o, 0, sizeof(scalar_t) * L);
        if (accumulate) {
          for (int64_t k = 0; k < K; ++k)
            if (static_cast<uint64_t>(i[k]) < static_cast<uint64_t>(L)) o[i[k]] += s[k];
        } else {
          for (int64_t k = 0; k < K; ++k) {
            EMBER_CHECK(i[k] >= 0 && i[k] < L, Runtime, "[", op, "] found an invalid max index ", i[k],
                        " (output volumes are of size ", plane_str(out_shape, sd), ")");
            o[i[k]] = s[k];
          }
        }
      }
    });
  });
  return out;
}

Array pool_gather(const Array& src, const Array& idx, int64_t spatial_dims, const char* op) {
  const int64_t sd = spatial_dims;
  check_float_input(src, op, "input");
  check_index(idx, op);
  check_same_device(src, idx, op);
  if (lowp::on_cpu(src)) return lowp::in_float32(src.dtype(), pool_gather, src, idx, spatial_dims, op);
  check_leading(src.shape(), idx.shape(), sd, op, "the indices");
  const int64_t P = planes(idx.shape(), sd);
  const int64_t L = P ? src.numel() / P : 0;
  const int64_t K = P ? idx.numel() / P : 0;
  Array sc = src.contiguous(), ic = idx.contiguous();
  Array out = Array::empty(idx.shape(), src.dtype(), src.device());
  if (out.numel() == 0) return out;
  if (out.device().is_cuda()) {
    cuda_kernels::pool_gather_planes(op)(out, sc, ic, P, L, K);
    return out;
  }
  const int64_t* ip = ic.data<int64_t>();
  EMBER_DISPATCH_FLOAT(src.dtype(), op, [&] {
    const scalar_t* sp = sc.data<scalar_t>();
    scalar_t* op_ = out.data<scalar_t>();
    parallel_for(0, P, plane_grain(L + K), [&](int64_t b, int64_t e) {
      for (int64_t p = b; p < e; ++p) {
        const scalar_t* s = sp + p * L;
        const int64_t* i = ip + p * K;
        scalar_t* o = op_ + p * K;
        for (int64_t k = 0; k < K; ++k) {
          // An index outside the plane reads as 0 in accumulate's mirror (see above).
          o[k] = static_cast<uint64_t>(i[k]) < static_cast<uint64_t>(L) ? s[i[k]] : scalar_t(0);
        }
      }
    });
  });
  return out;
}

}  // namespace ember
