"""ember.nn.utils (torch.nn.utils): gradient clipping, parameter <-> vector conversion and
an L1/L2 ``penalty`` helper."""
from .clip_grad import clip_grad_norm, clip_grad_norm_, clip_grad_value_
from .convert_parameters import parameters_to_vector, vector_to_parameters
from .regularization import penalty
from . import rnn  # noqa: E402  (PackedSequence, pack_padded_sequence, ...)

__all__ = ["clip_grad_norm_", "clip_grad_norm", "clip_grad_value_", "parameters_to_vector",
           "vector_to_parameters", "penalty"]
