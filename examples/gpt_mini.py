#!/usr/bin/env python3
"""A small GPT-style decoder trained on the Python standard library's own source.

Data: the source files of a fixed list of stdlib modules, read from the running
interpreter's installation (nothing is downloaded), as byte-level tokens (vocab
256); the first 90% of the bytes train, the last 10% validate.

Model: token embedding + learned positional embedding, pre-norm decoder blocks
(causal multi-head self-attention on ember's fused attention kernel, GELU MLP), a
final LayerNorm, and an output layer tied to the token embedding (logits =
x @ embedding.weight^T). Trained with AdamW on cross-entropy; each epoch prints
the train and validation loss next to the unigram baseline (the validation
cross-entropy of the training bytes' frequencies). Text is then generated with
greedy, temperature, top-k and top-p (nucleus) sampling, decoding incrementally
with a key/value cache (ember.nn.KVCache): each new token attends to the cached
keys and values instead of recomputing the prefix.

Run: python examples/gpt_mini.py            (full run: 600 steps, about 4 minutes of 2 cores)
     python examples/gpt_mini.py --epochs 2 --steps 40 --d-model 64   (quick)
"""
import argparse
import math
import os
import time

import numpy as np

import ember
import ember.nn as nn
import ember.nn.functional as F

MODULES = ["textwrap", "string", "heapq", "bisect", "functools", "fractions", "difflib", "argparse", "calendar",
           "contextlib", "dataclasses", "enum", "glob", "gzip", "inspect", "pprint", "random", "shlex",
           "statistics", "tempfile", "threading", "typing", "uuid", "weakref", "zipfile"]


def load_text(max_bytes):
    """Bytes of the stdlib sources in MODULES order (modules missing here are skipped)."""
    root = os.path.dirname(os.__file__)
    chunks, total = [], 0
    for name in MODULES:
        path = os.path.join(root, name + ".py")
        if not os.path.exists(path):
            path = os.path.join(root, name, "__init__.py")
        if not os.path.exists(path):
            continue
        with open(path, "rb") as f:
            data = f.read()
        chunks.append(data)
        total += len(data)
        if total >= max_bytes:
            break
    data = np.frombuffer(b"\n".join(chunks)[:max_bytes], dtype=np.uint8).astype(np.int64)
    if len(data) < 10000:
        raise SystemExit("gpt_mini: could not find enough stdlib source text")
    return data


def unigram_baseline(train, val, vocab=256):
    counts = np.bincount(train, minlength=vocab).astype(np.float64) + 1.0
    logp = np.log(counts / counts.sum())
    return float(-logp[val].mean())


class Block(nn.Module):
    def __init__(self, d, heads, dropout):
        super().__init__()
        self.heads = heads
        self.ln1 = nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.ln2 = nn.LayerNorm(d)
        self.fc = nn.Linear(d, 4 * d)
        self.out = nn.Linear(4 * d, d)
        self.drop = nn.Dropout(dropout)

    def forward(self, x, layer, cache=None):
        N, L, D = x.shape
        h = self.ln1(x)
        q, k, v = self.qkv(h).reshape(N, L, 3, self.heads, D // self.heads).permute(2, 0, 3, 1, 4).unbind(0)
        mask = None
        if cache is not None:
            k, v = cache.update(layer, k, v)
            mask = cache.mask(L, layer)
        a = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=mask is None and L > 1)
        x = x + self.drop(self.proj(a.transpose(1, 2).reshape(N, L, D)))
        return x + self.drop(self.out(F.gelu(self.fc(self.ln2(x)))))


class GPT(nn.Module):
    def __init__(self, vocab=256, d_model=128, heads=4, layers=3, block_size=128, dropout=0.0):
        super().__init__()
        self.block_size = block_size
        self.tok = nn.Embedding(vocab, d_model)
        self.pos = nn.LearnedPositionalEmbedding(block_size, d_model)
        self.blocks = nn.ModuleList([Block(d_model, heads, dropout) for _ in range(layers)])
        self.ln_f = nn.LayerNorm(d_model)
        with ember.no_grad():
            self.tok.weight.normal_(0.0, 0.02)

    def forward(self, idx, cache=None):
        past = cache.seq_len(0) if cache is not None else 0
        x = self.tok(idx) + self.pos(idx.shape[1], offset=past)
        for i, b in enumerate(self.blocks):
            x = b(x, i, cache)
        return self.ln_f(x) @ self.tok.weight.t()  # weight tying


def batches(data, batch, block, rng):
    ix = rng.integers(0, len(data) - block - 1, batch)
    x = np.stack([data[i:i + block] for i in ix])
    y = np.stack([data[i + 1:i + block + 1] for i in ix])
    return ember.tensor(x), ember.tensor(y)


def evaluate(model, data, batch, block, n_batches=8):
    rng = np.random.default_rng(1234)  # the same validation batches every epoch
    model.eval()
    tot = 0.0
    with ember.no_grad():
        for _ in range(n_batches):
            x, y = batches(data, batch, block, rng)
            tot += F.cross_entropy(model(x).reshape(-1, 256), y.reshape(-1)).item()
    model.train()
    return tot / n_batches


def sample_next(logits, mode, temperature=1.0, top_k=None, top_p=None):
    """One next token id per row of logits (N, V)."""
    if mode == "greedy":
        return logits.argmax(-1, keepdim=True)
    logits = logits / temperature
    if top_k is not None:
        kth = ember.topk(logits, top_k, -1)[0][:, -1:]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if top_p is not None:
        sorted_logits, order = ember.sort(logits, -1, descending=True)
        probs = F.softmax(sorted_logits, -1)
        # drop tokens once the mass before them reaches top_p (the first always stays)
        drop = (probs.cumsum(-1) - probs) >= top_p
        sorted_logits = sorted_logits.masked_fill(drop, float("-inf"))
        logits = ember.full(logits.shape, float("-inf")).scatter(-1, order, sorted_logits)
    return ember.multinomial(F.softmax(logits, -1), 1)


def generate(model, prompt, n_tokens, mode="greedy", use_cache=True, **kw):
    """Continues the byte string ``prompt`` by n_tokens; with use_cache, decodes
    incrementally through a KVCache (same tokens as recomputing the whole prefix)."""
    model.eval()
    idx = ember.tensor(np.frombuffer(prompt, dtype=np.uint8).astype(np.int64)[None])
    out = [idx]
    with ember.no_grad():
        cache = nn.KVCache(len(model.blocks)) if use_cache else None
        logits = model(idx, cache)
        for _ in range(n_tokens):
            nxt = sample_next(logits[:, -1], mode, **kw)
            out.append(nxt)
            if use_cache:
                if cache.seq_len(0) >= model.block_size:
                    break
                logits = model(nxt, cache)
            else:
                ctx = ember.cat(out, 1)[:, -model.block_size:]
                logits = model(ctx)
    model.train()
    seq = ember.cat(out, 1).numpy()[0]
    return bytes(seq.astype(np.uint8).tolist())


def main(epochs=6, steps=100, batch_size=32, block_size=128, d_model=128, heads=4, layers=3, lr=3e-3,
         max_bytes=600_000, gen_tokens=200, seed=0, verbose=True):
    ember.manual_seed(seed)
    rng = np.random.default_rng(seed)
    data = load_text(max_bytes)
    split = int(0.9 * len(data))
    train, val = data[:split], data[split:]
    base = unigram_baseline(train, val)
    model = GPT(256, d_model, heads, layers, block_size)
    opt = ember.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    total = epochs * steps
    warmup = max(1, min(50, total // 10))
    sched = ember.optim.lr_scheduler.LambdaLR(  # linear warmup, cosine decay to lr/10
        opt, lambda s: min(1.0, (s + 1) / warmup) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(s, total) / total))))
    if verbose:
        n_params = sum(p.numel() for p in model.parameters())
        print(f"{len(train)} train / {len(val)} validation bytes; {n_params} parameters; "
              f"unigram baseline {base:.3f} nats")
    val_loss = float("nan")
    t0 = time.time()
    for epoch in range(epochs):
        run = 0.0
        for _ in range(steps):
            x, y = batches(train, batch_size, block_size, rng)
            loss = F.cross_entropy(model(x).reshape(-1, 256), y.reshape(-1))
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            run += loss.item()
        val_loss = evaluate(model, val, batch_size, block_size)
        if verbose:
            print(f"epoch {epoch + 1}: train loss {run / steps:.3f}  validation loss {val_loss:.3f}  "
                  f"(unigram {base:.3f})  {time.time() - t0:.0f}s", flush=True)
    if verbose and gen_tokens:
        prompt = b"def "
        for mode, kw in (("greedy", {}), ("temperature 0.8", {"temperature": 0.8}),
                         ("top-k 10", {"top_k": 10}), ("top-p 0.9", {"top_p": 0.9})):
            text = generate(model, prompt, gen_tokens, "greedy" if mode == "greedy" else "sample", **kw)
            print(f"--- {mode} ---\n{text.decode('utf-8', errors='replace')}")
    return {"val_loss": val_loss, "unigram": base, "model": model}


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--steps", type=int, default=100, help="training steps per epoch")
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--block-size", type=int, default=128)
    ap.add_argument("--d-model", type=int, default=128)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--layers", type=int, default=3)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--max-bytes", type=int, default=600_000)
    ap.add_argument("--gen-tokens", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    main(a.epochs, a.steps, a.batch_size, a.block_size, a.d_model, a.heads, a.layers, a.lr, a.max_bytes,
         a.gen_tokens, a.seed)
