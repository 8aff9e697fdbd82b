"""``ember evaluate CHECKPOINT --data ...``: loss, accuracy and per-class precision/recall of
a model written by ``ember train`` (CHECKPOINT: its output directory)."""
import argparse
import json
import time

from ._checkpoint import load_checkpoint, prepare
from ._common import setup_runtime
from ._loop import evaluate_arrays, per_class


def main(argv):
    p = argparse.ArgumentParser(prog="ember evaluate", description=__doc__)
    p.add_argument("checkpoint", help="directory written by `ember train` (or its model.safetensors)")
    p.add_argument("--data", default=None, help="data to evaluate on (default: the data it was trained on)")
    p.add_argument("--batch-size", type=int, default=512)
    p.add_argument("--device", default="cpu")
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--json", action="store_true", help="print the metrics as JSON")
    args = p.parse_args(argv)
    device = setup_runtime("evaluate", args.device, args.threads)
    model, cfg = load_checkpoint("evaluate", args.checkpoint)
    if device.type != "cpu":
        model = model.to(device)
    spec = args.data or cfg.get("data", "digits")
    x, y = prepare("evaluate", spec, cfg, need_labels=True)
    t0 = time.perf_counter()
    loss, acc, pred = evaluate_arrays(model, x, y, max(1, args.batch_size), device)
    metrics = {"model": cfg["model"], "data": spec, "samples": int(len(x)), "accuracy": acc, "loss": loss,
               "time_s": time.perf_counter() - t0}
    if args.json:
        print(json.dumps(metrics))
        return 0
    print(f"model     {cfg['model']}\ndata      {spec} ({len(x)} samples)\naccuracy  {acc * 100:.2f}%\n"
          f"loss      {loss:.4f}")
    if cfg.get("data_kind") != "text" and cfg["num_classes"] <= 20:
        print("class  precision  recall  support")
        for c, pr, r, s in per_class(y.reshape(-1), pred, cfg["num_classes"]):
            print(f"{c:>5}  {pr:9.3f}  {r:6.3f}  {s:7d}")
    return 0
