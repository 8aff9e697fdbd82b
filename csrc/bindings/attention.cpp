// attention.cpp — bindings of the fused attention family (csrc/ops/attention).
#include "bindings.h"
#include "ops/attention/attention.h"

namespace ember {

void bind_attention(py::module_& m) {
  // Returns (out, logsumexp, seed, offset); mask may be None.
  m.def(
      "sdpa_forward",
      [](const Array& q, const Array& k, const Array& v, std::optional<Array> mask, bool is_causal, double scale,
         double dropout_p) {
        SdpaForward r = sdpa_forward(q, k, v, mask ? *mask : Array(), is_causal, scale, dropout_p);
        return std::make_tuple(r.out, r.lse, r.seed, r.offset);
      },
      py::arg("q"), py::arg("k"), py::arg("v"), py::arg("mask"), py::arg("is_causal"), py::arg("scale"),
      py::arg("dropout_p"), release_gil());
  m.def(
      "sdpa_backward",
      [](const Array& grad, const Array& q, const Array& k, const Array& v, std::optional<Array> mask,
         const Array& out, const Array& lse, bool is_causal, double scale, double dropout_p, uint64_t seed,
         uint64_t offset, bool mask_grad) {
        auto [dq, dk, dv, dm] = sdpa_backward(grad, q, k, v, mask ? *mask : Array(), out, lse, is_causal, scale,
                                              dropout_p, seed, offset, mask_grad);
        return std::make_tuple(dq, dk, dv, dm.defined() ? std::optional<Array>(dm) : std::nullopt);
      },
      py::arg("grad"), py::arg("q"), py::arg("k"), py::arg("v"), py::arg("mask"), py::arg("out"), py::arg("lse"),
      py::arg("is_causal"), py::arg("scale"), py::arg("dropout_p"), py::arg("seed"), py::arg("offset"),
      py::arg("mask_grad") = false, release_gil());
}

}  // namespace ember
