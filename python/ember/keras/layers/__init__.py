"""keras.layers: Keras 3's layer names, each wrapping ember modules and ops."""
from .base import Input, InputLayer, KerasTensor, Layer
from .core import Activation, Dense, Dropout, Embedding, Flatten, Identity, Permute, Reshape
from .conv import Conv1D, Conv2D
from .pooling import (AveragePooling1D, AveragePooling2D, GlobalAveragePooling1D, GlobalAveragePooling2D,
                      GlobalMaxPooling1D, GlobalMaxPooling2D, MaxPooling1D, MaxPooling2D)
from .normalization import BatchNormalization, LayerNormalization
from .recurrent import GRU, LSTM, Bidirectional, SimpleRNN
from .attention import MultiHeadAttention
from .merge import Add, Average, Concatenate, Maximum, Minimum, Multiply, Subtract, add, concatenate
from .preprocessing import RandomFlip, RandomRotation, RandomZoom, Rescaling

Convolution2D, MaxPool2D, AvgPool2D, GlobalAvgPool2D = Conv2D, MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D


def get_layer_class(name, custom_objects=None):
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    obj = globals().get(name)
    if isinstance(obj, type) and issubclass(obj, Layer):
        return obj
    from .. import models
    obj = getattr(models, name, None)
    if isinstance(obj, type):
        return obj
    raise ValueError(f"[keras.saving] unknown layer class {name!r}; pass it in custom_objects")
