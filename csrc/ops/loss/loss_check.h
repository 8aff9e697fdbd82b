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

}  // namespace ember::loss_detail
