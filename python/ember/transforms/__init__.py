"""ember.transforms: data augmentation with torchvision.transforms (v2)'s names and
arguments, running on ember ops.

- images (..., C, H, W), float in [0, 1] or uint8: Compose, ToTensor, Normalize,
  Resize, crops, flips, RandomRotation / RandomAffine (F.grid_sample), ColorJitter,
  RandomErasing, GaussianBlur, GaussianNoise, Grayscale, ...;
- batches: MixUp and CutMix (images (N, C, H, W) and labels -> soft labels);
- text token lists: ember.transforms.text; audio waveforms and spectrograms:
  ember.transforms.audio.

Every random draw comes from ember's RNG: ``ember.manual_seed`` (or a transform's
``generator=`` keyword) makes a pipeline reproducible.
"""
from . import audio, functional, text  # noqa: F401
from ._container import *  # noqa: F401,F403
from ._container import __all__ as _a1
from ._image_transforms import *  # noqa: F401,F403
from ._image_transforms import __all__ as _a2
from ._mix import *  # noqa: F401,F403
from ._mix import __all__ as _a3
from ._photometric import *  # noqa: F401,F403
from ._photometric import __all__ as _a4
from .audio import AddNoise, FrequencyMasking, PitchShift, RandomGain, TimeMasking, TimeStretch  # noqa: F401
from .text import RandomDeletion, RandomInsertion, RandomSwap, SynonymReplacement, TokenDropout  # noqa: F401

__all__ = list(_a1) + list(_a2) + list(_a3) + list(_a4) + [
    "AddNoise", "FrequencyMasking", "PitchShift", "RandomGain", "TimeMasking", "TimeStretch",
    "RandomDeletion", "RandomInsertion", "RandomSwap", "SynonymReplacement", "TokenDropout",
    "audio", "functional", "text"]
