"""A character-level LSTM language model trained on Python's own standard library.

The text is the source of a fixed list of stdlib modules, read from the running
interpreter's installation (sysconfig's 'stdlib' path), so nothing is downloaded.
The first 90% of the characters train, the last 10% validate. Training is truncated
backpropagation through time: the training text is cut into `batch_size` parallel
streams and read `seq_len` characters at a time, the LSTM's state carried (detached)
from one chunk to the next; Adam, gradient clipping by global norm. Each epoch prints
the train and validation loss (nats per character) next to the validation loss of the
unigram baseline (each character predicted by its training frequency); at the end the
model writes text by greedy decoding and by temperature, top-k and top-p sampling.

Run: python examples/char_lstm.py            (about 5 minutes on 2 cores)
     python examples/char_lstm.py --help     (shorter runs, sizes)
"""
import argparse
import math
import os
import sysconfig
import time

import numpy as np

import ember
import ember.nn as nn
import ember.nn.functional as F

MODULES = ["textwrap", "string", "shlex", "glob", "fnmatch", "heapq", "bisect", "colorsys", "queue", "sched",
           "calendar", "difflib", "argparse", "csv", "configparser", "dataclasses", "enum", "functools",
           "contextlib", "abc", "copy", "pprint", "reprlib", "random", "statistics", "fractions", "tokenize",
           "ast", "inspect", "typing", "pathlib", "tempfile", "shutil", "zipfile", "tarfile", "gzip", "json/decoder",
           "json/encoder", "http/client", "email/message", "logging/__init__", "unittest/case", "collections/__init__"]


def load_text(max_chars=None):
    root = sysconfig.get_paths()["stdlib"]
    parts = []
    for name in MODULES:
        path = os.path.join(root, name + ".py")
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                parts.append(f.read())
    text = "\n".join(parts)
    if max_chars:
        text = text[:max_chars]
    return text


class CharLSTM(nn.Module):
    def __init__(self, vocab, embed=64, hidden=256, layers=1, dropout=0.0):
        super().__init__()
        self.embed = nn.Embedding(vocab, embed)
        self.lstm = nn.LSTM(embed, hidden, num_layers=layers, dropout=dropout if layers > 1 else 0.0,
                            batch_first=True)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, idx, state=None):
        out, state = self.lstm(self.embed(idx), state)
        return self.head(out), state


def batchify(ids, batch_size):
    n = len(ids) // batch_size
    return ids[: n * batch_size].reshape(batch_size, n)


def detach(state):
    return tuple(s.detach() for s in state)


def evaluate(model, streams, seq_len, vocab):
    model.eval()
    total, count, state = 0.0, 0, None
    with ember.no_grad():
        for i in range(0, streams.shape[1] - 1, seq_len):
            n = min(seq_len, streams.shape[1] - 1 - i)
            x = ember.tensor(streams[:, i:i + n])
            y = ember.tensor(streams[:, i + 1:i + 1 + n])
            logits, state = model(x, state)
            loss = F.cross_entropy(logits.reshape(-1, vocab), y.reshape(-1))
            total += float(loss.item()) * y.numel()
            count += y.numel()
    model.train()
    return total / max(count, 1)


def unigram_loss(train_ids, val_ids, vocab):
    counts = np.bincount(train_ids, minlength=vocab).astype(np.float64) + 1.0  # add-one smoothing
    logp = np.log(counts / counts.sum())
    return float(-logp[val_ids].mean())


def sample(model, stoi, itos, prompt, length, mode="greedy", temperature=1.0, top_k=0, top_p=1.0, rng=None):
    """Generates `length` characters after `prompt`: greedy argmax, or sampling from the
    softmax at `temperature`, restricted to the k most likely (top_k) or to the smallest
    set whose probability reaches top_p (nucleus)."""
    rng = rng or np.random.default_rng(0)
    model.eval()
    out = list(prompt)
    with ember.no_grad():
        logits, state = model(ember.tensor(np.array([[stoi.get(c, 0) for c in prompt]])))
        last = logits[0, -1]
        for _ in range(length):
            if mode == "greedy":
                nxt = int(last.argmax().item())
            else:
                probs = F.softmax(last / temperature, dim=-1).numpy().astype(np.float64)
                order = np.argsort(-probs)
                keep = np.ones_like(probs, dtype=bool)
                if top_k:
                    keep[order[top_k:]] = False
                if top_p < 1.0:
                    cum = np.cumsum(probs[order])
                    cut = int(np.searchsorted(cum, top_p)) + 1  # smallest prefix reaching top_p
                    keep[order[cut:]] = False
                probs = np.where(keep, probs, 0.0)
                nxt = int(rng.choice(len(probs), p=probs / probs.sum()))
            out.append(itos[nxt])
            logits, state = model(ember.tensor(np.array([[nxt]])), state)
            last = logits[0, -1]
    model.train()
    return "".join(out)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--time-limit", type=float, default=270.0, help="seconds of training (stops mid-epoch)")
    ap.add_argument("--max-chars", type=int, default=0, help="use only the first N characters (0: all)")
    ap.add_argument("--steps-per-epoch", type=int, default=0, help="cap on training chunks per epoch (0: all)")
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--seq-len", type=int, default=64)
    ap.add_argument("--embed", type=int, default=64)
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--layers", type=int, default=1)
    ap.add_argument("--dropout", type=float, default=0.0)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--clip", type=float, default=1.0)
    ap.add_argument("--gen-len", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=0, help="ember threads (0: default)")
    args = ap.parse_args(argv)
    if args.threads:
        ember.set_num_threads(args.threads)
    ember.manual_seed(args.seed)

    text = load_text(args.max_chars or None)
    chars = sorted(set(text))
    stoi = {c: i for i, c in enumerate(chars)}
    itos = chars
    vocab = len(chars)
    ids = np.array([stoi[c] for c in text], dtype=np.int64)
    split = int(len(ids) * 0.9)
    train_ids, val_ids = ids[:split], ids[split:]
    train = batchify(train_ids, args.batch_size)
    val = batchify(val_ids, min(args.batch_size, max(1, len(val_ids) // (args.seq_len + 1))))
    base = unigram_loss(train_ids, val_ids, vocab)
    print(f"text: {len(text):,} chars from {len(MODULES)} stdlib modules, vocab {vocab}; "
          f"train {len(train_ids):,} / val {len(val_ids):,}; unigram baseline val loss {base:.3f}", flush=True)

    model = CharLSTM(vocab, args.embed, args.hidden, args.layers, args.dropout)
    opt = ember.optim.Adam(model.parameters(), lr=args.lr)
    t0 = time.time()
    val_loss = float("nan")
    for epoch in range(1, args.epochs + 1):
        state, total, count = None, 0.0, 0
        starts = range(0, train.shape[1] - 1, args.seq_len)
        if args.steps_per_epoch:
            starts = list(starts)[: args.steps_per_epoch]
        stopped = False
        for i in starts:
            n = min(args.seq_len, train.shape[1] - 1 - i)
            x = ember.tensor(train[:, i:i + n])
            y = ember.tensor(train[:, i + 1:i + 1 + n])
            logits, state = model(x, state)
            state = detach(state)
            loss = F.cross_entropy(logits.reshape(-1, vocab), y.reshape(-1))
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), args.clip)
            opt.step()
            total += float(loss.item())
            count += 1
            if time.time() - t0 > args.time_limit:
                stopped = True
                break
        val_loss = evaluate(model, val, args.seq_len, vocab)
        print(f"epoch {epoch}: train loss {total / max(count, 1):.3f} ({count} chunks), val loss {val_loss:.3f}, "
              f"unigram baseline {base:.3f}, {time.time() - t0:.0f} s", flush=True)
        if stopped:
            print(f"(time limit of {args.time_limit:.0f} s reached)")
            break
    print(f"final val loss {val_loss:.3f} vs unigram {base:.3f} ({val_loss / math.log(2):.2f} vs "
          f"{base / math.log(2):.2f} bits/char)")
    if args.gen_len > 0:
        prompt = "def "
        rng = np.random.default_rng(args.seed)
        for label, kw in [("greedy", {"mode": "greedy"}), ("temperature 0.8", {"mode": "sample", "temperature": 0.8}),
                          ("top-k 5", {"mode": "sample", "top_k": 5}), ("top-p 0.9", {"mode": "sample", "top_p": 0.9})]:
            print(f"--- {label} ---")
            print(sample(model, stoi, itos, prompt, args.gen_len, rng=rng, **kw))
    return val_loss, base


if __name__ == "__main__":
    main()
