"""LeNet5: LeNet-5's conv-pool-conv-pool-fc-fc-fc sequence with batch norm and dropout.

Sized for small grey images: 3x3 'same' convolutions so an 8x8 digit survives both
poolings (2x2 left); larger inputs (28x28, 32x32) are pooled to 2x2 by an adaptive
average pool, so one definition serves the digits and MNIST. ~99% on the digits.
"""
import ember.nn as nn

__all__ = ["LeNet5"]


class LeNet5(nn.Module):
    def __init__(self, in_channels=1, num_classes=10, dropout=0.3):
        super().__init__()
        for name, v in (("in_channels", in_channels), ("num_classes", num_classes)):
            if isinstance(v, bool) or not isinstance(v, int) or v <= 0:
                raise ValueError(f"[LeNet5] {name} must be a positive int, got {v!r}")
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 16, kernel_size=3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, kernel_size=3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
            nn.AdaptiveAvgPool2d(2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Dropout(dropout), nn.Linear(32 * 2 * 2, 120), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, num_classes),
        )

    def forward(self, x):
        return self.classifier(self.features(x))
