"""ember.models: a small model zoo, and ``build_model(name, **config)`` used by the CLI.

- ``MLP``: fully connected layers with ReLU and dropout (tabular data, flattened images).
- ``LeNet5``: LeNet-5's layer sequence with batch norm (8x8 digits up to 32x32 images).
- ``ResNetMini``: a three-stage residual network for small images.
- ``CharLSTM`` / ``GPTMini``: byte-level language models (vocabulary 256) for text files.
"""
from .lenet import LeNet5
from .mlp import MLP
from .resnet_mini import ResNetMini
from .text import CharLSTM, GPTMini

__all__ = ["MLP", "LeNet5", "ResNetMini", "CharLSTM", "GPTMini", "MODELS", "TEXT_MODELS", "build_model"]

MODELS = {"mlp": MLP, "lenet5": LeNet5, "resnet-mini": ResNetMini, "char-lstm": CharLSTM, "gpt-mini": GPTMini}
TEXT_MODELS = ("char-lstm", "gpt-mini")


def build_model(name, **config):
    """The zoo model ``name`` (one of MODELS) built with ``config`` (its constructor's keywords)."""
    if name not in MODELS:
        raise ValueError(f"[build_model] unknown model {name!r}; valid names: {', '.join(MODELS)}")
    return MODELS[name](**config)
