"""ember.keras: Keras 3's model-building and training API on ember's kernels.

    from ember import keras
    model = keras.Sequential([keras.layers.Dense(128, activation="relu", input_shape=(64,)),
                              keras.layers.Dropout(0.2), keras.layers.Dense(10, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=20, validation_data=(xv, yv))

Layers are channels-last like Keras and wrap ember.nn modules; state_dict keys are the
layer names followed by ember's (PyTorch's) keys, e.g. ``dense.linear.weight``.
"""
from . import activations, callbacks, initializers, layers, losses, metrics, optimizers, regularizers
from .layers import Input, InputLayer, KerasTensor, Layer
from .models import Model, Sequential, clone_model, load_model
from . import models, saving, utils
from .saving import register_keras_serializable

__all__ = ["Input", "Layer", "Model", "Sequential", "layers", "losses", "metrics", "optimizers", "callbacks",
           "initializers", "regularizers", "activations", "models", "saving", "utils", "load_model", "clone_model"]
