// linear.h — fused bias + GEMM products: torch.addmm and nn.functional.linear.
#pragma once
#include <optional>

#include "core/array.h"

namespace ember {

// beta * input + alpha * (a @ b); input broadcasts to (M, N).
Array addmm(const Array& input, const Array& a, const Array& b, double beta, double alpha);
// x (..., K) @ w^T (w is (N, K)) + bias (N): the bias is written into the output
// first and the GEMM accumulates onto it (beta = 1), so no second pass runs.
Array linear(const Array& x, const Array& w, const std::optional<Array>& bias);

}  // namespace ember
