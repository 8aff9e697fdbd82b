"""The PyTorch example from the seed document, ported by changing the imports only.

Trains SimpleNN on scikit-learn's load_digits (8x8 images, a fixed 80/20 split).
Run: python examples/seed_simplenn.py
"""
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import ember as torch
import ember.nn as nn
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


def main(num_epochs=30):
    torch.manual_seed(0)
    digits = load_digits()
    x = (digits.data / 16.0).astype(np.float32)
    y = digits.target.astype(np.int64)
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=0.2, random_state=0, stratify=y)
    train_loader = DataLoader(TensorDataset(torch.tensor(x_tr), torch.tensor(y_tr)), batch_size=32, shuffle=True)

    # Training loop (the seed's code, unchanged but for the sizes)
    model = SimpleNN(64, 128, 10)
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.001)
    for epoch in range(num_epochs):
        for data, labels in train_loader:
            # Forward pass
            outputs = model(data)
            loss = criterion(outputs, labels)
            # Backward pass and optimization
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        with torch.no_grad():
            pred = model(torch.tensor(x_te)).argmax(1).numpy()
        acc = (pred == y_te).mean()
        print(f"epoch {epoch + 1:2d}  loss {loss.item():.4f}  test accuracy {acc * 100:.2f}%")
    return acc


if __name__ == "__main__":
    main()
