"""ember.utils: data loading (ember.utils.data)."""
from . import data, training
from .training import EarlyStopping

__all__ = ["data", "training", "EarlyStopping"]
