// scan_cpu.cpp — inclusive cumsum / cumprod along one dim on the CPU.
//
// The input arrives contiguous and already in the output dtype. Viewed as
// (outer, len, inner), each task owns a block of up to 512 inner columns of one
// outer index and walks len rows, keeping running values in float64 (floating
// types, as PyTorch's CPU scan does) or uint64 (integers, wrapping) so a
// scan over an outer dim reads and writes whole contiguous rows.
#include <algorithm>
#include <type_traits>

#include "core/parallel.h"
#include "reduce_kernels.h"

namespace ember {

namespace {

template <class T>
void scan_typed(const T* src, T* dst, int64_t outer, int64_t len, int64_t inner, bool is_prod) {
  using Acc = std::conditional_t<std::is_integral_v<T>, uint64_t, double>;
  constexpr int64_t B = 512;
  const int64_t nb = (inner + B - 1) / B, tasks = outer * nb;
  const int64_t grain = std::max<int64_t>(1, 32768 / (len * std::min(inner, B)));
  parallel_for(0, tasks, grain, [&](int64_t tb, int64_t te) {
    Acc acc[B];
    for (int64_t t = tb; t < te; ++t) {
      int64_t o = t / nb, j0 = (t % nb) * B, m = std::min(B, inner - j0);
      const T* s = src + o * len * inner + j0;
      T* d = dst + o * len * inner + j0;
      for (int64_t j = 0; j < m; ++j) acc[j] = is_prod ? 1 : 0;
      for (int64_t k = 0; k < len; ++k, s += inner, d += inner) {
        for (int64_t j = 0; j < m; ++j) {
          Acc x;
          if constexpr (std::is_integral_v<T>) x = static_cast<Acc>(static_cast<int64_t>(s[j]));
          else x = Cvt<T>::template load<double>(s[j]);
          acc[j] = is_prod ? acc[j] * x : acc[j] + x;
          if constexpr (std::is_same_v<T, bool>) d[j] = acc[j] != 0;
          else if constexpr (std::is_integral_v<T>) d[j] = static_cast<T>(static_cast<int64_t>(acc[j]));
          else d[j] = Cvt<T>::template store<double>(acc[j]);
        }
      }
    }
  });
}

}  // namespace

void scan_kernel_cpu(const Array& in, int64_t dim, const Array& out, bool is_prod) {
  int64_t outer = 1, inner = 1, len = in.ndim() ? in.shape()[dim] : 1;
  for (int64_t d = 0; d < dim; ++d) outer *= in.shape()[d];
  for (int64_t d = dim + 1; d < in.ndim(); ++d) inner *= in.shape()[d];
  if (in.numel() == 0) return;
  EMBER_DISPATCH_ALL(in.dtype(), (is_prod ? "cumprod" : "cumsum"), [&] {
    scan_typed<scalar_t>(in.data<scalar_t>(), out.data<scalar_t>(), outer, len, inner, is_prod);
  });
}

}  // namespace ember
