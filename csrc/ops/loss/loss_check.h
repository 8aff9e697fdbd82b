// loss_check.h — shared argument checks of the classification losses (loss.cpp).
#pragma once
#include "loss.h"

namespace ember::loss_detail {

// (n, c, s): batch, classes, spatial size; the class dim has stride s.
struct Layout {
  int64_t n = 1, c = 1, s = 1;
};

Layout check_args(const Array& input, const Array& target, const std::optional<Array>& weight,
                  double label_smoothing, int reduction, const char* op);

// The CUDA paths of cross_entropy_forward / cross_entropy_backward (loss.cpp), after
// check_args; same results as the CPU's (loss_cuda.h for out-of-range targets).
std::vector<Array> forward_cuda(const Array& input, const Array& target, const std::optional<Array>& weight,
                                const Layout& L, int64_t ignore_index, double label_smoothing, int reduction,
                                bool log_softmax);
Array backward_cuda(const Array& grad, const Array& input, const Array& target, const std::optional<Array>& weight,
                    const Array& lse, const Array& total_weight, const Layout& L, int64_t ignore_index,
                    double label_smoothing, int reduction, bool log_softmax);

}  // namespace ember::loss_detail
