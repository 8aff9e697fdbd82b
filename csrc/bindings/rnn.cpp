// rnn.cpp — bindings of the fused recurrent layers (csrc/ops/rnn).
#include "bindings.h"
#include "ops/rnn/rnn.h"

namespace ember {

void bind_rnn(py::module_& m) {
  using A = py::arg;
  m.def("rnn_layer_forward", &rnn_layer_forward, A("mode"), A("x"), A("h0"), A("c0"), A("w_ih"), A("w_hh"),
        A("b_ih"), A("b_hh"), A("w_hr"), A("batch_sizes"), A("reverse"), release_gil());
  m.def("rnn_layer_backward", &rnn_layer_backward, A("mode"), A("dy"), A("dhn"), A("dcn"), A("x"), A("w_ih"),
        A("w_hh"), A("has_bias"), A("w_hr"), A("batch_sizes"), A("reverse"), A("saved"), A("need_dx"),
        release_gil());
}

}  // namespace ember
