"""MLP: Flatten, then ``num_layers`` Linear-ReLU-Dropout blocks of ``hidden`` units, then a Linear head."""
import ember.nn as nn

__all__ = ["MLP"]


class MLP(nn.Module):
    def __init__(self, in_features=64, num_classes=10, hidden=128, num_layers=2, dropout=0.1):
        super().__init__()
        for name, v in (("in_features", in_features), ("num_classes", num_classes), ("hidden", hidden)):
            if isinstance(v, bool) or not isinstance(v, int) or v <= 0:
                raise ValueError(f"[MLP] {name} must be a positive int, got {v!r}")
        if isinstance(num_layers, bool) or not isinstance(num_layers, int) or num_layers < 0:
            raise ValueError(f"[MLP] num_layers must be an int >= 0, got {num_layers!r}")
        if not 0.0 <= float(dropout) < 1.0:
            raise ValueError(f"[MLP] dropout must be in [0, 1), got {dropout!r}")
        layers, width = [nn.Flatten()], in_features
        for _ in range(num_layers):
            layers += [nn.Linear(width, hidden), nn.ReLU(), nn.Dropout(dropout)]
            width = hidden
        layers.append(nn.Linear(width, num_classes))
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x)
