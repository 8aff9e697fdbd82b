"""Op families: each module defines public functions, their autograd Functions, and
registers its Tensor methods with ember.tensor.register_methods."""
