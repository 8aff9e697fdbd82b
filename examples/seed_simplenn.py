"""The PyTorch example from the seed document, ported by changing the imports only.

Trains SimpleNN on the digits that ship with ember (ember.datasets.Digits: 8x8 images,
its fixed 1,437 / 360 train/test split).
Run: python examples/seed_simplenn.py [--device cuda]
"""
import argparse

import numpy as np

import ember as torch
import ember.nn as nn
from ember.datasets import Digits
from ember.utils.data import DataLoader, TensorDataset


class SimpleNN(nn.Module):
    def __init__(self, input_size, hidden_size, num_classes):
        super(SimpleNN, self).__init__()
        self.fc1 = nn.Linear(input_size, hidden_size)
        self.relu = nn.ReLU()
        self.fc2 = nn.Linear(hidden_size, num_classes)

    def forward(self, x):
        out = self.fc1(x)
        out = self.relu(out)
        out = self.fc2(out)
        return out


def main(num_epochs=30, device="cpu"):
    torch.manual_seed(0)
    train, test = Digits(train=True), Digits(train=False)
    x_tr, y_tr = (train.data.numpy().reshape(-1, 64) / 16.0).astype(np.float32), train.targets.numpy()
    x_te, y_te = (test.data.numpy().reshape(-1, 64) / 16.0).astype(np.float32), test.targets.numpy()
    train_loader = DataLoader(TensorDataset(torch.tensor(x_tr), torch.tensor(y_tr)), batch_size=32, shuffle=True)

    # Training loop (the seed's code, unchanged but for the sizes)
    model = SimpleNN(64, 128, 10).to(device)
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.001)
    for epoch in range(num_epochs):
        for data, labels in train_loader:
            data, labels = data.to(device), labels.to(device)
            # Forward pass
            outputs = model(data)
            loss = criterion(outputs, labels)
            # Backward pass and optimization
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        with torch.no_grad():
            pred = model(torch.tensor(x_te, device=device)).argmax(1).cpu().numpy()
        acc = (pred == y_te).mean()
        print(f"epoch {epoch + 1:2d}  loss {loss.item():.4f}  test accuracy {acc * 100:.2f}%")
    return acc


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="the seed's SimpleNN on ember's digits")
    parser.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N (default: cpu)")
    parser.add_argument("--epochs", type=int, default=30)
    args = parser.parse_args()
    main(num_epochs=args.epochs, device=args.device)
