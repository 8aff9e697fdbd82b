"""``ember predict CHECKPOINT --data ... [--out preds.csv]``: the predicted class (and its
probability) of each sample; a CSV with columns index,prediction,probability[,label]."""
import argparse
import csv
import sys

import numpy as np

import ember

from ._checkpoint import load_checkpoint, prepare
from ._common import check_writable_file, setup_runtime
from ._loop import predict_arrays


def main(argv):
    p = argparse.ArgumentParser(prog="ember predict", description=__doc__)
    p.add_argument("checkpoint", help="directory written by `ember train` (or its model.safetensors)")
    p.add_argument("--data", default=None, help="inputs (default: the data it was trained on)")
    p.add_argument("--out", default=None, help="CSV file to write (default: print to stdout)")
    p.add_argument("--batch-size", type=int, default=512)
    p.add_argument("--device", default="cpu")
    p.add_argument("--threads", type=int, default=None)
    args = p.parse_args(argv)
    out = check_writable_file("predict", args.out) if args.out else None
    device = setup_runtime("predict", args.device, args.threads)
    model, cfg = load_checkpoint("predict", args.checkpoint)
    if device.type != "cpu":
        model = model.to(device)
    spec = args.data or cfg.get("data", "digits")
    x, y = prepare("predict", spec, cfg, need_labels=False)
    logits = predict_arrays(model, x, max(1, args.batch_size), device)
    probs = ember.softmax(ember.from_numpy(logits), -1).numpy()
    if probs.ndim == 3:  # text: one prediction per position
        probs, y = probs.reshape(-1, probs.shape[-1]), None if y is None else y.reshape(-1)
    pred = probs.argmax(1)
    conf = probs[np.arange(len(pred)), pred]
    header = ["index", "prediction", "probability"] + (["label"] if y is not None else [])
    f = open(out, "w", newline="") if out else sys.stdout
    try:
        w = csv.writer(f)
        w.writerow(header)
        for i in range(len(pred)):
            w.writerow([i, int(pred[i]), f"{conf[i]:.6f}"] + ([int(y[i])] if y is not None else []))
    finally:
        if out:
            f.close()
    if out:
        msg = f"wrote {len(pred)} predictions to {out}"
        if y is not None:
            msg += f" (accuracy {float((pred == y).mean()) * 100:.2f}%)"
        print(msg)
    return 0
