"""The plain-ember training loop the CLI and ``ember.tune`` share: batches drawn from NumPy
arrays by a seeded permutation, cross-entropy (per token for the text models), an
optimizer step per batch, metrics summed over the epoch."""
import numpy as np

import ember
import ember.nn.functional as F


def _to(x, device):
    t = ember.from_numpy(np.ascontiguousarray(x))
    return t if device is None or device.type == "cpu" else t.to(device)


def _loss_and_correct(logits, y):
    if logits.dim() == 3:  # (N, L, V) language model: every position is a sample
        logits = logits.reshape(-1, logits.shape[-1])
        y = y.reshape(-1)
    loss = F.cross_entropy(logits, y)
    pred = logits.argmax(1)
    return loss, pred


def train_epoch(model, optimizer, x, y, batch_size, rng, device=None, scheduler=None, on_batch=None):
    """One pass over (x, y) in shuffled batches; returns (mean loss, accuracy)."""
    model.train()
    perm = rng.permutation(len(x))
    total, correct, count = 0.0, 0, 0
    for start in range(0, len(x), batch_size):
        idx = perm[start:start + batch_size]
        if len(idx) < 2 and len(x) > 1:  # batch norm needs more than one sample per batch
            continue
        yb = _to(y[idx], device)
        loss, pred = _loss_and_correct(model(_to(x[idx], device)), yb)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        n = int(np.prod(y[idx].shape))
        total += loss.item() * n
        correct += int((pred.cpu().numpy() == y[idx].reshape(-1)).sum())
        count += n
        if on_batch is not None:
            on_batch(1)
    return total / max(count, 1), correct / max(count, 1)


def predict_arrays(model, x, batch_size=512, device=None):
    """Logits for x as a float32 NumPy array (eval mode, no grad)."""
    model.eval()
    outs = []
    with ember.no_grad():
        for start in range(0, len(x), batch_size):
            outs.append(model(_to(x[start:start + batch_size], device)).cpu().numpy())
    return np.concatenate(outs)


def evaluate_arrays(model, x, y, batch_size=512, device=None):
    """(mean cross-entropy, accuracy, predicted classes) over (x, y)."""
    model.eval()
    total, preds = 0.0, []
    with ember.no_grad():
        for start in range(0, len(x), batch_size):
            logits = model(_to(x[start:start + batch_size], device))
            yb = _to(y[start:start + batch_size], device)
            if logits.dim() == 3:
                logits, yb = logits.reshape(-1, logits.shape[-1]), yb.reshape(-1)
            total += F.cross_entropy(logits, yb, reduction="sum").item()
            preds.append(logits.argmax(1).cpu().numpy())
    pred = np.concatenate(preds)
    yf = y.reshape(-1)
    return total / len(yf), float((pred == yf).mean()), pred


def per_class(y, pred, num_classes):
    """Rows (class, precision, recall, support) for the classes present in y or pred."""
    rows = []
    for c in range(num_classes):
        tp = int(((pred == c) & (y == c)).sum())
        p, s = int((pred == c).sum()), int((y == c).sum())
        if p or s:
            rows.append((c, tp / p if p else 0.0, tp / s if s else 0.0, s))
    return rows
