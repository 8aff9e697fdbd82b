"""BatchNormalization and LayerNormalization (channels-last), wrapping ember's norm modules.

Keras's moving average ``moving = moving * momentum + batch * (1 - momentum)`` is ember's
(PyTorch's) running-stat update with momentum ``1 - momentum``. One difference stays:
ember's running variance is updated with the unbiased batch variance (PyTorch's rule),
Keras uses the biased one; it matters only for tiny batches.
"""
from ... import nn
from .. import initializers
from .base import Layer

__all__ = ["BatchNormalization", "LayerNormalization"]


class BatchNormalization(Layer):
    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 **kwargs):
        super().__init__(**kwargs)
        if not isinstance(momentum, (int, float)) or not 0 <= momentum <= 1:
            raise ValueError(f"[BatchNormalization] expected momentum in [0, 1], got {momentum!r}")
        if not isinstance(epsilon, (int, float)) or not epsilon > 0:
            raise ValueError(f"[BatchNormalization] expected a positive epsilon, got {epsilon!r}")
        self.axis, self.momentum, self.epsilon = axis, float(momentum), float(epsilon)
        self.center, self.scale = bool(center), bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.bn = None

    def build(self, input_shape):
        nd = len(input_shape)
        axis = self.axis % nd if isinstance(self.axis, int) and -nd <= self.axis < nd else None
        if axis is None or axis == 0:
            raise ValueError(f"[BatchNormalization] axis {self.axis} is out of range for input shape "
                             f"{tuple(input_shape)}")
        self._axis, self._ndim = axis, nd
        c = input_shape[axis]
        if nd > 5:
            raise ValueError(f"[BatchNormalization] expected input of 2 to 5 dims, got shape {tuple(input_shape)}")
        cls = {2: nn.BatchNorm1d, 3: nn.BatchNorm1d, 4: nn.BatchNorm2d, 5: nn.BatchNorm3d}[nd]
        self.bn = cls(c, eps=self.epsilon, momentum=1.0 - self.momentum, affine=True)
        self.gamma_initializer(self.bn.weight)
        self.beta_initializer(self.bn.bias)
        if not self.scale:
            self.bn.weight.requires_grad_(False)
        if not self.center:
            self.bn.bias.requires_grad_(False)

    def call(self, inputs, training=False):
        if inputs.dim() != self._ndim:
            raise ValueError(f"[BatchNormalization] expected input of {self._ndim} dims, got shape "
                             f"{tuple(inputs.shape)}")
        # channels to dim 1 as a view; ember's norm kernels take the strided input
        x = inputs.movedim(self._axis, 1) if self._axis != 1 else inputs
        self.bn.train(bool(training))
        y = self.bn(x)
        return y.movedim(1, self._axis) if self._axis != 1 else y


class LayerNormalization(Layer):
    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", **kwargs):
        super().__init__(**kwargs)
        if axis != -1:
            axes = axis if isinstance(axis, (list, tuple)) else [axis]
        else:
            axes = [-1]
        self.axis, self.epsilon = axes, float(epsilon)
        self.center, self.scale = bool(center), bool(scale)
        self.ln = None

    def build(self, input_shape):
        nd = len(input_shape)
        axes = sorted(a % nd for a in self.axis)
        if axes != list(range(nd - len(axes), nd)) or 0 in axes:
            raise ValueError(f"[LayerNormalization] only trailing axes are supported, got axis {self.axis} "
                             f"for input shape {tuple(input_shape)}")
        self.ln = nn.LayerNorm([input_shape[a] for a in axes], eps=self.epsilon,
                               elementwise_affine=self.center or self.scale)
        if self.ln.weight is not None and not self.scale:
            self.ln.weight.requires_grad_(False)
        if self.ln.bias is not None and not self.center:
            self.ln.bias.requires_grad_(False)

    def call(self, inputs):
        return self.ln(inputs)
